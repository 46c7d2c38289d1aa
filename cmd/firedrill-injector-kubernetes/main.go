// Command firedrill-injector-kubernetes is firedrill's built-in Kubernetes
// injector plugin (injectors/kubernetes) as an executable of its own. It is
// installed beside the firedrill binary, which launches it as a plugin
// process (go-plugin, gRPC) and passes the resolved kubernetes.* settings of
// its configuration as flags; it is not meant to be run by hand. Run as
// `firedrill-injector-kubernetes helper FLAGS`, it answers firedrill's
// questions about the cluster (rehearsal robots, leftovers, doctor) on its
// stdin and stdout instead (injectors/kubernetes/helper).
//
// It is a separate, small executable because a process maps the pages of
// the binary it runs: served by the firedrill binary itself, the plugin
// process carried the drill room, the stores and every Kubernetes API group
// it never uses (issue 13: idle memory of serve + plugin).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"runtime/debug"

	"github.com/firedrill/firedrill/injectors/grpcplugin"
	"github.com/firedrill/firedrill/injectors/kubernetes"
	"github.com/firedrill/firedrill/injectors/kubernetes/helper"
	"github.com/firedrill/firedrill/injectors/kubernetes/pluginargs"
)

func main() {
	args, asHelper := os.Args[1:], len(os.Args) > 1 && os.Args[1] == helper.Subcommand
	if asHelper {
		args = args[1:]
	}
	s, err := pluginargs.Parse("firedrill-injector-kubernetes", args, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "firedrill-injector-kubernetes:", err)
		os.Exit(2)
	}
	cfg := kubernetes.Config{
		Kubeconfig: s.Kubeconfig, Context: s.Context,
		AllowedContexts: s.AllowedContexts, ProtectedNamespaces: s.ProtectedNamespaces,
		ServiceURLs: s.ServiceURLs, HideMarks: s.HideMarks,
		RevertQPS: float32(s.RevertQPS), RevertBurst: s.RevertBurst, RequestTimeout: s.RequestTimeout,
	}
	if asHelper {
		// firedrill's rehearsal robots, leftover scan and doctor ask the
		// cluster through this process (injectors/kubernetes/helper).
		if err := kubernetes.ServeHelper(context.Background(), cfg, os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "firedrill-injector-kubernetes helper:", err)
			os.Exit(1)
		}
		return
	}
	in, err := kubernetes.New(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "firedrill-injector-kubernetes:", err)
		os.Exit(1)
	}
	// Start-up garbage (kubeconfig parsing, schemes) goes back to the
	// system now rather than at the scavenger's pace: the process idles.
	debug.FreeOSMemory()
	grpcplugin.Serve(in)
}
