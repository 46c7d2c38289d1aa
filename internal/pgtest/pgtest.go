// Package pgtest runs a throwaway PostgreSQL server for tests and
// benchmarks: Debian's initdb and pg_ctl make a cluster in a temporary
// directory, listening on a free local port and on a Unix socket in that
// directory, and Stop removes it again — the way the local Kubernetes
// control plane is started for the cluster tests. Each test gets a fresh
// database of its own on the shared server.
//
// A package shares one server through TestMain:
//
//	var pg *pgtest.Server
//
//	func TestMain(m *testing.M) { pgtest.Main(m, &pg) }
package pgtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Options configure a server.
type Options struct {
	// Fsync keeps PostgreSQL's fsync on, for benchmarks that compare
	// durable commits; tests leave it off for speed.
	Fsync bool
}

// Server is a running throwaway PostgreSQL cluster.
type Server struct {
	// Dir holds the cluster's data directory and its Unix socket.
	Dir string
	// Port is the TCP port on 127.0.0.1 (the socket file is named after it too).
	Port int
	// User is the cluster's superuser, trusted without a password.
	User string

	bin  string
	cred *syscall.Credential
	n    atomic.Int64
}

// Binaries returns the directory of initdb and pg_ctl: the newest
// /usr/lib/postgresql/<version>/bin, or the directory of initdb on PATH.
func Binaries() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return pgVersion(dirs[i]) > pgVersion(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "pg_ctl")); err == nil {
			return d, nil
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			p = real
		}
		return filepath.Dir(p), nil
	}
	return "", errors.New("PostgreSQL is not installed: no /usr/lib/postgresql/<version>/bin and no initdb on PATH (apt-get install -y postgresql)")
}

func pgVersion(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

// Start makes and starts a new cluster. initdb refuses to run as root, so
// as root the cluster is made and run as the unprivileged user nobody.
func Start(opts Options) (*Server, error) {
	bin, err := Binaries()
	if err != nil {
		return nil, err
	}
	asRoot := os.Geteuid() == 0
	dir, err := os.MkdirTemp(clusterParent(asRoot), "firedrill-pg-")
	if err != nil {
		return nil, err
	}
	s := &Server{Dir: dir, User: "firedrill", bin: bin}
	if asRoot {
		u, err := user.Lookup("nobody")
		if err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("running as root, and initdb refuses root: no user nobody to run PostgreSQL as: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		s.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chown(dir, uid, gid); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	}
	if err := s.run("initdb", "-D", s.data(), "-U", s.User, "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	fsync := "off"
	if opts.Fsync {
		fsync = "on"
	}
	var startErr error
	for attempt := 0; attempt < 3; attempt++ {
		if s.Port, err = freePort(); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		conf := fmt.Sprintf("-c listen_addresses=127.0.0.1 -c port=%d -c unix_socket_directories=%s -c fsync=%s -c synchronous_commit=on -c full_page_writes=%s -c max_connections=200 -c shared_buffers=32MB",
			s.Port, dir, fsync, fsync)
		startErr = s.run("pg_ctl", "-D", s.data(), "-l", filepath.Join(dir, "server.log"), "-w", "-t", "60", "-o", conf, "start")
		if startErr == nil {
			return s, nil
		}
	}
	log, _ := os.ReadFile(filepath.Join(dir, "server.log"))
	os.RemoveAll(dir)
	return nil, fmt.Errorf("%w\nserver log:\n%s", startErr, log)
}

// clusterParent is where the cluster's directory is made: the temporary
// directory, or /tmp when PostgreSQL runs as nobody and cannot reach a
// private $TMPDIR.
func clusterParent(asRoot bool) string {
	d := os.TempDir()
	if !asRoot {
		return d
	}
	for p := d; ; p = filepath.Dir(p) {
		fi, err := os.Stat(p)
		if err != nil || fi.Mode().Perm()&0o001 == 0 {
			return "/tmp"
		}
		if p == filepath.Dir(p) {
			return d
		}
	}
}

func (s *Server) data() string { return filepath.Join(s.Dir, "data") }

// run runs a PostgreSQL program, as nobody when we are root.
func (s *Server) run(name string, args ...string) error {
	cmd := exec.Command(filepath.Join(s.bin, name), args...)
	if s.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred}
	}
	cmd.Dir = s.Dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, out.String())
	}
	return nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Stop stops the server immediately and removes its directory.
func (s *Server) Stop() error {
	err := s.run("pg_ctl", "-D", s.data(), "-m", "immediate", "-w", "stop")
	return errors.Join(err, os.RemoveAll(s.Dir))
}

// DSN returns the connection string of database db on the server, over
// TCP to 127.0.0.1 (so that other processes and containers can use it too).
func (s *Server) DSN(db string) string {
	return fmt.Sprintf("postgres://%s@127.0.0.1:%d/%s?sslmode=disable", s.User, s.Port, db)
}

// CreateDatabase creates a new, empty database and returns its DSN.
func (s *Server) CreateDatabase(ctx context.Context, name string) (string, error) {
	conn, err := pgx.Connect(ctx, s.DSN("postgres"))
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", fmt.Errorf("create database %s: %w", name, err)
	}
	return s.DSN(name), nil
}

// NewDatabase returns the DSN of a fresh, empty database for one test: a
// schema of its own in the server's postgres database, first on the DSN's
// search_path (much faster to make than a database, and as separate for
// firedrill's tables).
func (s *Server) NewDatabase(t testing.TB) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	name := fmt.Sprintf("test_%d", s.n.Add(1))
	conn, err := pgx.Connect(ctx, s.DSN("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatalf("create schema %s: %v", name, err)
	}
	return s.DSN("postgres") + "&search_path=" + name
}

// Main starts a server into *srv, runs the package's tests and benchmarks,
// stops the server and exits. If the server does not start the tests fail
// with the reason: PostgreSQL is part of what the tests need.
func Main(m *testing.M, srv **Server) {
	s, err := Start(Options{})
	if err != nil {
		fmt.Fprintf(os.Stderr, "pgtest: starting PostgreSQL: %v\n", err)
		os.Exit(1)
	}
	*srv = s
	code := m.Run()
	if err := s.Stop(); err != nil {
		fmt.Fprintf(os.Stderr, "pgtest: stopping PostgreSQL: %v\n", err)
	}
	os.Exit(code)
}

// Lazy is a server a package's tests share, started by the first test that
// needs it, so that the package's other tests do not wait for PostgreSQL.
// The package's TestMain stops it:
//
//	var pg pgtest.Lazy
//
//	func TestMain(m *testing.M) { code := m.Run(); pg.Stop(); os.Exit(code) }
type Lazy struct {
	// Options configure the server when it starts.
	Options Options

	once sync.Once
	s    *Server
	err  error
}

// Get returns the shared server, starting it the first time; a server that
// does not start fails the test with the reason.
func (l *Lazy) Get(t testing.TB) *Server {
	t.Helper()
	l.once.Do(func() { l.s, l.err = Start(l.Options) })
	if l.err != nil {
		t.Fatalf("starting PostgreSQL: %v", l.err)
	}
	return l.s
}

// Stop stops the server if it was started.
func (l *Lazy) Stop() {
	l.once.Do(func() {})
	if l.s != nil {
		if err := l.s.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "pgtest: stopping PostgreSQL: %v\n", err)
		}
	}
}
