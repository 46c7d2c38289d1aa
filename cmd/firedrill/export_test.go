package main

import (
	"context"
	"time"

	"github.com/firedrill/firedrill/control/rehearse"
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

// RehearseOutcome is the exit of firedrill rehearse for its reports.
func RehearseOutcome(reports []*rehearse.Report, settleTimeout time.Duration) error {
	return rehearseOutcome(reports, settleTimeout)
}

// WriteReports writes rehearsal reports as -o json does.
var WriteReports = writeReports
