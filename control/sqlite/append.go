package sqlite

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"

	msqlite "modernc.org/sqlite"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/internal/groupcommit"
	"github.com/firedrill/firedrill/internal/lowprio"
)

// commitGroup writes a group of appends in one transaction, commits once,
// and returns each append's answer: with LowPriority, on the lowered
// thread when the group is only of chat messages the room shows already,
// at most maxLowGroup of them, and nobody hurried it (see DB.Hurry); on the
// writer goroutine otherwise (see DB.LowPriority).
func (db *DB) commitGroup(batch []groupcommit.Item[appendReq]) []error {
	hurried := db.hurried.Swap(false)
	if db.low != nil && !hurried && len(batch) <= maxLowGroup && shownOnly(batch) {
		db.low <- batch
		return <-db.lowOut
	}
	return db.commitGroupNow(batch)
}

// maxLowGroup bounds the groups committed on the lowered thread: a longer
// backlog commits at the process's priority, so that a write that comes
// behind it waits for one short lowered commit at most.
const maxLowGroup = 32

// shownOnly reports whether every append of batch is of chat messages the
// room streamed already, whose senders alone wait for the commit.
func shownOnly(batch []groupcommit.Item[appendReq]) bool {
	for _, it := range batch {
		if !control.Shown(it.Ctx) {
			return false
		}
	}
	return true
}

// lowWriter commits the groups sent to low, on an operating-system thread
// of its own at a lower priority, until low is closed. The groups run one
// at a time, the writer goroutine waiting for each: the write connection
// and its statements are never used by two goroutines at once. Refused a
// lower priority (a system that does not let this user lower a thread),
// the thread stays at the process's: the journal works the same.
func (db *DB) lowWriter() {
	defer close(db.lowDone)
	_ = lowprio.Lower(lowprio.Nice)
	for batch := range db.low {
		db.lowOut <- db.commitGroupNow(batch)
	}
}

// commitGroupNow writes a group of appends in one transaction, commits
// once, and returns each append's answer. Appends almost never fail, so the
// group is first written without a savepoint per append (three statements
// less per append); if one of them fails, the transaction is rolled back
// and the group written again with each append in its own savepoint, so
// that only the failing one is refused.
func (db *DB) commitGroupNow(batch []groupcommit.Item[appendReq]) []error {
	if db.onCommit != nil {
		db.onCommit()
	}
	if len(batch) == 1 {
		// A failure of the only append fails the whole transaction: no
		// savepoint is needed, and no second try.
		errs, _ := db.writeGroup(batch, false)
		return errs
	}
	if errs, ok := db.writeGroup(batch, false); ok {
		return errs
	}
	errs, _ := db.writeGroup(batch, true)
	return errs
}

// writeGroup writes and commits the group, with a savepoint around each
// append when savepoints is set. Without savepoints, it stops at the first
// append that fails, rolls back and returns ok false unless the group has
// only that append; with them, each append gets its own answer. The group
// runs on the write connection's driver connection with the writer's
// prepared statements (see writerStmts).
func (db *DB) writeGroup(batch []groupcommit.Item[appendReq], savepoints bool) (errs []error, ok bool) {
	ctx := context.Background() // one caller's cancellation must not undo the others
	errs = make([]error, len(batch))
	fail := func(err error) ([]error, bool) {
		for i := range errs {
			if errs[i] == nil {
				errs[i] = err
			}
		}
		return errs, true
	}
	conn, err := db.write.Conn(ctx)
	if err != nil {
		return fail(fmt.Errorf("append: %w", err))
	}
	defer conn.Close()
	err = conn.Raw(func(dc any) error {
		if err := db.wstmts.on(ctx, dc, db.syncer != nil); err != nil {
			return err
		}
		errs, ok = db.writeGroupOn(ctx, batch, savepoints, errs, fail)
		return nil
	})
	if err != nil {
		return fail(fmt.Errorf("append: %w", err))
	}
	return errs, ok
}

// writeGroupOn is writeGroup on the writer's statements.
func (db *DB) writeGroupOn(ctx context.Context, batch []groupcommit.Item[appendReq], savepoints bool, errs []error, fail func(error) ([]error, bool)) ([]error, bool) {
	st := &db.wstmts
	if err := db.syncFailed(); err != nil {
		return fail(err)
	}
	db.checkpoints.finish(ctx, st.checkpoint)
	if err := exec(ctx, st.begin); err != nil {
		return fail(fmt.Errorf("append: begin: %w", err))
	}
	committed := false
	defer func() {
		if !committed {
			_ = exec(ctx, st.rollback)
		}
	}()
	over, err := db.overLimit(ctx)
	if err != nil {
		return fail(fmt.Errorf("append: journal size: %w", err))
	}
	// written are the heads of the drills this transaction appended to.
	written := make(map[string]drillHead, len(batch))
	for i, it := range batch {
		r := it.Req
		if err := it.Ctx.Err(); err != nil {
			errs[i] = fmt.Errorf("append to drill %s: %w", r.sum.ID, err)
			continue
		}
		if over && !killSwitchOnly(r.events) {
			errs[i] = db.full(r.sum.ID, nil)
			continue
		}
		if !savepoints {
			if err := db.appendTx(ctx, written, r.sum, r.events); err != nil {
				delete(db.heads, r.sum.ID)
				errs[i] = err
				return errs, len(batch) == 1
			}
			continue
		}
		if err := db.appendSavepoint(ctx, written, r); err != nil {
			var fatal groupError
			if errors.As(err, &fatal) {
				return fail(err)
			}
			delete(db.heads, r.sum.ID)
			errs[i] = err
		}
	}
	if len(written) == 0 {
		return errs, true
	}
	err = exec(ctx, st.commit)
	if err == nil {
		// Committed, so nothing to roll back, but not answered before
		// the log is on the disk.
		committed = true
		err = db.synced(nil)
	}
	if err != nil {
		for i := range errs {
			delete(db.heads, batch[i].Req.sum.ID)
			if errs[i] == nil && isFull(err) {
				errs[i] = db.full(batch[i].Req.sum.ID, err)
			} else if errs[i] == nil {
				errs[i] = fmt.Errorf("append to drill %s: commit: %w", batch[i].Req.sum.ID, err)
			}
		}
		return errs, true
	}
	committed = true
	db.checkpoints.committed()
	for id, head := range written {
		db.heads[id] = head
	}
	for i, it := range batch {
		if evs := it.Req.events; errs[i] == nil && evs[len(evs)-1].Type == control.EventDrillClosed {
			// A closed drill's journal is final: its head need not be
			// kept.
			delete(db.heads, it.Req.sum.ID)
		}
	}
	return errs, true
}

// groupError is a failure of a group's transaction itself, which fails
// every append of the group.
type groupError struct{ error }

// appendSavepoint writes one append of a group inside a savepoint, rolled
// back if the append fails.
func (db *DB) appendSavepoint(ctx context.Context, written map[string]drillHead, r appendReq) error {
	st := &db.wstmts
	if err := exec(ctx, st.savepoint); err != nil {
		return groupError{fmt.Errorf("append: savepoint: %w", err)}
	}
	failed := db.appendTx(ctx, written, r.sum, r.events)
	if failed != nil {
		if err := exec(ctx, st.rollbackTo); err != nil {
			return groupError{fmt.Errorf("append: rollback to savepoint: %w", err)}
		}
	}
	if err := exec(ctx, st.release); err != nil {
		return groupError{fmt.Errorf("append: release savepoint: %w", err)}
	}
	return failed
}

// drillHead is what the writer knows of a drill's journal and row: its
// last sequence number and the state its summary row holds.
type drillHead struct {
	seq   int64
	state control.DrillState
}

// head returns the drill's head: written by this transaction, committed
// by this store before (db.heads, kept by the writer goroutine alone), or
// else its last sequence number read from the journal, with no state
// known. A head kept from before that another process has since moved on
// makes the insert break the journal's primary key, which is the same
// conflict.
func (db *DB) head(ctx context.Context, written map[string]drillHead, drillID string) (drillHead, error) {
	if h, ok := written[drillID]; ok {
		return h, nil
	}
	if h, ok := db.heads[drillID]; ok {
		return h, nil
	}
	seq, err := queryInt64(ctx, db.wstmts.head, drillID)
	return drillHead{seq: seq}, err
}

// appendTx writes one append inside the group's transaction with the
// writer's statements, and records the drill's new head in written.
func (db *DB) appendTx(ctx context.Context, written map[string]drillHead, sum control.DrillSummary, events []control.Event) error {
	h, err := db.head(ctx, written, sum.ID)
	if err != nil {
		return fmt.Errorf("append to drill %s: %w", sum.ID, err)
	}
	head := h.seq
	if events[0].Seq != head+1 {
		return injectors.Errorf(injectors.ECONFLICT, "drill %s changed concurrently: journal is at #%d, append starts at #%d", sum.ID, head, events[0].Seq)
	}
	st := &db.wstmts
	for _, e := range events {
		if e.DrillID != sum.ID {
			return injectors.Errorf(injectors.EINVALID, "event #%d belongs to drill %s, not %s", e.Seq, e.DrillID, sum.ID)
		}
		var payload driver.Value
		if len(e.Payload) > 0 {
			payload = string(e.Payload)
		}
		if err := exec(ctx, st.insert, e.DrillID, e.Seq, e.Type, e.Time.UTC().Format(timeFormat), int64(e.DrillTime), e.Actor, payload, e.PrevHash, e.Hash); err != nil {
			if isConstraint(err) {
				return injectors.Errorf(injectors.ECONFLICT, "drill %s changed concurrently: the journal already holds #%d", sum.ID, e.Seq)
			}
			if isFull(err) {
				return db.full(sum.ID, err)
			}
			return fmt.Errorf("append event #%d to drill %s: %w", e.Seq, sum.ID, err)
		}
	}
	// The summary row is written when the drill is created, and after
	// that only when its state changes: its sequence number, head and
	// time of last change are the journal's last event's, which Drills
	// reads. Rewriting them with every append put the drills table's page
	// in the log of every commit, a second page beside the events' one
	// for a lone chat message. The state is updated unless the writer
	// knows the row already holds it (at creation too: the summary's
	// upsert leaves the state of a row that was there before).
	if events[0].Seq == 1 {
		err = exec(ctx, st.summary,
			sum.ID, sum.Title, sum.Scenario, string(sum.State), sum.Seq, sum.Head, sum.CreatedAt.UTC().Format(timeFormat), sum.UpdatedAt.UTC().Format(timeFormat))
	}
	if err == nil && (events[0].Seq == 1 || h.state != sum.State) {
		err = exec(ctx, st.state, sum.ID, string(sum.State))
	}
	if err != nil {
		if isFull(err) {
			return db.full(sum.ID, err)
		}
		return fmt.Errorf("append to drill %s: update summary: %w", sum.ID, err)
	}
	written[sum.ID] = drillHead{seq: events[len(events)-1].Seq, state: sum.State}
	return nil
}

// sqliteConstraint is SQLite's result code for a broken constraint.
const sqliteConstraint = 19

// isConstraint reports whether err is a broken constraint (the journal's
// primary key).
func isConstraint(err error) bool {
	var se *msqlite.Error
	return errors.As(err, &se) && se.Code()&0xff == sqliteConstraint
}
