package kubernetes_test

import (
	"context"
	"encoding/json"
	"os"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"

	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/injectors/kubernetes"
	"github.com/firedrill/firedrill/internal/devcluster"
	"github.com/firedrill/firedrill/internal/devcluster/clustertest"
)

func TestMain(m *testing.M) { os.Exit(clustertest.Main(m)) }

const drillID = "drill-test"

// newInjector returns an injector on the shared dev cluster, allowed to act
// on its context.
func newInjector(t testing.TB, mutate ...func(*kubernetes.Config)) *kubernetes.Injector {
	t.Helper()
	cfg := kubernetes.Config{
		Rest:            clustertest.Cluster(t).RESTConfig(),
		Context:         devcluster.ContextName,
		AllowedContexts: []string{devcluster.ContextName},
	}
	for _, m := range mutate {
		m(&cfg)
	}
	in, err := kubernetes.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return in
}

func params(t testing.TB, v map[string]any) json.RawMessage {
	t.Helper()
	if v == nil {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var gvrs = map[string]schema.GroupVersionResource{
	"Deployment":              {Group: "apps", Version: "v1", Resource: "deployments"},
	"StatefulSet":             {Group: "apps", Version: "v1", Resource: "statefulsets"},
	"ConfigMap":               {Version: "v1", Resource: "configmaps"},
	"Secret":                  {Version: "v1", Resource: "secrets"},
	"Service":                 {Version: "v1", Resource: "services"},
	"Node":                    {Version: "v1", Resource: "nodes"},
	"HorizontalPodAutoscaler": {Group: "autoscaling", Version: "v2", Resource: "horizontalpodautoscalers"},
	"CronJob":                 {Group: "batch", Version: "v1", Resource: "cronjobs"},
	"NetworkPolicy":           {Group: "networking.k8s.io", Version: "v1", Resource: "networkpolicies"},
}

func dyn(t testing.TB) dynamic.Interface {
	t.Helper()
	d, err := dynamic.NewForConfig(clustertest.Cluster(t).RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func getObj(t testing.TB, kind, ns, name string) *unstructured.Unstructured {
	t.Helper()
	r := dyn(t).Resource(gvrs[kind])
	var ri dynamic.ResourceInterface = r
	if kind != "Node" {
		ri = r.Namespace(ns)
	}
	obj, err := ri.Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get %s %s/%s: %v", kind, ns, name, err)
	}
	return obj
}

// comparable strips the fields the server manages (resourceVersion,
// generation, managedFields, status, timestamps, and the Deployment
// controller's revision annotation) and returns the rest as JSON.
func comparable(t testing.TB, obj *unstructured.Unstructured) string {
	t.Helper()
	o := obj.DeepCopy()
	unstructured.RemoveNestedField(o.Object, "metadata", "resourceVersion")
	unstructured.RemoveNestedField(o.Object, "metadata", "generation")
	unstructured.RemoveNestedField(o.Object, "metadata", "managedFields")
	unstructured.RemoveNestedField(o.Object, "metadata", "creationTimestamp")
	unstructured.RemoveNestedField(o.Object, "metadata", "annotations", "deployment.kubernetes.io/revision")
	if a, ok, _ := unstructured.NestedMap(o.Object, "metadata", "annotations"); ok && len(a) == 0 {
		unstructured.RemoveNestedField(o.Object, "metadata", "annotations")
	}
	unstructured.RemoveNestedField(o.Object, "status")
	b, err := json.Marshal(o.Object)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func eventually(t testing.TB, what string, cond func() (bool, string)) {
	t.Helper()
	var last string
	err := wait.PollUntilContextTimeout(context.Background(), 100*time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
		ok, detail := cond()
		last = detail
		return ok, nil
	})
	if err != nil {
		t.Fatalf("%s: never happened; last: %s", what, last)
	}
}

func wantCode(t testing.TB, err error, code string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %s", code)
	}
	if got := injectors.ErrorCode(err); got != code {
		t.Fatalf("error code = %s (%v), want %s", got, err, code)
	}
}

func labelsOf(app string) map[string]string { return map[string]string{"app": app} }

func makeDeployment(t testing.TB, ns, name string, replicas int32, containers ...corev1.Container) *appsv1.Deployment {
	t.Helper()
	if len(containers) == 0 {
		containers = []corev1.Container{{
			Name: name, Image: "registry.example/" + name + ":1",
			Env: []corev1.EnvVar{{Name: "MODE", Value: "prod"}},
			Resources: corev1.ResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("200m"), corev1.ResourceMemory: resource.MustParse("256Mi")},
				Limits:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1"), corev1.ResourceMemory: resource.MustParse("512Mi")},
			},
		}}
	}
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: labelsOf(name)},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: labelsOf(name)},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labelsOf(name)},
				Spec:       corev1.PodSpec{Containers: containers},
			},
		},
	}
	d, err := clustertest.Client(t).AppsV1().Deployments(ns).Create(context.Background(), d, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func waitAvailable(t testing.TB, ns, name string, n int32) {
	t.Helper()
	eventually(t, "deployment "+name+" available", func() (bool, string) {
		d, err := clustertest.Client(t).AppsV1().Deployments(ns).Get(context.Background(), name, metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		return d.Status.AvailableReplicas == n && d.Status.UpdatedReplicas == n, d.Status.String()
	})
}

func makeStatefulSet(t testing.TB, ns, name string) {
	t.Helper()
	replicas := int32(2)
	s := &appsv1.StatefulSet{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: appsv1.StatefulSetSpec{
			Replicas:    &replicas,
			ServiceName: name,
			Selector:    &metav1.LabelSelector{MatchLabels: labelsOf(name)},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labelsOf(name)},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: name, Image: "postgres:16"}}},
			},
		},
	}
	if _, err := clustertest.Client(t).AppsV1().StatefulSets(ns).Create(context.Background(), s, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func makeConfigMap(t testing.TB, ns, name string, data map[string]string) {
	t.Helper()
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Annotations: map[string]string{"owner": "team-orders"}}, Data: data}
	if _, err := clustertest.Client(t).CoreV1().ConfigMaps(ns).Create(context.Background(), cm, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func makeSecret(t testing.TB, ns, name string, data map[string]string) {
	t.Helper()
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, StringData: data}
	if _, err := clustertest.Client(t).CoreV1().Secrets(ns).Create(context.Background(), s, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func makeService(t testing.TB, ns, name string, selector map[string]string) {
	t.Helper()
	s := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: corev1.ServiceSpec{
			Selector: selector,
			Ports:    []corev1.ServicePort{{Name: "http", Port: 80}},
		},
	}
	if _, err := clustertest.Client(t).CoreV1().Services(ns).Create(context.Background(), s, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func makeHPA(t testing.TB, ns, name string) {
	t.Helper()
	minR := int32(2)
	h := &autoscalingv2.HorizontalPodAutoscaler{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{
			ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: name},
			MinReplicas:    &minR,
			MaxReplicas:    10,
		},
	}
	if _, err := clustertest.Client(t).AutoscalingV2().HorizontalPodAutoscalers(ns).Create(context.Background(), h, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func makeCronJob(t testing.TB, ns, name string) {
	t.Helper()
	c := &batchv1.CronJob{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: batchv1.CronJobSpec{
			Schedule: "*/5 * * * *",
			JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
				RestartPolicy: corev1.RestartPolicyOnFailure,
				Containers:    []corev1.Container{{Name: "settle", Image: "settle:1"}},
			}}}},
		},
	}
	if _, err := clustertest.Client(t).BatchV1().CronJobs(ns).Create(context.Background(), c, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// lifecycle runs Prepare and Inject of f and returns the final record.
func lifecycle(t testing.TB, in *kubernetes.Injector, f injectors.Fault) []byte {
	t.Helper()
	ctx := context.Background()
	if err := in.Validate(ctx, f); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	rec, err := in.Prepare(ctx, f)
	if err != nil {
		t.Fatalf("Prepare: %v", err)
	}
	rec, err = in.Inject(ctx, f, rec)
	if err != nil {
		t.Fatalf("Inject: %v", err)
	}
	return rec
}
