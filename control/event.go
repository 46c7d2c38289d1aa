package control

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/internal/jsonw"
)

// Event is one entry of a drill's journal. Every state change of a drill —
// lifecycle transitions, fault steps, chat messages, notices, hints and the
// entries other packages define (observer notes, retro answers, role claims) —
// is an event, appended durably before it takes effect or is acknowledged.
// Drill state, chat history and metrics are projections of the journal.
type Event struct {
	// DrillID is the drill the event belongs to.
	DrillID string `json:"drillId"`
	// Seq is the event's position in the drill's journal: gapless, from 1.
	Seq int64 `json:"seq"`
	// Type names the event, e.g. "fault.injected" or "chat.message".
	Type string `json:"type"`
	// Time is the wall-clock time the event was appended, in UTC.
	Time time.Time `json:"time"`
	// DrillTime is the drill clock when the event was appended: running time
	// since the drill started, times the time scale, pauses excluded.
	DrillTime time.Duration `json:"drillTime"`
	// Actor is who caused the event: a person id, "persona:<id>",
	// "engine", or "facilitator".
	Actor string `json:"actor"`
	// Payload is the event's data as compact JSON; its shape depends on Type.
	Payload json.RawMessage `json:"payload,omitempty"`
	// PrevHash is the hash of the previous event of the drill, "" for Seq 1.
	PrevHash string `json:"prevHash"`
	// Hash is hex(SHA-256(PrevHash || canonical bytes of the event)); it
	// chains the journal so that any change to a past event is detectable.
	Hash string `json:"hash"`
}

// ActorEngine is the actor of events the engine causes on its own: timers,
// probes and reconciliation.
const ActorEngine = "engine"

// PersonaActor returns the actor string of a scenario persona.
func PersonaActor(personaID string) string { return "persona:" + personaID }

// canonicalEvent is the hashed form of an event: fixed field order, UTC
// wall time with nanoseconds, drill time in nanoseconds, compact payload.
type canonicalEvent struct {
	DrillID   string          `json:"drillId"`
	Seq       int64           `json:"seq"`
	Type      string          `json:"type"`
	Time      string          `json:"time"`
	DrillTime int64           `json:"drillTime"`
	Actor     string          `json:"actor"`
	Payload   json.RawMessage `json:"payload"`
}

// CanonicalBytes returns the bytes of e that the hash chain covers. They do
// not include PrevHash or Hash.
func (e *Event) CanonicalBytes() ([]byte, error) {
	return e.appendCanonical(make([]byte, 0, canonicalSize+len(e.Payload)))
}

// canonicalSize is about the size of an event's canonical bytes without
// its payload.
const canonicalSize = 192

// appendCanonical appends e's canonical bytes to b: json.Marshal of its
// canonicalEvent, byte for byte, written by hand (Marshal's reflection and
// its second pass over the payload were most of an append's cost in the
// engine), with the payload compacted and HTML characters escaped as
// Marshal does. The bytes must never change: the hash chains of the
// journals kept so far cover them (TestCanonicalBytes compares them with
// Marshal's).
func (e *Event) appendCanonical(b []byte) ([]byte, error) {
	b = append(b, `{"drillId":`...)
	b = jsonw.AppendString(b, e.DrillID)
	b = append(b, `,"seq":`...)
	b = strconv.AppendInt(b, e.Seq, 10)
	b = append(b, `,"type":`...)
	b = jsonw.AppendString(b, e.Type)
	b = append(b, `,"time":`...)
	var t [len(time.RFC3339Nano) + 8]byte
	b = jsonw.AppendString(b, e.Time.UTC().AppendFormat(t[:0], time.RFC3339Nano))
	b = append(b, `,"drillTime":`...)
	b = strconv.AppendInt(b, int64(e.DrillTime), 10)
	b = append(b, `,"actor":`...)
	b = jsonw.AppendString(b, e.Actor)
	b = append(b, `,"payload":`...)
	if len(e.Payload) == 0 {
		b = append(b, "null"...)
	} else {
		var err error
		if b, err = jsonw.AppendRaw(b, e.Payload); err != nil {
			return nil, fmt.Errorf("event %s #%d: payload is not valid JSON: %w", e.DrillID, e.Seq, err)
		}
	}
	return append(b, '}'), nil
}

// ComputeHash returns the chain hash of e given the hash of the previous
// event: hex(SHA-256(prevHash || CanonicalBytes)).
func (e *Event) ComputeHash(prevHash string) (string, error) {
	b := make([]byte, 0, len(prevHash)+canonicalSize+len(e.Payload))
	b = append(b, prevHash...)
	b, err := e.appendCanonical(b)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	var h [2 * sha256.Size]byte
	hex.Encode(h[:], sum[:])
	return string(h[:]), nil
}

// Seal sets e's Seq, PrevHash and Hash so that it follows the event with
// sequence number prevSeq and hash prevHash.
func (e *Event) Seal(prevSeq int64, prevHash string) error {
	e.Seq = prevSeq + 1
	e.PrevHash = prevHash
	e.Time = e.Time.UTC()
	h, err := e.ComputeHash(prevHash)
	if err != nil {
		return err
	}
	e.Hash = h
	return nil
}

// VerifyChain checks that events are one drill's journal from sequence
// number 1 (or continuing after prevSeq/prevHash): gapless, each hash
// matching its content and its predecessor. It returns the head hash.
func VerifyChain(prevSeq int64, prevHash string, events []Event) (string, error) {
	for i := range events {
		e := &events[i]
		if e.Seq != prevSeq+1 {
			return "", injectors.Errorf(injectors.EINTERNAL, "journal of drill %s: event #%d follows #%d, expected #%d", e.DrillID, e.Seq, prevSeq, prevSeq+1)
		}
		if e.PrevHash != prevHash {
			return "", injectors.Errorf(injectors.EINTERNAL, "journal of drill %s: event #%d does not link to the previous hash", e.DrillID, e.Seq)
		}
		h, err := e.ComputeHash(prevHash)
		if err != nil {
			return "", err
		}
		if h != e.Hash {
			return "", injectors.Errorf(injectors.EINTERNAL, "journal of drill %s: event #%d has been altered (hash mismatch)", e.DrillID, e.Seq)
		}
		prevSeq, prevHash = e.Seq, e.Hash
	}
	return prevHash, nil
}
