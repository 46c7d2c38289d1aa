package kubernetes_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/injectors/kubernetes"
	"github.com/firedrill/firedrill/internal/devcluster/clustertest"
)

// rbacFile is the parsed deploy/base/rbac.yaml: the rules bound to the
// firedrill ServiceAccount cluster-wide (ClusterRoles through
// ClusterRoleBindings) and per namespace (Roles through RoleBindings).
type rbacFile struct {
	cluster    []rbacv1.PolicyRule
	namespaced []rbacv1.PolicyRule
}

func readRBAC(t *testing.T) rbacFile {
	t.Helper()
	rb := clustertest.DeployRBAC(t)
	var crbs, rbs []rbacv1.RoleRef
	for _, b := range rb.ClusterRoleBindings {
		if boundToFiredrill(b.Subjects) {
			crbs = append(crbs, b.RoleRef)
		}
	}
	for _, b := range rb.RoleBindings {
		if boundToFiredrill(b.Subjects) {
			rbs = append(rbs, b.RoleRef)
		}
	}
	var f rbacFile
	for _, ref := range crbs {
		cr, ok := rb.ClusterRoles[ref.Name]
		rules := cr.Rules
		if ref.Kind != "ClusterRole" || !ok {
			t.Fatalf("rbac.yaml: a ClusterRoleBinding refers to %s %q, which the file does not define", ref.Kind, ref.Name)
		}
		f.cluster = append(f.cluster, rules...)
	}
	for _, ref := range rbs {
		var rules []rbacv1.PolicyRule
		var ok bool
		if ref.Kind == "Role" {
			var ro rbacv1.Role
			ro, ok = rb.Roles[ref.Name]
			rules = ro.Rules
		} else {
			var cr rbacv1.ClusterRole
			cr, ok = rb.ClusterRoles[ref.Name]
			rules = cr.Rules
		}
		if !ok {
			t.Fatalf("rbac.yaml: a RoleBinding refers to %s %q, which the file does not define", ref.Kind, ref.Name)
		}
		f.namespaced = append(f.namespaced, rules...)
	}
	if len(f.cluster) == 0 || len(f.namespaced) == 0 {
		t.Fatalf("rbac.yaml binds %d cluster-wide and %d namespaced rules to the firedrill ServiceAccount; want both", len(f.cluster), len(f.namespaced))
	}
	return f
}

func boundToFiredrill(subjects []rbacv1.Subject) bool {
	for _, s := range subjects {
		if s.Kind == "ServiceAccount" && s.Name == "firedrill" && s.Namespace == "firedrill" {
			return true
		}
	}
	return false
}

func grants(rules []rbacv1.PolicyRule, p kubernetes.Permission) bool {
	res := p.Resource
	if p.Subresource != "" {
		res += "/" + p.Subresource
	}
	for _, r := range rules {
		if (slices.Contains(r.APIGroups, p.Group) || slices.Contains(r.APIGroups, "*")) &&
			(slices.Contains(r.Resources, res) || slices.Contains(r.Resources, "*")) &&
			(slices.Contains(r.Verbs, p.Verb) || slices.Contains(r.Verbs, "*")) {
			return true
		}
	}
	return false
}

func TestDeployRBACGrantsExactlyThePermissionTable(t *testing.T) {
	f := readRBAC(t)
	t.Run("every permission of the table is granted in its scope", func(t *testing.T) {
		for _, n := range kubernetes.Permissions {
			var ok bool
			switch n.Scope {
			case kubernetes.ScopeCluster, kubernetes.ScopeAllNamespaces:
				ok = grants(f.cluster, n.Permission)
			case kubernetes.ScopeTarget, kubernetes.ScopeOptedIn:
				ok = grants(f.namespaced, n.Permission) || grants(f.cluster, n.Permission)
			default:
				t.Fatalf("unknown scope %q", n.Scope)
			}
			if !ok {
				t.Errorf("deploy/base/rbac.yaml does not grant %s (%s scope), needed by %s %s: %s", n.Permission, n.Scope, n.User, n.Type, n.Why)
			}
		}
	})
	t.Run("every granted permission is in the table", func(t *testing.T) {
		check := func(where string, rules []rbacv1.PolicyRule) {
			for _, r := range rules {
				for _, g := range r.APIGroups {
					for _, res := range r.Resources {
						for _, v := range r.Verbs {
							resource, sub, _ := strings.Cut(res, "/")
							found := false
							for _, n := range kubernetes.Permissions {
								p := n.Permission
								found = found || (p.Group == g && p.Resource == resource && p.Subresource == sub && p.Verb == v)
							}
							if !found {
								t.Errorf("deploy/base/rbac.yaml grants %s %s in group %q (%s) but nothing in the permission table needs it", v, res, g, where)
							}
						}
					}
				}
			}
		}
		check("cluster-wide", f.cluster)
		check("per namespace", f.namespaced)
	})
}

func TestEveryCatalogTypeHasPermissions(t *testing.T) {
	info, err := (&kubernetes.Injector{}).Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, ft := range info.FaultTypes {
		ps, err := kubernetes.FaultPermissions(injectors.Fault{FaultID: "f", Type: ft.Name, Target: injectors.Target{Kind: ft.TargetKinds[0]}})
		if err != nil {
			t.Errorf("fault type %s: %v", ft.Name, err)
		} else if len(ps) == 0 {
			t.Errorf("fault type %s needs no permission according to the table", ft.Name)
		}
	}
	for _, pt := range info.ProbeTypes {
		ps, err := kubernetes.ProbePermissions(injectors.Probe{Type: pt.Name}, nil)
		if err != nil {
			t.Errorf("probe type %s: %v", pt.Name, err)
		} else if len(ps) == 0 {
			t.Errorf("probe type %s needs no permission according to the table", pt.Name)
		}
	}
}

func permStrings(ns []kubernetes.Need) []string {
	var out []string
	for _, n := range ns {
		out = append(out, n.String()+" @"+string(n.Scope))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func TestFaultPermissions(t *testing.T) {
	tests := []struct {
		name    string
		fault   injectors.Fault
		want    []string
		wantErr string
	}{
		{name: "scale of a Deployment: read and update the Deployment, and unmark its ReplicaSets",
			fault: injectors.Fault{Type: "scale", Target: injectors.Target{Namespace: "shop", Kind: "Deployment", Name: "api"}},
			want: []string{"get deployments.apps @namespace", "get namespaces @cluster", "get replicasets.apps @namespace", "list replicasets.apps @namespace",
				"update deployments.apps @namespace", "update replicasets.apps @namespace"}},
		{name: "scale of a StatefulSet: read and update the StatefulSet",
			fault: injectors.Fault{Type: "scale", Target: injectors.Target{Namespace: "shop", Kind: "StatefulSet", Name: "db"}},
			want:  []string{"get namespaces @cluster", "get statefulsets.apps @namespace", "update statefulsets.apps @namespace"}},
		{name: "configmap-key with a restart: also the restarted Deployment",
			fault: injectors.Fault{Type: "configmap-key", Target: injectors.Target{Namespace: "shop", Name: "cfg"}, Params: []byte(`{"key":"A","value":"1","restart":"deployment/api"}`)},
			want: []string{"get configmaps @namespace", "get deployments.apps @namespace", "get namespaces @cluster", "get replicasets.apps @namespace",
				"list replicasets.apps @namespace", "update configmaps @namespace", "update deployments.apps @namespace", "update replicasets.apps @namespace"}},
		{name: "secret-key without a restart: only the Secret",
			fault: injectors.Fault{Type: "secret-key", Target: injectors.Target{Namespace: "shop", Name: "db"}, Params: []byte(`{"key":"A","value":"1"}`)},
			want:  []string{"get namespaces @cluster", "get secrets @namespace", "update secrets @namespace"}},
		{name: "pod-delete: list and delete pods",
			fault: injectors.Fault{Type: "pod-delete", Target: injectors.Target{Namespace: "shop", Selector: map[string]string{"app": "api"}}, Params: []byte(`{"count":1}`)},
			want:  []string{"delete pods @namespace", "get namespaces @cluster", "list pods @namespace"}},
		{name: "network-isolate of a named Deployment: reads its selector",
			fault: injectors.Fault{Type: "network-isolate", Target: injectors.Target{Namespace: "shop", Kind: "Deployment", Name: "api"}, Params: []byte(`{"direction":"both"}`)},
			want:  []string{"create networkpolicies.networking.k8s.io @namespace", "delete networkpolicies.networking.k8s.io @namespace", "get deployments.apps @namespace", "get namespaces @cluster", "get networkpolicies.networking.k8s.io @namespace"}},
		{name: "network-isolate by selector: no workload read",
			fault: injectors.Fault{Type: "network-isolate", Target: injectors.Target{Namespace: "shop", Selector: map[string]string{"app": "api"}}, Params: []byte(`{"direction":"ingress"}`)},
			want:  []string{"create networkpolicies.networking.k8s.io @namespace", "delete networkpolicies.networking.k8s.io @namespace", "get namespaces @cluster", "get networkpolicies.networking.k8s.io @namespace"}},
		{name: "node-cordon without drain: only the node",
			fault: injectors.Fault{Type: "node-cordon", Target: injectors.Target{Kind: "Node", Name: "n1"}},
			want:  []string{"get nodes @cluster", "update nodes @cluster"}},
		{name: "node-cordon with drain: pods of all namespaces and evictions in opted-in ones",
			fault: injectors.Fault{Type: "node-cordon", Target: injectors.Target{Kind: "Node", Name: "n1"}, Params: []byte(`{"drain":true}`)},
			want:  []string{"create pods/eviction @opted-in-namespaces", "get namespaces @cluster", "get nodes @cluster", "list pods @all-namespaces", "update nodes @cluster"}},
		{name: "unknown fault type: refused",
			fault: injectors.Fault{Type: "meteor"}, wantErr: `fault type "meteor" is not a kubernetes fault type`},
		{name: "restart of an unknown kind: refused",
			fault:   injectors.Fault{FaultID: "f1", Type: "configmap-key", Params: []byte(`{"key":"A","value":"1","restart":"job/x"}`)},
			wantErr: `fault f1: params.restart: "job/x" is not deployment/NAME`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := kubernetes.FaultPermissions(tt.fault)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || injectors.ErrorCode(err) != injectors.EINVALID {
					t.Fatalf("err = %v, want EINVALID %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if g := permStrings(got); !slices.Equal(g, tt.want) {
				t.Errorf("permissions =\n  %s\nwant\n  %s", strings.Join(g, "\n  "), strings.Join(tt.want, "\n  "))
			}
		})
	}
}

func TestProbePermissions(t *testing.T) {
	svc := injectors.Target{Namespace: "shop", Name: "api"}
	tests := []struct {
		name        string
		probe       injectors.Probe
		serviceURLs map[string]string
		want        []string
	}{
		{name: "http-get through the service proxy: get services/proxy and the Service for its port",
			probe: injectors.Probe{Type: "http-get", Target: svc, Params: []byte(`{"path":"/health"}`)},
			want:  []string{"get services @namespace", "get services/proxy @namespace"}},
		{name: "http-get through the service proxy with params.port: get services/proxy only",
			probe: injectors.Probe{Type: "http-get", Target: svc, Params: []byte(`{"path":"/health","port":"http"}`)},
			want:  []string{"get services/proxy @namespace"}},
		{name: "http-get through the service proxy with a numbered params.port: get services/proxy only",
			probe: injectors.Probe{Type: "http-get", Target: svc, Params: []byte(`{"path":"/health","port":8080}`)},
			want:  []string{"get services/proxy @namespace"}},
		{name: "http-get of a URL: nothing from the API server",
			probe: injectors.Probe{Type: "http-get", Params: []byte(`{"url":"http://example.test/"}`)}},
		{name: "http-get of a Service in kubernetes.serviceURLs: nothing from the API server",
			probe: injectors.Probe{Type: "http-get", Target: svc}, serviceURLs: map[string]string{"shop/api": "http://127.0.0.1:9/"}},
		{name: "endpoints: list EndpointSlices",
			probe: injectors.Probe{Type: "endpoints", Target: svc},
			want:  []string{"list endpointslices.discovery.k8s.io @namespace"}},
		{name: "deployment-available: get the Deployment",
			probe: injectors.Probe{Type: "deployment-available", Target: svc},
			want:  []string{"get deployments.apps @namespace"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := kubernetes.ProbePermissions(tt.probe, tt.serviceURLs)
			if err != nil {
				t.Fatal(err)
			}
			if g := permStrings(got); !slices.Equal(g, tt.want) {
				t.Errorf("permissions = %v, want %v", g, tt.want)
			}
		})
	}
	t.Run("unknown probe type: refused", func(t *testing.T) {
		_, err := kubernetes.ProbePermissions(injectors.Probe{Type: "ping"}, nil)
		if injectors.ErrorCode(err) != injectors.EINVALID || !strings.Contains(err.Error(), `probe type "ping"`) {
			t.Fatalf("err = %v, want EINVALID naming the type", err)
		}
	})
}

func TestLeftoverPermissionsListEveryMarkedKindEverywhere(t *testing.T) {
	got := permStrings(kubernetes.LeftoverPermissions())
	want := []string{
		"list configmaps @all-namespaces", "list cronjobs.batch @all-namespaces", "list daemonsets.apps @all-namespaces",
		"list deployments.apps @all-namespaces", "list horizontalpodautoscalers.autoscaling @all-namespaces",
		"list networkpolicies.networking.k8s.io @all-namespaces", "list nodes @cluster", "list replicasets.apps @all-namespaces", "list secrets @all-namespaces",
		"list services @all-namespaces", "list statefulsets.apps @all-namespaces",
	}
	if !slices.Equal(got, want) {
		t.Errorf("leftover permissions =\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// asFiredrill binds deploy/base/rbac.yaml to a ServiceAccount of ns — its
// ClusterRoles under names unique to the test, its Role in ns — and returns
// an injector acting as that ServiceAccount (impersonated).
func asFiredrill(t *testing.T, ns string) *kubernetes.Injector {
	t.Helper()
	rb := clustertest.DeployRBAC(t)
	var crs []rbacv1.ClusterRole
	for _, cr := range rb.ClusterRoles {
		crs = append(crs, cr)
	}
	var rules []rbacv1.PolicyRule
	for _, ro := range rb.Roles {
		rules = append(rules, ro.Rules...)
	}
	rc, _ := clustertest.ServiceAccount(t, ns, crs, rules)
	return newInjector(t, func(c *kubernetes.Config) { c.Rest = rc })
}

// TestDeployRBACIsEnoughForEveryFaultAndProbe runs every fault type
// (validate, prepare, inject, status, revert) and every probe against the
// real API server as a ServiceAccount granted exactly deploy/base/rbac.yaml:
// the table and the file are not only in step, they are sufficient.
func TestDeployRBACIsEnoughForEveryFaultAndProbe(t *testing.T) {
	ns := clustertest.Namespace(t)
	ctx := context.Background()
	in := asFiredrill(t, ns)
	makeDeployment(t, ns, "api", 2)
	makeStatefulSet(t, ns, "db")
	makeConfigMap(t, ns, "cfg", map[string]string{"A": "1"})
	makeSecret(t, ns, "creds", map[string]string{"P": "x"})
	makeService(t, ns, "api", labelsOf("api"))
	makeHPA(t, ns, "api")
	makeCronJob(t, ns, "settle")
	makeDeployment(t, ns, "traffic", 1, corev1.Container{Name: "traffic", Image: "traffic:1", Env: []corev1.EnvVar{{Name: "RPS", Value: "30"}}})
	waitAvailable(t, ns, "api", 2)
	// A node of its own, opted in, with one pod of ns on it, for the drain.
	cs := clustertest.Client(t)
	node := "perm-" + ns
	if len(node) > 63 {
		node = strings.TrimRight(node[:63], "-")
	}
	if _, err := cs.CoreV1().Nodes().Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: node,
		Labels: map[string]string{kubernetes.DrillTargetLabel: "true", "type": "kwok"}, Annotations: map[string]string{"kwok.x-k8s.io/node": "fake"}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cs.CoreV1().Nodes().Delete(context.Background(), node, metav1.DeleteOptions{}) })
	if _, err := cs.CoreV1().Pods(ns).Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "on-node"},
		Spec: corev1.PodSpec{NodeName: node, Containers: []corev1.Container{{Name: "c", Image: "c:1"}}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	dep := injectors.Target{Namespace: ns, Kind: "Deployment", Name: "api"}
	faults := []struct {
		typ    string
		target injectors.Target
		params map[string]any
	}{
		{"pod-delete", injectors.Target{Namespace: ns, Selector: labelsOf("api")}, map[string]any{"count": 1}},
		{"scale", injectors.Target{Namespace: ns, Kind: "StatefulSet", Name: "db"}, map[string]any{"replicas": 0}},
		{"bad-image", dep, map[string]any{"image": "registry.example/api:nope"}},
		{"configmap-key", injectors.Target{Namespace: ns, Name: "cfg"}, map[string]any{"key": "A", "value": "2", "restart": "deployment/api"}},
		{"secret-key", injectors.Target{Namespace: ns, Name: "creds"}, map[string]any{"key": "P", "remove": true}},
		{"env-var", dep, map[string]any{"name": "MODE", "value": "debug"}},
		{"service-selector", injectors.Target{Namespace: ns, Kind: "Service", Name: "api"}, nil},
		{"network-isolate", dep, map[string]any{"direction": "both"}},
		{"resource-squeeze", dep, map[string]any{"memoryLimit": "64Mi"}},
		{"node-cordon", injectors.Target{Kind: "Node", Name: node}, map[string]any{"drain": true}},
		{"hpa-bounds", injectors.Target{Namespace: ns, Kind: "HorizontalPodAutoscaler", Name: "api"}, map[string]any{"maxReplicas": 2}},
		{"cronjob-suspend", injectors.Target{Namespace: ns, Kind: "CronJob", Name: "settle"}, nil},
		{"traffic-surge", injectors.Target{Namespace: ns, Kind: "Deployment", Name: "traffic"}, map[string]any{"factor": 3}},
		{"pod-slow", injectors.Target{Namespace: ns, Kind: "Pod", Selector: labelsOf("api")}, map[string]any{"cpuLimit": "100m"}},
	}
	info, _ := in.Info(ctx)
	if len(faults) != len(info.FaultTypes) {
		t.Fatalf("the test covers %d fault types, the catalog has %d", len(faults), len(info.FaultTypes))
	}
	for _, ft := range faults {
		t.Run(ft.typ+" works with deploy/base/rbac.yaml", func(t *testing.T) {
			f := injectors.Fault{DrillID: drillID, FaultID: "perm-" + ft.typ, Type: ft.typ, Target: ft.target, Params: params(t, ft.params)}
			rec := lifecycle(t, in, f)
			if _, err := in.Status(ctx, f, rec); err != nil {
				t.Errorf("Status: %v", err)
			}
			if err := in.Revert(ctx, rec); err != nil {
				t.Errorf("Revert: %v", err)
			}
		})
	}
	probes := []injectors.Probe{
		{Type: "deployment-available", Target: dep},
		{Type: "pod-status", Target: injectors.Target{Namespace: ns, Selector: labelsOf("api")}},
		{Type: "endpoints", Target: injectors.Target{Namespace: ns, Name: "api"}},
		{Type: "http-get", Target: injectors.Target{Namespace: ns, Kind: "Service", Name: "api"}, Params: params(t, map[string]any{"path": "/health"})},
	}
	for _, p := range probes {
		t.Run(p.Type+" probe works with deploy/base/rbac.yaml", func(t *testing.T) {
			res, err := in.Probe(ctx, p)
			if err != nil {
				t.Fatalf("Probe: %v", err)
			}
			if strings.Contains(res.Detail, "403") || strings.Contains(res.Detail, "forbidden") {
				t.Errorf("probe refused by RBAC: %s", res.Detail)
			}
		})
	}
	t.Run("the leftover scan works with deploy/base/rbac.yaml", func(t *testing.T) {
		if _, err := in.FindLeftovers(ctx, ""); err != nil {
			t.Fatal(err)
		}
	})
}
