//go:build linux

package host_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/firedrill/firedrill/control/controltest"
)

// procStat is what /proc/<pid>/stat says about a process: its state letter,
// its parent and its start time (which tells a reused pid apart).
type procStat struct {
	state byte
	ppid  int
	start string
}

// readProcStat reads /proc/<pid>/stat; ok is false when there is no such
// process.
func readProcStat(t *testing.T, pid int) (procStat, bool) {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if errors.Is(err, os.ErrNotExist) || errors.Is(err, syscall.ESRCH) { // gone, or going while read
		return procStat{}, false
	}
	if err != nil {
		t.Fatal(err)
	}
	// The command name in parentheses may hold spaces; the fields after
	// it are: state ppid pgrp session tty_nr tpgid flags minflt cminflt
	// majflt cmajflt utime stime cutime cstime priority nice num_threads
	// itrealvalue starttime.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 20 {
		t.Fatalf("/proc/%d/stat: %q", pid, b)
	}
	ppid, err := strconv.Atoi(f[1])
	if err != nil {
		t.Fatalf("/proc/%d/stat: ppid %q", pid, f[1])
	}
	return procStat{state: f[0][0], ppid: ppid, start: f[19]}, true
}

// TestPlugins_ExitWhenTheirHostIsKilled runs a real host process with two
// real plugin processes, one idle (flagfile) and one in the middle of a call
// (sleepy, sleeping for an hour), SIGKILLs the host, and checks that both
// plugin processes exit instead of living on, re-parented, forever. The wait
// is a deadline for the assertion, not a performance target; the time the
// plugins took is logged.
func TestPlugins_ExitWhenTheirHostIsKilled(t *testing.T) {
	cmd := exec.Command(filepath.Join(binDir, "hostproc"), pluginDir(t, "flagfile", "sleepy"))
	stderr := &controltest.SyncBuffer{}
	cmd.Stderr = stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})

	// The host prints "<plugin> <pid>" for each plugin, then "ready" once
	// sleepy's call is in flight.
	pids := map[string]int{}
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	startup := time.NewTimer(2 * time.Minute)
	defer startup.Stop()
wait:
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				cmd.Wait()
				t.Fatalf("host exited before it was ready: %v; stderr:\n%s", cmd.ProcessState, stderr)
			}
			if line == "ready" {
				break wait
			}
			name, pid, _ := strings.Cut(line, " ")
			n, err := strconv.Atoi(pid)
			if err != nil {
				t.Fatalf("host printed %q, want <plugin> <pid>", line)
			}
			pids[name] = n
		case <-startup.C:
			t.Fatalf("host not ready after 2 minutes; stderr:\n%s", stderr)
		}
	}
	if len(pids) != 2 {
		t.Fatalf("plugin processes: %v, want flagfile and sleepy", pids)
	}
	started := map[string]procStat{}
	for name, pid := range pids {
		st, ok := readProcStat(t, pid)
		if !ok || st.ppid != cmd.Process.Pid {
			t.Fatalf("plugin %s: pid %d is not a running child of the host %d: %+v", name, pid, cmd.Process.Pid, st)
		}
		started[name] = st
	}
	// running says whether the plugin's process (not a later one with the
	// same pid) still runs; a zombie has exited.
	running := func(name string) (procStat, bool) {
		st, ok := readProcStat(t, pids[name])
		return st, ok && st.start == started[name].start && st.state != 'Z'
	}
	// A plugin left running when the test fails is killed, so that a
	// failing run leaves no orphans behind either.
	t.Cleanup(func() {
		for name, pid := range pids {
			if _, ok := running(name); ok {
				syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	})

	killed := time.Now()
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()

	deadline := killed.Add(30 * time.Second)
	for {
		var left []string
		for name := range pids {
			if st, ok := running(name); ok {
				left = append(left, fmt.Sprintf("%s (pid %d, parent now %d, state %c)", name, pids[name], st.ppid, st.state))
			}
		}
		if len(left) == 0 {
			t.Logf("both plugin processes exited within %s of the host's SIGKILL", time.Since(killed).Round(100*time.Microsecond))
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("30s after the host was SIGKILLed, its plugins still run: %s", strings.Join(left, ", "))
		}
		time.Sleep(20 * time.Millisecond)
	}
}
