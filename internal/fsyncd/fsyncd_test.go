package fsyncd_test

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	testingclock "k8s.io/utils/clock/testing"

	"github.com/firedrill/firedrill/internal/fsyncd"
)

// files writes n files in a temporary directory and returns their paths.
func files(t *testing.T, n int) []string {
	t.Helper()
	dir := t.TempDir()
	var paths []string
	for i := 0; i < n; i++ {
		p := filepath.Join(dir, "f"+string(rune('a'+i)))
		if err := os.WriteFile(p, []byte("journal"), 0o600); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	return paths
}

// helperRunning reports whether pid is a live helper: a process whose
// command line is this test binary's with the synced files.
func helperRunning(pid int, path string) bool {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cmdline"))
	return err == nil && strings.Contains(string(b), path)
}

func TestSyncer(t *testing.T) {
	t.Run("no helper runs before the first sync, and one serves every sync after it", func(t *testing.T) {
		paths := files(t, 2)
		s, err := fsyncd.New(paths...)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if s.Pid() != 0 || s.Starts() != 0 {
			t.Fatalf("a helper runs before any sync: pid %d, %d started", s.Pid(), s.Starts())
		}
		for i := 0; i < 50; i++ {
			if err := s.Sync(i % 2); err != nil {
				t.Fatalf("sync %d: %v", i, err)
			}
		}
		if pid := s.Pid(); pid == 0 || pid == os.Getpid() || !helperRunning(pid, paths[0]) {
			t.Fatalf("no helper process syncs the files (pid %d, this process %d)", pid, os.Getpid())
		}
		if s.Starts() != 1 {
			t.Fatalf("%d helpers started for 50 syncs, want 1", s.Starts())
		}
	})
	t.Run("a killed helper's sync is made here, and a new helper starts after a pause", func(t *testing.T) {
		paths := files(t, 1)
		s, _ := fsyncd.New(paths...)
		defer s.Close()
		if err := s.Sync(0); err != nil {
			t.Fatal(err)
		}
		old := s.Pid()
		if err := syscall.Kill(old, syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		if err := s.Sync(0); err != nil {
			t.Fatalf("the sync after the helper died failed: %v", err)
		}
		for i := 0; i < fsyncd.HelperPause; i++ {
			if err := s.Sync(0); err != nil {
				t.Fatal(err)
			}
			if s.Pid() != 0 {
				t.Fatalf("a helper started %d syncs after the last one died, want %d", i+1, fsyncd.HelperPause)
			}
		}
		if err := s.Sync(0); err != nil {
			t.Fatal(err)
		}
		if pid := s.Pid(); pid == 0 || pid == old || s.Starts() != 2 {
			t.Fatalf("helper pid %d (old %d), %d started; want a second helper", pid, old, s.Starts())
		}
	})
	t.Run("the helper runs in a process group of its own, out of reach of the server's terminal", func(t *testing.T) {
		s, _ := fsyncd.New(files(t, 1)...)
		defer s.Close()
		if err := s.Sync(0); err != nil {
			t.Fatal(err)
		}
		pid := s.Pid()
		pgid, err := syscall.Getpgid(pid)
		if err != nil {
			t.Fatal(err)
		}
		if pgid != pid || pgid == syscall.Getpgrp() {
			t.Fatalf("the helper %d is in process group %d (this process's: %d), want its own", pid, pgid, syscall.Getpgrp())
		}
	})
	t.Run("a helper that died is no error of close", func(t *testing.T) {
		s, _ := fsyncd.New(files(t, 1)...)
		if err := s.Sync(0); err != nil {
			t.Fatal(err)
		}
		if err := syscall.Kill(s.Pid(), syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatalf("close after the helper was killed: %v", err)
		}
	})
	t.Run("a file replaced between syncs is synced, not refused", func(t *testing.T) {
		paths := files(t, 1)
		s, _ := fsyncd.New(paths...)
		defer s.Close()
		if err := s.Sync(0); err != nil {
			t.Fatal(err)
		}
		if err := os.Remove(paths[0]); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(paths[0], []byte("a new log"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := s.Sync(0); err != nil {
			t.Fatalf("sync of the replaced file: %v", err)
		}
	})
	t.Run("a file that cannot be synced is an error that names it", func(t *testing.T) {
		paths := files(t, 1)
		s, _ := fsyncd.New(paths...)
		defer s.Close()
		if err := os.Remove(paths[0]); err != nil {
			t.Fatal(err)
		}
		err := s.Sync(0)
		if err == nil || !strings.Contains(err.Error(), paths[0]) || !errors.Is(err, os.ErrNotExist) && !strings.Contains(err.Error(), "no such file") {
			t.Fatalf("sync of a removed file answered %v", err)
		}
		if s.Pid() == 0 {
			t.Fatal("the helper was stopped by a failed sync; only a broken helper should be")
		}
	})
	t.Run("after a failed sync every later sync fails, even once the file is back", func(t *testing.T) {
		paths := files(t, 2)
		s, _ := fsyncd.New(paths...)
		defer s.Close()
		if err := os.Rename(paths[0], paths[0]+".gone"); err != nil {
			t.Fatal(err)
		}
		first := s.Sync(0)
		if first == nil {
			t.Fatal("the sync of a missing file succeeded")
		}
		if err := os.Rename(paths[0]+".gone", paths[0]); err != nil {
			t.Fatal(err)
		}
		for i := range paths {
			if err := s.Sync(i); err == nil || err.Error() != first.Error() {
				t.Fatalf("sync of file %d after the failure answered %v, want %v", i, err, first)
			}
		}
	})
	t.Run("an index out of range is refused", func(t *testing.T) {
		s, _ := fsyncd.New(files(t, 1)...)
		defer s.Close()
		if err := s.Sync(1); err == nil {
			t.Fatal("sync of file 1 of 1 succeeded")
		}
	})
	t.Run("close stops the helper and later syncs are refused", func(t *testing.T) {
		paths := files(t, 1)
		s, _ := fsyncd.New(paths...)
		if err := s.Sync(0); err != nil {
			t.Fatal(err)
		}
		pid := s.Pid()
		if err := s.Close(); err != nil {
			t.Fatalf("close: %v", err)
		}
		if err := s.Sync(0); !errors.Is(err, fsyncd.ErrClosed) {
			t.Fatalf("sync after close answered %v", err)
		}
		// Close waited for the helper: it is gone, not a zombie.
		if helperRunning(pid, paths[0]) {
			t.Fatalf("helper %d still runs after close", pid)
		}
	})
	t.Run("an idle helper is stopped, one kept busy is not, and the next sync starts another", func(t *testing.T) {
		const idle = 30 * time.Second
		fc := testingclock.NewFakeClock(time.Unix(0, 0))
		s, _ := fsyncd.New(files(t, 1)...)
		s.IdleStop, s.Clock = idle, fc
		defer s.Close()
		sync := func() {
			t.Helper()
			if err := s.Sync(0); err != nil {
				t.Fatal(err)
			}
		}
		// watched waits until the idle watch waits on the clock again.
		watched := func() {
			t.Helper()
			for start := time.Now(); !fc.HasWaiters(); time.Sleep(time.Millisecond) {
				if time.Since(start) > 10*time.Second {
					t.Fatal("the idle watch never waits")
				}
			}
		}
		sync()
		pid := s.Pid()
		watched()
		fc.Step(idle / 2)
		sync()
		fc.Step(idle / 2)
		watched() // it looked, saw the sync, and waits again
		if s.Pid() != pid {
			t.Fatalf("a helper that synced %s ago was stopped", idle/2)
		}
		fc.Step(idle)
		for start := time.Now(); s.Pid() != 0; time.Sleep(time.Millisecond) {
			if time.Since(start) > 10*time.Second {
				t.Fatalf("a helper idle for %s still runs", idle)
			}
		}
		if helperRunning(pid, s.Paths()[0]) {
			t.Fatal("the idle helper's process still runs")
		}
		sync()
		if s.Pid() == 0 || s.Starts() != 2 {
			t.Fatalf("after the idle stop a sync started %d helpers in all (pid %d), want 2", s.Starts(), s.Pid())
		}
	})
	t.Run("no files is refused", func(t *testing.T) {
		if _, err := fsyncd.New(); err == nil {
			t.Fatal("a syncer of no files was made")
		}
	})
}
