// Package democluster is the heavy half of `firedrill demo`: the local
// Kubernetes cluster, the sample shop and its simulator, kubectl, and the
// check for leftovers. It runs in the firedrill-dev executable, so that the
// firedrill binary that serves the drill room links no Kubernetes client
// (its resident memory is mostly the pages of its own binary). `firedrill
// demo` talks to it over the small protocol in internal/demo (host.go).
package democluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"time"

	"k8s.io/utils/clock"

	"github.com/firedrill/firedrill/internal/demo"
	"github.com/firedrill/firedrill/internal/devcluster"
	"github.com/firedrill/firedrill/internal/shop"
)

// Env is what the demo's start-up steps need from the process.
type Env struct {
	// Dir is the demo's data directory.
	Dir string
	// Cache is the cache of the local cluster's binaries.
	Cache string
	// Getenv looks up environment variables.
	Getenv func(string) string
	// Out receives the steps and what is ready; Err the build progress and
	// problems that do not stop the demo.
	Out, Err io.Writer
	Clock    clock.Clock
}

// Cluster is the demo's local cluster with the sample shop running in it.
type Cluster struct {
	// Kubeconfig is the cluster's kubeconfig file (context
	// devcluster.ContextName).
	Kubeconfig string
	// Logs is the directory of the cluster's logs.
	Logs string
	// ServiceURLs are the shop simulator's URLs by namespace/service.
	ServiceURLs map[string]string

	stop []func() error
}

// Close stops the shop simulator and the cluster.
func (c *Cluster) Close() error {
	var errs []error
	for i := len(c.stop) - 1; i >= 0; i-- {
		errs = append(errs, c.stop[i]())
	}
	return errors.Join(errs...)
}

// StartCluster runs the first three steps of the demo: build (or find) the
// Kubernetes binaries, start the local cluster in Dir/cluster, and deploy
// the sample shop with its simulator. On error, whatever was started is
// stopped.
func StartCluster(ctx context.Context, env Env) (_ *Cluster, err error) {
	if missing := devcluster.Missing(env.Cache); len(missing) > 0 {
		demo.Step(env.Out, 1, "Building the Kubernetes binaries %v into %s.\n      This happens once per machine and takes about 15-20 minutes on 2 cores; progress follows.", missing, devcluster.BinDir(env.Cache))
	} else {
		demo.Step(env.Out, 1, "Kubernetes binaries: cached in %s", devcluster.BinDir(env.Cache))
	}
	if err := devcluster.EnsureBinaries(ctx, env.Cache, env.Err, env.Clock); err != nil {
		return nil, fmt.Errorf("demo: build the Kubernetes binaries: %w", err)
	}

	clusterDir := filepath.Join(env.Dir, "cluster")
	logs := filepath.Join(clusterDir, "logs")
	demo.Step(env.Out, 2, "Starting the local cluster (context %s; state and logs in %s)", devcluster.ContextName, clusterDir)
	c, err := devcluster.Start(ctx, devcluster.Options{WorkDir: clusterDir, Log: io.Discard, Getenv: env.Getenv})
	if err != nil {
		return nil, fmt.Errorf("demo: start the local cluster (logs in %s): %w", logs, err)
	}
	out := &Cluster{Kubeconfig: c.Kubeconfig(), Logs: logs}
	out.stop = append(out.stop, func() error {
		fmt.Fprintln(env.Out, "firedrill demo: stopping the local cluster")
		return c.Stop()
	})
	defer func() {
		if err != nil {
			out.Close()
		}
	}()

	demo.Step(env.Out, 3, "Deploying the sample shop into namespace %q", shop.Namespace)
	cs := c.Client()
	if err := shop.Install(ctx, cs, shop.Namespace); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	wctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	err = shop.WaitReady(wctx, cs, shop.Namespace, env.Clock)
	cancel()
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	sim := &shop.Simulator{Client: cs, Namespace: shop.Namespace}
	if out.ServiceURLs, err = sim.Start(ctx); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	// The API server's service proxy (the http-get probe without
	// kubernetes.serviceURLs, kubectl get --raw …/proxy/…) reaches the shop's
	// pods through the simulator.
	unroute := c.RoutePods(sim.DialPod)
	out.stop = append(out.stop, func() error {
		unroute()
		return sim.Close()
	})
	return out, nil
}

// Kubectl returns where kubectl will be found: at once when it is on PATH;
// otherwise, when build is set, once it is built into the cache in the
// background (Out says when). Nothing is sent when there is none.
func Kubectl(ctx context.Context, env Env, build bool) <-chan string {
	found := make(chan string, 1)
	if p, err := exec.LookPath("kubectl"); err == nil {
		found <- p
		return found
	}
	if !build {
		return found
	}
	go func() {
		p, err := devcluster.EnsureKubectl(ctx, env.Cache, io.Discard, env.Clock)
		if err != nil {
			if ctx.Err() == nil {
				fmt.Fprintf(env.Err, "firedrill demo: building kubectl failed (the drill works without it): %v\n", err)
			}
			return
		}
		fmt.Fprintf(env.Out, "\nfiredrill demo: kubectl is built: %s\n  alias kubectl=%s\n", p, p)
		found <- p
	}()
	return found
}
