package sqlite

import (
	"context"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/internal/groupcommit"
)

// CheckpointEvery is checkpointEvery, for the checkpoint test.
const CheckpointEvery = checkpointEvery

// CommitGroup commits the appends as one group of the writer, as if they
// had been handed over together; no other append may run meanwhile.
func (db *DB) CommitGroup(ctx context.Context, sums []control.DrillSummary, events [][]control.Event) []error {
	batch := make([]groupcommit.Item[appendReq], len(sums))
	for i := range sums {
		batch[i] = groupcommit.Item[appendReq]{Ctx: ctx, Req: appendReq{sum: sums[i], events: events[i]}}
	}
	return db.commitGroup(batch)
}

// DrillsQuery is drillsQuery, for the query plan test.
func DrillsQuery(open bool) string { return drillsQuery(open) }

// SyncerStarts is how many fsync helpers the DB started; -1 without a
// syncer (SyncInProcess).
func (db *DB) SyncerStarts() int {
	if db.syncer == nil {
		return -1
	}
	return db.syncer.Starts()
}

// WriterSynchronous is the write connection's synchronous setting (0 is
// OFF, 2 FULL).
func (db *DB) WriterSynchronous(ctx context.Context) (int, error) {
	var v int
	err := db.write.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&v)
	return v, err
}

// OnCommit has f run before each group's statements, on the goroutine
// that runs them; set it before Open.
func (db *DB) OnCommit(f func()) { db.onCommit = f }

// SyncerPid is the fsync helper's process id, 0 when none runs.
func (db *DB) SyncerPid() int {
	if db.syncer == nil {
		return 0
	}
	return db.syncer.Pid()
}

// CommitItems is CommitGroup with a context per append (the writer reads
// control.Shown off each).
func (db *DB) CommitItems(ctxs []context.Context, sums []control.DrillSummary, events [][]control.Event) []error {
	batch := make([]groupcommit.Item[appendReq], len(sums))
	for i := range sums {
		batch[i] = groupcommit.Item[appendReq]{Ctx: ctxs[i], Req: appendReq{sum: sums[i], events: events[i]}}
	}
	return db.commitGroup(batch)
}
