package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/utils/clock"

	"github.com/firedrill/firedrill/internal/devcluster"
)

// clusterState is what a running `firedrill cluster up` writes into its work
// directory so that `cluster status` and `cluster down` can find it.
type clusterState struct {
	PID        int    `json:"pid"`
	Kubeconfig string `json:"kubeconfig"`
	Context    string `json:"context"`
	Server     string `json:"server"`
}

const clusterStateFile = "state.json"

func init() {
	registerCommand(func(m *Main) *cobra.Command {
		cmd := &cobra.Command{
			Use:   "cluster",
			Short: "Run a local Kubernetes control plane (etcd, apiserver, controllers, scheduler, kwok fake nodes) for demos and tests",
			Long: `cluster runs a real Kubernetes control plane on loopback ports, without Docker:
etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok, whose
fake nodes run pods without containers. The binaries are built from the Go
module proxy on first use (about 15 minutes on 2 cores) into
$XDG_CACHE_HOME/firedrill/k8s-` + devcluster.KubernetesVersion + `/bin and reused afterwards.

Its kubeconfig has the single context "firedrill-dev"; allow it with
kubernetes.allowedContexts.`,
		}
		var workDir string
		cmd.PersistentFlags().StringVar(&workDir, "work-dir", "", "directory for the cluster's state, kubeconfig and logs (default $XDG_CACHE_HOME/firedrill/devcluster)")
		resolveWorkDir := func() (string, error) {
			if workDir != "" {
				return workDir, nil
			}
			cache, err := devcluster.DefaultCacheDir(m.Getenv)
			if err != nil {
				return "", err
			}
			return filepath.Join(filepath.Dir(cache), "devcluster"), nil
		}
		cmd.AddCommand(clusterBuildCommand(m), clusterUpCommand(m, resolveWorkDir), clusterDownCommand(m, resolveWorkDir), clusterStatusCommand(m, resolveWorkDir))
		return cmd
	})
}

func clusterUpCommand(m *Main, workDir func() (string, error)) *cobra.Command {
	var nodes int
	cmd := &cobra.Command{
		Use:   "up",
		Short: "Start the local cluster and keep it running until interrupted (Ctrl-C stops it)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			dir, err := workDir()
			if err != nil {
				return err
			}
			if st, err := readClusterState(dir); err == nil && processAlive(st.PID) {
				return fmt.Errorf("a cluster is already running from %s (pid %d); stop it with `firedrill cluster down`", dir, st.PID)
			}
			ctx := cmd.Context()
			c, err := devcluster.Start(ctx, devcluster.Options{WorkDir: dir, Log: m.Stderr, Nodes: nodes, Getenv: m.Getenv})
			if err != nil {
				return err
			}
			st := clusterState{PID: os.Getpid(), Kubeconfig: c.Kubeconfig(), Context: devcluster.ContextName, Server: c.Server()}
			statePath := filepath.Join(dir, clusterStateFile)
			stopCluster := func() error {
				err := c.Stop()
				if rmErr := os.Remove(statePath); rmErr != nil && !errors.Is(rmErr, os.ErrNotExist) {
					err = errors.Join(err, rmErr)
				}
				return err
			}
			b, _ := json.MarshalIndent(st, "", "  ")
			if err := os.WriteFile(statePath, b, 0o600); err != nil {
				return errors.Join(fmt.Errorf("write cluster state: %w", err), stopCluster())
			}
			fmt.Fprintf(m.Stdout, "cluster is up: %s\n  export KUBECONFIG=%s\n  context: %s (add it to kubernetes.allowedContexts)\n  logs: %s\nPress Ctrl-C to stop it.\n",
				c.Server(), c.Kubeconfig(), devcluster.ContextName, filepath.Join(dir, "logs"))
			<-ctx.Done()
			fmt.Fprintln(m.Stdout, "stopping the cluster")
			return stopCluster()
		},
	}
	cmd.Flags().IntVar(&nodes, "nodes", 2, "number of fake (kwok) nodes")
	return cmd
}

func clusterDownCommand(m *Main, workDir func() (string, error)) *cobra.Command {
	return &cobra.Command{
		Use:   "down",
		Short: "Stop the cluster started by `firedrill cluster up`",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			dir, err := workDir()
			if err != nil {
				return err
			}
			st, err := readClusterState(dir)
			if err != nil {
				return err
			}
			if !processAlive(st.PID) {
				_ = os.Remove(filepath.Join(dir, clusterStateFile))
				fmt.Fprintf(m.Stdout, "no cluster running (pid %d is gone); removed its stale state\n", st.PID)
				return nil
			}
			if err := syscall.Kill(st.PID, syscall.SIGTERM); err != nil {
				return fmt.Errorf("stop cluster (pid %d): %w", st.PID, err)
			}
			clk := clock.RealClock{}
			deadline := clk.After(60 * time.Second)
			for processAlive(st.PID) {
				select {
				case <-cmd.Context().Done():
					return cmd.Context().Err()
				case <-deadline:
					return fmt.Errorf("cluster (pid %d) still running 60s after SIGTERM", st.PID)
				case <-clk.After(100 * time.Millisecond):
				}
			}
			fmt.Fprintln(m.Stdout, "cluster stopped")
			return nil
		},
	}
}

func clusterStatusCommand(m *Main, workDir func() (string, error)) *cobra.Command {
	return &cobra.Command{
		Use:   "status",
		Short: "Say whether the local cluster is running and ready",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			dir, err := workDir()
			if err != nil {
				return err
			}
			st, err := readClusterState(dir)
			if err != nil {
				return &ExitError{Code: 3, Err: err}
			}
			if !processAlive(st.PID) {
				return &ExitError{Code: 3, Err: fmt.Errorf("cluster not running: pid %d from %s is gone", st.PID, filepath.Join(dir, clusterStateFile))}
			}
			cs, err := clusterClient(st)
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), 5*time.Second)
			defer cancel()
			body, err := cs.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
			if err != nil {
				return &ExitError{Code: 3, Err: fmt.Errorf("cluster at %s is not ready: %w", st.Server, err)}
			}
			nodes, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
			if err != nil {
				return fmt.Errorf("list nodes: %w", err)
			}
			fmt.Fprintf(m.Stdout, "cluster is running (pid %d): %s readyz=%s nodes=%d\n  export KUBECONFIG=%s\n  context: %s\n",
				st.PID, st.Server, body, len(nodes.Items), st.Kubeconfig, st.Context)
			return nil
		},
	}
}

func readClusterState(dir string) (clusterState, error) {
	p := filepath.Join(dir, clusterStateFile)
	b, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		return clusterState{}, fmt.Errorf("no cluster running: %s does not exist (start one with `firedrill cluster up`)", p)
	} else if err != nil {
		return clusterState{}, err
	}
	var st clusterState
	if err := json.Unmarshal(b, &st); err != nil {
		return clusterState{}, fmt.Errorf("%s: %w", p, err)
	}
	if st.PID <= 0 {
		return clusterState{}, fmt.Errorf("%s: pid %d is not a process id", p, st.PID)
	}
	return st, nil
}

func processAlive(pid int) bool {
	return pid > 0 && syscall.Kill(pid, 0) == nil
}

func clusterClient(st clusterState) (kubernetes.Interface, error) {
	rc, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(
		&clientcmd.ClientConfigLoadingRules{ExplicitPath: st.Kubeconfig},
		&clientcmd.ConfigOverrides{CurrentContext: st.Context}).ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("load kubeconfig %s: %w", st.Kubeconfig, err)
	}
	return kubernetes.NewForConfig(rc)
}

// clusterBuildCommand builds the cluster's binaries into the cache without
// starting anything, so that CI and a first-time user see the long build as
// its own step.
func clusterBuildCommand(m *Main) *cobra.Command {
	return &cobra.Command{
		Use:   "build",
		Short: "Build (or check) the cluster's binaries in the cache; nothing is started",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cache, err := devcluster.DefaultCacheDir(m.Getenv)
			if err != nil {
				return err
			}
			if missing := devcluster.Missing(cache); len(missing) > 0 {
				fmt.Fprintf(m.Stderr, "building %v into %s (the first time takes about 15 minutes on 2 cores)\n", missing, devcluster.BinDir(cache))
			}
			if err := devcluster.EnsureBinaries(cmd.Context(), cache, m.Stderr, clock.RealClock{}); err != nil {
				return err
			}
			fmt.Fprintf(m.Stdout, "cluster binaries ready in %s\n", devcluster.BinDir(cache))
			return nil
		},
	}
}
