package control

import (
	"context"
	"time"
)

// DrillSummary is the row a store keeps per drill next to its journal, so
// that open drills can be found without reading every journal.
type DrillSummary struct {
	ID        string     `json:"id"`
	Title     string     `json:"title"`
	Scenario  string     `json:"scenario"`
	State     DrillState `json:"state"`
	Seq       int64      `json:"seq"`
	Head      string     `json:"head"`
	CreatedAt time.Time  `json:"createdAt"`
	UpdatedAt time.Time  `json:"updatedAt"`
}

// DrillFilter selects drills from a store. The zero value selects all.
type DrillFilter struct {
	// Open selects only drills that are not closed.
	Open bool
}

// Store is the durable journal the engine needs. control/sqlite implements
// it for one controller, control/postgres for replicas sharing a database;
// internal/storetest is the contract both keep.
type Store interface {
	// Append durably appends sealed events of one drill, in one atomic,
	// synced write, and updates the drill's summary to sum. Only a new
	// drill's summary is taken whole: after that a store may keep only
	// the state from sum and derive the sequence number, head and time of
	// last change from the last event, so sum's must be the last
	// event's. The first
	// event must follow the stored head: a store holding a different event
	// at that sequence number returns injectors.ECONFLICT.
	Append(ctx context.Context, sum DrillSummary, events []Event) error
	// Events returns the drill's events with sequence numbers above
	// afterSeq, in order, at most limit of them (0 means no limit).
	Events(ctx context.Context, drillID string, afterSeq int64, limit int) ([]Event, error)
	// Drills returns the summaries of the drills selected by f, oldest first.
	Drills(ctx context.Context, f DrillFilter) ([]DrillSummary, error)
}

// CommitNotifier is a Store that can run a function as soon as an append is
// durable, on the goroutine that committed it, before the append returns:
// the engine hands new events to its followers (see Engine.Follow) there,
// once per commit, instead of after the appending goroutine wakes up again.
// A store that is not one has the engine call them after Append returns.
type CommitNotifier interface {
	// AppendThen is Append; then runs once the events are durable, and not
	// at all if the append fails. then must be quick and must not block.
	// A context marked by WithShown allows the store to hold the commit a
	// moment.
	AppendThen(ctx context.Context, sum DrillSummary, events []Event, then func()) error
}

// shownKey marks the context of an append whose events the drill room
// shows already.
type shownKey struct{}

// WithShown returns ctx marked for an append whose events were streamed to
// the drill room before they are durable (see Engine.FollowStreamed): its
// caller is answered once they are, but nobody watches that wait, so a
// store may hold the commit a moment to share it with the appends that
// come meanwhile, off the cores the room's sockets are being written on.
func WithShown(ctx context.Context) context.Context {
	return context.WithValue(ctx, shownKey{}, true)
}

// Hurrier is a Store that may hold a commit for company (see WithShown)
// and can be told to start it at once. The engine holds a drill's lock
// until its append is answered, so whatever takes a busy drill lock (the
// drill's next message, its kill switch, its faults, a read of its state)
// tells the store to hurry first.
type Hurrier interface {
	// Hurry starts a commit held for company now; it never blocks.
	Hurry()
}

// Shown reports whether ctx was marked by WithShown.
func Shown(ctx context.Context) bool {
	v, _ := ctx.Value(shownKey{}).(bool)
	return v
}
