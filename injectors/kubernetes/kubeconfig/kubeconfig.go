// Package kubeconfig resolves the cluster firedrill's kubernetes.* settings
// name — the kubeconfig (or the in-cluster configuration), the context, and
// whether kubernetes.allowedContexts allows it — into a client-go
// rest.Config for the Kubernetes injector. firedrill's own cluster state
// (internal/ha) resolves the same settings without client-go, through
// internal/kubeconn, whose refusals this package shares; it links
// client-go's configuration loading only, not k8s.io/api or a typed client.
package kubeconfig

import (
	"fmt"
	"slices"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/firedrill/firedrill/internal/kubeconn"
)

// InClusterContext is the context name of the in-cluster configuration:
// with it (and no kubeconfig), firedrill uses the credentials of the pod's
// service account, as when it runs inside the beta cluster. Like any
// context, it must be listed in AllowedContexts.
const InClusterContext = kubeconn.InClusterContext

// Config says which cluster to resolve.
type Config struct {
	// Kubeconfig is the kubeconfig file; empty uses the default loading
	// rules ($KUBECONFIG, ~/.kube/config).
	Kubeconfig string
	// Context is the kubeconfig context; empty uses the current context.
	// Either way the context must be in AllowedContexts.
	Context string
	// AllowedContexts are the only contexts firedrill touches.
	AllowedContexts []string
	// InClusterConfig loads the in-cluster configuration when Context is
	// InClusterContext and Kubeconfig is empty; default
	// rest.InClusterConfig (tests replace it).
	InClusterConfig func() (*rest.Config, error)
	// Rest, when set, is used instead of loading Kubeconfig (tests); Context
	// must then name it, and is checked against AllowedContexts as usual.
	Rest *rest.Config
}

// Cluster is a resolved cluster.
type Cluster struct {
	// Context is the context resolved, "" when none is configured.
	Context string
	// Refused, when set, is why the configuration does not allow touching
	// the cluster (no context: EINVALID; a context that is not allowed:
	// EFORBIDDEN); Rest is then nil.
	Refused error
	// Rest is the client configuration of the context.
	Rest *rest.Config
}

// Resolve resolves cfg. A context that is not allowed is not an error: it
// is Cluster.Refused. An unreadable kubeconfig, a context it does not have,
// or an in-cluster configuration outside a pod is an error.
func Resolve(cfg Config) (Cluster, error) {
	rc := cfg.Rest
	ctxName := cfg.Context
	if rc == nil && ctxName == InClusterContext && cfg.Kubeconfig == "" {
		// Load it only when allowed; a refused context is refused below.
		if slices.Contains(cfg.AllowedContexts, ctxName) {
			load := cfg.InClusterConfig
			if load == nil {
				load = rest.InClusterConfig
			}
			var err error
			if rc, err = load(); err != nil {
				return Cluster{}, fmt.Errorf("kubernetes: context %q uses the in-cluster configuration, which needs firedrill to run in a pod with a service account (deploy/base/firedrill.yaml); outside the cluster set kubernetes.context to a kubeconfig context instead: %w", ctxName, err)
			}
		}
	} else if rc == nil {
		rules := clientcmd.NewDefaultClientConfigLoadingRules()
		if cfg.Kubeconfig != "" {
			rules.ExplicitPath = cfg.Kubeconfig
		}
		raw, err := rules.Load()
		if err != nil {
			return Cluster{}, fmt.Errorf("kubernetes: load kubeconfig: %w", err)
		}
		if ctxName == "" {
			ctxName = raw.CurrentContext
		}
		if ctxName == "" {
			return Cluster{Refused: kubeconn.NoContext()}, nil
		}
		if _, ok := raw.Contexts[ctxName]; !ok {
			return Cluster{}, fmt.Errorf("kubernetes: context %q is not in the kubeconfig %s", ctxName, kubeconfigName(cfg.Kubeconfig))
		}
		rc, err = clientcmd.NewNonInteractiveClientConfig(*raw, ctxName, &clientcmd.ConfigOverrides{}, rules).ClientConfig()
		if err != nil {
			return Cluster{}, fmt.Errorf("kubernetes: context %q: %w", ctxName, err)
		}
	} else if ctxName == "" {
		return Cluster{}, fmt.Errorf("kubernetes: Config.Context must name the cluster of Config.Rest")
	}
	if !slices.Contains(cfg.AllowedContexts, ctxName) {
		return Cluster{Context: ctxName, Refused: kubeconn.NotAllowed(ctxName, cfg.AllowedContexts)}, nil
	}
	return Cluster{Context: ctxName, Rest: rest.CopyConfig(rc)}, nil
}

func kubeconfigName(p string) string {
	if p == "" {
		return "(default loading rules)"
	}
	return p
}
