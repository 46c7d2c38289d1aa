package main

import (
	"context"
	"fmt"

	"k8s.io/utils/clock"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/control/guard"
	"github.com/firedrill/firedrill/control/seal"
)

// openEngine opens the drill engine on the wall clock over the drill
// database and the plugins, configured from m.Config and logging to
// m.Stderr; it is closed when m is.
func (m *Main) openEngine(ctx context.Context, store control.Store, inj control.Injector) (*control.Engine, error) {
	keys, err := m.recordKeyring()
	if err != nil {
		return nil, err
	}
	// The engine only ever sees sealed revert records: the journal and
	// everything read from it carry ciphertext.
	// The guard (when firedrill runs with ha.namespace) fences every plugin
	// call by the leader Lease and keeps every sealed record in the cluster
	// before it is used.
	g := m.guard
	if m.metrics != nil {
		g.Observer = m.metrics
		store = m.metrics.Store(store)
	}
	e := control.NewEngine(store, guard.Injector(seal.Injector(inj, keys), g), clock.RealClock{})
	e.TimeScale = m.Config.Drill.TimeScale
	e.OnRestart = m.Config.Drill.OnRestart
	e.RevertConcurrency = m.Config.Drill.RevertConcurrency
	e.RevertAttemptTimeout = m.Config.Drill.RevertAttemptTimeout
	e.ProbeConcurrency = m.Config.Drill.ProbeConcurrency
	e.ProbeTimeout = m.Config.Drill.ProbeTimeout
	e.PrepareAhead = control.DefaultPrepareAhead
	e.Logf = func(format string, args ...any) { fmt.Fprintf(m.Stderr, "firedrill: "+format+"\n", args...) }
	if err := e.Open(ctx); err != nil {
		return nil, err
	}
	m.OnClose(e.Close)
	return e, nil
}
