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
