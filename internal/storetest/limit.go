package storetest

import (
	"context"
	"strings"
	"testing"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/injectors"
)

// LimitedOpener opens a fresh journal store whose size limit is maxBytes.
type LimitedOpener func(t testing.TB, maxBytes int64) Journal

// TestSizeLimit fills a journal limited to maxBytes: past the limit it
// refuses new work with a clear error, and still takes what stopping a drill
// and reverting its faults writes.
func TestSizeLimit(t *testing.T, maxBytes int64, open LimitedOpener) {
	ctx := context.Background()
	db := open(t, maxBytes)
	var seq int64
	var head string
	var refused error
	for i := 0; i < 20000 && refused == nil; i++ {
		evs := padded(t, seq, head, 4)
		if err := db.Append(ctx, Summary("full", evs, control.StateRunning), evs); err != nil {
			refused = err
			break
		}
		seq, head = evs[len(evs)-1].Seq, evs[len(evs)-1].Hash
	}

	t.Run("new work past the limit is refused with a clear error", func(t *testing.T) {
		if refused == nil {
			t.Fatalf("20000 appends of 4 KB into a journal limited to %d bytes were all taken", maxBytes)
		}
		if injectors.ErrorCode(refused) != injectors.EINTERNAL || !strings.Contains(refused.Error(), "the journal is full") || !strings.Contains(refused.Error(), "reverts of injected faults continue") {
			t.Fatalf("refusal %q, want EINTERNAL saying the journal is full and reverts continue", refused)
		}
	})
	t.Run("the kill switch still writes", func(t *testing.T) {
		e := control.Event{DrillID: "full", Type: control.EventDrillAborted, Actor: "facilitator", Time: Sealed(t, "full", seq, head, 1)[0].Time, Payload: []byte(`{"reason":"disk"}`)}
		if err := e.Seal(seq, head); err != nil {
			t.Fatal(err)
		}
		evs := []control.Event{e}
		if err := db.Append(ctx, Summary("full", evs, control.StateClosed), evs); err != nil {
			t.Fatalf("kill switch append refused: %v", err)
		}
		got, err := db.Events(ctx, "full", seq, 0)
		if err != nil || len(got) != 1 || got[0].Type != control.EventDrillAborted {
			t.Fatalf("after the kill switch: %+v, %v", got, err)
		}
	})
}

// padded returns n sealed events of about 1 KB each.
func padded(t testing.TB, seq int64, head string, n int) []control.Event {
	evs := Sealed(t, "full", seq, head, n)
	for j := range evs {
		evs[j].Payload = []byte(`{"channel":"incident","text":"` + strings.Repeat("x", 1000) + `"}`)
		if err := evs[j].Seal(seq, head); err != nil {
			t.Fatal(err)
		}
		seq, head = evs[j].Seq, evs[j].Hash
	}
	return evs
}
