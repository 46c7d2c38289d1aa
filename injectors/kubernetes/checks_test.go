package kubernetes_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"

	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/injectors/kubernetes"
	"github.com/firedrill/firedrill/internal/devcluster"
	"github.com/firedrill/firedrill/internal/devcluster/clustertest"
)

func TestServerInfo_NamesTheServerAndTheUser(t *testing.T) {
	in := newInjector(t)
	si, err := in.ServerInfo(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if si.Host != clustertest.Cluster(t).Server() || si.Version != devcluster.KubernetesVersion || si.User == "" {
		t.Errorf("ServerInfo = %+v, want host %s, version %s and a user", si, clustertest.Cluster(t).Server(), devcluster.KubernetesVersion)
	}
}

func TestServerInfo_DeadServerFailsWithItsHost(t *testing.T) {
	dead := clustertest.Cluster(t).RESTConfig()
	dead.Host = "https://127.0.0.1:1"
	in := newInjector(t, func(c *kubernetes.Config) { c.Rest = dead })
	si, err := in.ServerInfo(context.Background())
	if err == nil || si.Host != dead.Host {
		t.Fatalf("ServerInfo on a dead server = %+v, %v; want an error and host %s", si, err, dead.Host)
	}
}

func TestNamespace(t *testing.T) {
	optedIn, plain := clustertest.Namespace(t), clustertest.PlainNamespace(t)
	tests := []struct {
		name string
		ns   string
		want kubernetes.ObjectInfo
	}{
		{name: "opted in", ns: optedIn, want: kubernetes.ObjectInfo{Exists: true, DrillTarget: "true"}},
		{name: "not opted in", ns: plain, want: kubernetes.ObjectInfo{Exists: true}},
		{name: "missing: exists is false, no error", ns: "no-such-namespace", want: kubernetes.ObjectInfo{}},
	}
	in := newInjector(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := in.Namespace(context.Background(), tc.ns)
			if err != nil || got != tc.want {
				t.Errorf("Namespace(%s) = %+v, %v; want %+v", tc.ns, got, err, tc.want)
			}
		})
	}
}

func TestObject(t *testing.T) {
	ns := clustertest.Namespace(t)
	makeConfigMap(t, ns, "settings", map[string]string{"k": "v"})
	nodes := clustertest.Client(t)
	nl, err := nodes.CoreV1().Nodes().List(context.Background(), metav1.ListOptions{})
	if err != nil || len(nl.Items) == 0 {
		t.Fatalf("list nodes: %v (%d)", err, len(nl.Items))
	}
	node := nl.Items[0]
	tests := []struct {
		name               string
		kind, objNS, obj   string
		want               kubernetes.ObjectInfo
		wantCode           string
		wantMessageContain string
	}{
		{name: "existing object", kind: "ConfigMap", objNS: ns, obj: "settings", want: kubernetes.ObjectInfo{Exists: true}},
		{name: "missing object: exists is false, no error", kind: "Deployment", objNS: ns, obj: "nothing-here"},
		{name: "cluster-scoped kind ignores the namespace", kind: "Node", objNS: ns, obj: node.Name,
			want: kubernetes.ObjectInfo{Exists: true, DrillTarget: node.Labels[kubernetes.DrillTargetLabel]}},
		{name: "unknown kind is invalid", kind: "Gadget", objNS: ns, obj: "x", wantCode: injectors.EINVALID, wantMessageContain: `kind "Gadget" is not supported`},
	}
	in := newInjector(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := in.Object(context.Background(), tc.kind, tc.objNS, tc.obj)
			if tc.wantCode != "" {
				wantCode(t, err, tc.wantCode)
				if !strings.Contains(injectors.ErrorMessage(err), tc.wantMessageContain) {
					t.Errorf("message %q, want it to contain %q", injectors.ErrorMessage(err), tc.wantMessageContain)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("Object(%s %s/%s) = %+v, %v; want %+v", tc.kind, tc.objNS, tc.obj, got, err, tc.want)
			}
		})
	}
}

func TestCountPods_CountsTheSelectorsPods(t *testing.T) {
	ns := clustertest.Namespace(t)
	makeDeployment(t, ns, "web", 2)
	waitAvailable(t, ns, "web", 2)
	in := newInjector(t)
	for sel, want := range map[string]int{"web": 2, "nobody": 0} {
		n, err := in.CountPods(context.Background(), ns, labelsOf(sel))
		if err != nil || n != want {
			t.Errorf("CountPods(app=%s) = %d, %v; want %d", sel, n, err, want)
		}
	}
}

func TestOptedInNamespaces_ListsOnlyLabelledOnes(t *testing.T) {
	optedIn, plain := clustertest.Namespace(t), clustertest.PlainNamespace(t)
	got, err := newInjector(t).OptedInNamespaces(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(got, optedIn) || slices.Contains(got, plain) {
		t.Errorf("OptedInNamespaces = %v, want it to hold %s and not %s", got, optedIn, plain)
	}
}

func TestReviewAccess_AnswersForTheInjectorsUser(t *testing.T) {
	ns := clustertest.Namespace(t)
	asks := []kubernetes.Access{
		{Permission: kubernetes.Permission{Group: "apps", Resource: "deployments", Verb: "update", Scope: kubernetes.ScopeTarget}, Namespace: ns},
		{Permission: kubernetes.Permission{Resource: "nodes", Verb: "list", Scope: kubernetes.ScopeCluster}},
	}
	tests := []struct {
		name string
		rest func(t *testing.T) *rest.Config
		want []bool
	}{
		{name: "admin may do both", rest: func(t *testing.T) *rest.Config { return clustertest.Cluster(t).RESTConfig() }, want: []bool{true, true}},
		{name: "a user without grants may do neither", rest: func(t *testing.T) *rest.Config {
			rc := clustertest.Cluster(t).RESTConfig()
			rc.Impersonate = rest.ImpersonationConfig{UserName: "nobody-at-all"}
			return rc
		}, want: []bool{false, false}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := newInjector(t, func(c *kubernetes.Config) { c.Rest = tc.rest(t) })
			got, err := in.ReviewAccess(context.Background(), asks)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %d answers, want %d", len(got), len(tc.want))
			}
			for i := range got {
				if got[i].Allowed != tc.want[i] {
					t.Errorf("%s %s: allowed = %v, want %v", asks[i].Permission, asks[i].Namespace, got[i].Allowed, tc.want[i])
				}
			}
		})
	}
}

func TestChecks_RefusedContextAsksNothing(t *testing.T) {
	in := newInjector(t, func(c *kubernetes.Config) { c.AllowedContexts = []string{"beta"} })
	ctx := context.Background()
	_, e1 := in.ServerInfo(ctx)
	_, e2 := in.Namespace(ctx, "default")
	_, e3 := in.Object(ctx, "ConfigMap", "default", "x")
	_, e4 := in.CountPods(ctx, "default", labelsOf("x"))
	_, e5 := in.OptedInNamespaces(ctx)
	_, e6 := in.ReviewAccess(ctx, nil)
	for i, err := range []error{e1, e2, e3, e4, e5, e6} {
		if injectors.ErrorCode(err) != injectors.EFORBIDDEN || !kubernetes.IsForbidden(err) {
			t.Errorf("check %d: error %v, want EFORBIDDEN naming kubernetes.allowedContexts", i+1, err)
		}
	}
}

func TestRequestTimeout_BoundsEveryRequest(t *testing.T) {
	in := newInjector(t, func(c *kubernetes.Config) { c.RequestTimeout = 7 * time.Second })
	if got := in.RESTConfig().Timeout; got != 7*time.Second {
		t.Errorf("RESTConfig().Timeout = %v, want 7s", got)
	}
}
