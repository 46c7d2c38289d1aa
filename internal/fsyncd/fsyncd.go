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
// environment variable that the init function of package child looks for:
// any binary that links this package can be its own helper, tests
// included, and the helper runs none of the binary's other work, nor most
// of its packages' initialization (see child). It dies with its parent,
// and it is started on the first sync, not before, so a server with
// nothing to journal runs no helper. When the helper cannot run, the syncs
// are made in this process.
package fsyncd

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"k8s.io/utils/clock"

	"github.com/firedrill/firedrill/internal/fsyncd/child"
)

// helperPause is how many syncs after a helper failed (it could not be
// started, or it died) are made in this process before another helper is
// started: a helper that keeps failing costs one start per that many
// syncs, not one per sync.
const helperPause = 256

// Syncer syncs a fixed list of files from a helper process. Its methods
// may be called from several goroutines; syncs run one at a time.
type Syncer struct {
	// IdleStop is how long the helper may go without a sync before it is
	// stopped, its memory given back; the next Sync starts another. Zero
	// never stops it. Set it, and Clock, before the first Sync.
	IdleStop time.Duration
	// Clock times IdleStop; nil is the real clock.
	Clock clock.Clock

	paths []string
	mu    sync.Mutex
	// cmd, in and out are the running helper; nil until the first sync,
	// and after the helper failed.
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Reader
	// starts counts the helpers started, syncs the syncs they made.
	starts, syncs int
	// idle is closed when the running helper ends, for its idle watch.
	idle chan struct{}
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
	s.syncs++
	if broken != nil {
		// The helper is broken: whether it synced is unknown, so the
		// file is synced here.
		s.end(true)
		s.pause = helperPause
		return s.inProcess(i)
	}
	return synced
}

// inProcess syncs file i in this process.
func (s *Syncer) inProcess(i int) error {
	if err := child.SyncKept(&s.own[i], s.paths[i]); err != nil {
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
	cmd.Env = []string{child.Env + "=1", "GOMAXPROCS=1"}
	// Its own process group, so that a Ctrl-C in the server's terminal
	// does not reach it; it dies with the server. A signal sent to it
	// alone (a service manager's stop) may end it: the sync in flight is
	// then made in this process.
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
	// Started from a goroutine of its own, never locked to a thread: a
	// caller may run on a thread whose priority was lowered
	// (internal/lowprio), which a child would inherit, and whose end
	// would send the child its Pdeathsig. (The runtime may still later
	// hand the unlocked thread that started it to a goroutine that locks
	// it and returns, which ends the thread and the helper with it: the
	// syncs then run in this process for a while, see Sync, and a new
	// helper starts after that.)
	started := make(chan error, 1)
	go func() { started <- cmd.Start() }()
	if err := <-started; err != nil {
		return err
	}
	s.cmd, s.in, s.out = cmd, in, bufio.NewReader(out)
	s.starts++
	hello := make([]byte, len(child.Hello))
	if _, err := io.ReadFull(s.out, hello); err != nil || string(hello) != child.Hello {
		// Not the helper, or something printed before it took over.
		s.end(true)
		return fmt.Errorf("fsyncd: the helper greeted %q (%v)", hello, err)
	}
	if s.IdleStop > 0 {
		s.idle = make(chan struct{})
		go s.watchIdle(s.idle)
	}
	return nil
}

// watchIdle ends the helper when IdleStop passes without a sync; done is
// closed when the helper ends otherwise.
func (s *Syncer) watchIdle(done chan struct{}) {
	var c clock.Clock = clock.RealClock{}
	if s.Clock != nil {
		c = s.Clock
	}
	s.mu.Lock()
	seen := s.syncs
	s.mu.Unlock()
	t := c.NewTimer(s.IdleStop)
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case <-t.C():
		}
		s.mu.Lock()
		if s.idle != done { // it ended meanwhile
			s.mu.Unlock()
			return
		}
		if s.syncs == seen {
			s.end(false)
			s.mu.Unlock()
			return
		}
		seen = s.syncs
		s.mu.Unlock()
		t.Reset(s.IdleStop)
	}
}

// end ends the helper and waits for it: killed when it is broken,
// otherwise by the end of its input, after which it has nothing left to
// do. How it ended does not matter: every sync it answered was made.
func (s *Syncer) end(kill bool) {
	if s.cmd == nil {
		return
	}
	s.in.Close()
	if kill {
		_ = s.cmd.Process.Kill()
	}
	_ = s.cmd.Wait()
	s.cmd, s.in, s.out = nil, nil, nil
	if s.idle != nil {
		close(s.idle)
		s.idle = nil
	}
}

// Failed returns the error of the sync that failed, which every later Sync
// answers too (see Sync), or nil.
func (s *Syncer) Failed() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.failed
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
// fails with ErrClosed afterwards.
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
	s.end(false)
	return errors.Join(errs...)
}
