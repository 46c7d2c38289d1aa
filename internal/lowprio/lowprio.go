// Package lowprio keeps the server's background work off its chat's way:
// the SQLite journal commits chat messages the drill room already streamed
// on an operating-system thread of its own with a lower scheduling
// priority (a higher nice value), and its checkpointer runs on another
// (see control/sqlite's DB.LowPriority), while the Go runtime gets one
// processor more than it would by default, for them.
//
// On the project's 2-core machine the drill room spent about 1.5 times the
// CPU of a bare WebSocket hub per chat message, a third of it in the
// journal's SQLite commits, and while a commit ran other drills' messages
// waited for a processor to be written to their sockets. The Go scheduler
// has no priorities; the kernel's has. With a third processor
// (GOMAXPROCS) the commits' thread can run without the room's goroutines
// losing one of their two, and with its nice value raised the kernel runs
// the room's threads first and the commits mostly when a core is idle (a
// nice +10 thread still gets about a tenth of a busy core). In A/B runs of
// ui.BenchmarkFanout at 50 drills (session 17) the room's p99 was
// 1.3-1.8x the bare hub's before, 1.4-1.5x with the processor alone, and
// 0.8-0.9x with both. Only groups nobody but their senders waits for are
// lowered: a group somebody hurried, and the kill switch's entries, revert
// records and every other write, commit at the process's priority (see
// control/sqlite's DB.LowPriority for what can still wait on a lowered
// commit).
//
// Only on Linux, which sets a thread's priority alone; and only when Go's
// default is all the machine's CPUs: under a container's CPU limit (which
// Go's default follows) a processor more would have the container
// throttled.
package lowprio

import (
	"fmt"
	"runtime"
	"sync"
)

// Nice is how much higher than the process's the nice value of a thread
// lowered with Lower is.
const Nice = 10

// Lower locks the calling goroutine to its operating-system thread for
// good and raises that thread's nice value by nice (up to 19, the lowest
// priority), on Linux; elsewhere (Supported is false) it does nothing.
// The goroutine must not unlock the thread: when it returns, the runtime
// ends the thread with it (or parks it for good, the process's main
// thread), so that no other goroutine ever runs at the lowered priority.
// Threads the runtime starts later are not lowered with it: a locked
// thread has the runtime's template thread start them (see
// runtime.LockOSThread); a process the goroutine starts would be, so it
// must start them from another goroutine. An error says the system
// refused (the thread stays locked, at its priority).
func Lower(nice int) error {
	if !Supported {
		return nil
	}
	runtime.LockOSThread()
	return lower(nice)
}

// Settings are the processors Processors gave the Go runtime.
type Settings struct {
	// Procs is GOMAXPROCS.
	Procs int
	// Default is what Go chose by itself: the CPUs the process may use,
	// or its container's CPU limit.
	Default int
	// Added is set when Procs is Default plus one, for a lowered thread:
	// the journal may commit on one (control/sqlite's DB.LowPriority).
	Added bool
	// Why says why not, when Added is not set.
	Why string
}

// String says what the runtime runs on, for the server's start-up line.
func (s Settings) String() string {
	if s.Added {
		return fmt.Sprintf("GOMAXPROCS=%d: Go's %d and one for the journal's commits of chat messages, on a thread of their own at nice +%d", s.Procs, s.Default, Nice)
	}
	return fmt.Sprintf("GOMAXPROCS=%d (%s); the journal commits at the process's priority", s.Procs, s.Why)
}

var (
	once     sync.Once
	settings Settings
)

// Processors gives the Go runtime one processor more than its default, for
// a lowered thread, once per process, and returns what the process runs
// with. It leaves GOMAXPROCS alone when the environment (getenv) sets it,
// the operator's choice; when Go's default is below the machine's CPUs (a
// container's CPU limit, which a processor more would have throttled);
// where threads have no priorities of their own; and when the system
// refuses to lower one (tried once, on a thread that ends with the try).
func Processors(getenv func(string) string) Settings {
	once.Do(func() {
		n := runtime.GOMAXPROCS(0)
		settings = Settings{Procs: n, Default: n}
		switch {
		case getenv("GOMAXPROCS") != "":
			settings.Why = "set in the environment"
		case n < runtime.NumCPU():
			settings.Why = fmt.Sprintf("Go's default: a CPU limit of %d of the machine's %d", n, runtime.NumCPU())
		case !Supported:
			settings.Why = "Go's default; threads have priorities of their own on Linux only"
		default:
			tried := make(chan error, 1)
			go func() { tried <- Lower(Nice) }()
			if err := <-tried; err != nil {
				settings.Why = fmt.Sprintf("Go's default; the system refused a lower thread priority: %v", err)
				return
			}
			settings.Procs, settings.Added = n+1, true
			runtime.GOMAXPROCS(settings.Procs)
		}
	})
	return settings
}
