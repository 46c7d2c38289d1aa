package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/utils/clock"

	"github.com/firedrill/firedrill/internal/devcluster"
)

func newClusterCmd(m *Main) *cobra.Command {
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
			if st, err := devcluster.ReadState(dir); err == nil && st.Alive() {
				return fmt.Errorf("a cluster is already running from %s (pid %d); stop it with `firedrill cluster down`", dir, st.PID)
			}
			ctx := cmd.Context()
			c, err := devcluster.Start(ctx, devcluster.Options{WorkDir: dir, Log: m.Stderr, Nodes: nodes, Getenv: m.Getenv})
			if err != nil {
				return err
			}
			stopCluster := func() error {
				return errors.Join(c.Stop(), devcluster.RemoveState(dir))
			}
			if err := devcluster.WriteState(dir, c.State(os.Getpid())); err != nil {
				return errors.Join(err, stopCluster())
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
			st, err := devcluster.ReadState(dir)
			if err != nil {
				return err
			}
			if !st.Alive() {
				_ = devcluster.RemoveState(dir)
				fmt.Fprintf(m.Stdout, "no cluster running (pid %d is gone); removed its stale state\n", st.PID)
				return nil
			}
			if err := syscall.Kill(st.PID, syscall.SIGTERM); err != nil {
				return fmt.Errorf("stop cluster (pid %d): %w", st.PID, err)
			}
			clk := clock.RealClock{}
			deadline := clk.After(60 * time.Second)
			for st.Alive() {
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
			st, err := devcluster.ReadState(dir)
			if err != nil {
				return &ExitError{Code: 3, Err: err}
			}
			if !st.Alive() {
				return &ExitError{Code: 3, Err: fmt.Errorf("cluster not running: pid %d from %s is gone", st.PID, filepath.Join(dir, devcluster.StateFile))}
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), 5*time.Second)
			defer cancel()
			h, err := st.Health(ctx)
			var notReady *devcluster.NotReadyError
			if errors.As(err, &notReady) {
				return &ExitError{Code: 3, Err: err}
			} else if err != nil {
				return err
			}
			fmt.Fprintf(m.Stdout, "cluster is running (pid %d): %s readyz=%s nodes=%d\n  export KUBECONFIG=%s\n  context: %s\n",
				st.PID, st.Server, h.Ready, h.Nodes, st.Kubeconfig, st.Context)
			return nil
		},
	}
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
