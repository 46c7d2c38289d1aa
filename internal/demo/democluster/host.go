package democluster

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sync"

	"github.com/firedrill/firedrill/injectors/kubernetes"
	"github.com/firedrill/firedrill/internal/demo"
	"github.com/firedrill/firedrill/internal/devcluster"
)

// Serve is the host side of the demo's protocol (internal/demo, host.go):
// it starts the cluster and the shop, says so on msgs, answers the
// requests read from in, and stops everything when in ends or ctx does.
func Serve(ctx context.Context, env Env, buildKubectl bool, in io.Reader, msgs io.Writer) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// The end of stdin (the demo closed it, or died) stops the host, also
	// while the cluster is still starting.
	requests := make(chan string)
	go func() {
		defer cancel()
		s := bufio.NewScanner(in)
		for s.Scan() {
			select {
			case requests <- s.Text():
			case <-ctx.Done():
				return
			}
		}
	}()
	c, err := StartCluster(ctx, env)
	if err != nil {
		return err
	}
	defer c.Close()
	var mu sync.Mutex
	enc := json.NewEncoder(msgs)
	send := func(m demo.Message) {
		mu.Lock()
		defer mu.Unlock()
		_ = enc.Encode(m)
	}
	send(demo.Message{Type: demo.MsgReady, Kubeconfig: c.Kubeconfig, Logs: c.Logs, ServiceURLs: c.ServiceURLs})
	kubectl := Kubectl(ctx, env, buildKubectl)
	for {
		select {
		case <-ctx.Done():
			return nil
		case p := <-kubectl:
			send(demo.Message{Type: demo.MsgKubectl, Path: p})
		case r := <-requests:
			if r != demo.MsgLeftovers {
				send(demo.Message{Type: r, Error: fmt.Sprintf("unknown request %q", r)})
				continue
			}
			n, err := Leftovers(ctx, c.Kubeconfig, env.Out, env.Err)
			m := demo.Message{Type: demo.MsgLeftovers, Count: n}
			if err != nil {
				m.Error = err.Error()
			}
			send(m)
		}
	}
}

// Leftovers looks, with the Kubernetes injector on the cluster of
// kubeconfig, for anything that still carries a firedrill annotation; it
// says each on errOut, or that there is none on out, and returns how many.
func Leftovers(ctx context.Context, kubeconfig string, out, errOut io.Writer) (int, error) {
	in, err := kubernetes.New(kubernetes.Config{Kubeconfig: kubeconfig, Context: devcluster.ContextName, AllowedContexts: []string{devcluster.ContextName}})
	if err != nil {
		return 0, err
	}
	left, err := in.FindLeftovers(ctx, "")
	if err != nil {
		return 0, err
	}
	for _, l := range left {
		fmt.Fprintf(errOut, "firedrill demo: still carries a firedrill annotation: %s %s/%s (drill %s, fault %s)\n", l.Kind, l.Namespace, l.Name, l.DrillID, l.FaultID)
	}
	if len(left) == 0 {
		fmt.Fprintln(out, "firedrill demo: no object in the cluster carries a firedrill annotation")
	}
	return len(left), nil
}
