package kubernetes_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/injectors/kubernetes"
)

// rbacFile is the parsed deploy/rbac.yaml: the rules bound to the
// firedrill ServiceAccount cluster-wide (ClusterRoles through
// ClusterRoleBindings) and per namespace (Roles through RoleBindings).
type rbacFile struct {
	cluster    []rbacv1.PolicyRule
	namespaced []rbacv1.PolicyRule
}

func readRBAC(t *testing.T) rbacFile {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "deploy", "rbac.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	roles := map[string][]rbacv1.PolicyRule{}
	clusterRoles := map[string][]rbacv1.PolicyRule{}
	var crbs, rbs []rbacv1.RoleRef
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(b)))
	for i := 0; ; i++ {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("rbac.yaml document %d: %v", i, err)
		}
		var head struct{ Kind string }
		if err := yaml.Unmarshal(doc, &head); err != nil {
			t.Fatalf("rbac.yaml document %d: %v", i, err)
		}
		switch head.Kind {
		case "ClusterRole":
			var cr rbacv1.ClusterRole
			if err := yaml.UnmarshalStrict(doc, &cr); err != nil {
				t.Fatalf("rbac.yaml document %d: %v", i, err)
			}
			clusterRoles[cr.Name] = cr.Rules
		case "Role":
			var ro rbacv1.Role
			if err := yaml.UnmarshalStrict(doc, &ro); err != nil {
				t.Fatalf("rbac.yaml document %d: %v", i, err)
			}
			roles[ro.Name] = ro.Rules
		case "ClusterRoleBinding":
			var b rbacv1.ClusterRoleBinding
			if err := yaml.UnmarshalStrict(doc, &b); err != nil {
				t.Fatalf("rbac.yaml document %d: %v", i, err)
			}
			if boundToFiredrill(b.Subjects) {
				crbs = append(crbs, b.RoleRef)
			}
		case "RoleBinding":
			var b rbacv1.RoleBinding
			if err := yaml.UnmarshalStrict(doc, &b); err != nil {
				t.Fatalf("rbac.yaml document %d: %v", i, err)
			}
			if boundToFiredrill(b.Subjects) {
				rbs = append(rbs, b.RoleRef)
			}
		}
	}
	var f rbacFile
	for _, ref := range crbs {
		rules, ok := clusterRoles[ref.Name]
		if ref.Kind != "ClusterRole" || !ok {
			t.Fatalf("rbac.yaml: a ClusterRoleBinding refers to %s %q, which the file does not define", ref.Kind, ref.Name)
		}
		f.cluster = append(f.cluster, rules...)
	}
	for _, ref := range rbs {
		var rules []rbacv1.PolicyRule
		var ok bool
		if ref.Kind == "Role" {
			rules, ok = roles[ref.Name]
		} else {
			rules, ok = clusterRoles[ref.Name]
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
				t.Errorf("deploy/rbac.yaml does not grant %s (%s scope), needed by %s %s: %s", n.Permission, n.Scope, n.User, n.Type, n.Why)
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
								t.Errorf("deploy/rbac.yaml grants %s %s in group %q (%s) but nothing in the permission table needs it", v, res, g, where)
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
		{name: "scale of a Deployment: read and update the Deployment",
			fault: injectors.Fault{Type: "scale", Target: injectors.Target{Namespace: "shop", Kind: "Deployment", Name: "api"}},
			want:  []string{"get deployments.apps @namespace", "get namespaces @cluster", "update deployments.apps @namespace"}},
		{name: "scale of a StatefulSet: read and update the StatefulSet",
			fault: injectors.Fault{Type: "scale", Target: injectors.Target{Namespace: "shop", Kind: "StatefulSet", Name: "db"}},
			want:  []string{"get namespaces @cluster", "get statefulsets.apps @namespace", "update statefulsets.apps @namespace"}},
		{name: "configmap-key with a restart: also the restarted Deployment",
			fault: injectors.Fault{Type: "configmap-key", Target: injectors.Target{Namespace: "shop", Name: "cfg"}, Params: []byte(`{"key":"A","value":"1","restart":"deployment/api"}`)},
			want:  []string{"get configmaps @namespace", "get deployments.apps @namespace", "get namespaces @cluster", "update configmaps @namespace", "update deployments.apps @namespace"}},
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
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || control.ErrorCode(err) != control.EINVALID {
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
		{name: "http-get through the service proxy: get services/proxy",
			probe: injectors.Probe{Type: "http-get", Target: svc, Params: []byte(`{"path":"/health"}`)},
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
		if control.ErrorCode(err) != control.EINVALID || !strings.Contains(err.Error(), `probe type "ping"`) {
			t.Fatalf("err = %v, want EINVALID naming the type", err)
		}
	})
}

func TestLeftoverPermissionsListEveryMarkedKindEverywhere(t *testing.T) {
	got := permStrings(kubernetes.LeftoverPermissions())
	want := []string{
		"list configmaps @all-namespaces", "list cronjobs.batch @all-namespaces", "list daemonsets.apps @all-namespaces",
		"list deployments.apps @all-namespaces", "list horizontalpodautoscalers.autoscaling @all-namespaces",
		"list networkpolicies.networking.k8s.io @all-namespaces", "list nodes @cluster", "list secrets @all-namespaces",
		"list services @all-namespaces", "list statefulsets.apps @all-namespaces",
	}
	if !slices.Equal(got, want) {
		t.Errorf("leftover permissions =\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}
