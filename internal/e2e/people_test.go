package e2e_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/ui/client"
	"github.com/firedrill/firedrill/ui/wire"
)

// person is one scripted person: their own browser session (client) and
// their own live stream of the drill.
type person struct {
	name string
	id   string
	c    *client.Client
	f    *follower
}

// follower keeps every event a person's stream delivered.
type follower struct {
	mu     sync.Mutex
	events []wire.Event
	seen   chan struct{}
	done   chan error
	err    error
	// resets counts the streams that started over (client.ErrReset).
	resets int
}

func startFollowing(ctx context.Context, c *client.Client, drillID string) *follower {
	f := &follower{seen: make(chan struct{}, 1), done: make(chan error, 1)}
	go func() {
		err := c.Follow(ctx, drillID, 0, func(e wire.Event) error {
			f.mu.Lock()
			f.events = append(f.events, e)
			f.mu.Unlock()
			select {
			case f.seen <- struct{}{}:
			default:
			}
			return nil
		})
		f.mu.Lock()
		f.err = err
		f.mu.Unlock()
		f.done <- err
	}()
	return f
}

func (f *follower) snapshot() []wire.Event {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]wire.Event(nil), f.events...)
}

// waitFor waits until the person's stream has delivered an event matching
// ok, and returns the first such event. On timeout it fails with what was
// awaited and the last events seen.
func (p *person) waitFor(t *testing.T, what string, timeout time.Duration, ok func(wire.Event) bool) wire.Event {
	t.Helper()
	deadline := time.After(timeout)
	for {
		for _, e := range p.f.snapshot() {
			if ok(e) {
				return e
			}
		}
		select {
		case <-p.f.seen:
		case err := <-p.f.done:
			p.f.done <- err
			t.Fatalf("%s waited for %s, but the stream ended: %v\nlast events:\n%s", p.name, what, err, lastEvents(p.f.snapshot(), 15))
		case <-deadline:
			t.Fatalf("%s waited %s for %s; not seen.\nlast events:\n%s", p.name, timeout, what, lastEvents(p.f.snapshot(), 15))
		}
	}
}

// lastEvents renders the last n events for a failure message.
func lastEvents(evs []wire.Event, n int) string {
	if len(evs) > n {
		evs = evs[len(evs)-n:]
	}
	var b strings.Builder
	for _, e := range evs {
		fmt.Fprintf(&b, "  #%d %6.1fm %-22s %-14s %.160s\n", e.Seq, float64(e.DrillTimeMS)/60000, e.Type, e.Actor, e.Payload)
	}
	return b.String()
}

// Event predicates.

func ofType(typ string) func(wire.Event) bool {
	return func(e wire.Event) bool { return e.Type == typ }
}

func faultPayload(e wire.Event) (control.FaultEvent, bool) {
	var p control.FaultEvent
	if !strings.HasPrefix(e.Type, "fault.") || json.Unmarshal(e.Payload, &p) != nil {
		return p, false
	}
	return p, true
}

// isFault matches the fault event typ of fault id.
func isFault(typ, id string) func(wire.Event) bool {
	return func(e wire.Event) bool {
		p, ok := faultPayload(e)
		return ok && e.Type == typ && p.FaultID == id
	}
}

func message(e wire.Event) (control.Message, bool) {
	var m control.Message
	if e.Type != control.EventChatMessage || json.Unmarshal(e.Payload, &m) != nil {
		return m, false
	}
	return m, true
}

// fromSource matches a scripted message: an inject, follow-up, hint or
// alert ("inject:cs-cannot-pay", "alert:payment-errors").
// sameMessage matches the chat message ev as a participant sees it: the
// same channel, author and text. Participants number the events they see
// on their own and do not see a message's source, so neither the staff's
// sequence number nor the source finds it on their stream.
func sameMessage(ev wire.Event) func(wire.Event) bool {
	want, _ := message(ev)
	return func(e wire.Event) bool {
		m, ok := message(e)
		return ok && m.Channel == want.Channel && m.AuthorID == want.AuthorID && m.Text == want.Text
	}
}

func fromSource(sources ...string) func(wire.Event) bool {
	return func(e wire.Event) bool {
		m, ok := message(e)
		return ok && contains(sources, m.Source)
	}
}

// saidBy matches a chat message of a person containing text.
func saidBy(personID, text string) func(wire.Event) bool {
	return func(e wire.Event) bool {
		m, ok := message(e)
		return ok && m.AuthorKind == control.AuthorPerson && m.AuthorID == personID && strings.Contains(m.Text, text)
	}
}

// isNotice matches a posted notice of a kind.
func isNotice(kind string) func(wire.Event) bool {
	return func(e wire.Event) bool {
		var n struct {
			Kind string `json:"kind"`
		}
		return e.Type == control.EventNoticePosted && json.Unmarshal(e.Payload, &n) == nil && n.Kind == kind
	}
}

// step is one expected event of a sequence.
type step struct {
	what string
	ok   func(wire.Event) bool
}

// assertSequence asserts that the events contain the steps in this order,
// each after the previous one.
func assertSequence(t *testing.T, who string, evs []wire.Event, steps ...step) {
	t.Helper()
	i := 0
	for _, e := range evs {
		if i < len(steps) && steps[i].ok(e) {
			i++
		}
	}
	if i < len(steps) {
		var want []string
		for _, s := range steps {
			want = append(want, s.what)
		}
		t.Fatalf("%s's stream: after %q, %q did not follow.\nexpected order: %s\nevents:\n%s",
			who, stepName(steps, i-1), steps[i].what, strings.Join(want, " → "), lastEvents(evs, 80))
	}
}

func stepName(steps []step, i int) string {
	if i < 0 {
		return "the start"
	}
	return steps[i].what
}

// drillTime returns the drill time of the first matching event.
func drillTime(t *testing.T, evs []wire.Event, what string, ok func(wire.Event) bool) time.Duration {
	t.Helper()
	for _, e := range evs {
		if ok(e) {
			return time.Duration(e.DrillTimeMS) * time.Millisecond
		}
	}
	t.Fatalf("no %s in the stream", what)
	return 0
}
