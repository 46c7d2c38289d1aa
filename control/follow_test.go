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

// A prepared follower prepares each append's events on the appending
// goroutine before the store has them, and what it returned runs once
// they are durable, in journal order; an append the store refuses is
// prepared but never published.
func TestFollowPrepared(t *testing.T) {
	h := controltest.NewHarness(t)
	var mu sync.Mutex
	var prepared, published []int64
	var problems []string
	inJournal := func(ev control.Event) bool {
		stored, err := h.DB.Events(h.Ctx, ev.DrillID, ev.Seq-1, 1)
		return err == nil && len(stored) == 1 && stored[0].Hash == ev.Hash
	}
	stop := h.Engine.FollowPrepared(func(evs []control.Event) func() {
		mu.Lock()
		defer mu.Unlock()
		for _, ev := range evs {
			if inJournal(ev) {
				problems = append(problems, fmt.Sprintf("event #%d is already in the journal when prepared", ev.Seq))
			}
			prepared = append(prepared, ev.Seq)
		}
		return func() {
			mu.Lock()
			defer mu.Unlock()
			for _, ev := range evs {
				if !inJournal(ev) {
					problems = append(problems, fmt.Sprintf("event #%d is not in the journal when published", ev.Seq))
				}
				published = append(published, ev.Seq)
			}
		}
	})
	defer stop()
	id := startDrill(t, h, controltest.PaymentScenario())
	for i := range 5 {
		post(t, h, id, "alice", "incident", fmt.Sprintf("message %d", i))
	}
	d := h.Drill(id)
	h.DB.Close()
	if _, err := h.Engine.PostMessage(h.Ctx, id, control.PostMessage{Channel: "incident", AuthorID: "alice", AuthorKind: control.AuthorPerson, Text: "refused"}); err == nil {
		t.Fatal("a message posted to a closed journal was accepted")
	}
	mu.Lock()
	defer mu.Unlock()
	for _, p := range problems {
		t.Error(p)
	}
	if len(published) != int(d.Seq) {
		t.Fatalf("published %v, want the drill's %d events", published, d.Seq)
	}
	for i, seq := range published {
		if seq != int64(i+1) {
			t.Fatalf("published %v, want 1 to %d in order", published, d.Seq)
		}
	}
	if len(prepared) != int(d.Seq)+1 || prepared[d.Seq] != d.Seq+1 {
		t.Fatalf("prepared %v, want the drill's %d events and the refused one", prepared, d.Seq)
	}
}
