package sqlite

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
)

// writerStmts are the journal writer's statements, prepared once on the
// write connection's driver connection and run through the driver's own
// interfaces inside one sql.Conn.Raw call per group. A group through
// database/sql cost a transaction goroutine, a pool lock per statement and
// a BEGIN and a COMMIT compiled anew each time; here the group pays only
// the checkout of the one write connection.
type writerStmts struct {
	// conn is the driver connection the statements belong to: if
	// database/sql ever replaced it, they are prepared again on the new one.
	conn                                                         any
	begin, commit, rollback                                      driver.Stmt
	head, insert, summary, state, savepoint, rollbackTo, release driver.Stmt
	pageCount, checkpoint                                        driver.Stmt
}

// all returns each writer statement with its text.
func (st *writerStmts) all() []struct {
	s   *driver.Stmt
	sql string
} {
	return []struct {
		s   *driver.Stmt
		sql string
	}{
		// The write connection's transactions are immediate (_txlock):
		// the write lock is taken at BEGIN, as database/sql's did.
		{&st.begin, "BEGIN IMMEDIATE"},
		{&st.commit, "COMMIT"},
		{&st.rollback, "ROLLBACK"},
		{&st.head, "SELECT COALESCE(MAX(seq), 0) FROM events WHERE drill_id = ?"},
		{&st.insert, `INSERT INTO events (drill_id, seq, type, time, drill_time, actor, payload, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`},
		{&st.summary, `INSERT INTO drills (id, title, scenario, state, seq, head, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (id) DO UPDATE SET title = excluded.title, scenario = excluded.scenario, seq = excluded.seq, head = excluded.head, updated_at = excluded.updated_at`},
		// The state apart, and only when it changed: a column of the
		// drills_by_state index in an UPDATE's SET rewrites the index's
		// page even for the same value, a fourth page in the log of every
		// commit for the one in hundred appends that changes the state.
		{&st.state, "UPDATE drills SET state = ?2 WHERE id = ?1 AND state <> ?2"},
		{&st.savepoint, "SAVEPOINT append"},
		{&st.rollbackTo, "ROLLBACK TO append"},
		{&st.release, "RELEASE append"},
		{&st.pageCount, "PRAGMA page_count"},
		{&st.checkpoint, "PRAGMA wal_checkpoint(PASSIVE)"},
	}
}

// on returns the statements prepared on dc, preparing them if they belong
// to no or another connection. With unsynced, it also turns dc's syncs at
// commit off (synchronous=NORMAL) when it prepares them: the DB syncs its
// commits from a helper process instead (see DB.SyncInProcess). NORMAL,
// not OFF: SQLite still syncs what it relies on itself, the log before a
// checkpoint copies it, the database file after, the log's header when it
// starts over, and both on the last close.
func (st *writerStmts) on(ctx context.Context, dc any, unsynced bool) error {
	if st.conn == dc {
		return nil
	}
	if st.conn != nil {
		// The old connection is gone with its statements.
		*st = writerStmts{}
	}
	pc, ok := dc.(driver.ConnPrepareContext)
	if !ok {
		return fmt.Errorf("the sqlite driver's connection %T cannot prepare statements", dc)
	}
	for _, p := range st.all() {
		s, err := pc.PrepareContext(ctx, p.sql)
		if err != nil {
			st.close()
			return fmt.Errorf("prepare %q: %w", p.sql, err)
		}
		*p.s = s
	}
	if unsynced {
		// Not a prepared statement: SQLite applies this pragma when it
		// compiles it, so preparing it would turn the syncs off however
		// the statement is used.
		ec, ok := dc.(driver.ExecerContext)
		if !ok {
			st.close()
			return fmt.Errorf("the sqlite driver's connection %T cannot run a statement", dc)
		}
		if _, err := ec.ExecContext(ctx, "PRAGMA synchronous=NORMAL", nil); err != nil {
			st.close()
			return fmt.Errorf("turn the writer's syncs at commit off: %w", err)
		}
	}
	st.conn = dc
	return nil
}

func (st *writerStmts) close() error {
	var errs []error
	for _, p := range st.all() {
		if *p.s != nil {
			errs = append(errs, (*p.s).Close())
		}
	}
	*st = writerStmts{}
	return errors.Join(errs...)
}

// named numbers args in order, as the driver takes them.
func named(args []driver.Value) []driver.NamedValue {
	nv := make([]driver.NamedValue, len(args))
	for i, a := range args {
		nv[i] = driver.NamedValue{Ordinal: i + 1, Value: a}
	}
	return nv
}

// exec runs s with args, given in order.
func exec(ctx context.Context, s driver.Stmt, args ...driver.Value) error {
	_, err := s.(driver.StmtExecContext).ExecContext(ctx, named(args))
	return err
}

// queryInt64 runs s with args and returns the first column of its one row.
func queryInt64(ctx context.Context, s driver.Stmt, args ...driver.Value) (int64, error) {
	rows, err := s.(driver.StmtQueryContext).QueryContext(ctx, named(args))
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	dest := make([]driver.Value, len(rows.Columns()))
	if err := rows.Next(dest); err != nil {
		if err == io.EOF {
			return 0, errors.New("no row")
		}
		return 0, err
	}
	n, ok := dest[0].(int64)
	if !ok {
		return 0, fmt.Errorf("got %T, want an integer", dest[0])
	}
	return n, nil
}

// prepareWriter prepares the writer's statements on the write connection.
func (db *DB) prepareWriter(ctx context.Context) error {
	conn, err := db.write.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error { return db.wstmts.on(ctx, dc, db.syncer != nil) })
}

// closeWriter closes the writer's statements on the connection they
// belong to.
func (db *DB) closeWriter() error {
	if db.wstmts.conn == nil {
		return nil
	}
	conn, err := db.write.Conn(context.Background())
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		if dc != db.wstmts.conn {
			db.wstmts = writerStmts{} // gone with their connection
			return nil
		}
		return db.wstmts.close()
	})
}
