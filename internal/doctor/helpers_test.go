package doctor_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"

	"github.com/firedrill/firedrill/injectors/kubernetes"
	"github.com/firedrill/firedrill/injectors/kubernetes/helper"
	"github.com/firedrill/firedrill/internal/devcluster"
	"github.com/firedrill/firedrill/internal/devcluster/clustertest"
	"github.com/firedrill/firedrill/internal/doctor"
	"github.com/firedrill/firedrill/internal/ha"
)

func TestMain(m *testing.M) { os.Exit(clustertest.Main(m)) }

// writeScenario writes the scenario testdata/file with its faults aimed at
// ns and returns its path.
func writeScenario(t testing.TB, file, ns string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), file)
	if err := os.WriteFile(path, bytes.ReplaceAll(b, []byte("NAMESPACE"), []byte(ns)), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// installApp creates the objects the scenario targets in ns: the api
// Deployment, its ConfigMap and Service, and the settle CronJob.
func installApp(t testing.TB, ns string) {
	t.Helper()
	cs := clustertest.Client(t)
	ctx := context.Background()
	labels := map[string]string{"app": "api"}
	one := int32(1)
	pod := corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: labels},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "api", Image: "registry.test/api:1"}}},
	}
	if _, err := cs.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "api-config"}, Data: map[string]string{"DB_HOST": "db"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.AppsV1().Deployments(ns).Create(ctx, &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "api"},
		Spec:       appsv1.DeploymentSpec{Replicas: &one, Selector: &metav1.LabelSelector{MatchLabels: labels}, Template: pod},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.CoreV1().Services(ns).Create(ctx, &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "api"},
		Spec:       corev1.ServiceSpec{Selector: labels, Ports: []corev1.ServicePort{{Port: 80}}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.BatchV1().CronJobs(ns).Create(ctx, &batchv1.CronJob{
		ObjectMeta: metav1.ObjectMeta{Name: "settle"},
		Spec: batchv1.CronJobSpec{Schedule: "*/10 * * * *", JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{Template: corev1.PodTemplateSpec{
			Spec: corev1.PodSpec{RestartPolicy: corev1.RestartPolicyOnFailure, Containers: []corev1.Container{{Name: "settle", Image: "registry.test/settle:1"}}},
		}}}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// settled waits until the deployment controller has acted on Deployment
// ns/name as it is now: its status.observedGeneration has caught up with
// its generation, so the ReplicaSet of the current pod template exists and
// carries the Deployment's annotations (firedrill's marks included). A
// leftover a person finds with doctor has long settled; a test that injects
// and looks at once races the controller, and on a busy machine doctor's
// printed commands then miss the ReplicaSet the controller marks a moment
// later.
func settled(t testing.TB, ns, name string) {
	t.Helper()
	ctx := context.Background()
	cs := clustertest.Client(t)
	deadline := time.Now().Add(2 * time.Minute)
	for {
		d, err := cs.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if d.Status.ObservedGeneration >= d.Generation {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the deployment controller has not observed deployment %s/%s generation %d in 2 minutes (observed %d)", ns, name, d.Generation, d.Status.ObservedGeneration)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// options checks the scenario files on the dev cluster as its admin, or as
// the user rc impersonates.
func options(t testing.TB, rc *rest.Config, files ...string) doctor.Options {
	t.Helper()
	if rc == nil {
		rc = clustertest.Cluster(t).RESTConfig()
	}
	return doctor.Options{
		Kubernetes: kube(kubernetes.Config{Rest: rc, Context: devcluster.ContextName, AllowedContexts: []string{devcluster.ContextName}}),
		Scenarios:  doctor.LoadScenarios(nil, files),
	}
}

// kube is the doctor's view of cfg: the injector in process, asked through
// the helper protocol as firedrill asks the helper process, and ha's
// client on the injector's REST configuration.
func kube(cfg kubernetes.Config) doctor.Kubernetes {
	return doctor.Kubernetes{
		Context: cfg.Context, AllowedContexts: cfg.AllowedContexts,
		ProtectedNamespaces: cfg.ProtectedNamespaces, ServiceURLs: cfg.ServiceURLs,
		Connect: func(ctx context.Context, timeout time.Duration) (doctor.Cluster, error) {
			c := cfg
			c.RequestTimeout = timeout
			return helper.Pipe(ctx, func(r io.Reader, w io.Writer) error { return kubernetes.ServeHelper(ctx, c, r, w) })
		},
		Records: func(context.Context) (*ha.Client, error) {
			in, err := kubernetes.New(cfg)
			if err != nil {
				return nil, err
			}
			return haClient(in.RESTConfig())
		},
	}
}

// haClient returns ha's client for rc (nil: no allowed context).
func haClient(rc *rest.Config) (*ha.Client, error) {
	if rc == nil {
		return ha.New("", nil)
	}
	hc, err := rest.HTTPClientFor(rc)
	if err != nil {
		return nil, err
	}
	return ha.New(rc.Host, hc)
}

// rbacYAML is deploy/base/rbac.yaml, parsed.
type rbacYAML struct {
	clusterRoles map[string]rbacv1.ClusterRole
	role         rbacv1.Role
}

func readRBAC(t *testing.T) rbacYAML {
	t.Helper()
	rb := clustertest.DeployRBAC(t)
	ro, ok := rb.Roles["firedrill-drill-target"]
	if !ok {
		t.Fatal("deploy/base/rbac.yaml: no Role firedrill-drill-target")
	}
	return rbacYAML{clusterRoles: rb.ClusterRoles, role: ro}
}

// failures returns the failed checks of a section as "name: detail".
func failures(r *doctor.Report, s doctor.Section) []string {
	var out []string
	for _, c := range r.Checks {
		if c.Section == s && c.Status == doctor.Fail {
			out = append(out, c.Name+": "+c.Detail)
		}
	}
	return out
}

func dump(r *doctor.Report) string {
	var b strings.Builder
	_ = r.WriteText(&b)
	return b.String()
}
