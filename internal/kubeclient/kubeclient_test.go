package kubeclient_test

import (
	"context"
	"os"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	authnv1 "k8s.io/api/authentication/v1"
	authzv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/firedrill/firedrill/internal/devcluster/clustertest"
	"github.com/firedrill/firedrill/internal/kubeclient"
)

func TestMain(m *testing.M) { os.Exit(clustertest.Main(m)) }

// TestClientset_speaksToTheAPIServer runs every call of the client against
// the real local API server and checks what comes back against client-go's
// clientset.
func TestClientset_speaksToTheAPIServer(t *testing.T) {
	ctx := context.Background()
	c := clustertest.Cluster(t)
	cs, err := kubeclient.NewForConfig(c.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	ref := clustertest.Client(t)
	ns := clustertest.Namespace(t)
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Labels: map[string]string{"app": "web"}},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "nginx"}}},
	}
	if _, err := ref.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	t.Run("server version is the API server's", func(t *testing.T) {
		v, err := cs.ServerVersion(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want, err := ref.Discovery().ServerVersion()
		if err != nil {
			t.Fatal(err)
		}
		if v.GitVersion == "" || v.GitVersion != want.GitVersion {
			t.Fatalf("version %q, want %q", v.GitVersion, want.GitVersion)
		}
	})
	t.Run("get and list pods by label", func(t *testing.T) {
		got, err := cs.CoreV1().Pods(ns).Get(ctx, "web", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got.Name != "web" || got.Spec.Containers[0].Image != "nginx" || got.UID == "" {
			t.Fatalf("pod %+v", got.ObjectMeta)
		}
		l, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "app=web"})
		if err != nil || len(l.Items) != 1 || l.Items[0].Name != "web" {
			t.Fatalf("list app=web: %v, %d pods", err, len(l.Items))
		}
		if l, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "app=other"}); err != nil || len(l.Items) != 0 {
			t.Fatalf("list app=other: %v, %d pods", err, len(l.Items))
		}
	})
	t.Run("update is optimistic", func(t *testing.T) {
		// A namespace: nothing else writes it (kwok writes pods' status).
		got, err := cs.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		got.Labels["fixed"] = "yes"
		up, err := cs.CoreV1().Namespaces().Update(ctx, got, metav1.UpdateOptions{})
		if err != nil || up.Labels["fixed"] != "yes" || up.ResourceVersion == got.ResourceVersion {
			t.Fatalf("update: %v %+v", err, up.ObjectMeta)
		}
		if _, err := cs.CoreV1().Namespaces().Update(ctx, got, metav1.UpdateOptions{}); !apierrors.IsConflict(err) {
			t.Fatalf("update with a stale resourceVersion: %v, want a conflict", err)
		}
	})
	t.Run("a missing object is NotFound", func(t *testing.T) {
		_, err := cs.AppsV1().Deployments(ns).Get(ctx, "nope", metav1.GetOptions{})
		if !apierrors.IsNotFound(err) {
			t.Fatalf("err %v, want NotFound", err)
		}
	})
	t.Run("a deployment and its replica set of another group", func(t *testing.T) {
		one := int32(1)
		d := &appsv1.Deployment{
			ObjectMeta: metav1.ObjectMeta{Name: "api"},
			Spec: appsv1.DeploymentSpec{
				Replicas: &one, Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "api"}},
				Template: corev1.PodTemplateSpec{
					ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "api"}},
					Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "api", Image: "api:1"}}},
				},
			},
		}
		if _, err := ref.AppsV1().Deployments(ns).Create(ctx, d, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		got, err := cs.AppsV1().Deployments(ns).Get(ctx, "api", metav1.GetOptions{})
		if err != nil || *got.Spec.Replicas != 1 || got.Spec.Template.Spec.Containers[0].Image != "api:1" {
			t.Fatalf("deployment: %v %+v", err, got.Spec)
		}
		if _, err := cs.AppsV1().ReplicaSets(ns).Get(ctx, "nope", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Fatalf("replica set: %v, want NotFound", err)
		}
	})
	t.Run("namespaces are cluster-wide; pods of every namespace", func(t *testing.T) {
		n, err := cs.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
		if err != nil || n.Name != ns {
			t.Fatalf("namespace: %v %+v", err, n.ObjectMeta)
		}
		l, err := cs.CoreV1().Pods("").List(ctx, metav1.ListOptions{LabelSelector: "app=web", FieldSelector: "metadata.namespace=" + ns})
		if err != nil || len(l.Items) != 1 || l.Items[0].Namespace != ns {
			t.Fatalf("pods of every namespace: %v, %d pods", err, len(l.Items))
		}
	})
	t.Run("endpoint slices list", func(t *testing.T) {
		if _, err := cs.DiscoveryV1().EndpointSlices(ns).List(ctx, metav1.ListOptions{}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("who am I and what may I do", func(t *testing.T) {
		ssr, err := cs.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authnv1.SelfSubjectReview{}, metav1.CreateOptions{})
		if err != nil || ssr.Status.UserInfo.Username == "" {
			t.Fatalf("self subject review: %v %+v", err, ssr.Status)
		}
		res, err := cs.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, &authzv1.SelfSubjectAccessReview{
			Spec: authzv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &authzv1.ResourceAttributes{Namespace: ns, Verb: "get", Resource: "pods"}},
		}, metav1.CreateOptions{})
		if err != nil || !res.Status.Allowed {
			t.Fatalf("access review: %v %+v", err, res.Status)
		}
	})
	t.Run("service proxy of a missing service answers 404", func(t *testing.T) {
		_, err := cs.CoreV1().Services(ns).ProxyGet("http", "nope", "80", "healthz", nil).DoRaw(ctx)
		if !apierrors.IsNotFound(err) {
			t.Fatalf("err %v, want NotFound", err)
		}
	})
	t.Run("evict a pod", func(t *testing.T) {
		err := cs.PolicyV1().Evictions(ns).Evict(ctx, &policyv1.Eviction{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: ns}})
		if err != nil {
			t.Fatal(err)
		}
		p, err := ref.CoreV1().Pods(ns).Get(ctx, "web", metav1.GetOptions{})
		if err == nil && p.DeletionTimestamp == nil {
			t.Fatalf("pod still there and not being deleted: %+v", p.ObjectMeta)
		} else if err != nil && !apierrors.IsNotFound(err) {
			t.Fatal(err)
		}
		err = cs.PolicyV1().Evictions(ns).Evict(ctx, &policyv1.Eviction{ObjectMeta: metav1.ObjectMeta{Name: "nope", Namespace: ns}})
		if !apierrors.IsNotFound(err) || !strings.Contains(err.Error(), "nope") {
			t.Fatalf("evict a missing pod: %v, want NotFound naming it", err)
		}
	})
	t.Run("a patch of any resource, at the version it names", func(t *testing.T) {
		cm, err := ref.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "cfg"}, Data: map[string]string{"k": "old"}}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		gvr := corev1.SchemeGroupVersion.WithResource("configmaps")
		at := func(rv string) []byte {
			return []byte(`{"metadata":{"resourceVersion":"` + rv + `","annotations":{"by":"patch"}},"data":{"k":"new"}}`)
		}
		if err := cs.Patch(ctx, gvr, ns, "cfg", types.MergePatchType, at(cm.ResourceVersion), metav1.PatchOptions{FieldManager: "firedrill"}); err != nil {
			t.Fatal(err)
		}
		got, err := ref.CoreV1().ConfigMaps(ns).Get(ctx, "cfg", metav1.GetOptions{})
		if err != nil || got.Data["k"] != "new" || got.Annotations["by"] != "patch" {
			t.Fatalf("config map after the patch: %v %v %v", err, got.Data, got.Annotations)
		}
		managed := false
		for _, m := range got.ManagedFields {
			managed = managed || m.Manager == "firedrill"
		}
		if !managed {
			t.Fatalf("the patch's field manager is not recorded: %+v", got.ManagedFields)
		}
		if err := cs.Patch(ctx, gvr, ns, "cfg", types.MergePatchType, at(cm.ResourceVersion), metav1.PatchOptions{}); !apierrors.IsConflict(err) {
			t.Fatalf("patch at a stale resourceVersion: %v, want a conflict", err)
		}
		scale := []byte(`{"spec":{"replicas":0}}`)
		if err := cs.Patch(ctx, appsv1.SchemeGroupVersion.WithResource("deployments"), ns, "missing", types.MergePatchType, scale, metav1.PatchOptions{}); !apierrors.IsNotFound(err) {
			t.Fatalf("patch of a missing deployment: %v, want not found", err)
		}
		if err := cs.Patch(ctx, corev1.SchemeGroupVersion.WithResource("namespaces"), "", ns, types.MergePatchType, []byte(`{"metadata":{"labels":{"patched":"yes"}}}`), metav1.PatchOptions{}); err != nil {
			t.Fatal(err)
		}
		if n, err := ref.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{}); err != nil || n.Labels["patched"] != "yes" {
			t.Fatalf("namespace after the patch: %v %v", err, n.Labels)
		}
	})
}
