// Package sqlite is the embedded journal store of firedrill: a single SQLite
// file (pure-Go driver modernc.org/sqlite) in WAL mode whose log is synced
// after each commit (by a helper process, see internal/fsyncd, or by SQLite
// itself with synchronous=FULL), so that an append has reached the disk
// before the engine acts on it or acknowledges it. It implements
// control.Store.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"k8s.io/utils/clock"
	msqlite "modernc.org/sqlite" // also registers the "sqlite" driver

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/internal/fsyncd"
	"github.com/firedrill/firedrill/internal/groupcommit"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// migration is one versioned schema change; version N is file 000N_*.sql.
type migration struct {
	version int
	name    string
	sql     string
}

func migrations() ([]migration, error) {
	entries, err := fs.ReadDir(migrationFS, "migrations")
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, e := range entries {
		n, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(n)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration %s: name must start with a version number and _", e.Name())
		}
		b, err := migrationFS.ReadFile("migrations/" + e.Name())
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: e.Name(), sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("migration %s: expected version %d", m.name, i+1)
		}
	}
	return ms, nil
}

// LatestVersion is the schema version Open migrates to by default.
func LatestVersion() int {
	ms, err := migrations()
	if err != nil {
		return 0
	}
	return len(ms)
}

// DB is an open firedrill database. It implements control.Store.
type DB struct {
	// Path is the database file.
	Path string
	// MigrateTo is the schema version to migrate to; 0 means the latest.
	// Only migration tests set it.
	MigrateTo int
	// MaxBytes, when positive, is the journal's size limit. Above it the
	// store refuses every append with a clear error except the appends the
	// kill switch makes (control.KillSwitchEvent): firedrill refuses new
	// work but keeps reverting. Those use a reserve of the same size again,
	// the hard limit of the file (SQLite max_page_count).
	MaxBytes int64
	// Clock times how long the writer holds the commit of chat messages
	// the drill room shows already (a millisecond, and on a busy server
	// until the commit rate allows another; see shownPace and
	// control.WithShown); nil is the real clock. A fake clock must be
	// stepped, or such a commit waits until another write or a Hurry comes.
	Clock clock.Clock
	// SyncInProcess has SQLite sync the writer's commits itself, in this
	// process. By default the writer's connection does not sync at commit
	// (synchronous=NORMAL) and each of its commits is synced by a helper
	// process before it is answered (see internal/fsyncd): a blocking
	// fsync in this process stalls its other threads, the drill room's
	// sockets among them. Either way an answered append is on the disk.
	SyncInProcess bool
	// LowPriority commits the groups made only of chat messages the drill
	// room shows already (control.WithShown) on an operating-system
	// thread of their own at a lower priority (nice +lowprio.Nice, see
	// internal/lowprio), and runs the checkpointer on another: on a busy
	// server the kernel runs the room's sockets first, and those threads
	// mostly when a core is idle (a nice +10 thread still gets about a
	// tenth of a busy core). Every other group (the kill switch's entries,
	// a fault's revert record, a lifecycle event), a group somebody
	// hurried (Hurry: the drill's next message, its kill switch, a read
	// of its state) and a backlog of more than maxLowGroup commit at the
	// process's priority on the writer goroutine, and so do the callbacks
	// that hand committed events to the room. A write that comes while a
	// lowered commit runs still waits for that one commit, which on a
	// server whose cores are all busy takes a few milliseconds instead of
	// a few hundred microseconds. serve sets LowPriority when it gave the
	// runtime a processor for these threads (lowprio.Processors): without
	// one the lowered thread would hold one of the processors the room's
	// goroutines run on while the kernel keeps it waiting.
	LowPriority bool

	write *sql.DB // one connection: SQLite has one writer
	read  *sql.DB // readers run concurrently in WAL mode
	// wstmts are the journal writer's statements, prepared once on the
	// one write connection and reused by every group (see writerStmts).
	// Only the writer goroutine (commitGroup) uses them, or lowWriter
	// while the writer goroutine waits for it (one at a time, handed over
	// by channel).
	wstmts writerStmts

	pageSize int64
	// checkpoints copies the log into the file off the commit path.
	checkpoints *checkpointer
	// syncer syncs the write-ahead log after each commit on the write
	// connection; nil when SyncInProcess.
	syncer *fsyncd.Syncer
	// appends commits concurrent appends in groups.
	appends *groupcommit.Queue[appendReq]
	// low takes the groups LowPriority commits on the lowered thread,
	// and lowOut gives their answers back; both nil without LowPriority.
	// hurried is set by Hurry: the next group commits at the process's
	// priority.
	hurried atomic.Bool
	low     chan []groupcommit.Item[appendReq]
	lowOut  chan []error
	lowDone chan struct{}
	// onCommit, if set, runs before each group's statements (tests).
	onCommit func()
	// heads are the last sequence numbers this store committed per
	// drill, with the state its summary row holds, so that an append
	// needs no query for the one and no update for the other. Only the
	// writer goroutine (commitGroup) uses it, or lowWriter in its stead
	// (see wstmts).
	heads map[string]drillHead
}

var (
	_ control.Store          = (*DB)(nil)
	_ control.CommitNotifier = (*DB)(nil)
	_ control.Hurrier        = (*DB)(nil)
)

// NewDB returns a DB for the file at path; call Open before use.
func NewDB(path string) *DB { return &DB{Path: path} }

// Open opens the database at path, creating and migrating it as needed.
func Open(ctx context.Context, path string) (*DB, error) {
	db := NewDB(path)
	if err := db.Open(ctx); err != nil {
		return nil, err
	}
	return db, nil
}

func (db *DB) dsn(readOnly bool) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Add("_pragma", "foreign_keys(1)")
	if readOnly {
		q.Add("_pragma", "query_only(1)")
	} else {
		q.Set("_txlock", "immediate")
		// Checkpoints run off the commit path (see checkpointer).
		q.Add("_pragma", "wal_autocheckpoint(0)")
	}
	return URI(db.Path, q)
}

// URI returns the SQLite URI filename of the database file at path with
// the driver's parameters q. The characters of path that a URI would read
// otherwise are escaped: a '#' starts the URI's fragment and a '?' its
// query, so a file in a directory named "a#b" was opened as "a" before.
func URI(path string, q url.Values) string {
	return "file:" + strings.NewReplacer("%", "%25", "?", "%3F", "#", "%23").Replace(path) + "?" + q.Encode()
}

// Open opens the database file and applies pending migrations.
func (db *DB) Open(ctx context.Context) error {
	if db.Path == "" {
		return injectors.Errorf(injectors.EINVALID, "database path is empty")
	}
	w, err := sql.Open("sqlite", db.dsn(false))
	if err != nil {
		return fmt.Errorf("open %s: %w", db.Path, err)
	}
	w.SetMaxOpenConns(1)
	db.write = w
	if err := db.migrate(ctx); err != nil {
		w.Close()
		return fmt.Errorf("migrate %s: %w", db.Path, err)
	}
	if db.MaxBytes > 0 {
		if err := db.limit(ctx, w); err != nil {
			w.Close()
			return fmt.Errorf("open %s: %w", db.Path, err)
		}
	}
	if !db.SyncInProcess {
		// SQLite names the log after the database file's real path: a
		// Path that is a symbolic link has its log beside the target.
		real, err := filepath.EvalSymlinks(db.Path)
		if err != nil {
			w.Close()
			return fmt.Errorf("open %s: %w", db.Path, err)
		}
		if db.syncer, err = fsyncd.New(real + "-wal"); err != nil {
			w.Close()
			return fmt.Errorf("open %s: %w", db.Path, err)
		}
		// A server whose drills are over gives the helper's memory back.
		// On the real clock: a test's fake Clock times the commits' hold,
		// and a watch waiting on it would look like a held commit.
		db.syncer.IdleStop = syncerIdleStop
	}
	if err := db.prepareWriter(ctx); err != nil {
		w.Close()
		return fmt.Errorf("open %s: %w", db.Path, err)
	}
	r, err := sql.Open("sqlite", db.dsn(true))
	if err != nil {
		db.closeWriter()
		w.Close()
		return fmt.Errorf("open %s: %w", db.Path, err)
	}
	r.SetMaxOpenConns(4)
	db.read = r
	c, err := sql.Open("sqlite", db.dsn(false))
	if err != nil {
		r.Close()
		db.closeWriter()
		w.Close()
		return fmt.Errorf("open %s: %w", db.Path, err)
	}
	c.SetMaxOpenConns(1)
	db.checkpoints = startCheckpointer(c, db.LowPriority)
	if db.LowPriority {
		db.low, db.lowOut, db.lowDone = make(chan []groupcommit.Item[appendReq]), make(chan []error, 1), make(chan struct{})
		go db.lowWriter()
	}
	db.heads = make(map[string]drillHead)
	var clk clock.Clock = clock.RealClock{}
	if db.Clock != nil {
		clk = db.Clock
	}
	db.appends = groupcommit.StartPaced(maxGroup, shownGather, shownPace, shownBurst, clk, db.commitGroup)
	return nil
}

// Close closes the database.
func (db *DB) Close() error {
	if db.appends != nil {
		db.appends.Close()
	}
	if db.low != nil {
		// The writer goroutine ended: nothing sends to low any more.
		close(db.low)
		<-db.lowDone
		db.low = nil
	}
	var errs []error
	if db.checkpoints != nil {
		errs = append(errs, db.checkpoints.close())
	}
	if db.read != nil {
		errs = append(errs, db.read.Close())
	}
	if db.write != nil {
		errs = append(errs, db.closeWriter(), db.write.Close())
	}
	if db.syncer != nil {
		errs = append(errs, db.syncer.Close())
	}
	return errors.Join(errs...)
}

// walFile is the index of the write-ahead log in the syncer's files.
const walFile = 0

// syncerIdleStop is how long (to twice as long) the fsync helper runs
// without a commit to sync: the helper is the firedrill binary, about
// 11 MiB of resident memory (most of it the binary's pages, which it
// shares with the server), which a server with no drill going need not
// keep; the first commit after that starts it again, within a few
// milliseconds.
const syncerIdleStop = 30 * time.Second

// synced returns err, or, after a commit on the write connection that
// succeeded, whether the write-ahead log reached the disk: the write
// connection does not sync its commits itself unless SyncInProcess.
//
// A log that could not be synced after a commit fails the store for good
// (see syncFailed): the commit is in the journal, readable, yet not known
// to be on the disk, and a later sync that succeeds would prove nothing,
// since the kernel may have dropped the pages that failed to write. So
// nothing more is appended; a restart recovers the journal from what the
// disk holds.
func (db *DB) synced(err error) error {
	if err != nil || db.syncer == nil {
		return err
	}
	return db.syncError(db.syncer.Sync(walFile))
}

// syncFailed returns the error that failed the store (see synced), or nil.
// Health returns why the journal takes no appends, nil while it does: a
// log that could not be synced after a commit stops it until a restart.
func (db *DB) Health() error { return db.syncFailed() }

func (db *DB) syncFailed() error {
	if db.syncer == nil {
		return nil
	}
	return db.syncError(db.syncer.Failed())
}

// syncError is the store's error for a failed sync of its log, or nil.
func (db *DB) syncError(err error) error {
	if err == nil {
		return nil
	}
	return injectors.Errorf(injectors.EINTERNAL, "the journal %s could not be synced to the disk after a commit, so it takes no more appends until firedrill restarts: %v", db.Path, err)
}

// Version returns the schema version of the open database.
func (db *DB) Version(ctx context.Context) (int, error) {
	var v int
	err := db.write.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v)
	return v, err
}

func (db *DB) migrate(ctx context.Context) error {
	ms, err := migrations()
	if err != nil {
		return err
	}
	target := len(ms)
	if db.MigrateTo > 0 && db.MigrateTo < target {
		target = db.MigrateTo
	}
	cur, err := db.Version(ctx)
	if err != nil {
		return err
	}
	if cur > len(ms) {
		return fmt.Errorf("database schema version %d is newer than this firedrill (%d); upgrade firedrill", cur, len(ms))
	}
	for _, m := range ms[cur:target] {
		tx, err := db.write.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			tx.Rollback()
			return fmt.Errorf("%s: %w", m.name, err)
		}
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", m.version)); err != nil {
			tx.Rollback()
			return fmt.Errorf("%s: %w", m.name, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("%s: %w", m.name, err)
		}
	}
	return nil
}

const timeFormat = time.RFC3339Nano

// limit sets the hard size limit of the file: MaxBytes plus as much again
// in reserve for the kill switch.
func (db *DB) limit(ctx context.Context, w *sql.DB) error {
	var pageSize int64
	if err := w.QueryRowContext(ctx, "PRAGMA page_size").Scan(&pageSize); err != nil {
		return err
	}
	db.pageSize = pageSize
	_, err := w.ExecContext(ctx, fmt.Sprintf("PRAGMA max_page_count = %d", 2*db.MaxBytes/pageSize))
	return err
}

// sqliteFull is SQLite's result code for a full database or disk.
const sqliteFull = 13

// full returns the error of an append the journal has no room for.
func (db *DB) full(drillID string, cause error) error {
	msg := fmt.Sprintf("the journal is full (%s): firedrill refuses new work for drill %s until space is freed; reverts of injected faults continue", db.Path, drillID)
	if cause != nil {
		msg += ": " + cause.Error()
	}
	return injectors.Errorf(injectors.EINTERNAL, "%s", msg)
}

// isFull reports whether err is SQLite's "database or disk is full".
func isFull(err error) bool {
	var se *msqlite.Error
	return errors.As(err, &se) && se.Code()&0xff == sqliteFull
}

// overLimit reports whether the journal is past MaxBytes.
func (db *DB) overLimit(ctx context.Context) (bool, error) {
	if db.MaxBytes <= 0 {
		return false, nil
	}
	pages, err := queryInt64(ctx, db.wstmts.pageCount)
	if err != nil {
		return false, err
	}
	return pages*db.pageSize > db.MaxBytes, nil
}

func killSwitchOnly(evs []control.Event) bool {
	for _, e := range evs {
		if !control.KillSwitchEvent(e.Type) {
			return false
		}
	}
	return true
}

// maxGroup bounds how many appends share one transaction.
const maxGroup = 128

// shownGather is how long the writer, woken by appends the drill room
// shows already only (chat messages streamed while they are committed, see
// control.WithShown), waits for company before it commits them. Committed
// at once, each message's commit — a few hundred microseconds of CPU and
// an fsync that holds a processor — ran beside its own fan-out to the
// room's sockets on the same cores: on two cores, a room of ten drills
// streamed its median message 0.45 ms after the hand-off to the hub
// against 0.28 ms for a hub without a journal, and 0.28-0.38 ms with the
// commit held 0.3-1.5 ms (BenchmarkFanout, session 13). The sender's
// answer comes that much later, which nobody sees (the message is on
// their screen already); on a busy server more messages share a commit.
// Any other append ends the wait at once.
const shownGather = time.Millisecond

// shownPace and shownBurst limit the rate of commits when the appends
// waiting are all chat messages the room shows already: one commit per
// shownPace on average, up to shownBurst of them back to back after a
// quiet spell (see groupcommit.StartPaced). A steady stream of them (a
// busy server: 100 drills of 20 messages a second) costs about one commit
// per shownPace, plus one for each other write or Hurry, instead of one
// every millisecond or so, while a quiet room's message is only gathered
// (shownGather). The disk is what it spares. On the project's 2-core
// virtual machine, a loop of 4 KiB write and fsync stalled a busy thread of
// the same process for 4-6 ms about 70 times in 8 seconds with the syncs
// 1-3 ms apart, and not once with them 5 ms or more apart (session 14);
// the room's journal at 100 drills synced about 680 times a second before,
// about 170 since, and its p99 at 50 drills went from 3.4 to 2.4 ms
// (BenchmarkFanout). Since session 15 the syncs run in a helper process
// (internal/fsyncd), which took most of the remaining stall away; the pace
// still bounds how often the disk is flushed, and a cloud disk's IOPS
// budget counts those flushes. Whoever takes a drill's lock while its
// message's commit is held — the drill's next message, its kill switch, a
// read of its state — hurries the commit (control.Hurrier), so the wait delays nobody but the
// sender's answer, by up to shownPace plus the commit (more behind a
// backlog of more than maxGroup appends). In A/B runs at 10 drills, the
// burst kept the pace from holding a quiet room's messages longer than the
// gather (p99 ratio 1.56-1.59 with a strict pace, 1.28-1.48 with bursts).
const (
	shownPace  = 5 * time.Millisecond
	shownBurst = 4
)

// appendReq is one Append.
type appendReq struct {
	sum    control.DrillSummary
	events []control.Event
}

// Append implements control.Store. The events are durable (committed, and
// the log synced, see synced) when it returns nil. Concurrent appends —
// from different drills, mostly — are committed together, one group at a time (group
// commit, see internal/groupcommit), so that a busy server pays one fsync
// per group instead of one per event; each append still succeeds or fails
// on its own.
func (db *DB) Append(ctx context.Context, sum control.DrillSummary, events []control.Event) error {
	if len(events) == 0 {
		return nil
	}
	return db.appends.Do(ctx, "append to drill "+sum.ID, appendReq{sum: sum, events: events})
}

// Hurry implements control.Hurrier: a commit held for company (see
// control.WithShown) starts at once, and the next group commits at the
// process's priority even if it is only of shown chat messages (see
// LowPriority): someone is waiting for it.
func (db *DB) Hurry() {
	db.hurried.Store(true)
	db.appends.Hurry()
}

// AppendThen implements control.CommitNotifier: it is Append, and then runs
// on the store's writer right after the events are committed, before
// AppendThen returns (see groupcommit.Queue.DoThen).
func (db *DB) AppendThen(ctx context.Context, sum control.DrillSummary, events []control.Event, then func()) error {
	if len(events) == 0 {
		return nil
	}
	if control.Shown(ctx) {
		return db.appends.DoThenPatient(ctx, "append to drill "+sum.ID, appendReq{sum: sum, events: events}, then)
	}
	return db.appends.DoThen(ctx, "append to drill "+sum.ID, appendReq{sum: sum, events: events}, then)
}

// Events implements control.Store.
func (db *DB) Events(ctx context.Context, drillID string, afterSeq int64, limit int) ([]control.Event, error) {
	q := `SELECT drill_id, seq, type, time, drill_time, actor, payload, prev_hash, hash FROM events WHERE drill_id = ? AND seq > ? ORDER BY seq`
	args := []any{drillID, afterSeq}
	if limit > 0 {
		q += " LIMIT ?"
		args = append(args, limit)
	}
	rows, err := db.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("events of drill %s: %w", drillID, err)
	}
	defer rows.Close()
	var out []control.Event
	for rows.Next() {
		var e control.Event
		var ts string
		var dt int64
		var payload sql.NullString
		if err := rows.Scan(&e.DrillID, &e.Seq, &e.Type, &ts, &dt, &e.Actor, &payload, &e.PrevHash, &e.Hash); err != nil {
			return nil, fmt.Errorf("events of drill %s: %w", drillID, err)
		}
		if e.Time, err = time.Parse(timeFormat, ts); err != nil {
			return nil, fmt.Errorf("events of drill %s: event #%d: bad time %q: %w", drillID, e.Seq, ts, err)
		}
		e.DrillTime = time.Duration(dt)
		if payload.Valid {
			e.Payload = []byte(payload.String)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("events of drill %s: %w", drillID, err)
	}
	return out, nil
}

// drillsQuery is the query of Drills; with open, it takes the closed
// state as its one argument and leaves those drills out. A drill's sequence
// number, head and time of last change are its journal's last event's (the
// writer keeps only the state in the row up to date; see appendTx): two
// seeks in the journal's primary key per drill. CROSS JOIN keeps drills the
// outer loop: with a plain JOIN and no statistics SQLite planned a scan of
// every event of every drill, with the subquery per event.
func drillsQuery(open bool) string {
	q := `SELECT d.id, d.title, d.scenario, d.state, e.seq, e.hash, d.created_at, e.time FROM drills d
CROSS JOIN events e ON e.drill_id = d.id AND e.seq = (SELECT MAX(seq) FROM events WHERE drill_id = d.id)`
	if open {
		q += ` WHERE d.state <> ?`
	}
	return q + ` ORDER BY d.created_at, d.id`
}

// Drills implements control.Store.
func (db *DB) Drills(ctx context.Context, f control.DrillFilter) ([]control.DrillSummary, error) {
	q := drillsQuery(f.Open)
	var args []any
	if f.Open {
		args = append(args, string(control.StateClosed))
	}
	rows, err := db.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list drills: %w", err)
	}
	defer rows.Close()
	var out []control.DrillSummary
	for rows.Next() {
		var s control.DrillSummary
		var state, created, updated string
		if err := rows.Scan(&s.ID, &s.Title, &s.Scenario, &state, &s.Seq, &s.Head, &created, &updated); err != nil {
			return nil, fmt.Errorf("list drills: %w", err)
		}
		s.State = control.DrillState(state)
		s.CreatedAt, _ = time.Parse(timeFormat, created)
		s.UpdatedAt, _ = time.Parse(timeFormat, updated)
		out = append(out, s)
	}
	return out, rows.Err()
}
