package shop

import (
	"context"
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	klabels "k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	appslisters "k8s.io/client-go/listers/apps/v1"
	batchlisters "k8s.io/client-go/listers/batch/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	discoverylisters "k8s.io/client-go/listers/discovery/v1"
	networkinglisters "k8s.io/client-go/listers/networking/v1"
)

// The simulator answers from what it last heard of the shop's objects, as
// the real services and a real kubelet do (they watch, they do not read
// the API server on every request). Each HTTP request of the shop used to
// make some thirty reads of the API server one after another, and on a
// loaded machine those alone took 100-700 ms, which an http-get probe with
// maxLatencyMs measured as the shop's latency although the load model said
// the shop was healthy. The latency a request shows is now the load
// model's (what checkLoad sleeps, and the network timeouts), not the time
// the simulator spent reading the cluster. A change reaches the simulator
// through its watch, a moment after the write.

// syncTimeout bounds the wait for the simulator's first view of the shop.
const syncTimeout = time.Minute

// view holds the listers of the shop's namespace.
type view struct {
	deployments     appslisters.DeploymentNamespaceLister
	services        corelisters.ServiceNamespaceLister
	endpointSlices  discoverylisters.EndpointSliceNamespaceLister
	pods            corelisters.PodNamespaceLister
	configMaps      corelisters.ConfigMapNamespaceLister
	secrets         corelisters.SecretNamespaceLister
	networkPolicies networkinglisters.NetworkPolicyNamespaceLister
	cronJobs        batchlisters.CronJobNamespaceLister
}

// watch starts watching the shop's namespace and returns once the
// simulator has its first complete view of it. The watches stop with ctx.
func (s *Simulator) watch(ctx context.Context) error {
	f := informers.NewSharedInformerFactoryWithOptions(s.Client, 0, informers.WithNamespace(s.ns()))
	ns := s.ns()
	v := &view{
		deployments:     f.Apps().V1().Deployments().Lister().Deployments(ns),
		services:        f.Core().V1().Services().Lister().Services(ns),
		endpointSlices:  f.Discovery().V1().EndpointSlices().Lister().EndpointSlices(ns),
		pods:            f.Core().V1().Pods().Lister().Pods(ns),
		configMaps:      f.Core().V1().ConfigMaps().Lister().ConfigMaps(ns),
		secrets:         f.Core().V1().Secrets().Lister().Secrets(ns),
		networkPolicies: f.Networking().V1().NetworkPolicies().Lister().NetworkPolicies(ns),
		cronJobs:        f.Batch().V1().CronJobs().Lister().CronJobs(ns),
	}
	f.Start(ctx.Done())
	sctx, cancel := context.WithTimeout(ctx, syncTimeout)
	defer cancel()
	for typ, ok := range f.WaitForCacheSync(sctx.Done()) {
		if !ok {
			f.Shutdown()
			return fmt.Errorf("shop simulator: watch %s in namespace %s: no complete list within %s", typ, ns, syncTimeout)
		}
	}
	s.view = v
	return nil
}

// The readers below answer from the simulator's view of its namespace
// once it watches (Start), and from the API server otherwise or for
// another namespace. What they return is shared with the view: never
// modify it.

func (s *Simulator) deployment(ctx context.Context, name string) (*appsv1.Deployment, error) {
	if s.view != nil {
		return s.view.deployments.Get(name)
	}
	return s.Client.AppsV1().Deployments(s.ns()).Get(ctx, name, metav1.GetOptions{})
}

func (s *Simulator) service(ctx context.Context, ns, name string) (*corev1.Service, error) {
	if s.view != nil && ns == s.ns() {
		return s.view.services.Get(name)
	}
	return s.Client.CoreV1().Services(ns).Get(ctx, name, metav1.GetOptions{})
}

// endpointSlices returns the EndpointSlices of Service svc in ns.
func (s *Simulator) endpointSlices(ctx context.Context, ns, svc string) ([]*discoveryv1.EndpointSlice, error) {
	if s.view != nil && ns == s.ns() {
		return s.view.endpointSlices.List(klabels.SelectorFromSet(klabels.Set{discoveryv1.LabelServiceName: svc}))
	}
	list, err := s.Client.DiscoveryV1().EndpointSlices(ns).List(ctx, metav1.ListOptions{LabelSelector: discoveryv1.LabelServiceName + "=" + svc})
	if err != nil {
		return nil, err
	}
	return pointers(list.Items), nil
}

// pods returns the pods of the shop's namespace.
func (s *Simulator) pods(ctx context.Context) ([]*corev1.Pod, error) {
	if s.view != nil {
		return s.view.pods.List(klabels.Everything())
	}
	list, err := s.Client.CoreV1().Pods(s.ns()).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	return pointers(list.Items), nil
}

func (s *Simulator) configMap(ctx context.Context, name string) (*corev1.ConfigMap, error) {
	if s.view != nil {
		return s.view.configMaps.Get(name)
	}
	return s.Client.CoreV1().ConfigMaps(s.ns()).Get(ctx, name, metav1.GetOptions{})
}

func (s *Simulator) secret(ctx context.Context, name string) (*corev1.Secret, error) {
	if s.view != nil {
		return s.view.secrets.Get(name)
	}
	return s.Client.CoreV1().Secrets(s.ns()).Get(ctx, name, metav1.GetOptions{})
}

func (s *Simulator) networkPolicies(ctx context.Context) ([]*networkingv1.NetworkPolicy, error) {
	if s.view != nil {
		return s.view.networkPolicies.List(klabels.Everything())
	}
	list, err := s.Client.NetworkingV1().NetworkPolicies(s.ns()).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	return pointers(list.Items), nil
}

func (s *Simulator) cronJob(ctx context.Context, name string) (*batchv1.CronJob, error) {
	if s.view != nil {
		return s.view.cronJobs.Get(name)
	}
	return s.Client.BatchV1().CronJobs(s.ns()).Get(ctx, name, metav1.GetOptions{})
}

// pointers returns pointers to the items of a list the API server
// returned, as the listers of the view return them.
func pointers[T any](items []T) []*T {
	out := make([]*T, len(items))
	for i := range items {
		out[i] = &items[i]
	}
	return out
}
