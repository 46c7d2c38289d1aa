// Package kubernetes is firedrill's built-in Kubernetes fault injector: a
// catalog of API-level faults (pod delete, scale, bad image rollout, config
// and secret key changes, env var change, Service selector break, network
// isolation, resource squeeze, node cordon and drain, HPA bounds, CronJob
// suspend) and probes (deployment available, pod status, endpoints, HTTP GET),
// implementing injectors.Injector with client-go.
//
// Every fault is planned as a list of field changes on named objects, each
// with the value before and the value injected. The revert record holds that
// plan, so any process can revert: a field is put back only while it still
// holds the injected value, which restores the exact previous state without
// clobbering edits made since (by participants healing the system, or by
// anyone else). Writes are optimistic (resourceVersion) and retried.
//
// Safety rails refuse, with a message saying why: a kubeconfig context not in
// AllowedContexts; a namespace without the label firedrill.dev/drill-target=true;
// kube-system, kube-public, kube-node-lease and ProtectedNamespaces always.
//
// Besides the plugin contract, the injector answers read-only questions for
// `firedrill doctor` (checks.go: ServerInfo, Namespace, Object, CountPods,
// OptedInNamespaces, ReviewAccess), lists the permissions each fault and
// probe needs (catalog/permissions.go) and finds leftovers (FindLeftovers).
package kubernetes

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/util/flowcontrol"
	"k8s.io/utils/clock"

	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/injectors/kubernetes/catalog"
	"github.com/firedrill/firedrill/injectors/kubernetes/kubeconfig"
	"github.com/firedrill/firedrill/internal/kubeclient"
)

// Name is the plugin name scenarios use: "kubernetes/<type>".
const Name = catalog.Name

// Version is the version of this injector.
const Version = catalog.Version

// Labels and annotations firedrill uses on objects (see catalog).
const (
	DrillTargetLabel  = catalog.DrillTargetLabel
	DrillIDAnnotation = catalog.DrillIDAnnotation
	FaultIDAnnotation = catalog.FaultIDAnnotation
)

// InClusterContext is the context name of the in-cluster configuration
// (see kubeconfig.InClusterContext).
const InClusterContext = kubeconfig.InClusterContext

// alwaysProtected namespaces are refused whatever the configuration says.
var alwaysProtected = catalog.AlwaysProtected()

// Config configures the injector.
type Config struct {
	// Kubeconfig is the kubeconfig file; empty uses the default loading
	// rules ($KUBECONFIG, ~/.kube/config).
	Kubeconfig string
	// Context is the kubeconfig context; empty uses the current context.
	// Either way the context must be in AllowedContexts.
	Context string
	// AllowedContexts are the only contexts the injector touches.
	AllowedContexts []string
	// ProtectedNamespaces are refused in addition to kube-system,
	// kube-public and kube-node-lease.
	ProtectedNamespaces []string
	// InClusterConfig loads the in-cluster configuration when Context is
	// InClusterContext and Kubeconfig is empty; default rest.InClusterConfig
	// (tests replace it).
	InClusterConfig func() (*rest.Config, error)
	// Rest, when set, is used instead of loading Kubeconfig (tests); Context
	// must then name it, and is checked against AllowedContexts as usual.
	Rest *rest.Config
	// Clock is used for timestamps, retries and probe latency; default the
	// real clock.
	Clock clock.Clock
	// HTTPClient is used by the http-get probe; default a client without a
	// global timeout (the probe sets its own).
	HTTPClient *http.Client
	// RequestTimeout, when positive, bounds every request to the API
	// server. `firedrill doctor` sets it so that a dead API server is a
	// failed check, not a hang; a drill leaves it zero and relies on the
	// plugin host's call timeout (plugins.callTimeout).
	RequestTimeout time.Duration
	// RevertQPS and RevertBurst are the rate limit of the API client that
	// reverts faults. Reverts have their own client, connection and budget,
	// so that a burst of injects (or probes) can never make a revert wait;
	// 0 means DefaultRevertQPS and DefaultRevertBurst.
	RevertQPS   float32
	RevertBurst int
	// ServiceURLs maps "namespace/service" to a base URL the http-get probe
	// uses instead of the API server's service proxy, for Services that
	// firedrill reaches directly (an ingress, a port-forward, the demo's
	// simulator).
	ServiceURLs map[string]string
	// HideMarks stops the injector from writing firedrill's annotations
	// (DrillIDAnnotation, FaultIDAnnotation) on the objects a fault changes
	// or creates: nothing a participant can read says firedrill touched an
	// object. The revert record alone then identifies what to restore (the
	// object's UID and each field's injected value), and the leftover scan
	// must read revert records kept elsewhere (firedrill keeps them in the
	// cluster, see internal/ha) instead of the marks.
	HideMarks bool
}

// Defaults of the revert client's rate limit: enough for every API call of
// an abort of 200 faults at once.
const (
	DefaultRevertQPS   = 400
	DefaultRevertBurst = 800
)

// Injector is the Kubernetes fault injector.
type Injector struct {
	cfg     Config
	context string
	// refused is set when the configuration does not allow touching the
	// cluster; every call that would touch it returns it.
	refused error
	dyn     dynamic.Interface
	cs      *kubeclient.Clientset
	// revDyn and revCS are the revert client: own connection, own budget.
	revDyn dynamic.Interface
	revCS  *kubeclient.Clientset
	clk    clock.Clock
	hc     *http.Client
	rest   *rest.Config
}

var _ injectors.Injector = (*Injector)(nil)

// New returns an injector for the cluster cfg names. A context that is not
// allowed does not fail New (Info still works, so scenarios can be checked
// without a cluster); it makes every call that would touch the cluster fail
// with EFORBIDDEN and the reason. An unreadable kubeconfig fails New.
func New(cfg Config) (*Injector, error) {
	in := &Injector{cfg: cfg, clk: cfg.Clock, hc: cfg.HTTPClient}
	if in.clk == nil {
		in.clk = clock.RealClock{}
	}
	if in.hc == nil {
		in.hc = &http.Client{}
	}
	cl, err := kubeconfig.Resolve(kubeconfig.Config{
		Kubeconfig: cfg.Kubeconfig, Context: cfg.Context, AllowedContexts: cfg.AllowedContexts,
		InClusterConfig: cfg.InClusterConfig, Rest: cfg.Rest,
	})
	if err != nil {
		return nil, err
	}
	in.context = cl.Context
	if cl.Refused != nil {
		in.refused = cl.Refused
		return in, nil
	}
	rc := cl.Rest
	if cfg.RequestTimeout > 0 {
		rc.Timeout = cfg.RequestTimeout
	}
	if rc.QPS == 0 {
		rc.QPS, rc.Burst = 100, 200
	}
	if rc.RateLimiter == nil {
		// One budget for injects and probes, whichever client a call
		// takes (the one-call PATCH goes through cs, a read-and-write
		// through dyn), as the revert clients share theirs.
		rc.RateLimiter = flowcontrol.NewTokenBucketRateLimiter(rc.QPS, rc.Burst)
	}
	in.rest = rc
	if in.dyn, err = dynamic.NewForConfig(rc); err != nil {
		return nil, fmt.Errorf("kubernetes: %w", err)
	}
	if in.cs, err = kubeclient.NewForConfig(rc); err != nil {
		return nil, fmt.Errorf("kubernetes: %w", err)
	}
	if in.revDyn, in.revCS, err = revertClients(rc, cfg.RevertQPS, cfg.RevertBurst); err != nil {
		return nil, fmt.Errorf("kubernetes: revert client: %w", err)
	}
	return in, nil
}

// revertClients returns the clients reverts use: one token bucket shared by
// both, and a dialer of their own, which keeps client-go from sharing the
// cached transport (and its connection) of the inject client.
func revertClients(rc *rest.Config, qps float32, burst int) (dynamic.Interface, *kubeclient.Clientset, error) {
	if qps <= 0 {
		qps = DefaultRevertQPS
	}
	if burst <= 0 {
		burst = DefaultRevertBurst
	}
	rrc := rest.CopyConfig(rc)
	rrc.QPS, rrc.Burst = qps, burst
	rrc.RateLimiter = flowcontrol.NewTokenBucketRateLimiter(qps, burst)
	if rrc.Dial == nil {
		rrc.Dial = (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	}
	d, err := dynamic.NewForConfig(rrc)
	if err != nil {
		return nil, nil, err
	}
	cs, err := kubeclient.NewForConfig(rrc)
	if err != nil {
		return nil, nil, err
	}
	return d, cs, nil
}

// reverter returns the injector as the revert path sees it: the same
// configuration over the revert client.
func (in *Injector) reverter() *Injector {
	c := *in
	if in.revDyn != nil {
		c.dyn, c.cs = in.revDyn, in.revCS
	}
	return &c
}

// Context returns the kubeconfig context the injector acts on.
func (in *Injector) Context() string { return in.context }

// RESTConfig returns a copy of the client configuration of the context the
// injector acts on, or nil when the configuration refuses to touch it (see
// New).
func (in *Injector) RESTConfig() *rest.Config {
	if in.rest == nil {
		return nil
	}
	return rest.CopyConfig(in.rest)
}

// Info describes the injector and its fault and probe types with their
// parameter schemas.
func (in *Injector) Info(ctx context.Context) (injectors.Info, error) {
	return Describe(), nil
}

// Describe returns the injector's catalog without a cluster (see
// catalog.Describe).
func Describe() injectors.Info { return catalog.Describe() }

// AlwaysProtectedNamespaces returns the namespaces the injector refuses
// whatever its configuration says: the cluster's own.
func AlwaysProtectedNamespaces() []string { return catalog.AlwaysProtected() }

// ChangedField reports whether fault type typ changes one field of its
// target, and which params say which field (see catalog.ChangedField).
func ChangedField(typ string) (params []string, ok bool) { return catalog.ChangedField(typ) }

// ready returns the refusal, if any, of the configuration.
func (in *Injector) ready() error { return in.refused }

// checkNamespace refuses protected namespaces and, when requireOptIn,
// namespaces without the drill-target label.
func (in *Injector) checkNamespace(ctx context.Context, ns string, requireOptIn bool) error {
	if ns == "" {
		return injectors.Errorf(injectors.EINVALID, "target.namespace: required for this kind")
	}
	if slices.Contains(alwaysProtected, ns) {
		return injectors.Errorf(injectors.EFORBIDDEN, "namespace %q is protected: firedrill never injects faults into %s", ns, strings.Join(alwaysProtected, ", "))
	}
	if slices.Contains(in.cfg.ProtectedNamespaces, ns) {
		return injectors.Errorf(injectors.EFORBIDDEN, "namespace %q is protected by kubernetes.protectedNamespaces", ns)
	}
	if !requireOptIn {
		return nil
	}
	// The API server's cache answers without a round trip to etcd; what
	// it refuses is read again from etcd, in case the cache has not seen
	// the namespace or its label yet. Accepting the cache's yes means that
	// a label removed a moment ago can still pass; a record prepared ahead
	// is used up to Engine.PrepareAhead (30 s) after its check anyway.
	if err := in.namespaceOptedIn(ctx, ns, metav1.GetOptions{ResourceVersion: "0"}); err == nil {
		return nil
	}
	return in.namespaceOptedIn(ctx, ns, metav1.GetOptions{})
}

// namespaceOptedIn reads namespace ns with opts and refuses it unless it
// exists, is not being deleted and carries the drill-target label.
func (in *Injector) namespaceOptedIn(ctx context.Context, ns string, opts metav1.GetOptions) error {
	var obj *corev1.Namespace
	err := in.retry(ctx, func() error {
		var err error
		obj, err = in.cs.CoreV1().Namespaces().Get(ctx, ns, opts)
		return err
	})
	if apierrors.IsNotFound(err) {
		return injectors.Errorf(injectors.ENOTFOUND, "namespace %q does not exist in context %q", ns, in.context)
	} else if err != nil {
		return fmt.Errorf("get namespace %s: %w", ns, err)
	}
	if obj.DeletionTimestamp != nil {
		return injectors.Errorf(injectors.ECONFLICT, "namespace %q is being deleted", ns)
	}
	if obj.Labels[DrillTargetLabel] != "true" {
		return injectors.Errorf(injectors.EFORBIDDEN,
			"namespace %q is not opted in to drills: label it %s=true (kubectl label namespace %s %s=true) to allow faults there", ns, DrillTargetLabel, ns, DrillTargetLabel)
	}
	return nil
}

// kindResource is the API resource of an object kind faults and probes
// act on.
type kindResource struct {
	gvr        schema.GroupVersionResource
	namespaced bool
}

// kinds maps the object kinds faults and probes act on to their resources
// (catalog.Kinds).
var kinds = kindResources()

func kindResources() map[string]kindResource {
	out := make(map[string]kindResource, len(catalog.Kinds))
	for k, r := range catalog.Kinds {
		out[k] = kindResource{gvrOf(r), r.Namespaced}
	}
	return out
}

func gvrOf(k catalog.Kind) schema.GroupVersionResource {
	return schema.GroupVersionResource{Group: k.Group, Version: k.Version, Resource: k.Resource}
}

func (in *Injector) resource(kind, ns string) (dynamic.ResourceInterface, error) {
	k, ok := kinds[kind]
	if !ok {
		names := make([]string, 0, len(kinds))
		for n := range kinds {
			names = append(names, n)
		}
		sort.Strings(names)
		return nil, injectors.Errorf(injectors.EINVALID, "kind %q is not supported, expected one of %s", kind, strings.Join(names, ", "))
	}
	if !k.namespaced {
		return in.dyn.Resource(k.gvr), nil
	}
	return in.dyn.Resource(k.gvr).Namespace(ns), nil
}

// decodeParams validates raw against the type's schema and decodes it into v.
func decodeParams(typ string, raw json.RawMessage, v any) error {
	if len(raw) == 0 || string(raw) == "null" {
		raw = json.RawMessage("{}")
	}
	if err := validateSchema(typ, raw); err != nil {
		return err
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return injectors.Errorf(injectors.EINVALID, "params: %v", err)
	}
	return nil
}
