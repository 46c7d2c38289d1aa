package main

import (
	"context"
	"time"
)

// StopGraceOf runs the command line args and returns the grace the command
// got for stopping after SIGINT or SIGTERM (see stopOnSignal).
func StopGraceOf(args ...string) time.Duration {
	m := NewMain()
	m.Stdout, m.Stderr = discard{}, discard{}
	m.Getenv = func(string) string { return "" }
	_ = m.Run(context.Background(), args)
	_ = m.Close()
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.stopGrace == 0 {
		return stopGrace
	}
	return m.stopGrace
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
