// Package groupcommit hands a store's writes to one writer goroutine, which
// takes every write waiting and commits them together — one synced
// transaction for many writes — then answers each write on its own. A write
// may come with a function the writer runs as soon as the write is
// committed, before it answers anyone (see DoThen). A writer may also wait
// a moment for company when it wakes to patient writes only (see
// StartPaced). The journal stores (control/sqlite, control/postgres)
// append through it.
package groupcommit

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"k8s.io/utils/clock"

	"github.com/firedrill/firedrill/injectors"
)

// ErrClosed is the answer to a write submitted after Close.
var ErrClosed = errors.New("the store is closed")

// Item is one write of a group, with the context of its caller.
type Item[R any] struct {
	Ctx context.Context
	Req R
}

type item[R any] struct {
	Item[R]
	// then, if set, runs on the writer once the write is committed.
	then func()
	// patient is set for a write that may wait for company (see
	// StartPaced).
	patient bool
	done    chan error
}

// Queue is the writer of a store.
//
// Writes wait in a slice under a lock rather than in a channel: a caller
// hands its write over without waiting for the writer to take it, and is
// woken once, when its answer is ready. Through an unbuffered channel, a
// caller arriving while a group commits (an fsync, most of the time) was
// parked until the writer took its write, woken to park again on its
// answer: two wake-ups per write instead of one, on a machine whose cores
// the sockets' writers need.
type Queue[R any] struct {
	max    int
	commit func([]Item[R]) []error
	mu     sync.Mutex
	// waiting are the writes handed over that the writer has not taken,
	// in order; closed is set by Close, after which no write is added.
	waiting []*item[R]
	closed  bool
	// wake holds a token when writes may be waiting: the writer looks at
	// waiting after taking it.
	wake chan struct{}
	// gather is how long the writer waits for company when it wakes to
	// patient writes only, on clock; urgent holds a token when a write
	// that is not patient came, which ends that wait.
	gather time.Duration
	// pace and burst space the groups of patient writes only (see
	// StartPaced and count): due is when the writer's groups so far would
	// have started had each come pace after the one before (the
	// theoretical arrival time of the generic cell rate algorithm), on
	// clock; such a group may start burst paces ahead of it.
	pace   time.Duration
	burst  int
	due    time.Time
	clock  clock.Clock
	urgent chan struct{}
	// hurried is set by Hurry, for a wait that has not begun yet.
	hurried   atomic.Bool
	closing   chan struct{}
	closeOnce sync.Once
	done      chan struct{}
}

// Start starts the writer: commit is called with up to max writes at a time
// (at least one) and returns an error (or nil) for each of them, in order.
func Start[R any](max int, commit func([]Item[R]) []error) *Queue[R] {
	return StartPaced(max, 0, 0, 0, nil, commit)
}

// StartPaced is Start for a writer that holds patient writes (see
// DoThenPatient) a moment on c, so that the writes coming meanwhile share
// their commit. A store's patient writes are those whose callers need the
// answer but nobody watches them wait: chat messages the drill room
// already streamed (see control.WithShown).
//
// When it wakes to patient writes only, the writer waits gather before it
// takes them: committed at once, each one's commit would run beside its
// fan-out to the room's sockets, on the same cores, once per message. It
// also limits the rate of its commits of patient writes: over any stretch
// of time, groups start at most one per pace on average, with up to burst
// of them back to back after a quiet spell (every group counts; a group of
// patient writes only waits for its turn, whether the writer was idle or
// not). A steady stream of patient writes faster than that costs one
// commit per pace, while a slower one is only gathered. The disk is what
// that spares: a journal's commit ends with an fsync, and a few hundred
// fsyncs a second stall the process's other threads for milliseconds at a
// time, while the same writes in fewer, larger commits do not (see
// control/sqlite's shownPace).
//
// A write that is not patient, Hurry, or Close ends either wait. A nil c
// means no waiting (Start).
func StartPaced[R any](max int, gather, pace time.Duration, burst int, c clock.Clock, commit func([]Item[R]) []error) *Queue[R] {
	if c == nil {
		gather, pace = 0, 0
	}
	q := &Queue[R]{max: maxOf(max, 1), commit: commit, wake: make(chan struct{}, 1), gather: gather, pace: pace, burst: maxOf(burst, 1), clock: c, urgent: make(chan struct{}, 1), closing: make(chan struct{}), done: make(chan struct{})}
	go q.run()
	return q
}

// Submit hands a write to the writer and returns its answer. Once the
// writer took it into a group, a write is committed or refused as a whole:
// Submit waits for that answer even if ctx ends, so that the caller never
// guesses. It returns ErrClosed after Close, and ctx's error if ctx ends
// before the writer took the write (the write is then dropped, never
// committed).
func (q *Queue[R]) Submit(ctx context.Context, r R) error {
	return q.submit(ctx, r, nil, false)
}

func (q *Queue[R]) submit(ctx context.Context, r R, then func(), patient bool) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	it := &item[R]{Item: Item[R]{Ctx: ctx, Req: r}, then: then, patient: patient, done: make(chan error, 1)}
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return ErrClosed
	}
	q.waiting = append(q.waiting, it)
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default: // the writer has a token already and will see this write
	}
	if !patient {
		select {
		case q.urgent <- struct{}{}:
		default:
		}
	}
	select {
	case err := <-it.done:
		return err
	case <-ctx.Done():
	}
	// The caller is gone: a write the writer has not taken yet leaves the
	// queue, so that a request's deadline still bounds its wait behind a
	// slow commit; one it took is committed or refused as a whole, and
	// the caller waits for that answer.
	q.mu.Lock()
	if i := slices.Index(q.waiting, it); i >= 0 {
		q.waiting = slices.Delete(q.waiting, i, i+1)
		q.mu.Unlock()
		return ctx.Err()
	}
	q.mu.Unlock()
	return <-it.done
}

// Close stops the writer after the group it is committing (a writer
// waiting for company commits the writes it gathered, up to max, first);
// writes submitted afterwards, and those handed over that it had not taken,
// are refused.
func (q *Queue[R]) Close() {
	q.closeOnce.Do(func() {
		q.mu.Lock()
		q.closed = true
		q.mu.Unlock()
		close(q.closing)
	})
	<-q.done
}

// take removes and returns up to max waiting writes, in order, or every
// waiting write when all is set.
func (q *Queue[R]) take(all bool) []*item[R] {
	q.mu.Lock()
	defer q.mu.Unlock()
	n := len(q.waiting)
	if !all && n > q.max {
		n = q.max
	}
	if n == 0 {
		return nil
	}
	batch := make([]*item[R], n)
	copy(batch, q.waiting)
	rest := copy(q.waiting, q.waiting[n:])
	clear(q.waiting[rest:])
	q.waiting = q.waiting[:rest]
	return batch
}

func (q *Queue[R]) run() {
	defer close(q.done)
	for {
		select {
		case <-q.wake:
		case <-q.closing:
			q.refuseWaiting()
			return
		}
		q.gatherPatient(true)
		for batch := q.take(false); len(batch) > 0; batch = q.take(false) {
			q.count()
			q.group(batch)
			select {
			case <-q.closing:
				q.refuseWaiting()
				return
			default:
			}
			q.gatherPatient(false)
		}
	}
}

// count counts a group starting now against the pace (see StartPaced).
// Groups that did not wait (writes that are not patient, a Hurry) count
// too, but never hold the next patient group more than one pace: a burst
// of a hundred fault reverts must not hold the chat after it for half a
// second.
func (q *Queue[R]) count() {
	if q.pace <= 0 {
		return
	}
	now := q.clock.Now()
	if q.due.Before(now) {
		q.due = now
	}
	q.due = q.due.Add(q.pace)
	if limit := now.Add(time.Duration(q.burst) * q.pace); q.due.After(limit) {
		q.due = limit
	}
}

// gatherPatient waits when every write waiting is patient, so that the
// writes coming meanwhile join their group: until the pace allows another
// group (see StartPaced) and, for a writer that was idle, at least
// gather. A full group (max writes) does not wait. A write that is not
// patient ends the wait, and so do Hurry and Close (what was gathered is
// then committed, up to max: it was handed over before Close). A writer
// that was busy does not wait for gather: writes that came while a group
// was committing have waited for that commit already.
func (q *Queue[R]) gatherPatient(idle bool) {
	if q.gather <= 0 && q.pace <= 0 {
		return
	}
	select {
	case <-q.urgent: // left by a write that is committed already
	default:
	}
	q.mu.Lock()
	hold := len(q.waiting) > 0 && len(q.waiting) < q.max
	for _, it := range q.waiting {
		if !it.patient {
			hold = false
			break
		}
	}
	q.mu.Unlock()
	if !hold {
		return
	}
	var wait time.Duration
	if q.pace > 0 {
		wait = q.due.Add(-time.Duration(q.burst-1) * q.pace).Sub(q.clock.Now())
	}
	if idle && wait < q.gather {
		wait = q.gather
	}
	if wait <= 0 {
		return
	}
	// A Hurry that came before this wait ends it; one kept until a wait
	// begins, so that a writer that did not wait after it (nothing to
	// hold) does not spend it on nothing.
	if q.hurried.Swap(false) {
		return
	}
	t := q.clock.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C():
	case <-q.urgent:
		// A Hurry that ended this wait is spent: it must not also skip
		// the next one, which would cost a commit the pace does not allow.
		q.hurried.Store(false)
	case <-q.closing:
	}
}

// Hurry ends the writer's wait for company, now or, if it is not waiting,
// the next one: a caller about to take a lock that a patient write's
// caller holds until it is answered (the engine's drill lock, for its
// kill switch) calls it first, so that it does not wait for the window.
func (q *Queue[R]) Hurry() {
	if q == nil {
		return
	}
	q.hurried.Store(true)
	select {
	case q.urgent <- struct{}{}:
	default:
	}
}

// refuseWaiting answers ErrClosed to the writes the writer has not taken.
// Close set closed before closing: no write is added after.
func (q *Queue[R]) refuseWaiting() {
	for _, it := range q.take(true) {
		it.done <- ErrClosed
	}
}

// group commits batch and answers its writes.
func (q *Queue[R]) group(batch []*item[R]) {
	items := make([]Item[R], len(batch))
	for i, it := range batch {
		items[i] = it.Item
	}
	errs := q.commit(items)
	// What waits for a commit (the events streamed to browsers) runs
	// here, once per group, before anyone is answered: it costs no
	// hand-over to each write's caller and back.
	for i, it := range batch {
		if errs[i] == nil && it.then != nil {
			it.then()
		}
	}
	for i, it := range batch {
		it.done <- errs[i]
	}
}

// Do submits r like Submit, for a store's method: a queue that is not
// started (a store not open) or closed is an internal error naming what the
// write was (e.g. "append to drill d1"), and so is a caller gone before the
// writer took its write.
func (q *Queue[R]) Do(ctx context.Context, what string, r R) error {
	return q.DoThen(ctx, what, r, nil)
}

// DoThen is Do with then, which the writer runs right after r is
// committed, before Do returns and before the other writes of r's group
// are answered; it does not run if r is refused. It runs on the writer
// goroutine, so the next group waits for it: it must be quick, must not
// block and must not write to the store. Thens run in the order their
// writes were handed over.
func (q *Queue[R]) DoThen(ctx context.Context, what string, r R, then func()) error {
	return q.do(ctx, what, r, then, false)
}

// DoThenPatient is DoThen for a patient write: a writer that wakes to
// patient writes only waits a little for company (see StartPaced).
func (q *Queue[R]) DoThenPatient(ctx context.Context, what string, r R, then func()) error {
	return q.do(ctx, what, r, then, true)
}

func (q *Queue[R]) do(ctx context.Context, what string, r R, then func(), patient bool) error {
	if q == nil {
		return injectors.Errorf(injectors.EINTERNAL, "%s: database is not open", what)
	}
	err := q.submit(ctx, r, then, patient)
	switch {
	case errors.Is(err, ErrClosed):
		return injectors.Errorf(injectors.EINTERNAL, "%s: database is closed", what)
	case err != nil && err == ctx.Err(): // gone before the writer took it
		return fmt.Errorf("%s: %w", what, err)
	}
	return err
}

// maxOf returns the larger of a and b (max is Start's parameter).
func maxOf(a, b int) int {
	if a > b {
		return a
	}
	return b
}
