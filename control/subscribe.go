package control

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"

	"github.com/firedrill/firedrill/injectors"
)

// Subscription errors.
var (
	// ErrSubscriptionClosed ends a subscription whose engine was closed.
	ErrSubscriptionClosed = errors.New("subscription closed: the engine stopped")
	// ErrSubscriberTooSlow ends a subscription that fell too far behind;
	// the subscriber subscribes again from the last sequence number it saw.
	ErrSubscriberTooSlow = errors.New("subscription closed: the subscriber fell behind; subscribe again from the last sequence number seen")
)

// subscriptionBuffer is how many live events a subscriber may lag behind.
const subscriptionBuffer = 1024

// Subscription is a live stream of one drill's journal. C delivers every
// event after the sequence number given to Subscribe, stored ones first and
// then live ones, in order, without gaps or duplicates. C is closed when the
// subscription ends; Err then says why.
type Subscription struct {
	C <-chan Event

	c    chan Event
	mu   sync.Mutex
	err  error
	done bool
	stop func()
}

// Err returns why the subscription ended, nil while it is open or when it
// was ended by Close or its context.
func (s *Subscription) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Close ends the subscription.
func (s *Subscription) Close() { s.stop() }

// send delivers ev without blocking; a full buffer ends the subscription.
func (s *Subscription) send(ev Event) bool {
	select {
	case s.c <- ev:
		return true
	default:
		s.end(ErrSubscriberTooSlow)
		return false
	}
}

func (s *Subscription) end(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done {
		return
	}
	s.done, s.err = true, err
	close(s.c)
}

// Subscribe streams the drill's journal from afterSeq: events already stored
// are delivered first, then live events as they are appended. The
// subscription ends when ctx is done or Close is called.
func (e *Engine) Subscribe(ctx context.Context, id string, afterSeq int64) (*Subscription, error) {
	if afterSeq < 0 {
		return nil, injectors.Errorf(injectors.EINVALID, "subscribe: sequence number %d is negative", afterSeq)
	}
	r, err := e.run(ctx, id)
	if err != nil {
		return nil, err
	}
	e.lockUrgent(r)
	defer r.mu.Unlock()
	if afterSeq > r.d.Seq {
		return nil, injectors.Errorf(injectors.EINVALID, "subscribe: drill %s has %d events, none after #%d yet", id, r.d.Seq, afterSeq)
	}
	// Holding r.mu blocks appends, so the stored backlog and the live
	// stream meet exactly at the head.
	backlog, err := e.store.Events(ctx, id, afterSeq, 0)
	if err != nil {
		return nil, err
	}
	s := &Subscription{c: make(chan Event, len(backlog)+subscriptionBuffer)}
	s.C = s.c
	for _, ev := range backlog {
		s.c <- ev
	}
	r.subs[s] = struct{}{}
	cctx, cancel := context.WithCancel(ctx)
	var once sync.Once
	s.stop = func() {
		once.Do(func() {
			cancel()
			e.lockUrgent(r)
			delete(r.subs, s)
			r.mu.Unlock()
			s.end(nil)
		})
	}
	go func() {
		<-cctx.Done()
		s.stop()
	}()
	return s, nil
}

// Follow registers fn to receive the events of every drill as they are
// appended, each append's events in one call, right after they are durable
// and before the append returns, so that nobody sees an event that could
// still be lost. One drill's events come in journal order, without gaps;
// fn runs on the goroutine that committed them (the store's writer, when
// the store is a CommitNotifier), while the appending goroutine holds the
// drill's lock and waits, so it must be quick, must not block and must not
// call the engine or write to the store. It costs no goroutine hand-over.
// The returned function unregisters fn.
func (e *Engine) Follow(fn func(evs []Event)) (stop func()) {
	return e.follow(&follower{fn: fn})
}

// FollowPrepared is Follow for a follower that can do part of its work
// before the events are durable: prepare runs on the appending goroutine,
// under the drill's lock, after the events are sealed and before the
// store has them, and returns what runs, as Follow's fn does, once they
// are durable (nil when there is nothing to do). Drills append in
// parallel but the store commits one group at a time, so what prepare
// does (encoding the events for browsers, say) no longer waits in line
// with every other drill's events on the store's writer. prepare must
// show the events to nobody — the append may still fail, and then what
// it returned never runs — and, like fn, must not block or call the
// engine.
func (e *Engine) FollowPrepared(prepare func(evs []Event) (publish func())) (stop func()) {
	return e.follow(&follower{prepare: prepare})
}

// FollowStreamed is FollowPrepared for a follower that streams chat
// messages while they are committed instead of after: for an append of
// chat messages only (EventChatMessage), what prepare returned runs at
// once, on the appending goroutine under the drill's lock, before the
// store has the events (prepare is told so by early), so that the people
// of the drill read a message without waiting for its commit. settled
// then runs with the store's answer, still under the drill's lock and
// before any later event of the drill is sealed: nil once the messages
// are durable; otherwise the error, and the messages never will be
// durable: the follower must withdraw what it showed, since the engine
// gives their sequence numbers to the next events. After a failed append,
// the drill's chat messages are published once durable (early is false)
// until an append succeeds, so that a journal that keeps refusing
// withdraws one message, not every one. settled runs only for appends
// whose publish ran early. The poster is answered after settled, so a
// message is still acknowledged only once it is durable. Every other
// append is published once durable, as FollowPrepared does. settled, like
// publish, must be quick, must not block and must not call the engine.
func (e *Engine) FollowStreamed(prepare func(evs []Event, early bool) (publish func()), settled func(evs []Event, err error)) (stop func()) {
	return e.follow(&follower{streamed: prepare, settled: settled})
}

func (e *Engine) follow(f *follower) (stop func()) {
	e.followers.mu.Lock()
	defer e.followers.mu.Unlock()
	old := e.followers.list.Load()
	var list []*follower
	if old != nil {
		list = append(list, *old...)
	}
	list = append(list, f)
	e.followers.list.Store(&list)
	return func() {
		e.followers.mu.Lock()
		defer e.followers.mu.Unlock()
		cur := *e.followers.list.Load()
		next := make([]*follower, 0, len(cur))
		for _, g := range cur {
			if g != f {
				next = append(next, g)
			}
		}
		e.followers.list.Store(&next)
	}
}

// follower is one function registered with Follow (fn), FollowPrepared
// (prepare) or FollowStreamed (prepare and settled).
type follower struct {
	fn       func([]Event)
	prepare  func([]Event) func()
	streamed func([]Event, bool) func()
	settled  func([]Event, error)
}

// followers are the engine's followers; appends read the list without a
// lock.
type followers struct {
	mu   sync.Mutex
	list atomic.Pointer[[]*follower]
}

// append lets the followers of FollowPrepared and FollowStreamed prepare
// evs, appends them to store and hands them to the followers once durable:
// on the store's writer when it can run them there, after Append returns
// otherwise. When early, the events (chat messages) go to the followers of
// FollowStreamed before the store has them, and those are told the
// store's answer.
func (fs *followers) append(ctx context.Context, store Store, sum DrillSummary, evs []Event, early bool) error {
	list := fs.list.Load()
	if list == nil || len(*list) == 0 {
		return store.Append(ctx, sum, evs)
	}
	// What the followers prepared, before the store has the events (see
	// FollowPrepared); nil for a plain Follow's, and for what already ran.
	prepared := make([]func(), len(*list))
	var streamed []*follower
	for i, f := range *list {
		switch {
		case f.prepare != nil:
			prepared[i] = f.prepare(evs)
		case f.streamed != nil:
			if prepared[i] = f.streamed(evs, early); early && prepared[i] != nil {
				prepared[i]()
				prepared[i] = nil
				streamed = append(streamed, f)
			}
		}
	}
	then := func() {
		for i, f := range *list {
			switch {
			case f.fn != nil:
				f.fn(evs)
			case prepared[i] != nil:
				prepared[i]()
			}
		}
	}
	if len(streamed) > 0 {
		// Shown already: a caller that goes away (a closed tab) must not
		// withdraw it from everyone; its deadline, if any, still bounds
		// the wait.
		var cancel context.CancelFunc = func() {}
		detached := context.WithoutCancel(ctx)
		if dl, ok := ctx.Deadline(); ok {
			detached, cancel = context.WithDeadline(detached, dl)
		}
		defer cancel()
		ctx = WithShown(detached)
	}
	var err error
	if n, ok := store.(CommitNotifier); ok {
		err = n.AppendThen(ctx, sum, evs, then)
	} else if err = store.Append(ctx, sum, evs); err == nil {
		then()
	}
	for _, f := range streamed {
		f.settled(evs, err)
	}
	return err
}
