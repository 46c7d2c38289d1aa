//go:build !linux

package lowprio

// Supported is set where a thread's priority can be set alone.
const Supported = false

// lower does nothing where a thread's priority cannot be set alone.
func lower(int) error { return nil }

// Threads returns nil: threads have no priorities of their own here.
func Threads() (map[int]int, error) { return nil, nil }

// ProcessNice returns 0: processes' priorities are not read here.
func ProcessNice(int) (int, error) { return 0, nil }
