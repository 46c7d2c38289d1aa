package clustertest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/yaml"
)

// RBAC is deploy/base/rbac.yaml, parsed: the objects that grant firedrill its
// permissions.
type RBAC struct {
	ClusterRoles        map[string]rbacv1.ClusterRole
	Roles               map[string]rbacv1.Role
	ClusterRoleBindings []rbacv1.ClusterRoleBinding
	RoleBindings        []rbacv1.RoleBinding
}

// DeployRBAC reads and strictly parses the repository's deploy/base/rbac.yaml,
// failing t with the document number of anything it cannot read.
func DeployRBAC(t testing.TB) RBAC {
	t.Helper()
	_, here, _, _ := runtime.Caller(0)
	path := filepath.Join(filepath.Dir(here), "..", "..", "..", "deploy", "base", "rbac.yaml")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := RBAC{ClusterRoles: map[string]rbacv1.ClusterRole{}, Roles: map[string]rbacv1.Role{}}
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
		var obj any
		switch head.Kind {
		case "ClusterRole":
			obj = &rbacv1.ClusterRole{}
		case "Role":
			obj = &rbacv1.Role{}
		case "ClusterRoleBinding":
			obj = &rbacv1.ClusterRoleBinding{}
		case "RoleBinding":
			obj = &rbacv1.RoleBinding{}
		default:
			continue
		}
		if err := yaml.UnmarshalStrict(doc, obj); err != nil {
			t.Fatalf("rbac.yaml document %d: %v", i, err)
		}
		switch o := obj.(type) {
		case *rbacv1.ClusterRole:
			out.ClusterRoles[o.Name] = *o
		case *rbacv1.Role:
			out.Roles[o.Name] = *o
		case *rbacv1.ClusterRoleBinding:
			out.ClusterRoleBindings = append(out.ClusterRoleBindings, *o)
		case *rbacv1.RoleBinding:
			out.RoleBindings = append(out.RoleBindings, *o)
		}
	}
	if len(out.ClusterRoles) == 0 || len(out.Roles) == 0 {
		t.Fatal("deploy/base/rbac.yaml: no ClusterRole or no Role")
	}
	return out
}

// ServiceAccount creates the ServiceAccount firedrill in ns, binds it to
// clusterRoles (created under names unique to ns, removed when the test
// ends) and to a Role firedrill-drill-target in ns with roleRules, and
// returns a REST config impersonating it and its user name.
func ServiceAccount(t testing.TB, ns string, clusterRoles []rbacv1.ClusterRole, roleRules []rbacv1.PolicyRule) (*rest.Config, string) {
	t.Helper()
	cs := Client(t)
	ctx := context.Background()
	if _, err := cs.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "firedrill"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	subject := []rbacv1.Subject{{Kind: "ServiceAccount", Name: "firedrill", Namespace: ns}}
	for _, cr := range clusterRoles {
		name := cr.Name + "-" + ns
		if _, err := cs.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name}, Rules: cr.Rules}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := cs.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: name}, Subjects: subject,
			RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: name},
		}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			_ = cs.RbacV1().ClusterRoleBindings().Delete(context.Background(), name, metav1.DeleteOptions{})
			_ = cs.RbacV1().ClusterRoles().Delete(context.Background(), name, metav1.DeleteOptions{})
		})
	}
	if _, err := cs.RbacV1().Roles(ns).Create(ctx, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "firedrill-drill-target"}, Rules: roleRules}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.RbacV1().RoleBindings(ns).Create(ctx, &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "firedrill-drill-target"}, Subjects: subject,
		RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "firedrill-drill-target"},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	user := "system:serviceaccount:" + ns + ":firedrill"
	rc := Cluster(t).RESTConfig()
	rc.Impersonate = rest.ImpersonationConfig{UserName: user, Groups: []string{"system:serviceaccounts", "system:serviceaccounts:" + ns, "system:authenticated"}}
	return rc, user
}
