package lowprio

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// Supported is set where a thread's priority can be set alone.
const Supported = true

// lower raises the calling thread's nice value by nice: on Linux,
// setpriority with a thread's id sets that thread's alone.
func lower(nice int) error {
	tid := syscall.Gettid()
	// The system call answers 20 minus the nice value (1 to 40), which
	// syscall.Getpriority passes on as it is.
	raw, err := syscall.Getpriority(syscall.PRIO_PROCESS, tid)
	if err != nil {
		return fmt.Errorf("lower thread %d: read its priority: %w", tid, err)
	}
	to := min(20-raw+nice, 19)
	if err := syscall.Setpriority(syscall.PRIO_PROCESS, tid, to); err != nil {
		return fmt.Errorf("lower thread %d to nice %d: %w", tid, to, err)
	}
	return nil
}

// Threads returns the nice value of each of the process's threads, by
// thread id (field 19 of /proc/self/task/ID/stat); a thread that ends
// while it is read is left out.
func Threads() (map[int]int, error) {
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return nil, fmt.Errorf("threads: %w", err)
	}
	out := make(map[int]int, len(tasks))
	for _, task := range tasks {
		b, err := os.ReadFile(filepath.Join("/proc/self/task", task.Name(), "stat"))
		if err != nil {
			continue // the thread ended meanwhile
		}
		tid, err1 := strconv.Atoi(task.Name())
		nice, err2 := statNice(b)
		if err := errors.Join(err1, err2); err != nil {
			return nil, fmt.Errorf("threads: /proc/self/task/%s/stat: %w", task.Name(), err)
		}
		out[tid] = nice
	}
	return out, nil
}

// ProcessNice returns the nice value of process pid (field 19 of
// /proc/PID/stat).
func ProcessNice(pid int) (int, error) {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return 0, fmt.Errorf("nice of process %d: %w", pid, err)
	}
	n, err := statNice(b)
	if err != nil {
		return 0, fmt.Errorf("nice of process %d: %w", pid, err)
	}
	return n, nil
}

// statNice reads the nice value off a /proc stat file: the 17th field
// after the command name, which may itself hold spaces and parentheses.
func statNice(stat []byte) (int, error) {
	s := string(stat)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(fields) < 17 {
		return 0, fmt.Errorf("%d fields after the name, want at least 17", len(fields))
	}
	return strconv.Atoi(fields[16])
}
