package control

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// marshalCanonical is how CanonicalBytes wrote an event until it was
// written by hand: json.Marshal of its canonicalEvent, the payload
// compacted first. Every journal kept so far is hashed over these bytes.
func marshalCanonical(e *Event) ([]byte, error) {
	payload := json.RawMessage("null")
	if len(e.Payload) > 0 {
		var buf bytes.Buffer
		if err := json.Compact(&buf, e.Payload); err != nil {
			return nil, err
		}
		payload = buf.Bytes()
	}
	return json.Marshal(canonicalEvent{
		DrillID: e.DrillID, Seq: e.Seq, Type: e.Type, Time: e.Time.UTC().Format(time.RFC3339Nano),
		DrillTime: int64(e.DrillTime), Actor: e.Actor, Payload: payload,
	})
}

// The hand-written canonical bytes are Marshal's, byte for byte, for
// events with strings and payloads that need escaping, any time zone and
// fraction of a second, and payloads with insignificant space; an invalid
// payload is an error for both. A single byte of difference would make
// every journal kept so far fail to verify.
func TestCanonicalBytes(t *testing.T) {
	words := []string{"", "d-1a2b", "chat.message", "persona:cto", "engine", `"q"`, `\`, "<b>&</b>", "\n\t\x00", "\u2028", "\u2029", "\xff", "복구", "🔥"}
	payloads := []string{"", `{}`, `null`, `[1,2.5e3,-0,true,false,null]`, ` { "a" : [ 1 , "x y" ] , "b":{} } `,
		`{"text":"<script>alert(1)</script> & co"}`, "{\"text\":\"line\u2028sep\u2029\"}", `{"text":"\u2028 escaped already \u003c"}`,
		`{"channel":"incident","authorId":"p-1","authorKind":"person","authorName":"Bob","text":"ETA 10 minutes","drillTime":120000000000}`,
		"{\"k\":\"\t tab\"}", `"just a string"`, `12`}
	invalid := []string{`{`, `{"a":}`, `nul`, `{"a":1}}`, "\xff"}
	r := rand.New(rand.NewPCG(3, 4))
	pick := func(s []string) string {
		if r.IntN(3) == 0 {
			return s[r.IntN(len(s))] + s[r.IntN(len(s))]
		}
		return s[r.IntN(len(s))]
	}
	zones := []*time.Location{time.UTC, time.FixedZone("KST", 9*3600), time.FixedZone("odd", -3*3600-30*60)}
	for i := range 20000 {
		e := Event{
			DrillID: pick(words), Seq: r.Int64N(1 << 40), Type: pick(words),
			Time:      time.Unix(r.Int64N(4e9), r.Int64N(1e9)*int64(r.IntN(2))).In(zones[r.IntN(len(zones))]),
			DrillTime: time.Duration(r.Int64N(1<<50) - 1<<49), Actor: pick(words), Payload: json.RawMessage(payloads[r.IntN(len(payloads))]),
		}
		if i%10 == 0 {
			e.Payload = json.RawMessage(invalid[r.IntN(len(invalid))])
		}
		want, wantErr := marshalCanonical(&e)
		got, err := e.CanonicalBytes()
		if (err != nil) != (wantErr != nil) {
			t.Fatalf("event %+v: CanonicalBytes error %v, Marshal's %v", e, err, wantErr)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("event %+v:\n got %s\nwant %s", e, got, want)
		}
		if err != nil {
			continue
		}
		prev := fmt.Sprintf("%064x", r.Uint64())
		h := sha256.New()
		h.Write([]byte(prev))
		h.Write(want)
		if got, err := e.ComputeHash(prev); err != nil || got != hex.EncodeToString(h.Sum(nil)) {
			t.Fatalf("event %+v: ComputeHash = %s, %v, want %x", e, got, err, h.Sum(nil))
		}
	}
}
