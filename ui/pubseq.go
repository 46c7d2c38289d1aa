package ui

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"sync"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/ui/wire"
)

// publicSeqs numbers, per drill, the events participants see: a
// participant's sequence number n is the n-th event of the journal they may
// see. Events hidden from them (the back room, faults, notes, hints to come)
// leave no gap, so a participant cannot tell that something happened out of
// their sight. Staff keep the journal's numbers.
//
// The numbering is a function of the journal (audienceOf is fixed per
// event), so it is the same on every connect and after a restart; the index
// is rebuilt from the journal on first use. A chat message is numbered
// when it is streamed, before it is durable; if its commit fails the
// drill's index is forgotten (see Server.settled) and rebuilt from the
// journal.
type publicSeqs struct {
	journal Journal
	mu      sync.Mutex
	drills  map[string]*publicIndex
}

// publicIndex is one drill's numbering.
type publicIndex struct {
	mu sync.Mutex
	// head is the journal sequence number the index has read up to.
	head int64
	// seqs are the journal sequence numbers of the events every
	// participant sees, in order.
	seqs []int64
	// private are, per person, the journal numbers of the private
	// messages addressed to them. A person's numbering is seqs and their
	// private ones merged: participant number n is the n-th of those.
	private map[string][]int64
}

func newPublicSeqs(j Journal) *publicSeqs {
	return &publicSeqs{journal: j, drills: make(map[string]*publicIndex)}
}

func (p *publicSeqs) index(drillID string) *publicIndex {
	p.mu.Lock()
	defer p.mu.Unlock()
	x, ok := p.drills[drillID]
	if !ok {
		x = &publicIndex{private: map[string][]int64{}}
		p.drills[drillID] = x
	}
	return x
}

// forget drops a drill's index (when the drill is closed, nobody of the room
// follows its stream any more); it is rebuilt if it is needed again.
func (p *publicSeqs) forget(drillID string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.drills, drillID)
}

// catchUp reads the journal until the index covers seq. The caller holds
// x.mu.
func (p *publicSeqs) catchUp(ctx context.Context, drillID string, x *publicIndex, seq int64) error {
	for x.head < seq {
		events, err := p.journal.Events(ctx, drillID, x.head, replayBatch)
		if err != nil {
			return fmt.Errorf("number drill %s's events for participants: %w", drillID, err)
		}
		for _, e := range events {
			x.add(e, audienceOf(e))
		}
		if len(events) < replayBatch {
			break
		}
	}
	return nil
}

// add indexes e, whose audience is a (audienceOf(e)).
func (x *publicIndex) add(e control.Event, a Audience) {
	if e.Seq <= x.head {
		return
	}
	x.head = e.Seq
	switch a {
	case AudienceEveryone:
		x.seqs = append(x.seqs, e.Seq)
	case AudiencePrivate:
		for _, id := range Recipients(e) {
			x.private[id] = append(x.private[id], e.Seq)
		}
	}
}

// countUpTo returns how many of the sorted numbers are at most seq.
func countUpTo(seqs []int64, seq int64) int {
	return sort.Search(len(seqs), func(i int) bool { return seqs[i] > seq })
}

func has(seqs []int64, seq int64) bool {
	i := sort.Search(len(seqs), func(i int) bool { return seqs[i] >= seq })
	return i < len(seqs) && seqs[i] == seq
}

// find returns the number of journal number seq in person's numbering, and
// whether they see that event at all.
func (x *publicIndex) find(person string, seq int64) (int64, bool) {
	priv := x.private[person]
	n := int64(countUpTo(x.seqs, seq) + countUpTo(priv, seq))
	return n, has(x.seqs, seq) || has(priv, seq)
}

// nth returns the journal number of person's n-th event (n from 1 to the
// number of events they see).
func (x *publicIndex) nth(person string, n int64) int64 {
	priv := x.private[person]
	if len(priv) == 0 {
		return x.seqs[n-1]
	}
	i, j := 0, 0
	for k := int64(1); ; k++ {
		var next int64
		if j >= len(priv) || i < len(x.seqs) && x.seqs[i] < priv[j] {
			next, i = x.seqs[i], i+1
		} else {
			next, j = priv[j], j+1
		}
		if k == n {
			return next
		}
	}
}

// observe numbers an event that was just appended to the journal, whose
// audience is a, as the pump hands it to the hub: n is its number in the
// numbering every participant without a private message shares (zero when
// they do not see it), and personal its number for each person who was
// sent private messages and sees it.
func (p *publicSeqs) observe(ctx context.Context, e control.Event, a Audience) (n int64, personal map[string]int64, err error) {
	x := p.index(e.DrillID)
	x.mu.Lock()
	defer x.mu.Unlock()
	// The journal may not have e yet (a chat message is streamed while it
	// is committed): read it up to the event before, then add e itself.
	if x.head < e.Seq-1 {
		if err := p.catchUp(ctx, e.DrillID, x, e.Seq-1); err != nil {
			return 0, nil, err
		}
	}
	if x.head == e.Seq-1 {
		x.add(e, a)
	}
	if x.head < e.Seq {
		return 0, nil, fmt.Errorf("number drill %s's event #%d for participants: the journal ends at #%d", e.DrillID, e.Seq, x.head)
	}
	if has(x.seqs, e.Seq) {
		n = int64(countUpTo(x.seqs, e.Seq))
	}
	for person := range x.private {
		if pn, ok := x.find(person, e.Seq); ok {
			if personal == nil {
				personal = map[string]int64{}
			}
			personal[person] = pn
		}
	}
	return n, personal, nil
}

// upTo returns how many events person sees up to journal number seq
// (included): the number of the last one they saw by then.
func (p *publicSeqs) upTo(ctx context.Context, drillID, person string, seq int64) (int64, error) {
	x := p.index(drillID)
	x.mu.Lock()
	defer x.mu.Unlock()
	if err := p.catchUp(ctx, drillID, x, seq); err != nil {
		return 0, err
	}
	n, _ := x.find(person, seq)
	return n, nil
}

// of returns person's number of journal number seq; ok is false when they
// do not see that event.
func (p *publicSeqs) of(ctx context.Context, drillID, person string, seq int64) (n int64, ok bool, err error) {
	x := p.index(drillID)
	x.mu.Lock()
	defer x.mu.Unlock()
	if err := p.catchUp(ctx, drillID, x, seq); err != nil {
		return 0, false, err
	}
	n, ok = x.find(person, seq)
	return n, ok, nil
}

// journalSeq returns the journal number of person's number n, given the
// drill's journal head: zero for zero, an EINVALID error past the last event
// they may see.
func (p *publicSeqs) journalSeq(ctx context.Context, drillID, person string, n, head int64) (int64, error) {
	if n == 0 {
		return 0, nil
	}
	x := p.index(drillID)
	x.mu.Lock()
	defer x.mu.Unlock()
	if err := p.catchUp(ctx, drillID, x, head); err != nil {
		return 0, err
	}
	total := int64(len(x.seqs) + len(x.private[person]))
	if n < 0 || n > total {
		return 0, injectors.Errorf(injectors.EINVALID, "#%d is past the drill's last event #%d", n, total)
	}
	return x.nth(person, n), nil
}

// participantEvent returns e as participants see it, numbered n among the
// events they see, given w, e as staff see it (streamed): a chat message
// without its source, and the events it refers to (the message a reply
// answers, the notice whose promised update a nudge is about) by their
// participant numbers, or not at all when participants do not see them.
func (s *Server) participantEvent(ctx context.Context, e control.Event, w wire.Event, n int64, person string) (wire.Event, error) {
	w.Seq = n
	if w.Type == control.EventFaultConfirmed {
		// What was confirmed and by whom; the fault stays the back room's.
		var f control.FaultEvent
		if err := json.Unmarshal(w.Payload, &f); err != nil {
			return w, fmt.Errorf("event #%d of drill %s: %w", e.Seq, e.DrillID, err)
		}
		b, err := json.Marshal(map[string]string{"label": f.Detail, "by": f.By})
		w.Payload = b
		return w, err
	}
	var ref string
	switch {
	case w.Type == control.EventChatMessage && (bytes.Contains(w.Payload, []byte(`"source"`)) || bytes.Contains(w.Payload, []byte(`"replyTo"`))):
		ref = "replyTo"
	case w.Type == control.EventNudge && bytes.Contains(w.Payload, []byte(wire.NudgeUpdatePromised)):
		ref = "window"
	default:
		return w, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(w.Payload, &m); err != nil {
		return w, fmt.Errorf("event #%d of drill %s: %w", e.Seq, e.DrillID, err)
	}
	if w.Type == control.EventChatMessage {
		withoutSource(m)
	} else {
		var k struct {
			Kind string `json:"kind"`
		}
		if json.Unmarshal(w.Payload, &k) != nil || k.Kind != wire.NudgeUpdatePromised {
			return w, nil
		}
	}
	if raw, ok := m[ref]; ok {
		var seq int64
		if err := json.Unmarshal(raw, &seq); err != nil {
			return w, fmt.Errorf("event #%d of drill %s: %s: %w", e.Seq, e.DrillID, ref, err)
		}
		delete(m, ref)
		if seq > 0 {
			pn, seen, err := s.publicSeqs.of(ctx, e.DrillID, person, seq)
			if err != nil {
				return w, err
			}
			if seen {
				m[ref] = json.RawMessage(strconv.FormatInt(pn, 10))
			}
		}
	}
	b, err := json.Marshal(m)
	if err != nil {
		return w, err
	}
	w.Payload = b
	return w, nil
}

// participantSeq returns journal number seq as the session sees it: the
// journal's own for staff, the participant numbering otherwise (the number
// of the last event they see up to seq).
func (s *Server) participantSeq(ctx context.Context, sess *Session, drillID string, seq int64) (int64, error) {
	if sess.staff() {
		return seq, nil
	}
	return s.publicSeqs.upTo(ctx, drillID, sess.PersonID, seq)
}
