package e2e_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	k8srest "k8s.io/client-go/rest"

	fdk "github.com/firedrill/firedrill/injectors/kubernetes"
	"github.com/firedrill/firedrill/internal/devcluster"
	"github.com/firedrill/firedrill/internal/devcluster/clustertest"
	"github.com/firedrill/firedrill/internal/ha"
	"github.com/firedrill/firedrill/internal/shop"
)

// ns is the namespace the example scenarios target.
const ns = shop.Namespace

// theShop is the sample shop installed once in the shared cluster, its
// simulator, and the state every drill must leave it in.
type theShop struct {
	cs       kubernetes.Interface
	ha       *ha.Client // firedrill's own state: Lease, records
	dyn      dynamic.Interface
	disc     discovery.DiscoveryInterface
	urls     map[string]string
	baseline shopState
}

var (
	shopOnce sync.Once
	shopVal  *theShop
	shopErr  error
)

// sharedShop installs the shop in namespace shop (opted in to fault
// injection), waits for its deployments, starts the simulator for the rest
// of the test binary, and records the baseline state. Drills run one after
// the other: they touch the same objects.
func sharedShop(t *testing.T) *theShop {
	t.Helper()
	cl := clustertest.Cluster(t)
	shopOnce.Do(func() { shopVal, shopErr = installShop(cl) })
	if shopErr != nil {
		t.Fatalf("the sample shop: %v", shopErr)
	}
	return shopVal
}

func installShop(cl *devcluster.Cluster) (*theShop, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cs := cl.Client()
	if err := shop.Install(ctx, cs, ns); err != nil {
		return nil, err
	}
	nsObj, err := cs.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	if nsObj.Labels[devcluster.DrillTargetLabel] != "true" {
		return nil, fmt.Errorf("namespace %s lacks the opt-in label %s=true: %v", ns, devcluster.DrillTargetLabel, nsObj.Labels)
	}
	if err := shop.WaitReady(ctx, cs, ns, nil); err != nil {
		return nil, err
	}
	rest := cl.RESTConfig()
	// Listing every kind lists the deprecated v1 Endpoints too; its
	// warning is noise here.
	rest.WarningHandler = k8srest.NoWarnings{}
	dyn, err := dynamic.NewForConfig(rest)
	if err != nil {
		return nil, err
	}
	disc, err := discovery.NewDiscoveryClientForConfig(rest)
	if err != nil {
		return nil, err
	}
	sim := &shop.Simulator{Client: cs, Namespace: ns}
	// The simulator serves for the rest of the test binary.
	urls, err := sim.Start(context.Background())
	if err != nil {
		return nil, err
	}
	hrc, err := k8srest.HTTPClientFor(cl.RESTConfig())
	if err != nil {
		return nil, err
	}
	hc, err := ha.New(cl.RESTConfig().Host, hrc)
	if err != nil {
		return nil, err
	}
	s := &theShop{cs: cs, ha: hc, dyn: dyn, disc: disc, urls: urls}
	if s.baseline, err = s.state(ctx); err != nil {
		return nil, err
	}
	if len(s.baseline.NetworkPolicies) != 0 {
		return nil, fmt.Errorf("the fresh shop has NetworkPolicies: %v", s.baseline.NetworkPolicies)
	}
	return s, nil
}

// shopState is the spec of every shop object a fault of the examples
// changes, as the shop was installed: what "back to the original" means.
// Pod-template annotations are left out: a participant's `kubectl rollout
// restart` legitimately leaves one behind.
type shopState struct {
	ConfigMaps      map[string]map[string]string
	Secrets         map[string]map[string]string
	Deployments     map[string]deploymentSpec
	CronJobs        map[string]bool // suspended
	Services        map[string]map[string]string
	NetworkPolicies []string
	// HPAs are the bounds of each HorizontalPodAutoscaler, [min, max].
	HPAs map[string][2]int32
}

type deploymentSpec struct {
	Replicas int32
	Pod      json.RawMessage // the pod template's spec
	// HPA names the HorizontalPodAutoscaler that owns Replicas: they are
	// its to change (a drill's surge legitimately leaves them scaled out
	// for its stabilisation window), so only its bounds are compared, and
	// Replicas must lie within them.
	HPA string
}

func (s *theShop) state(ctx context.Context) (shopState, error) {
	st := shopState{ConfigMaps: map[string]map[string]string{}, Secrets: map[string]map[string]string{},
		Deployments: map[string]deploymentSpec{}, CronJobs: map[string]bool{}, Services: map[string]map[string]string{}, NetworkPolicies: []string{}, HPAs: map[string][2]int32{}}
	core := s.cs.CoreV1()
	cms, err := core.ConfigMaps(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return st, err
	}
	for _, c := range cms.Items {
		if c.Name != "kube-root-ca.crt" {
			st.ConfigMaps[c.Name] = c.Data
		}
	}
	secs, err := core.Secrets(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return st, err
	}
	for _, sec := range secs.Items {
		m := map[string]string{}
		for k, v := range sec.Data {
			m[k] = string(v)
		}
		st.Secrets[sec.Name] = m
	}
	hpas, err := s.cs.AutoscalingV2().HorizontalPodAutoscalers(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return st, err
	}
	scaledBy := map[string]string{}
	for _, h := range hpas.Items {
		minR := int32(1)
		if h.Spec.MinReplicas != nil {
			minR = *h.Spec.MinReplicas
		}
		st.HPAs[h.Name] = [2]int32{minR, h.Spec.MaxReplicas}
		if h.Spec.ScaleTargetRef.Kind == "Deployment" {
			scaledBy[h.Spec.ScaleTargetRef.Name] = h.Name
		}
	}
	ds, err := s.cs.AppsV1().Deployments(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return st, err
	}
	for _, d := range ds.Items {
		pod, err := json.Marshal(d.Spec.Template.Spec)
		if err != nil {
			return st, err
		}
		st.Deployments[d.Name] = deploymentSpec{Replicas: *d.Spec.Replicas, Pod: pod, HPA: scaledBy[d.Name]}
	}
	cjs, err := s.cs.BatchV1().CronJobs(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return st, err
	}
	for _, c := range cjs.Items {
		st.CronJobs[c.Name] = c.Spec.Suspend != nil && *c.Spec.Suspend
	}
	svcs, err := core.Services(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return st, err
	}
	for _, svc := range svcs.Items {
		st.Services[svc.Name] = svc.Spec.Selector
	}
	nps, err := s.cs.NetworkingV1().NetworkPolicies(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return st, err
	}
	for _, np := range nps.Items {
		st.NetworkPolicies = append(st.NetworkPolicies, np.Name)
	}
	return st, nil
}

// diff names what differs between two states.
func (a shopState) diff(b shopState) []string {
	var out []string
	cmp := func(what string, x, y any) {
		if !reflect.DeepEqual(x, y) {
			xj, _ := json.Marshal(x)
			yj, _ := json.Marshal(y)
			out = append(out, fmt.Sprintf("%s: %s, want %s", what, yj, xj))
		}
	}
	for name, v := range a.ConfigMaps {
		cmp("ConfigMap "+name+" data", v, b.ConfigMaps[name])
	}
	for name, v := range a.Secrets {
		cmp("Secret "+name+" data", v, b.Secrets[name])
	}
	for name, v := range a.Deployments {
		w := b.Deployments[name]
		if bounds, ok := b.HPAs[w.HPA]; ok && v.HPA == w.HPA {
			if w.Replicas < bounds[0] || w.Replicas > bounds[1] {
				out = append(out, fmt.Sprintf("Deployment %s replicas: %d, outside its HPA's bounds %v", name, w.Replicas, bounds))
			}
		} else {
			cmp("Deployment "+name+" replicas", v.Replicas, w.Replicas)
		}
		if string(v.Pod) != string(w.Pod) {
			out = append(out, fmt.Sprintf("Deployment %s pod template: %s, want %s", name, w.Pod, v.Pod))
		}
	}
	cmp("CronJobs suspended", a.CronJobs, b.CronJobs)
	cmp("Service selectors", a.Services, b.Services)
	cmp("NetworkPolicies", a.NetworkPolicies, b.NetworkPolicies)
	cmp("HPA bounds", a.HPAs, b.HPAs)
	sort.Strings(out)
	return out
}

// assertClean asserts that the shop is back to its baseline, that the
// injector's own leftover search finds nothing in the cluster, and that no
// object in namespace shop carries a firedrill.dev/ annotation or label.
func (s *theShop) assertClean(t *testing.T, ctx context.Context) {
	t.Helper()
	t.Run("the shop is back to its original spec", func(t *testing.T) {
		// The deployment controller settles rollouts after the revert;
		// give it a moment, then insist.
		var last []string
		err := poll(ctx, 30*time.Second, func() bool {
			st, err := s.state(ctx)
			if err != nil {
				last = []string{err.Error()}
				return false
			}
			last = s.baseline.diff(st)
			return len(last) == 0
		})
		if err != nil {
			t.Errorf("the shop is not back to its original spec:\n  %s", strings.Join(last, "\n  "))
		}
	})
	t.Run("the injector finds no leftovers in the cluster", func(t *testing.T) {
		in, err := fdk.New(fdk.Config{Kubeconfig: clustertest.Cluster(t).Kubeconfig(), Context: devcluster.ContextName, AllowedContexts: []string{devcluster.ContextName}})
		if err != nil {
			t.Fatalf("kubernetes injector for FindLeftovers: %v", err)
		}
		left, err := in.FindLeftovers(ctx, "")
		if err != nil {
			t.Fatalf("FindLeftovers: %v", err)
		}
		for _, l := range left {
			t.Errorf("FindLeftovers: %s %s/%s still carries fault %s of drill %s", l.Kind, l.Namespace, l.Name, l.FaultID, l.DrillID)
		}
	})
	t.Run("no object in the namespace carries a firedrill.dev mark", func(t *testing.T) {
		for _, m := range s.marked(t, ctx) {
			why := ""
			if strings.HasPrefix(m, "ReplicaSet ") {
				why = " (the deployment controller copies a Deployment's annotations to its ReplicaSets and never removes them; " +
					"the kubernetes injector's revert takes them off the Deployment only)"
			}
			t.Errorf("still marked by firedrill: %s%s", m, why)
		}
	})
}

// marked lists every object of every listable namespaced kind in namespace
// shop that carries a firedrill.dev/ annotation or label, on itself or on
// its pod template.
func (s *theShop) marked(t *testing.T, ctx context.Context) []string {
	t.Helper()
	lists, err := s.disc.ServerPreferredNamespacedResources()
	if err != nil && len(lists) == 0 {
		t.Fatalf("discovery: %v", err)
	}
	var out []string
	kinds := 0
	for _, l := range lists {
		gv, err := schema.ParseGroupVersion(l.GroupVersion)
		if err != nil {
			t.Fatalf("discovery: %v", err)
		}
		for _, r := range l.APIResources {
			if strings.Contains(r.Name, "/") || !contains(r.Verbs, "list") {
				continue
			}
			items, err := s.dyn.Resource(gv.WithResource(r.Name)).Namespace(ns).List(ctx, metav1.ListOptions{})
			if apierrors.IsNotFound(err) || apierrors.IsMethodNotSupported(err) {
				continue
			} else if err != nil {
				t.Fatalf("list %s in %s: %v", r.Name, ns, err)
			}
			kinds++
			for _, it := range items.Items {
				for _, where := range firedrillMarks(&it) {
					out = append(out, fmt.Sprintf("%s %s/%s: %s", r.Kind, ns, it.GetName(), where))
				}
			}
		}
	}
	if kinds < 10 {
		t.Fatalf("the scan for firedrill marks listed only %d kinds in %s", kinds, ns)
	}
	return out
}

func firedrillMarks(u *unstructured.Unstructured) []string {
	var out []string
	check := func(where string, m map[string]string) {
		for k, v := range m {
			if strings.HasPrefix(k, "firedrill.dev/") {
				out = append(out, fmt.Sprintf("%s %s=%s", where, k, v))
			}
		}
	}
	check("annotation", u.GetAnnotations())
	check("label", u.GetLabels())
	for _, path := range [][]string{{"spec", "template", "metadata"}, {"spec", "jobTemplate", "spec", "template", "metadata"}} {
		for _, f := range []string{"annotations", "labels"} {
			m, _, _ := unstructured.NestedStringMap(u.Object, append(path, f)...)
			check("pod template "+strings.TrimSuffix(f, "s"), m)
		}
	}
	return out
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// marks returns the firedrill annotations of an object.
func marks(meta metav1.Object) (drill, faults string) {
	a := meta.GetAnnotations()
	return a[fdk.DrillIDAnnotation], a[fdk.FaultIDAnnotation]
}

// assertMarked asserts the object carries the drill's annotation for fault.
func assertMarked(t *testing.T, what string, meta metav1.Object, drillID, faultID string) {
	t.Helper()
	d, f := marks(meta)
	if d != drillID || !contains(strings.Split(f, ","), faultID) {
		t.Fatalf("%s: firedrill annotations drill %q faults %q, want drill %s fault %s", what, d, f, drillID, faultID)
	}
}

// poll calls ok every 100ms until it is true or timeout passes.
func poll(ctx context.Context, timeout time.Duration, ok func() bool) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		if ok() {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// health is what a person sees with curl: the status and body of a shop
// endpoint served by the simulator.
func (s *theShop) health(service, path string) (int, string) {
	resp, err := http.Get(s.urls[ns+"/"+service] + path)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(b))
}

// waitHealth waits until the endpoint answers want, failing with what it
// last answered.
func (s *theShop) waitHealth(t *testing.T, ctx context.Context, service, path string, want int, contains string) {
	t.Helper()
	var code int
	var body string
	err := poll(ctx, 30*time.Second, func() bool {
		code, body = s.health(service, path)
		return code == want && strings.Contains(body, contains)
	})
	if err != nil {
		t.Fatalf("%s %s: waited 30s for %d containing %q, last answer %d %q", service, path, want, contains, code, body)
	}
}
