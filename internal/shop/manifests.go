// Package shop is the sample service the demo deploys into the local beta
// cluster: a web front, an order API, a payment worker, a database stand-in,
// their ConfigMaps, Secrets and Services, and a settlement CronJob. The local
// cluster's nodes are simulated by kwok, so no container really runs; the
// package's Simulator serves the services' HTTP endpoints on loopback and
// derives their health from the objects' state, the way the real pods would
// behave, so that scenario probes and participants see real symptoms.
package shop

import (
	"context"
	"fmt"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/clock"
)

// Namespace is where the demo deploys the shop.
const Namespace = "shop"

// OptInLabel marks a namespace as a target firedrill may inject faults into.
const OptInLabel = "firedrill.dev/drill-target"

// Healthy configuration values; the simulator compares against them.
const (
	dbPassword       = "demo-db-password"
	dbPort           = 5432
	paymentTimeoutMS = "3000"
	poolMax          = "50"
)

func labels(app string) map[string]string {
	return map[string]string{"app": app, "part-of": "shop"}
}

func deployment(ns, name, image string, replicas int32, env []corev1.EnvVar, envFrom []corev1.EnvFromSource) *appsv1.Deployment {
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: labels(name)},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels(name)},
				Spec: corev1.PodSpec{
					Containers: []corev1.Container{{
						Name:    name,
						Image:   image,
						Env:     env,
						EnvFrom: envFrom,
						Ports:   []corev1.ContainerPort{{ContainerPort: 8080, Name: "http"}},
						Resources: corev1.ResourceRequirements{
							Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("128Mi")},
							Limits:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("500m"), corev1.ResourceMemory: resource.MustParse("512Mi")},
						},
					}},
				},
			},
		},
	}
}

func service(ns, name string, port int32) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: labels(name)},
		Spec: corev1.ServiceSpec{
			Selector: map[string]string{"app": name},
			Ports:    []corev1.ServicePort{{Name: "http", Port: port, TargetPort: intstr.FromInt32(8080)}},
		},
	}
}

// Objects returns every object of the shop in namespace ns, in the order
// they are applied.
func Objects(ns string) []any {
	fromCM := func(name string) corev1.EnvFromSource {
		return corev1.EnvFromSource{ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: name}}}
	}
	fromSecret := func(name string) corev1.EnvFromSource {
		return corev1.EnvFromSource{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: name}}}
	}
	suspend := false
	// order-api migrates its database schema at start, so two versions must
	// never run at once: it is rolled out with Recreate. A rollout to an
	// image that does not exist therefore takes every replica down, as the
	// chained example's medium variant tells.
	orderAPI := deployment(ns, "order-api", "registry.shop.internal/order-api:2024-11-30", 3, []corev1.EnvVar{{Name: "LOG_LEVEL", Value: "info"}}, []corev1.EnvFromSource{fromCM("order-api-config"), fromSecret("order-api-db")})
	orderAPI.Spec.Strategy = appsv1.DeploymentStrategy{Type: appsv1.RecreateDeploymentStrategyType}
	// order-api is ready only while it can reach and log in to its
	// database (its /ready checks both connections), and a pod counts as
	// available once it has been ready for 5 seconds: an order API that
	// cannot reach its database never becomes available, however often it
	// is restarted.
	orderAPI.Spec.MinReadySeconds = 5
	orderAPI.Spec.Template.Spec.Containers[0].ReadinessProbe = &corev1.Probe{
		ProbeHandler:     corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/ready", Port: intstr.FromString("http")}},
		PeriodSeconds:    5,
		FailureThreshold: 1,
	}
	// traffic is the beta environment's load generator: it stands for the
	// customers, sending RPS requests a second per replica to web (see
	// load.go). A surge fault raises its rate.
	traffic := deployment(ns, "traffic", "registry.shop.internal/traffic:2024-11-25", trafficReplicas,
		[]corev1.EnvVar{{Name: "TARGET", Value: "http://web"}, {Name: "RPS", Value: fmt.Sprint(trafficRPS)}}, nil)
	traffic.Spec.Template.Spec.Containers[0].Ports = nil
	minWeb, cpuPerPod := int32(2), resource.MustParse("350m")
	return []any{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns, Labels: map[string]string{OptInLabel: "true"}}},
		&corev1.ConfigMap{
			ObjectMeta: metav1.ObjectMeta{Name: "order-api-config", Namespace: ns, Labels: labels("order-api")},
			Data: map[string]string{
				"DB_HOST":            "db",
				"DB_PORT":            fmt.Sprint(dbPort),
				"DB_POOL_MAX":        poolMax,
				"PAYMENT_TIMEOUT_MS": paymentTimeoutMS,
				"PAYMENT_PROVIDER":   "https://pay.sandbox.example",
				"ORDER_DEDUP_CHECK":  "on",
			},
		},
		&corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Name: "order-api-db", Namespace: ns, Labels: labels("order-api")},
			StringData: map[string]string{
				"DB_PASSWORD": dbPassword,
				"DB_URL":      fmt.Sprintf("postgres://orders@db:%d/orders", dbPort),
			},
		},
		&corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Name: "db-credentials", Namespace: ns, Labels: labels("db")},
			StringData: map[string]string{"PASSWORD": dbPassword},
		},
		deployment(ns, "db", "postgres:16", 1, []corev1.EnvVar{{Name: "POSTGRES_PASSWORD", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "db-credentials"}, Key: "PASSWORD"}}}}, nil),
		orderAPI,
		deployment(ns, "payment-worker", "registry.shop.internal/payment-worker:2024-11-28", 2, []corev1.EnvVar{{Name: "ORDER_API", Value: "http://order-api"}}, []corev1.EnvFromSource{fromCM("order-api-config")}),
		deployment(ns, "web", "registry.shop.internal/web:2024-11-29", 2, []corev1.EnvVar{{Name: "ORDER_API", Value: "http://order-api"}}, nil),
		traffic,
		service(ns, "db", dbPort),
		service(ns, "order-api", 80),
		service(ns, "web", 80),
		// web scales between 2 and 6 replicas on CPU, 350m a pod on
		// average (70% of its limit): a surge of 4x takes it to 4 pods.
		// The dev cluster has no metrics server and no HPA controller: the
		// simulator plays both from the load model (hpa.go).
		&autoscalingv2.HorizontalPodAutoscaler{
			ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: ns, Labels: labels("web")},
			Spec: autoscalingv2.HorizontalPodAutoscalerSpec{
				ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: "web"},
				MinReplicas:    &minWeb,
				MaxReplicas:    6,
				Metrics: []autoscalingv2.MetricSpec{{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricSource{
					Name: corev1.ResourceCPU, Target: autoscalingv2.MetricTarget{Type: autoscalingv2.AverageValueMetricType, AverageValue: &cpuPerPod},
				}}},
			},
		},
		&batchv1.CronJob{
			ObjectMeta: metav1.ObjectMeta{Name: "settlement", Namespace: ns, Labels: labels("settlement")},
			Spec: batchv1.CronJobSpec{
				Schedule: "*/10 * * * *",
				Suspend:  &suspend,
				JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{Template: corev1.PodTemplateSpec{
					Spec: corev1.PodSpec{
						RestartPolicy: corev1.RestartPolicyOnFailure,
						Containers:    []corev1.Container{{Name: "settlement", Image: "registry.shop.internal/settlement:2024-11-20", EnvFrom: []corev1.EnvFromSource{fromCM("order-api-config"), fromSecret("order-api-db")}}},
					},
				}}},
			},
		},
	}
}

// Install creates the shop's objects in namespace ns, leaving any that
// already exist as they are, so that running the demo again keeps the
// cluster's state.
func Install(ctx context.Context, cs kubernetes.Interface, ns string) error {
	for _, o := range Objects(ns) {
		var err error
		switch o := o.(type) {
		case *corev1.Namespace:
			_, err = cs.CoreV1().Namespaces().Create(ctx, o, metav1.CreateOptions{})
		case *corev1.ConfigMap:
			_, err = cs.CoreV1().ConfigMaps(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
		case *corev1.Secret:
			_, err = cs.CoreV1().Secrets(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
		case *corev1.Service:
			_, err = cs.CoreV1().Services(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
		case *appsv1.Deployment:
			_, err = cs.AppsV1().Deployments(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
		case *batchv1.CronJob:
			_, err = cs.BatchV1().CronJobs(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
		case *autoscalingv2.HorizontalPodAutoscaler:
			_, err = cs.AutoscalingV2().HorizontalPodAutoscalers(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
		default:
			return fmt.Errorf("install shop: unexpected object %T", o)
		}
		if err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("install shop: %T: %w", o, err)
		}
	}
	return nil
}

// WaitReady waits until every Deployment of the shop in ns has all its
// replicas available, polling through clk. The error names the deployments
// still short when ctx ends.
func WaitReady(ctx context.Context, cs kubernetes.Interface, ns string, clk clock.Clock) error {
	if clk == nil {
		clk = clock.RealClock{}
	}
	for {
		list, err := cs.AppsV1().Deployments(ns).List(ctx, metav1.ListOptions{})
		var short []string
		if err == nil {
			for _, d := range list.Items {
				want := int32(1)
				if d.Spec.Replicas != nil {
					want = *d.Spec.Replicas
				}
				if d.Status.AvailableReplicas < want || d.Status.ObservedGeneration < d.Generation {
					short = append(short, fmt.Sprintf("%s %d/%d", d.Name, d.Status.AvailableReplicas, want))
				}
			}
			if len(short) == 0 && len(list.Items) > 0 {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			if err != nil {
				return fmt.Errorf("shop: wait for deployments in %s: %w", ns, err)
			}
			return fmt.Errorf("shop: deployments in %s not available: %s: %w", ns, strings.Join(short, ", "), ctx.Err())
		case <-clk.After(250 * time.Millisecond):
		}
	}
}
