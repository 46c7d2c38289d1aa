package doctor

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/internal/kubeconn"
)

// cluster is the API server the configuration names, as firedrill's user,
// asked through the Kubernetes injector's check API.
type cluster struct {
	context string
	in      Cluster
	user    string
}

// requestTimeout bounds each request doctor makes, so that a dead API
// server is a failed check, not a hang.
const requestTimeout = 15 * time.Second

// checkConfig checks the context and the API server; it returns nil when
// there is no cluster to ask.
func checkConfig(ctx context.Context, r *Report, opts Options) *cluster {
	kc := opts.Kubernetes
	var in Cluster
	err := fmt.Errorf("doctor: no way to reach the cluster (Options.Kubernetes.Connect)")
	if kc.Connect != nil {
		in, err = kc.Connect(ctx, requestTimeout)
	}
	if err != nil {
		fix := "check kubernetes.kubeconfig (--kubeconfig) and kubernetes.context (--context); list the contexts with: kubectl config get-contexts"
		if kc.Context == kubeconn.InClusterContext {
			fix = "run firedrill in the cluster with deploy/base/firedrill.yaml, or set kubernetes.context to a kubeconfig context"
		}
		r.add(Check{Section: SectionConfig, Name: "kubeconfig", Status: Fail, Detail: oneLine(err.Error()), Fix: fix})
		return nil
	}
	name := in.Context()
	if name == "" {
		r.add(Check{Section: SectionConfig, Name: "context", Status: Fail,
			Detail: "no Kubernetes context is configured and the kubeconfig has no current context",
			Fix:    "set kubernetes.context in firedrill.yaml (or --context NAME) and list it in kubernetes.allowedContexts"})
		return nil
	}
	if !slices.Contains(kc.AllowedContexts, name) {
		allowed := "empty"
		if len(kc.AllowedContexts) > 0 {
			allowed = strings.Join(kc.AllowedContexts, ", ")
		}
		r.Context = name
		r.add(Check{Section: SectionConfig, Name: "context", Status: Fail,
			Detail: fmt.Sprintf("context %s is not in kubernetes.allowedContexts (%s): firedrill refuses to touch it", name, allowed),
			Fix:    fmt.Sprintf("if %s is the beta cluster, add it in firedrill.yaml: kubernetes: {allowedContexts: [%s]}; otherwise pass --context with an allowed one", name, name)})
		return nil
	}
	r.add(Check{Section: SectionConfig, Name: "context", Status: OK, Detail: fmt.Sprintf("%s is in kubernetes.allowedContexts", name)})
	cl := &cluster{context: name, in: in}
	start := opts.Clock.Now()
	si, err := in.ServerInfo(ctx)
	took := opts.Clock.Since(start)
	if err != nil {
		r.add(Check{Section: SectionConfig, Name: "API server", Status: Fail,
			Detail: fmt.Sprintf("%s did not answer: %s", si.Host, oneLine(err.Error())),
			Fix:    fmt.Sprintf("check that the cluster is up and reachable from here: kubectl --context %s version", name)})
		return nil
	}
	cl.user = si.User
	detail := fmt.Sprintf("%s at %s answered in %s", si.Version, si.Host, took.Round(time.Millisecond))
	if cl.user != "" {
		detail += ", as " + cl.user
	}
	status, fix := OK, ""
	if took > 2*time.Second {
		status, fix = Warn, "the API server is slow to answer: probes and fault injection will lag; check the network path to it"
	}
	r.add(Check{Section: SectionConfig, Name: "API server", Status: status, Detail: detail, Fix: fix})
	return cl
}

// isForbidden reports whether err says that the API server refused the
// request for lack of permission, or that the configuration refuses it
// (the helper and ha carry both as EFORBIDDEN).
func isForbidden(err error) bool { return injectors.ErrorCode(err) == injectors.EFORBIDDEN }

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
