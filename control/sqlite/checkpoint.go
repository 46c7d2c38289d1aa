package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"sync"
	"sync/atomic"

	"github.com/firedrill/firedrill/internal/lowprio"
)

// checkpointEvery is how many commits the write-ahead log grows by before
// the checkpointer copies it into the database file. An append writes three
// or four pages, so this is close to SQLite's own threshold (1000 pages).
const checkpointEvery = 256

// checkpointer copies the write-ahead log into the database file in the
// background. SQLite's automatic checkpoint runs inside the commit that
// crosses its threshold, so that commit — and every append of the group,
// chat messages waiting to be acknowledged among them — also pays for
// writing and syncing the database file. Here the writer's connection has
// automatic checkpoints off (wal_autocheckpoint 0); commits are only counted,
// and every checkpointEvery of them wake this goroutine, which runs a
// PASSIVE checkpoint on a connection of its own: it waits for no reader or
// writer and blocks none. Durability does not depend on it: a committed
// append is in the synced log whether or not it was copied yet. A
// checkpoint that fails (the disk is full, say) is tried again at the next
// wake, and closing the database checkpoints what is left.
type checkpointer struct {
	conn    *sql.DB
	commits atomic.Int64
	// copied is set after a background checkpoint: the writer finishes
	// it before its next group (see finish).
	copied atomic.Bool
	wake   chan struct{}
	quit   chan struct{}
	done   chan struct{}
	stop   sync.Once
}

// startCheckpointer starts the checkpointer's goroutine, on a thread of
// its own at a lower priority when lower is set (see DB.LowPriority).
func startCheckpointer(conn *sql.DB, lower bool) *checkpointer {
	c := &checkpointer{conn: conn, wake: make(chan struct{}, 1), quit: make(chan struct{}), done: make(chan struct{})}
	go func() {
		if lower {
			// Refused, the thread stays at the process's priority.
			_ = lowprio.Lower(lowprio.Nice)
		}
		c.run()
	}()
	return c
}

// committed counts a commit and wakes the checkpointer every
// checkpointEvery commits; it never waits.
func (c *checkpointer) committed() {
	if c.commits.Add(1)%checkpointEvery != 0 {
		return
	}
	select {
	case c.wake <- struct{}{}:
	default: // a checkpoint is already due
	}
}

func (c *checkpointer) run() {
	defer close(c.done)
	for {
		select {
		case <-c.quit:
			return
		case <-c.wake:
			// The answer (busy, log pages, pages copied) is not needed:
			// what was not copied now is copied at the next wake.
			_, _ = c.conn.ExecContext(context.Background(), "PRAGMA wal_checkpoint(PASSIVE)")
			c.copied.Store(true)
		}
	}
}

// finish runs on the writer's connection, before it begins a group: after
// a background checkpoint it copies the few pages committed while that
// ran, so that the log is copied in whole and the group's commit starts
// the log over from its beginning. A log that is never copied in whole
// while commits keep coming would grow without end, and appending to a
// growing file makes every fsync also write the file's metadata.
func (c *checkpointer) finish(ctx context.Context, w driver.Stmt) {
	if c.copied.CompareAndSwap(true, false) {
		_ = exec(ctx, w)
	}
}

// close stops the checkpointer after the checkpoint it is running; it may
// be called again.
func (c *checkpointer) close() error {
	c.stop.Do(func() { close(c.quit) })
	<-c.done
	return c.conn.Close()
}
