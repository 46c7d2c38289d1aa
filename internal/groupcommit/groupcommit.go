// Package groupcommit hands a store's writes to one writer goroutine, which
// takes every write waiting and commits them together — one synced
// transaction for many writes — then answers each write on its own. A write
// may come with a function the writer runs as soon as the write is
// committed, before it answers anyone (see DoThen). The journal stores
// (control/sqlite, control/postgres) append through it.
package groupcommit

import (
	"context"
	"errors"
	"fmt"
	"sync"

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
	done chan error
}

// Queue is the writer of a store.
type Queue[R any] struct {
	max       int
	commit    func([]Item[R]) []error
	items     chan *item[R]
	closing   chan struct{}
	closeOnce sync.Once
	done      chan struct{}
}

// Start starts the writer: commit is called with up to max writes at a time
// and returns an error (or nil) for each of them, in order.
func Start[R any](max int, commit func([]Item[R]) []error) *Queue[R] {
	q := &Queue[R]{max: max, commit: commit, items: make(chan *item[R]), closing: make(chan struct{}), done: make(chan struct{})}
	go q.run()
	return q
}

// Submit hands a write to the writer and returns its answer. Once handed
// over, a write is committed or refused as a whole: Submit waits for that
// answer even if ctx ends, so that the caller never guesses. It returns
// ErrClosed after Close, and ctx's error if ctx ends before the hand-over.
func (q *Queue[R]) Submit(ctx context.Context, r R) error {
	return q.submit(ctx, r, nil)
}

func (q *Queue[R]) submit(ctx context.Context, r R, then func()) error {
	it := &item[R]{Item: Item[R]{Ctx: ctx, Req: r}, then: then, done: make(chan error, 1)}
	select {
	case q.items <- it:
	case <-q.closing:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	return <-it.done
}

// Close stops the writer after the group it is committing; writes
// submitted afterwards are refused (the channel is never closed, so a
// Submit racing Close is refused instead of panicking).
func (q *Queue[R]) Close() {
	q.closeOnce.Do(func() { close(q.closing) })
	<-q.done
}

func (q *Queue[R]) run() {
	defer close(q.done)
	for {
		var batch []*item[R]
		select {
		case it := <-q.items:
			batch = append(batch, it)
		case <-q.closing:
			return
		}
	gather:
		for len(batch) < q.max {
			select {
			case it := <-q.items:
				batch = append(batch, it)
			default:
				break gather
			}
		}
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
}

// Do submits r like Submit, for a store's method: a queue that is not
// started (a store not open) or closed is an internal error naming what the
// write was (e.g. "append to drill d1"), and so is a caller gone before the
// hand-over.
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
	if q == nil {
		return injectors.Errorf(injectors.EINTERNAL, "%s: database is not open", what)
	}
	err := q.submit(ctx, r, then)
	switch {
	case errors.Is(err, ErrClosed):
		return injectors.Errorf(injectors.EINTERNAL, "%s: database is closed", what)
	case err != nil && err == ctx.Err(): // cancelled before the hand-over
		return fmt.Errorf("%s: %w", what, err)
	}
	return err
}
