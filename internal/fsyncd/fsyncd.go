// Package fsyncd syncs files to the disk from a helper process, so that the
// server's goroutines do not block their threads in fsync at every commit.
//
// On this project's virtual machines a write and fsync every few
// milliseconds, made by one goroutine of a busy Go process, stalls the
// process's other running threads for 4-6 ms at a time (dozens of times in
// a few seconds), while the same loop in another process barely touches
// them (see control/sqlite's shownPace). A journal that commits chat
// messages hundreds of times a second is such a loop: its syncs are handed
// to a child process here, and the server's goroutine parks on a pipe
// instead of blocking its thread in the kernel.
//
// The helper is the running executable itself, started with an
// environment variable that this package's init function looks for: any
// binary that links this package can be its own helper, tests included. It
// dies with its parent, and it is started on the first sync, not before,
// so a server with nothing to journal runs no helper. When the helper
// cannot run, the syncs are made in this process.
package fsyncd

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
)

// helperEnv marks the helper process; its value is ignored.
const helperEnv = "FIREDRILL_FSYNCD_HELPER"

func init() {
	if _, ok := os.LookupEnv(helperEnv); ok {
		os.Exit(serve(os.Args[1:], os.Stdin, os.Stdout))
	}
}

// serve is the helper's loop: for each byte i read from in, it syncs
// paths[i] and answers on out: a zero byte, or a one byte followed by a
// two-byte length and the error's text. It returns the process's exit
// code when in ends.
func serve(paths []string, in io.Reader, out io.Writer) int {
	// The server's stop (systemd's SIGTERM to its whole group, say) must
	// not end a sync half way: the helper ends when its input does, or
	// with its parent (Pdeathsig).
	signal.Ignore(syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	files := make([]*os.File, len(paths))
	r := bufio.NewReader(in)
	for {
		i, err := r.ReadByte()
		if err != nil {
			return 0 // the parent closed the pipe, or died
		}
		var answer []byte
		if int(i) >= len(paths) {
			answer = failure(fmt.Errorf("no file %d: the helper syncs %d", i, len(paths)))
		} else if err := syncKept(&files[i], paths[i]); err != nil {
			answer = failure(err)
		} else {
			answer = []byte{0}
		}
		if _, err := out.Write(answer); err != nil {
			return 1
		}
	}
}

// failure encodes err as the helper's answer.
func failure(err error) []byte {
	msg := err.Error()
	if len(msg) > 1<<15 {
		msg = msg[:1<<15]
	}
	b := make([]byte, 3, 3+len(msg))
	b[0] = 1
	binary.BigEndian.PutUint16(b[1:], uint16(len(msg)))
	return append(b, msg...)
}

// syncKept syncs the file at path through *f, which it keeps open between
// syncs: a write-back error is reported to each descriptor that was open
// when it happened, so a descriptor opened afresh for every sync could
// miss one that another descriptor saw first. A file replaced since the
// last sync (a write-ahead log SQLite deleted and created again) is opened
// anew, so the one synced is never a deleted one kept open.
func syncKept(f **os.File, path string) error {
	if *f != nil {
		now, err := os.Stat(path)
		was, ferr := (*f).Stat()
		if err != nil || ferr != nil || !os.SameFile(now, was) {
			(*f).Close()
			*f = nil
		}
	}
	if *f == nil {
		g, err := os.Open(path)
		if err != nil {
			return err
		}
		*f = g
	}
	return (*f).Sync()
}

// helperPause is how many syncs after a helper failed (it could not be
// started, or it died) are made in this process before another helper is
// started: a helper that keeps failing costs one start per that many
// syncs, not one per sync.
const helperPause = 256

// Syncer syncs a fixed list of files from a helper process. Its methods
// may be called from several goroutines; syncs run one at a time.
type Syncer struct {
	paths []string
	mu    sync.Mutex
	// cmd, in and out are the running helper; nil until the first sync,
	// and after the helper failed.
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Reader
	// starts counts the helpers started.
	starts int
	// pause is how many syncs are still made in this process before a
	// helper is started again (see helperPause).
	pause int
	// own are this process's descriptors of the files, for the syncs it
	// makes itself (see syncKept).
	own []*os.File
	// failed is the first sync that failed: every later Sync answers it.
	// Once a write-back error was reported, Linux marks the pages it lost
	// clean, and the next fsync of the file succeeds without them.
	failed error
	closed bool
}

// New returns a Syncer for paths (1 to 256 of them). No helper runs until
// the first Sync.
func New(paths ...string) (*Syncer, error) {
	if len(paths) == 0 || len(paths) > 256 {
		return nil, fmt.Errorf("fsyncd: %d files; want 1 to 256", len(paths))
	}
	abs := make([]string, len(paths))
	for i, p := range paths {
		// The helper starts later, and its directory is not this one's.
		a, err := filepath.Abs(p)
		if err != nil {
			return nil, fmt.Errorf("fsyncd: %w", err)
		}
		abs[i] = a
	}
	return &Syncer{paths: abs, own: make([]*os.File, len(paths))}, nil
}

// ErrClosed is returned by Sync after Close.
var ErrClosed = errors.New("fsyncd: closed")

// Sync syncs the file New was given at index i to the disk and returns
// once it is there. The helper does the sync; if the helper cannot be
// started or fails on the way (it was killed, its pipe broke), the file is
// synced in this process instead, and so are the next helperPause syncs
// before another helper is started. An error means the file may not be on
// the disk: the sync itself failed, in the helper or here; the Syncer then
// answers that error to every later Sync of any file, since a later sync
// that succeeds would not prove the lost writes reached the disk.
func (s *Syncer) Sync(i int) (err error) {
	if i < 0 || i >= len(s.paths) {
		return fmt.Errorf("fsyncd: no file %d", i)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	if s.failed != nil {
		return s.failed
	}
	defer func() {
		if err != nil {
			s.failed = err
		}
	}()
	if s.cmd == nil && s.pause > 0 {
		s.pause--
		return s.inProcess(i)
	}
	if s.cmd == nil {
		if err := s.start(); err != nil {
			s.pause = helperPause
			return s.inProcess(i)
		}
	}
	synced, broken := s.ask(i)
	if broken != nil {
		// The helper is broken: whether it synced is unknown, so the
		// file is synced here.
		s.stop()
		s.pause = helperPause
		return s.inProcess(i)
	}
	return synced
}

// inProcess syncs file i in this process.
func (s *Syncer) inProcess(i int) error {
	if err := syncKept(&s.own[i], s.paths[i]); err != nil {
		return fmt.Errorf("sync %s: %w", s.paths[i], err)
	}
	return nil
}

// ask has the helper sync file i: synced is the sync's own answer, err a
// failure of the helper or its pipes.
func (s *Syncer) ask(i int) (synced, err error) {
	if _, err := s.in.Write([]byte{byte(i)}); err != nil {
		return nil, err
	}
	code, err := s.out.ReadByte()
	if err != nil {
		return nil, err
	}
	switch code {
	case 0:
		return nil, nil
	case 1:
		var n [2]byte
		if _, err := io.ReadFull(s.out, n[:]); err != nil {
			return nil, err
		}
		msg := make([]byte, binary.BigEndian.Uint16(n[:]))
		if _, err := io.ReadFull(s.out, msg); err != nil {
			return nil, err
		}
		return fmt.Errorf("sync %s: %s", s.paths[i], msg), nil
	default:
		return nil, fmt.Errorf("fsyncd: the helper answered %d", code)
	}
}

// start starts the helper.
func (s *Syncer) start() error {
	// This very binary, even if its file was replaced or removed since
	// (an upgrade while the server runs).
	exe := "/proc/self/exe"
	if _, err := os.Stat(exe); err != nil {
		if exe, err = os.Executable(); err != nil {
			return err
		}
	}
	cmd := exec.Command(exe, s.paths...)
	// One processor is plenty for a loop of syncs; the helper needs no
	// other environment.
	cmd.Env = []string{helperEnv + "=1", "GOMAXPROCS=1"}
	// Its own process group, so that a Ctrl-C in the server's terminal
	// does not reach it; it dies with the server.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	in, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		in.Close()
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	s.cmd, s.in, s.out = cmd, in, bufio.NewReader(out)
	s.starts++
	return nil
}

// stop kills the helper and waits for it.
func (s *Syncer) stop() {
	if s.cmd == nil {
		return
	}
	s.in.Close()
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
	s.cmd, s.in, s.out = nil, nil, nil
}

// Starts returns how many helpers this Syncer started.
func (s *Syncer) Starts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.starts
}

// Pid returns the running helper's process id, or 0 when none runs.
func (s *Syncer) Pid() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return 0
	}
	return s.cmd.Process.Pid
}

// Close stops the helper and closes this process's descriptors; Sync
// fails with ErrClosed afterwards. How the helper ended does not matter
// once its input is closed: every sync it answered was made.
func (s *Syncer) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	var errs []error
	for i, f := range s.own {
		if f != nil {
			errs = append(errs, f.Close())
			s.own[i] = nil
		}
	}
	if s.cmd != nil {
		s.in.Close()
		_ = s.cmd.Wait() // it ends when its input does
		s.cmd, s.in, s.out = nil, nil, nil
	}
	return errors.Join(errs...)
}
