package main_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	main "github.com/firedrill/firedrill/cmd/firedrill"
	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/control/postgres"
	"github.com/firedrill/firedrill/control/program"
	"github.com/firedrill/firedrill/control/sqlite"
	"github.com/firedrill/firedrill/internal/pgtest"
	"github.com/firedrill/firedrill/ui"
	uipostgres "github.com/firedrill/firedrill/ui/postgres"
	roomdb "github.com/firedrill/firedrill/ui/sqlite"
)

// pg is the PostgreSQL server of this package's tests, started by the
// first test that needs it.
var pg pgtest.Lazy

func TestMain(m *testing.M) {
	code := m.Run()
	pg.Stop()
	os.Exit(code)
}

// runWithEnv runs firedrill with args and the environment env.
func runWithEnv(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	m := main.NewMain()
	var out, errb bytes.Buffer
	m.Stdin = strings.NewReader("")
	m.Stdout, m.Stderr = &out, &errb
	m.Getenv = func(k string) string { return env[k] }
	code = m.Run(context.Background(), args)
	if err := m.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	return code, out.String(), errb.String()
}

// TestStoreCopy moves an installation with a played drill, a season plan,
// a join link and a session from SQLite to PostgreSQL: the record exported
// from PostgreSQL is byte for byte the one exported from SQLite, verify
// proves it against the PostgreSQL journal, and the room's link still
// works.
func TestStoreCopy(t *testing.T) {
	ctx := context.Background()
	dir := playedDataDir(t)
	addPlanAndRoom(t, dir)
	pgEnv := map[string]string{"FIREDRILL_STORE_DRIVER": "postgres", "FIREDRILL_STORE_DSN": pg.Get(t).NewDatabase(t)}
	tmp := t.TempDir()
	before, after := filepath.Join(tmp, "sqlite.json"), filepath.Join(tmp, "postgres.json")
	if code, _, stderr := runScenarioCmd(t, "--data-dir", dir, "export", "drill-1", "--format", "json", "-o", before); code != 0 {
		t.Fatalf("export from SQLite: exit %d: %s", code, stderr)
	}

	t.Run("copy reports what it copied and that every head matches", func(t *testing.T) {
		code, stdout, stderr := runWithEnv(t, pgEnv, "--data-dir", dir, "store", "copy", "--from", "sqlite", "--to", "postgres")
		if code != 0 || !strings.Contains(stdout, "copied 1 drills (") || !strings.Contains(stdout, "and 1 plans from") ||
			!strings.Contains(stdout, "copied 1 join links, 1 sessions and 0 identity links") || !strings.Contains(stdout, "verified: all 1 drills have the same journal head") {
			t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
		}
	})
	t.Run("the record exported from PostgreSQL is the one from SQLite", func(t *testing.T) {
		// An empty data directory: the record can only come from PostgreSQL.
		code, _, stderr := runWithEnv(t, pgEnv, "--data-dir", t.TempDir(), "export", "drill-1", "--format", "json", "-o", after)
		if code != 0 {
			t.Fatalf("export from PostgreSQL: exit %d: %s", code, stderr)
		}
		a, _ := os.ReadFile(before)
		b, _ := os.ReadFile(after)
		if len(a) == 0 || !bytes.Equal(a, b) {
			t.Fatalf("records differ: SQLite %d bytes, PostgreSQL %d bytes", len(a), len(b))
		}
	})
	t.Run("verify proves the record against the PostgreSQL journal", func(t *testing.T) {
		code, stdout, stderr := runWithEnv(t, pgEnv, "--data-dir", t.TempDir(), "verify", after)
		if code != 0 || !strings.Contains(stdout, "verified: drill drill-1") || !strings.Contains(stdout, "the head matches event #") {
			t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
		}
	})
	t.Run("history and the program report read the same from both stores", func(t *testing.T) {
		for _, args := range [][]string{{"history", "-o", "json"}, {"report", "--season", "2026H2", "--format", "json"}} {
			_, fromSQLite, _ := runScenarioCmd(t, append([]string{"--data-dir", dir}, args...)...)
			code, fromPG, stderr := runWithEnv(t, pgEnv, append([]string{"--data-dir", t.TempDir()}, args...)...)
			// The report says when it was made; the rest must be the same.
			fromSQLite, fromPG = generatedAt.ReplaceAllString(fromSQLite, ""), generatedAt.ReplaceAllString(fromPG, "")
			if code != 0 || fromPG == "" || fromPG != fromSQLite {
				t.Fatalf("%s: exit %d: %s\nSQLite:\n%s\nPostgreSQL:\n%s", args[0], code, stderr, fromSQLite, fromPG)
			}
		}
	})
	t.Run("the room's join link works from PostgreSQL", func(t *testing.T) {
		room, err := uipostgres.Open(ctx, pgEnv["FIREDRILL_STORE_DSN"])
		if err != nil {
			t.Fatal(err)
		}
		defer room.Close()
		g, err := room.JoinGrant(ctx, ui.HashToken("kim-link"))
		if err != nil || g.PersonID != "kim" {
			t.Fatalf("grant %+v, %v; want kim's", g, err)
		}
		if s, err := room.GetSession(ctx, "kim-session"); err != nil || s.PersonID != "kim" {
			t.Fatalf("session %+v, %v; want kim's", s, err)
		}
	})
	t.Run("a second copy finds everything there and changes nothing", func(t *testing.T) {
		code, stdout, stderr := runWithEnv(t, pgEnv, "--data-dir", dir, "store", "copy", "--from", "sqlite", "--to", "postgres")
		if code != 0 || !strings.Contains(stdout, "copied 0 drills (0 events) and 0 plans") || !strings.Contains(stdout, "1 drills and 1 plans were there already") {
			t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
		}
	})
	t.Run("copying back into a fresh SQLite directory gives the same record", func(t *testing.T) {
		back := t.TempDir()
		code, stdout, stderr := runWithEnv(t, pgEnv, "--data-dir", back, "store", "copy", "--from", "postgres", "--to", "sqlite")
		if code != 0 || !strings.Contains(stdout, "copied 1 drills (") {
			t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
		}
		again := filepath.Join(tmp, "back.json")
		if code, _, stderr := runScenarioCmd(t, "--data-dir", back, "export", "drill-1", "--format", "json", "-o", again); code != 0 {
			t.Fatalf("export: exit %d: %s", code, stderr)
		}
		a, _ := os.ReadFile(before)
		b, _ := os.ReadFile(again)
		if !bytes.Equal(a, b) {
			t.Fatal("the record after a round trip through PostgreSQL differs")
		}
	})
}

var generatedAt = regexp.MustCompile(`"generatedAt": "[^"]*"`)

// addPlanAndRoom adds a season plan to the drill database of dir and a join
// link and a session to its room database.
func addPlanAndRoom(t *testing.T, dir string) {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(dir, "firedrill.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	at := time.Date(2026, 8, 3, 9, 30, 0, 0, time.UTC)
	p, err := program.NewPlan("2026H2", "Priya", "https://wiki.example.com/ir", "")
	if err != nil {
		t.Fatal(err)
	}
	e, err := p.AddTeam(program.TeamInput{Name: "Payments", TargetMonth: "2026-09"}, "facilitator", at)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SavePlan(ctx, p, []program.Entry{e}); err != nil {
		t.Fatal(err)
	}
	room, err := roomdb.Open(filepath.Join(dir, "room.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer room.Close()
	if err := room.PutJoinToken(ctx, ui.HashToken("kim-link"), ui.Grant{DrillID: "drill-1", PersonID: "kim", Name: "Kim", Role: control.RoleParticipant}); err != nil {
		t.Fatal(err)
	}
	s := ui.Session{CSRF: "c", DrillID: "drill-1", PersonID: "kim", Name: "Kim", Role: control.RoleParticipant, Expires: time.Now().Add(time.Hour), LinkHash: ui.HashToken("kim-link")}
	if err := room.PutSession(ctx, "kim-session", s); err != nil {
		t.Fatal(err)
	}
}

// TestStoreConfigErrors checks that a store that cannot be used is named
// with what to do, and that migrate prepares a new PostgreSQL database.
func TestStoreConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		args []string
		code int
		want string
	}{
		{"an unknown driver is refused", map[string]string{"FIREDRILL_STORE_DRIVER": "mysql"}, []string{"history"}, 1,
			`store.driver: "mysql" is not a store, expected sqlite or postgres`},
		{"postgres without a DSN is refused", map[string]string{"FIREDRILL_STORE_DRIVER": "postgres"}, []string{"history"}, 1,
			"store.dsn: empty, but store.driver is postgres: set store.dsn (or FIREDRILL_STORE_DSN)"},
		{"a DSN with sqlite is refused rather than ignored", map[string]string{"FIREDRILL_STORE_DSN": "postgres://db/x"}, []string{"history"}, 1,
			"store.dsn: set, but store.driver is sqlite"},
		{"a malformed DSN is refused without its password", map[string]string{"FIREDRILL_STORE_DRIVER": "postgres", "FIREDRILL_STORE_DSN": "postgres://u:s3cret@db:port/x"}, []string{"history"}, 1,
			"store.dsn: "},
		{"a copy needs two different stores", map[string]string{"FIREDRILL_STORE_DSN": ""}, []string{"store", "copy", "--from", "sqlite", "--to", "sqlite"}, 2,
			"--from and --to are both sqlite: nothing to copy"},
		{"a copy names an unknown store", nil, []string{"store", "copy", "--from", "sqlite", "--to", "oracle"}, 2,
			`--to "oracle" is not a store, expected sqlite or postgres`},
		{"a copy to PostgreSQL needs its DSN", nil, []string{"store", "copy", "--from", "sqlite", "--to", "postgres"}, 2,
			"store copy: store.dsn is empty: set store.driver to postgres and store.dsn (or FIREDRILL_STORE_DSN) to the PostgreSQL database to copy to"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runWithEnv(t, tc.env, append([]string{"--data-dir", t.TempDir()}, tc.args...)...)
			if code == 0 || (tc.code != 0 && code != tc.code) || !strings.Contains(stderr, tc.want) || strings.Contains(stderr, "s3cret") {
				t.Fatalf("exit %d, want %d with %q\nstdout: %s\nstderr: %s", code, tc.code, tc.want, stdout, stderr)
			}
		})
	}

	t.Run("config prints the DSN without its password", func(t *testing.T) {
		env := map[string]string{"FIREDRILL_STORE_DRIVER": "postgres", "FIREDRILL_STORE_DSN": "postgres://fd:s3cret@db:5432/firedrill"}
		code, stdout, stderr := runWithEnv(t, env, "config")
		if code != 0 || !strings.Contains(stdout, "DSN:postgres://fd:xxxxx@db:5432/firedrill") || strings.Contains(stdout, "s3cret") {
			t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
		}
	})
	t.Run("a PostgreSQL database without firedrill's tables is named, with what to run", func(t *testing.T) {
		env := map[string]string{"FIREDRILL_STORE_DRIVER": "postgres", "FIREDRILL_STORE_DSN": pg.Get(t).NewDatabase(t)}
		code, _, stderr := runWithEnv(t, env, "history")
		if code != 1 || !strings.Contains(stderr, "holds no firedrill journal: run firedrill store migrate") {
			t.Fatalf("exit %d\nstderr: %s", code, stderr)
		}
		code, stdout, stderr := runWithEnv(t, env, "store", "migrate")
		if code != 0 || !strings.Contains(stdout, "postgres store PostgreSQL database") || !strings.Contains(stdout, fmt.Sprintf("journal at schema version %d", postgres.LatestVersion())) {
			t.Fatalf("migrate: exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
		}
		if code, stdout, stderr := runWithEnv(t, env, "history"); code != 0 {
			t.Fatalf("history after migrate: exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
		}
	})
}

// TestServeOnPostgreSQL serves the drill room on PostgreSQL, creates a
// drill with a join link, stops and serves again: the drill, the
// facilitator's session and the participant's link come back from the
// database.
func TestServeOnPostgreSQL(t *testing.T) {
	const token = "serve-pg-admin-token-123"
	room := newFlagsRoom(t, token, "store:\n  driver: postgres\n  dsn: "+pg.Get(t).NewDatabase(t)+"\n")
	env := room.env

	base, stop, _, _ := serveFor(t, env)
	fac := signIn(t, base, token)
	var d struct {
		ID string `json:"id"`
	}
	if st := fac.call("POST", "/api/drills", map[string]string{"scenario": "serve-flags"}, &d); st != 201 {
		t.Fatalf("create drill: %d", st)
	}
	var link struct {
		URL string `json:"url"`
	}
	if st := fac.call("POST", "/api/drills/"+d.ID+"/people", map[string]string{"name": "Kim", "role": "participant"}, &link); st != 201 {
		t.Fatalf("add person: %d", st)
	}
	stop()
	if _, err := os.Stat(filepath.Join(room.data, "firedrill.db")); err == nil {
		t.Fatal("serve on PostgreSQL made a SQLite journal in the data directory")
	}

	base, stop, _, _ = serveFor(t, env)
	defer stop()
	t.Run("the drill and the facilitator's session come back from the database", func(t *testing.T) {
		fac.base = base
		var drills []struct {
			ID string `json:"id"`
		}
		if st := fac.call("GET", "/api/drills", nil, &drills); st != 200 || len(drills) != 1 || drills[0].ID != d.ID {
			t.Fatalf("drills after restart: %d %+v, want %s with the old session", st, drills, d.ID)
		}
	})
	t.Run("the participant's join link still works", func(t *testing.T) {
		p := newBrowser(t, base)
		_, tok, _ := strings.Cut(link.URL, "#")
		if st := p.call("POST", "/api/join", map[string]string{"token": tok}, nil); st != 200 {
			t.Fatalf("join after restart: %d", st)
		}
	})
}

// serveFor starts firedrill serve with env and returns its URL, a function
// that stops it (and may be called again), and what it prints.
func serveFor(t *testing.T, env map[string]string) (base string, stop func(), stdout, stderr *syncBuffer) {
	t.Helper()
	stdout, stderr = &syncBuffer{}, &syncBuffer{}
	m := main.NewMain()
	m.Stdin = strings.NewReader("")
	m.Stdout, m.Stderr = stdout, stderr
	m.Getenv = func(k string) string { return env[k] }
	ctx, cancel := context.WithCancel(context.Background())
	exited := make(chan int, 1)
	go func() { exited <- m.Run(ctx, []string{"serve"}) }()
	urlRe := regexp.MustCompile(`drill room on (http://\S+)`)
	for deadline := time.Now().Add(30 * time.Second); ; {
		if u := urlRe.FindStringSubmatch(stdout.String()); u != nil {
			stopped := false
			return u[1], func() {
				if stopped {
					return
				}
				stopped = true
				cancel()
				select {
				case code := <-exited:
					if code != 0 {
						t.Errorf("serve exited %d; stderr %q", code, stderr.String())
					}
				case <-time.After(15 * time.Second):
					t.Error("serve did not stop after cancel")
				}
				if err := m.Close(); err != nil {
					t.Errorf("close: %v", err)
				}
			}, stdout, stderr
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("serve printed no URL; stdout %q stderr %q", stdout.String(), stderr.String())
		}
		select {
		case code := <-exited:
			cancel()
			t.Fatalf("serve exited %d early; stderr %q", code, stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
}
