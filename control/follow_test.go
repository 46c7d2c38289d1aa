package control_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	testingclock "k8s.io/utils/clock/testing"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/control/controltest"
	"github.com/firedrill/firedrill/control/sqlite"
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

// A streamed follower gets chat messages before the store has them and is
// told the store's answer before the poster is: nil once they are durable,
// the error when they are refused, and then the refused message's number
// goes to the next event. Every other event reaches it once durable, and
// it is told nothing more of those.
func TestFollowStreamed(t *testing.T) {
	h := controltest.NewHarness(t)
	var mu sync.Mutex
	var log []string
	inJournal := func(ev control.Event) bool {
		stored, err := h.DB.Events(h.Ctx, ev.DrillID, ev.Seq-1, 1)
		return err == nil && len(stored) == 1 && stored[0].Hash == ev.Hash
	}
	note := func(what string, ev control.Event) {
		where := "not in the journal"
		if inJournal(ev) {
			where = "in the journal"
		}
		mu.Lock()
		log = append(log, fmt.Sprintf("%s #%d %s %s", what, ev.Seq, ev.Type, where))
		mu.Unlock()
	}
	stop := h.Engine.FollowStreamed(func(evs []control.Event, early bool) func() {
		return func() {
			if early != (evs[0].Type == control.EventChatMessage) {
				t.Errorf("event #%d %s prepared with early %v", evs[0].Seq, evs[0].Type, early)
			}
			for _, ev := range evs {
				note("published", ev)
			}
		}
	}, func(evs []control.Event, err error) {
		for _, ev := range evs {
			note(fmt.Sprintf("settled(%v)", err != nil), ev)
		}
	})
	defer stop()
	id := startDrill(t, h, controltest.PaymentScenario())
	head := h.Drill(id).Seq
	mu.Lock()
	for i, l := range log {
		if want := fmt.Sprintf("published #%d", i+1); !strings.HasPrefix(l, want) || !strings.HasSuffix(l, " in the journal") || strings.HasSuffix(l, "not in the journal") {
			t.Errorf("before any chat: log[%d] = %q, want %q ... in the journal", i, l, want)
		}
	}
	log = nil
	mu.Unlock()

	m, err := h.Engine.PostMessage(h.Ctx, id, control.PostMessage{Channel: "incident", AuthorID: "alice", AuthorKind: control.AuthorPerson, Text: "streamed while committed"})
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	got := append([]string(nil), log...)
	log = nil
	mu.Unlock()
	want := []string{
		fmt.Sprintf("published #%d chat.message not in the journal", head+1),
		fmt.Sprintf("settled(false) #%d chat.message in the journal", head+1),
	}
	if m.Seq != head+1 || !slices.Equal(got, want) {
		t.Fatalf("a chat message (#%d): followed %q, want %q", m.Seq, got, want)
	}

	// The store refuses the next append: the message was shown, the
	// follower is told, the poster gets the error.
	h.DB.Close()
	if _, err := h.Engine.PostMessage(h.Ctx, id, control.PostMessage{Channel: "incident", AuthorID: "alice", AuthorKind: control.AuthorPerson, Text: "refused"}); err == nil {
		t.Fatal("a message posted to a closed journal was accepted")
	}
	mu.Lock()
	got = append([]string(nil), log...)
	mu.Unlock()
	want = []string{
		fmt.Sprintf("published #%d chat.message not in the journal", head+2),
		fmt.Sprintf("settled(true) #%d chat.message not in the journal", head+2),
	}
	if !slices.Equal(got, want) {
		t.Fatalf("a refused chat message: followed %q, want %q", got, want)
	}
	if d := h.Drill(id); d.Seq != head+1 {
		t.Fatalf("after the refused message the drill is at #%d, want #%d: its number goes to the next event", d.Seq, head+1)
	}

	// The journal still refuses: the next message is not streamed before
	// it is durable, so it is never shown, and nothing is withdrawn.
	if _, err := h.Engine.PostMessage(h.Ctx, id, control.PostMessage{Channel: "incident", AuthorID: "alice", AuthorKind: control.AuthorPerson, Text: "refused again"}); err == nil {
		t.Fatal("a message posted to a closed journal was accepted")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(log) != len(want) {
		t.Fatalf("a second refused message: followed %q after the first, want nothing: one withdrawal per failing streak", log[len(want):])
	}
}

// After a refused append, chat messages are streamed once durable until
// an append succeeds, then while committed again.
func TestFollowStreamed_afterARefusal(t *testing.T) {
	h, store := refusingHarness(t)
	var mu sync.Mutex
	var got []string
	stop := h.Engine.FollowStreamed(func(evs []control.Event, early bool) func() {
		if evs[0].Type != control.EventChatMessage {
			return nil
		}
		return func() {
			mu.Lock()
			defer mu.Unlock()
			got = append(got, fmt.Sprintf("%s early=%v", payloadText(t, evs[0]), early))
		}
	}, func([]control.Event, error) {})
	defer stop()
	id := startDrill(t, h, controltest.PaymentScenario())
	say := func(text string, refused bool) {
		t.Helper()
		store.refuse.Store(refused)
		_, err := h.Engine.PostMessage(h.Ctx, id, control.PostMessage{Channel: "incident", AuthorID: "alice", AuthorKind: control.AuthorPerson, Text: text})
		if (err != nil) != refused {
			t.Fatalf("posting %q: %v, want refused %v", text, err, refused)
		}
	}
	say("one", false)
	say("two", true)
	say("three", true)
	say("four", false)
	say("five", false)
	mu.Lock()
	defer mu.Unlock()
	want := []string{"one early=true", "two early=true", "four early=false", "five early=true"}
	if !slices.Equal(got, want) {
		t.Fatalf("published %q, want %q", got, want)
	}
	// The store may hold the commit of what is shown already, and only
	// that (see control.WithShown).
	store.mu.Lock()
	defer store.mu.Unlock()
	wantShown := []string{"one shown=true", "two shown=true", "three shown=false", "four shown=false", "five shown=true"}
	if !slices.Equal(store.shown, wantShown) {
		t.Fatalf("appends %q, want %q", store.shown, wantShown)
	}
}

// A poster who goes away once their message is shown (a closed tab) does
// not withdraw it from everyone: the append no longer depends on the
// poster's request.
func TestFollowStreamed_posterGoneAfterTheStream(t *testing.T) {
	h, _ := refusingHarness(t)
	id := startDrill(t, h, controltest.PaymentScenario())
	ctx, cancel := context.WithCancel(h.Ctx)
	defer cancel()
	var settled []error
	stop := h.Engine.FollowStreamed(func(evs []control.Event, early bool) func() {
		if !early {
			return nil
		}
		return cancel // the poster leaves as the message is shown
	}, func(_ []control.Event, err error) { settled = append(settled, err) })
	defer stop()
	m, err := h.Engine.PostMessage(ctx, id, control.PostMessage{Channel: "incident", AuthorID: "alice", AuthorKind: control.AuthorPerson, Text: "shown, then the tab closed"})
	if err != nil || len(settled) != 1 || settled[0] != nil {
		t.Fatalf("PostMessage = %v, settled %v; want the message kept: it was shown", err, settled)
	}
	if d := h.Drill(id); d.Seq != m.Seq {
		t.Fatalf("the drill is at #%d, want the message #%d durable", d.Seq, m.Seq)
	}
}

// refusingHarness is a harness whose engine appends through a
// refusingStore.
func refusingHarness(t *testing.T) (*controltest.Harness, *refusingStore) {
	t.Helper()
	h := controltest.NewHarness(t)
	h.Engine.Close()
	store := &refusingStore{DB: h.DB}
	h.Engine = control.NewEngine(store, h.Injector, h.Clock)
	h.Engine.Manual = true
	if err := h.Engine.Open(h.Ctx); err != nil {
		t.Fatal(err)
	}
	return h, store
}

// refusingStore is the real journal, refusing appends while refuse is set,
// and, as the journal's queue does for a write it has not taken yet, when
// the caller's context is done.
type refusingStore struct {
	*sqlite.DB
	refuse atomic.Bool
	mu     sync.Mutex
	// shown are the texts of the chat messages appended, each with
	// whether its append's context was marked control.WithShown.
	shown []string
}

func (s *refusingStore) Append(ctx context.Context, sum control.DrillSummary, evs []control.Event) error {
	return s.AppendThen(ctx, sum, evs, nil)
}

func (s *refusingStore) AppendThen(ctx context.Context, sum control.DrillSummary, evs []control.Event, then func()) error {
	if evs[0].Type != control.EventChatMessage && control.Shown(ctx) {
		return fmt.Errorf("the append of #%d %s is marked shown: only streamed chat is", evs[0].Seq, evs[0].Type)
	}
	if evs[0].Type == control.EventChatMessage {
		var m control.Message
		_ = json.Unmarshal(evs[0].Payload, &m)
		s.mu.Lock()
		s.shown = append(s.shown, fmt.Sprintf("%s shown=%v", m.Text, control.Shown(ctx)))
		s.mu.Unlock()
	}
	if s.refuse.Load() {
		return errors.New("the journal refuses appends in this test")
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.DB.AppendThen(ctx, sum, evs, then)
}

// payloadText is a chat message's text.
func payloadText(t *testing.T, ev control.Event) string {
	t.Helper()
	var m control.Message
	if err := json.Unmarshal(ev.Payload, &m); err != nil {
		t.Fatal(err)
	}
	return m.Text
}

// TestFollowStreamed_hurriesAHeldCommit checks that whoever takes a
// drill's lock while its chat message's commit is held for company (see
// control.WithShown) — its kill switch, its next message, a read of its
// state — tells the store to hurry instead of waiting for the window: the
// held message is answered before the store's clock moves.
func TestFollowStreamed_hurriesAHeldCommit(t *testing.T) {
	for _, c := range []struct {
		name string
		take func(h *controltest.Harness, id string) error
		want control.DrillState
	}{
		{"the kill switch does not wait behind a held commit", func(h *controltest.Harness, id string) error {
			return h.Engine.Abort(h.Ctx, id, "fiona", "real outage in production")
		}, control.StateAborted},
		{"the drill's next message does not wait behind a held commit", func(h *controltest.Harness, id string) error {
			_, err := h.Engine.PostMessage(h.Ctx, id, control.PostMessage{Channel: "incident", AuthorID: "alice", AuthorKind: control.AuthorPerson, Text: "right after"})
			return err
		}, control.StateRunning},
		{"a read of the drill does not wait behind a held commit", func(h *controltest.Harness, id string) error {
			return h.Engine.View(h.Ctx, id, func(*control.Drill) error { return nil })
		}, control.StateRunning},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := controltest.NewHarness(t)
			h.Engine.Close()
			h.DB.Close()
			storeClock := testingclock.NewFakeClock(time.Unix(0, 0)) // never stepped
			db := sqlite.NewDB(h.Path)
			db.Clock = storeClock
			if err := db.Open(h.Ctx); err != nil {
				t.Fatal(err)
			}
			h.DB = db
			h.Engine = control.NewEngine(db, h.Injector, h.Clock)
			h.Engine.Manual = true
			if err := h.Engine.Open(h.Ctx); err != nil {
				t.Fatal(err)
			}
			stop := h.Engine.FollowStreamed(func([]control.Event, bool) func() { return func() {} }, func([]control.Event, error) {})
			defer stop()
			id := startDrill(t, h, controltest.PaymentScenario())
			posted := make(chan error, 1)
			go func() {
				_, err := h.Engine.PostMessage(h.Ctx, id, control.PostMessage{Channel: "incident", AuthorID: "alice", AuthorKind: control.AuthorPerson, Text: "held for company"})
				posted <- err
			}()
			for i := 0; !storeClock.HasWaiters(); i++ {
				if i == 5000 {
					t.Fatal("the store never held the message's commit")
				}
				time.Sleep(time.Millisecond)
			}
			took := make(chan error, 1)
			go func() { took <- c.take(h, id) }()
			select {
			case err := <-posted:
				if err != nil {
					t.Fatalf("the held message: %v", err)
				}
			case <-time.After(10 * time.Second):
				t.Error("the held message's commit waited for its window: nobody hurried it")
				storeClock.Step(time.Minute) // let the drill go
				<-posted
			}
			// A next message is held for company in its turn; that hold
			// is its own.
			deadline := time.After(10 * time.Second)
			for done := false; !done; {
				select {
				case err := <-took:
					if err != nil {
						t.Fatal(err)
					}
					done = true
				case <-time.After(time.Millisecond):
					if storeClock.HasWaiters() {
						storeClock.Step(time.Minute)
					}
				case <-deadline:
					t.Fatal("the lock's taker never returned")
				}
			}
			if s := h.Drill(id).State; s != c.want {
				t.Fatalf("drill is %s, want %s", s, c.want)
			}
		})
	}
}
