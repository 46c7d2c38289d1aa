package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/internal/groupcommit"
)

// maxGroup bounds how many appends share one transaction.
const maxGroup = 128

// groupTimeout bounds one group's transaction, so that a database that stops
// answering fails the appends instead of hanging the engine.
const groupTimeout = time.Minute

// appendReq is one Append.
type appendReq struct {
	sum    control.DrillSummary
	events []control.Event
}

// Append implements control.Store. The events are committed when it returns
// nil. Concurrent appends are committed together by one writer (group
// commit); each append still succeeds or fails on its own.
func (db *DB) Append(ctx context.Context, sum control.DrillSummary, events []control.Event) error {
	if len(events) == 0 {
		return nil
	}
	return db.appends.Do(ctx, "append to drill "+sum.ID, appendReq{sum: sum, events: events})
}

// AppendThen implements control.CommitNotifier: it is Append, and then runs
// on the store's writer right after the events are committed, before
// AppendThen returns (see groupcommit.Queue.DoThen).
func (db *DB) AppendThen(ctx context.Context, sum control.DrillSummary, events []control.Event, then func()) error {
	if len(events) == 0 {
		return nil
	}
	return db.appends.DoThen(ctx, "append to drill "+sum.ID, appendReq{sum: sum, events: events}, then)
}

// commitGroup writes a group in one transaction, each append in its own
// savepoint, and returns each append's answer. The statements are
// pipelined: the transaction's BEGIN, every append and the COMMIT go in one
// round trip. An append that fails (a conflict) stops the pipeline there;
// its savepoint is rolled back and the appends after it are sent again with
// the COMMIT.
func (db *DB) commitGroup(batch []groupcommit.Item[appendReq]) []error {
	// One caller's cancellation must not undo the others.
	ctx, cancel := context.WithTimeout(context.Background(), groupTimeout)
	defer cancel()
	g := &group{db: db, reqs: batch, errs: make([]error, len(batch))}
	if fatal := g.run(ctx); fatal != nil {
		for i := range g.errs {
			if g.errs[i] == nil {
				g.errs[i] = fatal
			}
		}
	}
	return g.errs
}

// group is one transaction of the writer.
type group struct {
	db   *DB
	conn *pgxpool.Conn
	reqs []groupcommit.Item[appendReq]
	errs []error
	// open is set once BEGIN has run; undo is set while a failed
	// append's savepoint waits to be rolled back.
	open bool
	undo bool
}

// run writes the group. Appends refused on their own get their error in
// g.errs; the error returned fails every append not refused already.
func (g *group) run(ctx context.Context) (err error) {
	conn, err := g.db.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("append: connect: %w", err)
	}
	g.conn = conn
	defer func() {
		if err != nil && g.open {
			// Whatever state the transaction is in, it must not leak into
			// the pool's next user.
			if _, rerr := conn.Exec(context.WithoutCancel(ctx), "ROLLBACK"); rerr != nil {
				conn.Conn().Close(context.WithoutCancel(ctx))
			}
		}
		conn.Release()
	}()
	pending, err := g.admit(ctx)
	if err != nil {
		return err
	}
	for len(pending) > 0 {
		if pending, err = g.pipeline(ctx, pending); err != nil {
			return err
		}
	}
	return g.finish(ctx)
}

// admit refuses the appends that cannot be written (a cancelled caller, a
// malformed append, a full journal) and returns the others.
func (g *group) admit(ctx context.Context) ([]int, error) {
	over := false
	if g.db.MaxBytes > 0 {
		if _, err := g.conn.Exec(ctx, "BEGIN"); err != nil {
			return nil, fmt.Errorf("append: begin: %w", err)
		}
		g.open = true
		var size int64
		if err := g.conn.QueryRow(ctx, `SELECT pg_total_relation_size('events') + pg_total_relation_size('drills')`).Scan(&size); err != nil {
			return nil, fmt.Errorf("append: journal size: %w", err)
		}
		over = size > g.db.MaxBytes
	}
	var pending []int
	for i, it := range g.reqs {
		r := it.Req
		switch {
		case it.Ctx.Err() != nil:
			g.errs[i] = fmt.Errorf("append to drill %s: %w", r.sum.ID, it.Ctx.Err())
		case over && !killSwitchOnly(r.events):
			g.errs[i] = g.db.full(r.sum.ID, nil)
		default:
			g.errs[i] = checkAppend(r.sum, r.events)
		}
		if g.errs[i] == nil {
			pending = append(pending, i)
		}
	}
	return pending, nil
}

// checkAppend checks what the database does not: every event is the drill's.
func checkAppend(sum control.DrillSummary, events []control.Event) error {
	for _, e := range events {
		if e.DrillID != sum.ID {
			return injectors.Errorf(injectors.EINVALID, "event #%d belongs to drill %s, not %s", e.Seq, e.DrillID, sum.ID)
		}
	}
	return nil
}

// pipeline sends the pending appends followed by COMMIT in one round trip.
// When an append fails, it returns the appends after it, to send again.
func (g *group) pipeline(ctx context.Context, pending []int) ([]int, error) {
	b := &pgx.Batch{}
	owner := []int{} // owner[q] is the append of query q; -1 is the group's
	queue := func(who int, sql string, args ...any) {
		b.Queue(sql, args...)
		owner = append(owner, who)
	}
	if !g.open {
		queue(-1, "BEGIN")
	}
	if err := g.undoFailed(ctx); err != nil {
		return nil, err
	}
	for _, i := range pending {
		queueAppend(queue, i, g.reqs[i].Req.sum, g.reqs[i].Req.events)
	}
	queue(-1, "COMMIT")
	br := g.conn.SendBatch(ctx, b)
	g.open = true
	for q, who := range owner {
		_, err := br.Exec()
		if err == nil {
			continue
		}
		br.Close()
		switch {
		case q == len(owner)-1:
			return nil, g.db.commitError(err)
		case who < 0 || !appendFailure(err):
			return nil, fmt.Errorf("append: %w", err)
		}
		g.errs[who] = g.db.appendError(g.reqs[who].Req, err)
		g.undo = true
		for k, i := range pending {
			if i == who {
				return pending[k+1:], nil
			}
		}
	}
	if err := br.Close(); err != nil {
		return nil, g.db.commitError(err)
	}
	g.open = false // committed
	return nil, nil
}

// finish ends a transaction a failed append left open: it commits the
// appends before the failure, or rolls back when none is left.
func (g *group) finish(ctx context.Context) error {
	if !g.open {
		return nil
	}
	ok := false
	for _, err := range g.errs {
		ok = ok || err == nil
	}
	end := "ROLLBACK"
	if ok {
		end = "COMMIT"
	}
	if err := g.undoFailed(ctx); err != nil {
		return err
	}
	if _, err := g.conn.Exec(ctx, end); err != nil {
		return g.db.commitError(err)
	}
	g.open = false
	return nil
}

// undoFailed rolls back the savepoint of a failed append. It is a round
// trip of its own: until it has run the transaction refuses even to
// prepare the next pipeline's statements.
func (g *group) undoFailed(ctx context.Context) error {
	if !g.undo {
		return nil
	}
	if _, err := g.conn.Exec(ctx, "ROLLBACK TO SAVEPOINT append; RELEASE SAVEPOINT append"); err != nil {
		return fmt.Errorf("append: roll back a refused append: %w", err)
	}
	g.undo = false
	return nil
}

// queueAppend queues one append inside its savepoint: the head check, the
// events and the drill's summary.
func queueAppend(queue func(int, string, ...any), i int, sum control.DrillSummary, events []control.Event) {
	queue(i, "SAVEPOINT append")
	queue(i, "SELECT firedrill_check_head($1, $2)", sum.ID, events[0].Seq)
	for _, e := range events {
		var payload *string
		if len(e.Payload) > 0 {
			s := string(e.Payload)
			payload = &s
		}
		queue(i, `INSERT INTO events (drill_id, seq, type, time_ns, drill_time, actor, payload, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			e.DrillID, e.Seq, e.Type, unixNano(e.Time), int64(e.DrillTime), e.Actor, payload, e.PrevHash, e.Hash)
	}
	queue(i, `INSERT INTO drills (id, title, scenario, state, seq, head, created_ns, updated_ns) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
ON CONFLICT (id) DO UPDATE SET title = excluded.title, scenario = excluded.scenario, state = excluded.state, seq = excluded.seq, head = excluded.head, updated_ns = excluded.updated_ns`,
		sum.ID, sum.Title, sum.Scenario, string(sum.State), sum.Seq, sum.Head, unixNano(sum.CreatedAt), unixNano(sum.UpdatedAt))
	queue(i, "RELEASE SAVEPOINT append")
}

// appendFailure reports whether err is an append's own failure, which its
// savepoint undoes: a statement the server refused. A broken connection is
// not.
func appendFailure(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe)
}

// appendError is the error of one refused append.
func (db *DB) appendError(r appendReq, err error) error {
	var pe *pgconn.PgError
	errors.As(err, &pe)
	first, last := r.events[0].Seq, r.events[len(r.events)-1].Seq
	switch {
	case pe.Code == "FD409":
		return injectors.Errorf(injectors.ECONFLICT, "%s", pe.Message)
	case pe.Code == "23505": // unique_violation: another writer got there first
		return injectors.Errorf(injectors.ECONFLICT, "drill %s changed concurrently: another writer appended event #%d first", r.sum.ID, first)
	case isFull(err):
		return db.full(r.sum.ID, err)
	}
	return fmt.Errorf("append events #%d-#%d to drill %s: %w", first, last, r.sum.ID, err)
}
