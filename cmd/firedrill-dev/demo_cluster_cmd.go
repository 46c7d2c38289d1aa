package main

import (
	"fmt"
	"os"
	"os/signal"

	"github.com/spf13/cobra"
	"k8s.io/utils/clock"

	"github.com/firedrill/firedrill/internal/demo"
	"github.com/firedrill/firedrill/internal/demo/democluster"
	"github.com/firedrill/firedrill/internal/devcluster"
)

// newDemoClusterCmd is the demo's cluster, run by `firedrill demo` with the
// protocol of internal/demo (host.go): messages on file descriptor 3,
// requests on stdin, stop at the end of stdin.
func newDemoClusterCmd(m *Main) *cobra.Command {
	var dir string
	var buildKubectl bool
	cmd := &cobra.Command{
		Use:    demo.HostCommand,
		Short:  "The demo's local cluster and sample shop, for `firedrill demo` (not for direct use)",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			msgs := os.NewFile(3, "messages")
			if _, err := msgs.Stat(); err != nil {
				return fmt.Errorf("%s is run by `firedrill demo`: it needs the demo's message pipe as file descriptor 3", demo.HostCommand)
			}
			defer msgs.Close()
			// Ctrl-C is the demo's: it aborts its drills first, then closes
			// this command's stdin.
			signal.Ignore(os.Interrupt)
			cache, err := devcluster.DefaultCacheDir(m.Getenv)
			if err != nil {
				return err
			}
			env := democluster.Env{Dir: dir, Cache: cache, Getenv: m.Getenv, Out: m.Stdout, Err: m.Stderr, Clock: clock.RealClock{}}
			return democluster.Serve(cmd.Context(), env, buildKubectl, m.Stdin, msgs)
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "", "the demo's data directory (the cluster's state and logs go to its cluster/)")
	cmd.Flags().BoolVar(&buildKubectl, "build-kubectl", true, "build kubectl into the cache in the background when it is not on PATH")
	_ = cmd.MarkFlagRequired("dir")
	return cmd
}
