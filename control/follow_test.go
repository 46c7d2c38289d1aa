package control_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/control/controltest"
)

// A follower gets every append's events once they are durable (already in
// the journal when it is called), in journal order without gaps; after it
// stops it gets nothing more.
func TestFollow(t *testing.T) {
	h := controltest.NewHarness(t)
	var mu sync.Mutex
	var got []int64
	var problems []string
	stop := h.Engine.Follow(func(evs []control.Event) {
		for _, ev := range evs {
			stored, err := h.DB.Events(h.Ctx, ev.DrillID, ev.Seq-1, 1)
			mu.Lock()
			if err != nil || len(stored) != 1 || stored[0].Hash != ev.Hash {
				problems = append(problems, fmt.Sprintf("event #%d is not in the journal when followed (%v)", ev.Seq, err))
			}
			got = append(got, ev.Seq)
			mu.Unlock()
		}
	})
	id := startDrill(t, h, controltest.PaymentScenario())
	for i := range 5 {
		post(t, h, id, "alice", "incident", fmt.Sprintf("message %d", i))
	}
	stop()
	post(t, h, id, "alice", "incident", "after the follower stopped")
	d := h.Drill(id)
	mu.Lock()
	defer mu.Unlock()
	for _, p := range problems {
		t.Error(p)
	}
	if len(got) != int(d.Seq)-1 {
		t.Fatalf("followed %d events, want the drill's %d but the last", len(got), d.Seq-1)
	}
	for i, seq := range got {
		if seq != int64(i+1) {
			t.Fatalf("followed %v, want 1 to %d in order", got, d.Seq-1)
		}
	}
}
