package devcluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

// StateFile is the name of the file, in a cluster's work directory, in which
// a running `firedrill cluster up` says where its cluster is.
const StateFile = "state.json"

// State is what a running `firedrill cluster up` writes into its work
// directory so that `cluster status` and `cluster down`, run as other
// processes, can find the cluster.
type State struct {
	// PID is the process that runs the cluster.
	PID        int    `json:"pid"`
	Kubeconfig string `json:"kubeconfig"`
	Context    string `json:"context"`
	Server     string `json:"server"`
}

// State returns the state to write for c, run by process pid.
func (c *Cluster) State(pid int) State {
	return State{PID: pid, Kubeconfig: c.Kubeconfig(), Context: ContextName, Server: c.Server()}
}

// WriteState writes st into dir's StateFile, readable by its owner only.
func WriteState(dir string, st State) error {
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("encode cluster state: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, StateFile), b, 0o600); err != nil {
		return fmt.Errorf("write cluster state: %w", err)
	}
	return nil
}

// RemoveState removes dir's StateFile; a missing file is not an error.
func RemoveState(dir string) error {
	if err := os.Remove(filepath.Join(dir, StateFile)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// ReadState reads dir's StateFile. A missing file says that no cluster runs
// from dir and how to start one.
func ReadState(dir string) (State, error) {
	p := filepath.Join(dir, StateFile)
	b, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		return State{}, fmt.Errorf("no cluster running: %s does not exist (start one with `firedrill cluster up`)", p)
	} else if err != nil {
		return State{}, err
	}
	var st State
	if err := json.Unmarshal(b, &st); err != nil {
		return State{}, fmt.Errorf("%s: %w", p, err)
	}
	if st.PID <= 0 {
		return State{}, fmt.Errorf("%s: pid %d is not a process id", p, st.PID)
	}
	return st, nil
}

// Alive reports whether the process that runs the cluster is still there.
func (st State) Alive() bool {
	return st.PID > 0 && syscall.Kill(st.PID, 0) == nil
}

// Health is what a running cluster answers about itself.
type Health struct {
	// Ready is the API server's answer to /readyz ("ok").
	Ready string
	// Nodes is the number of nodes.
	Nodes int
}

// NotReadyError says that the API server of a cluster did not answer its
// readiness check.
type NotReadyError struct {
	Server string
	Err    error
}

// Error implements the error interface.
func (e *NotReadyError) Error() string {
	return fmt.Sprintf("cluster at %s is not ready: %v", e.Server, e.Err)
}

// Unwrap returns the cause.
func (e *NotReadyError) Unwrap() error { return e.Err }

// Health asks the cluster st names whether its API server is ready and how
// many nodes it has. An API server that does not answer /readyz is a
// *NotReadyError.
func (st State) Health(ctx context.Context) (Health, error) {
	rc, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(
		&clientcmd.ClientConfigLoadingRules{ExplicitPath: st.Kubeconfig},
		&clientcmd.ConfigOverrides{CurrentContext: st.Context}).ClientConfig()
	if err != nil {
		return Health{}, fmt.Errorf("load kubeconfig %s: %w", st.Kubeconfig, err)
	}
	cs, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return Health{}, err
	}
	body, err := cs.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
	if err != nil {
		return Health{}, &NotReadyError{Server: st.Server, Err: err}
	}
	nodes, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return Health{}, fmt.Errorf("list nodes: %w", err)
	}
	return Health{Ready: string(body), Nodes: len(nodes.Items)}, nil
}
