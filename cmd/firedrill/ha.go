package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/firedrill/firedrill/control/guard"
	"github.com/firedrill/firedrill/internal/ha"
	"github.com/firedrill/firedrill/internal/kubeconn"
)

// clusterState is firedrill's own state in the cluster (ha.namespace): the
// Lease it is elected and fenced by, and the book of revert records.
type clusterState struct {
	lease   string
	book    *ha.SecretBook
	elector *ha.Elector
}

// haClient connects to the cluster of the configured, allowed context; nil
// without ha.namespace.
func (m *Main) haClient() (k8sClient, error) {
	k := m.Config.Kubernetes
	c, err := kubeconn.Open(kubeconn.Config{Kubeconfig: k.Kubeconfig, Context: k.Context, AllowedContexts: k.AllowedContexts, UserAgent: "firedrill-ha"})
	if err != nil {
		return nil, err
	}
	return ha.New(c.Host, c.Client) // no client when the context is refused: ha says why
}

// k8sClient is the cluster client internal/ha works with.
type k8sClient = *ha.Client

// openClusterState returns the cluster state of the configuration, nil
// without ha.namespace.
func (m *Main) openClusterState() (*clusterState, error) {
	c := m.Config.HA
	if c.Namespace == "" {
		return nil, nil
	}
	cs, err := m.haClient()
	if err != nil {
		return nil, fmt.Errorf("ha: %w", err)
	}
	id := c.Identity
	if id == "" {
		host, _ := os.Hostname()
		id = fmt.Sprintf("%s-%d", host, os.Getpid())
	}
	st := &clusterState{lease: c.Namespace + "/" + c.Lease}
	st.book = ha.NewSecretBook(cs, c.Namespace, st.lease)
	st.elector, err = ha.NewElector(ha.ElectorConfig{
		Client: cs, Namespace: c.Namespace, Name: c.Lease, Identity: id,
		LeaseDuration: c.LeaseDuration, RenewDeadline: c.RenewDeadline, RetryPeriod: c.RetryPeriod,
	})
	if err != nil {
		return nil, err
	}
	return st, nil
}

// guardOptions are the fence and book the engine's injector is wrapped
// with: none without cluster state.
func (st *clusterState) guardOptions() guard.Options {
	if st == nil {
		return guard.Options{}
	}
	return guard.Options{Fence: st.elector.Fence, Book: st.book}
}

// lead takes part in st's election until this process leads, saying so on
// out, and from then on fences every plugin call of m's engine by the
// Lease and keeps its revert records in the cluster. lost is closed when
// this process stops leading (or the election ends when m is closed). led
// is false when ctx ended first.
func (m *Main) lead(ctx context.Context, st *clusterState, out io.Writer) (lost <-chan struct{}, led bool, err error) {
	electCtx, stopElection := context.WithCancel(context.WithoutCancel(ctx))
	lost = st.run(electCtx)
	m.OnClose(func() error { stopElection(); <-lost; return nil })
	fmt.Fprintf(out, "firedrill: replica %s waits to lead (lease %s)\n", st.elector.Identity(), st.lease)
	select {
	case <-st.elector.Started():
	case <-lost:
		return lost, false, fmt.Errorf("leader election ended before this replica led")
	case <-ctx.Done():
		return lost, false, nil
	}
	fmt.Fprintf(out, "firedrill: replica %s leads\n", st.elector.Identity())
	m.guard = st.guardOptions()
	m.elector = st.elector
	return lost, true, nil
}

// run takes part in the election until this replica leads and then until
// it loses the Lease or ctx ends; lost is closed when it returns.
func (st *clusterState) run(ctx context.Context) (lost <-chan struct{}) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		st.elector.Run(ctx)
	}()
	return done
}
