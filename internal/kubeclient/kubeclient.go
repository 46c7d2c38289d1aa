// Package kubeclient is a small typed Kubernetes client for the few API
// groups and resources firedrill's Kubernetes injector reads and writes, in
// the shape of client-go's clientset (cs.CoreV1().Pods(ns).Get(...)).
//
// It exists for memory: k8s.io/client-go/kubernetes links every typed
// client and the scheme of every API group (~18 MiB of a process's
// resident pages, issue 13), and client-go's generic typed client
// (k8s.io/client-go/gentype) links client-go's fake-client machinery. Here
// one rest.RESTClient serves every group by absolute path, with a scheme of
// only the groups below; objects of other kinds go through the dynamic
// client.
package kubeclient

import (
	"context"
	"encoding/json"
	"fmt"

	"path"

	appsv1 "k8s.io/api/apps/v1"
	authnv1 "k8s.io/api/authentication/v1"
	authzv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/types"
	utilnet "k8s.io/apimachinery/pkg/util/net"
	"k8s.io/apimachinery/pkg/version"
	"k8s.io/client-go/rest"
)

// Scheme holds only the kinds the client reads and writes, of the core,
// apps, policy, discovery, authentication and authorization groups (all v1),
// with the API machinery's own (Status, options) in each group; registering
// whole groups would cost the plugin process ~0.4 MiB more.
var Scheme = runtime.NewScheme()

var (
	codecs         = serializer.NewCodecFactory(Scheme)
	parameterCodec = runtime.NewParameterCodec(Scheme)
)

func init() {
	for gv, types := range map[schema.GroupVersion][]runtime.Object{
		corev1.SchemeGroupVersion:      {&corev1.Pod{}, &corev1.PodList{}, &corev1.Namespace{}, &corev1.NamespaceList{}},
		appsv1.SchemeGroupVersion:      {&appsv1.Deployment{}, &appsv1.DeploymentList{}, &appsv1.ReplicaSet{}, &appsv1.ReplicaSetList{}},
		policyv1.SchemeGroupVersion:    {&policyv1.Eviction{}},
		discoveryv1.SchemeGroupVersion: {&discoveryv1.EndpointSlice{}, &discoveryv1.EndpointSliceList{}},
		authnv1.SchemeGroupVersion:     {&authnv1.SelfSubjectReview{}},
		authzv1.SchemeGroupVersion:     {&authzv1.SelfSubjectAccessReview{}},
	} {
		Scheme.AddKnownTypes(gv, types...)
		metav1.AddToGroupVersion(Scheme, gv)
	}
}

// Clientset is the typed client. It is safe for concurrent use.
type Clientset struct {
	rc *rest.RESTClient
}

// NewForConfig returns a client for c. Like client-go's clientsets, it
// takes its rate limit from c (RateLimiter, or QPS and Burst).
func NewForConfig(c *rest.Config) (*Clientset, error) {
	cfg := rest.CopyConfig(c)
	cfg.APIPath = "/api"
	cfg.GroupVersion = &corev1.SchemeGroupVersion
	cfg.NegotiatedSerializer = codecs.WithoutConversion()
	if cfg.UserAgent == "" {
		cfg.UserAgent = rest.DefaultKubernetesUserAgent()
	}
	rc, err := rest.RESTClientFor(cfg)
	if err != nil {
		return nil, fmt.Errorf("kubernetes client: %w", err)
	}
	return &Clientset{rc: rc}, nil
}

// Patch applies a patch of type pt to the object name of the resource gvr
// (in namespace ns when the resource is namespaced, or to its subresource)
// and discards the object the API server answers with: for a caller that
// needs to know only that the patch was applied, without decoding the
// object (a whole ConfigMap or Deployment, with its managed fields).
func (c *Clientset) Patch(ctx context.Context, gvr schema.GroupVersionResource, ns, name string, pt types.PatchType, body []byte, opts metav1.PatchOptions, subresources ...string) error {
	req := c.rc.Patch(pt).AbsPath(groupPrefix(gvr.GroupVersion()))
	if ns != "" {
		req = req.Namespace(ns)
	}
	return req.Resource(gvr.Resource).Name(name).SubResource(subresources...).VersionedParams(&opts, parameterCodec).Body(body).Do(ctx).Error()
}

// groupPrefix is the path of an API group version: /api/v1, /apis/<group>/<version>.
func groupPrefix(gv schema.GroupVersion) string {
	if gv.Group == "" {
		return "/api/" + gv.Version
	}
	return path.Join("/apis", gv.Group, gv.Version)
}

// RESTClient returns the underlying REST client.
func (c *Clientset) RESTClient() rest.Interface { return c.rc }

// ServerVersion returns the API server's version (GET /version).
func (c *Clientset) ServerVersion(ctx context.Context) (*version.Info, error) {
	body, err := c.rc.Get().AbsPath("/version").Do(ctx).Raw()
	if err != nil {
		return nil, err
	}
	var info version.Info
	if err := json.Unmarshal(body, &info); err != nil {
		return nil, fmt.Errorf("unexpected answer to GET /version: %w", err)
	}
	return &info, nil
}

// Object is a pointer to a Kubernetes API type: *corev1.Pod for T
// corev1.Pod.
type Object[T any] interface {
	*T
	runtime.Object
}

// Resource is the client of one resource, in one namespace for namespaced
// resources ("" is every namespace for List). T is its object type and L
// its list type.
type Resource[T any, L any, PT Object[T], PL Object[L]] struct {
	rc       *rest.RESTClient
	prefix   string // /api/v1, /apis/<group>/<version>
	ns       string
	resource string
}

func newResource[T any, L any, PT Object[T], PL Object[L]](c *Clientset, gv schema.GroupVersion, resource, ns string) Resource[T, L, PT, PL] {
	return Resource[T, L, PT, PL]{rc: c.rc, prefix: groupPrefix(gv), ns: ns, resource: resource}
}

func (r Resource[T, L, PT, PL]) request(verb string) *rest.Request {
	req := r.rc.Verb(verb).AbsPath(r.prefix).Resource(r.resource)
	if r.ns != "" {
		req = req.Namespace(r.ns)
	}
	return req
}

// Get returns the object name.
func (r Resource[T, L, PT, PL]) Get(ctx context.Context, name string, opts metav1.GetOptions) (*T, error) {
	out := PT(new(T))
	err := r.request("GET").Name(name).VersionedParams(&opts, parameterCodec).Do(ctx).Into(out)
	return out, err
}

// List returns the objects opts selects.
func (r Resource[T, L, PT, PL]) List(ctx context.Context, opts metav1.ListOptions) (*L, error) {
	out := PL(new(L))
	err := r.request("GET").VersionedParams(&opts, parameterCodec).Do(ctx).Into(out)
	return out, err
}

// Create creates obj and returns it as the API server stored it.
func (r Resource[T, L, PT, PL]) Create(ctx context.Context, obj *T, opts metav1.CreateOptions) (*T, error) {
	out := PT(new(T))
	err := r.request("POST").VersionedParams(&opts, parameterCodec).Body(PT(obj)).Do(ctx).Into(out)
	return out, err
}

// Update replaces the object obj names (optimistically, by its
// resourceVersion) and returns it as the API server stored it.
func (r Resource[T, L, PT, PL]) Update(ctx context.Context, obj *T, opts metav1.UpdateOptions) (*T, error) {
	o := PT(obj)
	meta, ok := any(o).(metav1.Object)
	if !ok {
		return nil, fmt.Errorf("update %s: %T has no object metadata", r.resource, obj)
	}
	out := PT(new(T))
	err := r.request("PUT").Name(meta.GetName()).VersionedParams(&opts, parameterCodec).Body(o).Do(ctx).Into(out)
	return out, err
}

// The resources of each group, with client-go's names.
type (
	// CoreV1 is the core group.
	CoreV1 struct{ c *Clientset }
	// AppsV1 is the apps group.
	AppsV1 struct{ c *Clientset }
	// PolicyV1 is the policy group.
	PolicyV1 struct{ c *Clientset }
	// DiscoveryV1 is the discovery.k8s.io group.
	DiscoveryV1 struct{ c *Clientset }
	// AuthenticationV1 is the authentication.k8s.io group.
	AuthenticationV1 struct{ c *Clientset }
	// AuthorizationV1 is the authorization.k8s.io group.
	AuthorizationV1 struct{ c *Clientset }
)

// CoreV1 returns the core group's resources.
func (c *Clientset) CoreV1() CoreV1 { return CoreV1{c} }

// AppsV1 returns the apps group's resources.
func (c *Clientset) AppsV1() AppsV1 { return AppsV1{c} }

// PolicyV1 returns the policy group's resources.
func (c *Clientset) PolicyV1() PolicyV1 { return PolicyV1{c} }

// DiscoveryV1 returns the discovery.k8s.io group's resources.
func (c *Clientset) DiscoveryV1() DiscoveryV1 { return DiscoveryV1{c} }

// AuthenticationV1 returns the authentication.k8s.io group's resources.
func (c *Clientset) AuthenticationV1() AuthenticationV1 { return AuthenticationV1{c} }

// AuthorizationV1 returns the authorization.k8s.io group's resources.
func (c *Clientset) AuthorizationV1() AuthorizationV1 { return AuthorizationV1{c} }

// Pods returns the Pods of namespace ns.
func (g CoreV1) Pods(ns string) Resource[corev1.Pod, corev1.PodList, *corev1.Pod, *corev1.PodList] {
	return newResource[corev1.Pod, corev1.PodList](g.c, corev1.SchemeGroupVersion, "pods", ns)
}

// Namespaces returns the Namespaces.
func (g CoreV1) Namespaces() Resource[corev1.Namespace, corev1.NamespaceList, *corev1.Namespace, *corev1.NamespaceList] {
	return newResource[corev1.Namespace, corev1.NamespaceList](g.c, corev1.SchemeGroupVersion, "namespaces", "")
}

// Services returns the Services of namespace ns.
func (g CoreV1) Services(ns string) Services { return Services{g.c, ns} }

// Services is the client of a namespace's Services.
type Services struct {
	c  *Clientset
	ns string
}

// Get returns the Service name.
func (s Services) Get(ctx context.Context, name string, opts metav1.GetOptions) (*corev1.Service, error) {
	return newResource[corev1.Service, corev1.ServiceList](s.c, corev1.SchemeGroupVersion, "services", s.ns).Get(ctx, name, opts)
}

// ProxyGet returns a GET of path through the API server's proxy to port of
// Service name, as client-go's ProxyGet does.
func (s Services) ProxyGet(scheme, name, port, p string, params map[string]string) rest.ResponseWrapper {
	req := s.c.rc.Get().AbsPath("/api/v1").Namespace(s.ns).Resource("services").
		SubResource("proxy").Name(utilnet.JoinSchemeNamePort(scheme, name, port)).Suffix(p)
	for k, v := range params {
		req = req.Param(k, v)
	}
	return req
}

// Deployments returns the Deployments of namespace ns.
func (g AppsV1) Deployments(ns string) Resource[appsv1.Deployment, appsv1.DeploymentList, *appsv1.Deployment, *appsv1.DeploymentList] {
	return newResource[appsv1.Deployment, appsv1.DeploymentList](g.c, appsv1.SchemeGroupVersion, "deployments", ns)
}

// ReplicaSets returns the ReplicaSets of namespace ns.
func (g AppsV1) ReplicaSets(ns string) Resource[appsv1.ReplicaSet, appsv1.ReplicaSetList, *appsv1.ReplicaSet, *appsv1.ReplicaSetList] {
	return newResource[appsv1.ReplicaSet, appsv1.ReplicaSetList](g.c, appsv1.SchemeGroupVersion, "replicasets", ns)
}

// EndpointSlices returns the EndpointSlices of namespace ns.
func (g DiscoveryV1) EndpointSlices(ns string) Resource[discoveryv1.EndpointSlice, discoveryv1.EndpointSliceList, *discoveryv1.EndpointSlice, *discoveryv1.EndpointSliceList] {
	return newResource[discoveryv1.EndpointSlice, discoveryv1.EndpointSliceList](g.c, discoveryv1.SchemeGroupVersion, "endpointslices", ns)
}

// Evictions returns the evictions of Pods in namespace ns.
func (g PolicyV1) Evictions(ns string) Evictions { return Evictions{g.c, ns} }

// Evictions evicts Pods, respecting their disruption budgets.
type Evictions struct {
	c  *Clientset
	ns string
}

// Evict asks the API server to evict the Pod e names (POST
// pods/<name>/eviction).
func (e Evictions) Evict(ctx context.Context, ev *policyv1.Eviction) error {
	return e.c.rc.Post().AbsPath("/api/v1").Namespace(e.ns).Resource("pods").Name(ev.Name).
		SubResource("eviction").Body(ev).Do(ctx).Error()
}

// SelfSubjectReviews returns the reviews of whom the client acts as.
func (g AuthenticationV1) SelfSubjectReviews() Resource[authnv1.SelfSubjectReview, authnv1.SelfSubjectReview, *authnv1.SelfSubjectReview, *authnv1.SelfSubjectReview] {
	return newResource[authnv1.SelfSubjectReview, authnv1.SelfSubjectReview](g.c, authnv1.SchemeGroupVersion, "selfsubjectreviews", "")
}

// SelfSubjectAccessReviews returns the reviews of what the client may do.
func (g AuthorizationV1) SelfSubjectAccessReviews() Resource[authzv1.SelfSubjectAccessReview, authzv1.SelfSubjectAccessReview, *authzv1.SelfSubjectAccessReview, *authzv1.SelfSubjectAccessReview] {
	return newResource[authzv1.SelfSubjectAccessReview, authzv1.SelfSubjectAccessReview](g.c, authzv1.SchemeGroupVersion, "selfsubjectaccessreviews", "")
}
