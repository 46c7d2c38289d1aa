package lowprio_test

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/firedrill/firedrill/internal/lowprio"
)

func TestProcessors(t *testing.T) {
	procs := runtime.GOMAXPROCS(0)
	t.Cleanup(func() { lowprio.Reset(procs) })
	cpus := runtime.NumCPU()
	added := fmt.Sprintf("GOMAXPROCS=%d: Go's %d and one for the journal's commits of chat messages, on a thread of their own at nice +10", cpus+1, cpus)
	for _, tc := range []struct {
		name  string
		env   string
		start int // GOMAXPROCS before the call
		want  int
		added bool
		line  string
	}{
		{name: "one processor more than Go's default", start: cpus, want: cpus + 1, added: true, line: added},
		{name: "GOMAXPROCS in the environment wins", env: "1", start: procs, want: procs, line: fmt.Sprintf("GOMAXPROCS=%d (set in the environment); the journal commits at the process's priority", procs)},
		{name: "under a CPU limit none is added", start: 1, want: 1, line: fmt.Sprintf("GOMAXPROCS=1 (Go's default: a CPU limit of 1 of the machine's %d); the journal commits at the process's priority", runtime.NumCPU())},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.added && !lowprio.Supported {
				t.Skip("threads have priorities of their own on Linux only")
			}
			if tc.start == 1 && runtime.NumCPU() == 1 {
				t.Skip("a one-CPU machine has no CPU limit below its CPUs")
			}
			lowprio.Reset(tc.start)
			getenv := func(k string) string {
				if k == "GOMAXPROCS" {
					return tc.env
				}
				return ""
			}
			s := lowprio.Processors(getenv)
			if s.Procs != tc.want || runtime.GOMAXPROCS(0) != tc.want || s.Added != tc.added || s.Default != tc.start {
				t.Errorf("Processors: %+v, GOMAXPROCS %d; want %d processors (default %d), added %v", s, runtime.GOMAXPROCS(0), tc.want, tc.start, tc.added)
			}
			if s.String() != tc.line {
				t.Errorf("String: %q, want %q", s.String(), tc.line)
			}
			if again := lowprio.Processors(getenv); again != s || runtime.GOMAXPROCS(0) != tc.want {
				t.Errorf("a second call gave %+v and GOMAXPROCS %d: it must change nothing", again, runtime.GOMAXPROCS(0))
			}
		})
	}
}
