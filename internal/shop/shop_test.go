package shop_test

import (
	"context"
	"io"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"

	"github.com/firedrill/firedrill/internal/devcluster/clustertest"
	"github.com/firedrill/firedrill/internal/shop"
)

func TestMain(m *testing.M) { os.Exit(clustertest.Main(m)) }

// get returns the status code and body of url.
func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// giveaways are words a real service never answers with but a drill's
// cause would: the shop shows symptoms, never what the drill changed.
var giveaways = []string{"NetworkPolicy", "ingress blocked", "egress blocked", "CronJob", "suspended", "DB_PASSWORD is", "PAYMENT_TIMEOUT_MS", "OOMKilled", "memory limit", "(ORDER_API)", "firedrill", "\"50\" ms"}

// eventually polls url until it answers with status code want, and checks
// that no answer gives the drill away.
func eventually(t *testing.T, url string, want int, contains string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	var code int
	var body string
	for time.Now().Before(deadline) {
		code, body = get(t, url)
		for _, g := range giveaways {
			if strings.Contains(body, g) {
				t.Fatalf("GET %s answers %q: %q names a cause, not a symptom", url, body, g)
			}
		}
		if code == want && strings.Contains(body, contains) {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("GET %s: got %d %q, want %d containing %q", url, code, body, want, contains)
}

// longestSleep is the longest wait the simulators of the tests simulated
// since it was last reset: the latency a request would have had.
var longestSleep atomic.Int64

func setup(t *testing.T) (kubernetes.Interface, string, map[string]string) {
	t.Helper()
	ns := clustertest.Namespace(t)
	cs := clustertest.Client(t)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	if err := shop.Install(ctx, cs, ns); err != nil {
		t.Fatal(err)
	}
	// Installing twice keeps what exists: the demo can be run again.
	if err := shop.Install(ctx, cs, ns); err != nil {
		t.Fatalf("second install: %v", err)
	}
	wctx, wcancel := context.WithTimeout(ctx, time.Minute)
	defer wcancel()
	if err := shop.WaitReady(wctx, cs, ns, nil); err != nil {
		t.Fatal(err)
	}
	sim := &shop.Simulator{Client: cs, Namespace: ns, Sleep: func(d time.Duration) {
		for {
			if cur := longestSleep.Load(); int64(d) <= cur || longestSleep.CompareAndSwap(cur, int64(d)) {
				return
			}
		}
	}}
	urls, err := sim.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	// As the demo does: the API server's service proxy reaches the pods
	// through the simulator.
	t.Cleanup(clustertest.Cluster(t).RoutePods(sim.DialPod))
	return cs, ns, urls
}

func TestSimulatorFollowsClusterState(t *testing.T) {
	cs, ns, urls := setup(t)
	ctx := context.Background()
	web, api := urls[ns+"/web"], urls[ns+"/order-api"]
	eventually(t, web+"/api/checkout/health", 200, "ok")

	code, body := get(t, api+"/internal/config/PAYMENT_TIMEOUT_MS")
	if code != 200 || body != "3000" {
		t.Fatalf("config endpoint: %d %q", code, body)
	}

	patch := func(kind string, obj string, p string) {
		t.Helper()
		var err error
		switch kind {
		case "configmap":
			_, err = cs.CoreV1().ConfigMaps(ns).Patch(ctx, obj, types.MergePatchType, []byte(p), metav1.PatchOptions{})
		case "secret":
			_, err = cs.CoreV1().Secrets(ns).Patch(ctx, obj, types.MergePatchType, []byte(p), metav1.PatchOptions{})
		case "deployment":
			_, err = cs.AppsV1().Deployments(ns).Patch(ctx, obj, types.StrategicMergePatchType, []byte(p), metav1.PatchOptions{})
		case "cronjob":
			_, err = cs.BatchV1().CronJobs(ns).Patch(ctx, obj, types.MergePatchType, []byte(p), metav1.PatchOptions{})
		}
		if err != nil {
			t.Fatalf("patch %s %s: %v", kind, obj, err)
		}
	}

	t.Run("payment timeout fails checkout but not orders", func(t *testing.T) {
		patch("configmap", "order-api-config", `{"data":{"PAYMENT_TIMEOUT_MS":"50"}}`)
		eventually(t, web+"/api/checkout/health", 503, "payments time out")
		eventually(t, web+"/api/orders/health", 200, "ok")
		patch("configmap", "order-api-config", `{"data":{"PAYMENT_TIMEOUT_MS":"3000"}}`)
		eventually(t, web+"/api/checkout/health", 200, "ok")
	})
	t.Run("missing DB password fails orders", func(t *testing.T) {
		patch("secret", "order-api-db", `{"data":{"DB_PASSWORD":null}}`)
		eventually(t, api+"/api/orders/health", 503, "no password supplied")
		patch("secret", "order-api-db", `{"stringData":{"DB_PASSWORD":"wrong"}}`)
		eventually(t, api+"/api/orders/health", 503, "password authentication failed")
		creds, err := cs.CoreV1().Secrets(ns).Get(ctx, "db-credentials", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		patch("secret", "order-api-db", `{"stringData":{"DB_PASSWORD":"`+string(creds.Data["PASSWORD"])+`"}}`)
		eventually(t, api+"/api/orders/health", 200, "ok")
	})
	t.Run("DB_URL pointing at a missing host fails orders", func(t *testing.T) {
		patch("secret", "order-api-db", `{"stringData":{"DB_URL":"postgres://orders@db-replica-2:5432/orders"}}`)
		eventually(t, api+"/api/orders/health", 503, "db-replica-2")
		patch("secret", "order-api-db", `{"stringData":{"DB_URL":"postgres://orders@db:5432/orders"}}`)
		eventually(t, api+"/api/orders/health", 200, "ok")
	})
	t.Run("wrong DB port is refused", func(t *testing.T) {
		patch("configmap", "order-api-config", `{"data":{"DB_PORT":"5433"}}`)
		eventually(t, api+"/api/orders/health", 503, "refused")
		patch("configmap", "order-api-config", `{"data":{"DB_PORT":"5432"}}`)
		eventually(t, api+"/api/orders/health", 200, "ok")
	})
	t.Run("DB_HOST naming no Service fails orders and takes order-api out of service", func(t *testing.T) {
		patch("configmap", "order-api-config", `{"data":{"DB_HOST":"db-old"}}`)
		eventually(t, api+"/api/orders/health", 503, `could not translate host name "db-old"`)
		eventually(t, api+"/ready", 503, "db-old")
		eventually(t, web+"/api/orders/health", 503, "connection refused")
		patch("configmap", "order-api-config", `{"data":{"DB_HOST":"db"}}`)
		eventually(t, web+"/api/orders/health", 200, "ok")
	})
	t.Run("ORDER_API at a port the Service does not serve fails web's orders", func(t *testing.T) {
		patch("deployment", "web", `{"spec":{"template":{"spec":{"containers":[{"name":"web","env":[{"name":"ORDER_API","value":"http://order-api:8080"}]}]}}}}`)
		eventually(t, web+"/api/orders/health", 503, "dial tcp order-api:8080: connect: connection refused")
		patch("deployment", "web", `{"spec":{"template":{"spec":{"containers":[{"name":"web","env":[{"name":"ORDER_API","value":"http://order-api.`+ns+`.svc.cluster.local"}]}]}}}}`)
		eventually(t, web+"/api/orders/health", 200, "ok")
		patch("deployment", "web", `{"spec":{"template":{"spec":{"containers":[{"name":"web","env":[{"name":"ORDER_API","value":"http://order-api"}]}]}}}}`)
	})
	t.Run("ORDER_API naming no Service fails the payment worker's checkout", func(t *testing.T) {
		patch("deployment", "payment-worker", `{"spec":{"template":{"spec":{"containers":[{"name":"payment-worker","env":[{"name":"ORDER_API","value":"http://orders-api"}]}]}}}}`)
		eventually(t, web+"/api/checkout/health", 503, "lookup orders-api: no such host")
		eventually(t, web+"/api/orders/health", 200, "ok")
		patch("deployment", "payment-worker", `{"spec":{"template":{"spec":{"containers":[{"name":"payment-worker","env":[{"name":"ORDER_API","value":"http://order-api"}]}]}}}}`)
		eventually(t, web+"/api/checkout/health", 200, "ok")
	})
	t.Run("a database Secret without its key keeps the database from starting", func(t *testing.T) {
		patch("secret", "db-credentials", `{"data":{"PASSWORD":null}}`)
		eventually(t, api+"/api/orders/health", 503, "Connection refused")
		patch("secret", "db-credentials", `{"stringData":{"PASSWORD":"demo-db-password"}}`)
		eventually(t, api+"/api/orders/health", 200, "ok")
	})
	hpa := func(p string) {
		t.Helper()
		if _, err := cs.AutoscalingV2().HorizontalPodAutoscalers(ns).Patch(ctx, "web", types.MergePatchType, []byte(p), metav1.PatchOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	webReplicas := func(want int32) {
		t.Helper()
		deadline := time.Now().Add(90 * time.Second)
		for {
			d, err := cs.AppsV1().Deployments(ns).Get(ctx, "web", metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if *d.Spec.Replicas == want && d.Status.AvailableReplicas == want {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("web has %d replicas (%d available), want %d", *d.Spec.Replicas, d.Status.AvailableReplicas, want)
			}
			time.Sleep(250 * time.Millisecond)
		}
	}
	t.Run("a surge against an HPA capped at two overloads web until the cap is raised", func(t *testing.T) {
		hpa(`{"spec":{"maxReplicas":2}}`) // as hpa-bounds does
		patch("deployment", "traffic", `{"spec":{"template":{"spec":{"containers":[{"name":"traffic","env":[{"name":"RPS","value":"75"}]}]}}}}`)
		// 150 req/s against web's 200: 75% busy, requests queue (120 ms).
		deadline := time.Now().Add(60 * time.Second)
		for {
			longestSleep.Store(0)
			code, body := get(t, web+"/api/orders/health")
			if code == 200 && longestSleep.Load() >= int64(100*time.Millisecond) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("at 150 req/s web answers %d %q after a simulated %s; want 200, slow", code, body, time.Duration(longestSleep.Load()))
			}
			time.Sleep(200 * time.Millisecond)
		}
		patch("deployment", "traffic", `{"spec":{"template":{"spec":{"containers":[{"name":"traffic","env":[{"name":"RPS","value":"120"}]}]}}}}`)
		eventually(t, web+"/api/orders/health", 503, "upstream overflow (error rate 17%")
		// The HPA wants more and says so; it cannot: nothing resolves for
		// three of its periods.
		waitHPA(t, cs, ns, func(h *autoscalingv2.HorizontalPodAutoscaler) bool {
			return hpaCondition(h, autoscalingv2.ScalingLimited) == "TooManyReplicas" && h.Status.DesiredReplicas == 2 && len(h.Status.CurrentMetrics) == 1
		})
		for end := time.Now().Add(15 * time.Second); time.Now().Before(end); time.Sleep(500 * time.Millisecond) {
			if code, body := get(t, web+"/api/orders/health"); code != 503 {
				t.Fatalf("web recovered with the HPA still capped: %d %q", code, body)
			}
		}
		// kubectl scale does not stick: the HPA takes web back to its max.
		patch("deployment", "web", `{"spec":{"replicas":4}}`)
		webReplicas(2)
		hpa(`{"spec":{"maxReplicas":6}}`) // the fix
		webReplicas(4)
		eventually(t, web+"/api/orders/health", 200, "ok")
		waitHPA(t, cs, ns, func(h *autoscalingv2.HorizontalPodAutoscaler) bool {
			return hpaCondition(h, autoscalingv2.ScalingLimited) == "DesiredWithinRange" && h.Status.DesiredReplicas == 4 && h.Status.LastScaleTime != nil
		})
		evs, err := cs.CoreV1().Events(ns).List(ctx, metav1.ListOptions{FieldSelector: "reason=SuccessfulRescale"})
		if err != nil || len(evs.Items) == 0 {
			t.Fatalf("no SuccessfulRescale event: %v", err)
		}
		patch("deployment", "traffic", `{"spec":{"template":{"spec":{"containers":[{"name":"traffic","env":[{"name":"RPS","value":"30"}]}]}}}}`)
		// Scaling down waits out the stabilisation window; web is put back
		// by hand, and the HPA keeps it there.
		patch("deployment", "web", `{"spec":{"replicas":2}}`)
		webReplicas(2)
	})
	t.Run("a CPU limit squeezed to 50m leaves web short of capacity", func(t *testing.T) {
		patch("deployment", "web", `{"spec":{"template":{"spec":{"containers":[{"name":"web","resources":{"limits":{"cpu":"50m"},"requests":{"cpu":"50m"}}}]}}}}`)
		eventually(t, web+"/", 503, "upstream overflow")
		patch("deployment", "web", `{"spec":{"template":{"spec":{"containers":[{"name":"web","resources":{"limits":{"cpu":"500m"},"requests":{"cpu":"100m"}}}]}}}}`)
		eventually(t, web+"/", 200, "ok")
	})
	t.Run("one slow pod fails its share of the requests until it leaves the Service", func(t *testing.T) {
		pods, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "app=web"})
		if err != nil || len(pods.Items) == 0 {
			t.Fatalf("web pods: %v", err)
		}
		sick := pods.Items[0].Name
		// The pod's CPU lowered in place, as pod-slow does.
		if _, err := cs.CoreV1().Pods(ns).Patch(ctx, sick, types.StrategicMergePatchType,
			[]byte(`{"spec":{"containers":[{"name":"web","resources":{"limits":{"cpu":"50m"},"requests":{"cpu":"50m"}}}]}}`), metav1.PatchOptions{}, "resize"); err != nil {
			t.Fatal(err)
		}
		// Two pods at 30 req/s each: the sick one serves 10 and sheds two
		// thirds of its share, a third of all requests.
		eventually(t, web+"/api/orders/health", 503, "upstream overflow (error rate 33%")
		_, metrics := get(t, web+"/metrics")
		if !strings.Contains(metrics, `http_request_error_ratio{service="web",pod="`+sick+`"} 0.667`) {
			t.Fatalf("/metrics does not single out the sick pod %s:\n%s", sick, metrics)
		}
		// Isolated (relabelled out of the Service, kept running): the
		// replacement is healthy.
		if _, err := cs.CoreV1().Pods(ns).Patch(ctx, sick, types.MergePatchType, []byte(`{"metadata":{"labels":{"app":"web-isolated"}}}`), metav1.PatchOptions{}); err != nil {
			t.Fatal(err)
		}
		eventually(t, web+"/api/orders/health", 200, "ok")
		if _, metrics := get(t, web+"/metrics"); strings.Contains(metrics, sick) {
			t.Fatalf("/metrics still lists the isolated pod %s:\n%s", sick, metrics)
		}
	})
	t.Run("the HPA keeps web within its bounds", func(t *testing.T) {
		hpa(`{"spec":{"maxReplicas":1,"minReplicas":1}}`)
		webReplicas(1)
		hpa(`{"spec":{"maxReplicas":6,"minReplicas":2}}`)
		webReplicas(2)
		eventually(t, web+"/api/checkout/health", 200, "ok")
	})
	dns := intstr.FromInt32(53)
	db := intstr.FromInt32(5432)
	udp, tcp := corev1.ProtocolUDP, corev1.ProtocolTCP
	for _, tt := range []struct {
		name   string
		egress []networkingv1.NetworkPolicyEgressRule
		status int
		says   string
	}{
		{"a deny-all egress policy isolates the payment worker", nil, 503, "i/o timeout"},
		{"an egress policy that keeps only DNS open isolates it too", []networkingv1.NetworkPolicyEgressRule{{Ports: []networkingv1.NetworkPolicyPort{{Protocol: &udp, Port: &dns}, {Protocol: &tcp, Port: &dns}}}}, 503, "i/o timeout"},
		{"an egress policy that lets the database port through does not", []networkingv1.NetworkPolicyEgressRule{{Ports: []networkingv1.NetworkPolicyPort{{Protocol: &tcp, Port: &db}}}}, 200, "ok"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			np := &networkingv1.NetworkPolicy{
				ObjectMeta: metav1.ObjectMeta{Name: "isolate", Namespace: ns},
				Spec: networkingv1.NetworkPolicySpec{
					PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": "payment-worker"}},
					PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeEgress},
					Egress:      tt.egress,
				},
			}
			if _, err := cs.NetworkingV1().NetworkPolicies(ns).Create(ctx, np, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
			eventually(t, web+"/api/checkout/health", tt.status, tt.says)
			if err := cs.NetworkingV1().NetworkPolicies(ns).Delete(ctx, "isolate", metav1.DeleteOptions{}); err != nil {
				t.Fatal(err)
			}
			eventually(t, web+"/api/checkout/health", 200, "ok")
		})
	}
	t.Run("a duplicate check switched off creates duplicate orders until it is back on", func(t *testing.T) {
		eventually(t, api+"/internal/orders/duplicates", 200, "ok")
		patch("configmap", "order-api-config", `{"data":{"ORDER_DEDUP_CHECK":"off"}}`)
		eventually(t, api+"/internal/orders/duplicates", 503, "orders created twice since")
		// Every order request still succeeds: nothing alerts.
		eventually(t, web+"/api/checkout/health", 200, "ok")
		patch("configmap", "order-api-config", `{"data":{"ORDER_DEDUP_CHECK":"on"}}`)
		eventually(t, api+"/internal/orders/duplicates", 200, "ok")
	})
	t.Run("suspended settlement is reported", func(t *testing.T) {
		patch("cronjob", "settlement", `{"spec":{"suspend":true}}`)
		eventually(t, api+"/internal/settlement/last-run", 503, "settlement overdue")
		patch("cronjob", "settlement", `{"spec":{"suspend":false}}`)
		eventually(t, api+"/internal/settlement/last-run", 200, "ok")
	})
	t.Run("order API scaled to zero fails orders", func(t *testing.T) {
		patch("deployment", "order-api", `{"spec":{"replicas":0}}`)
		eventually(t, web+"/api/orders/health", 503, "no healthy upstream")
		patch("deployment", "order-api", `{"spec":{"replicas":3}}`)
		eventually(t, web+"/api/orders/health", 200, "ok")
	})
	t.Run("a rollout to a tag nobody pushed takes every order-api replica down", func(t *testing.T) {
		// The dev cluster's registry holds only the shop's images, and
		// order-api is rolled out with Recreate.
		setImage := func(image string) {
			t.Helper()
			patch("deployment", "order-api", `{"spec":{"template":{"spec":{"containers":[{"name":"order-api","image":"`+image+`"}]}}}}`)
		}
		setImage("registry.shop.internal/order-api:2024-11-31")
		eventually(t, web+"/api/orders/health", 503, "no healthy upstream")
		setImage("registry.shop.internal/order-api:2024-11-30")
		eventually(t, web+"/api/orders/health", 200, "ok")
	})
}

// The dev cluster's fake registry (a kwok stage) must hold every image the
// shop runs, or the shop would not start in the demo.
func TestDevClusterRegistryHoldsTheShopsImages(t *testing.T) {
	stage, err := os.ReadFile("../devcluster/stages/firedrill-pod-image-pull-error.yaml")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, o := range shop.Objects("shop") {
		var spec *corev1.PodSpec
		switch o := o.(type) {
		case *appsv1.Deployment:
			spec = &o.Spec.Template.Spec
		case *batchv1.CronJob:
			spec = &o.Spec.JobTemplate.Spec.Template.Spec
		default:
			continue
		}
		for _, c := range spec.Containers {
			if !strings.HasPrefix(c.Image, "registry.shop.internal/") {
				continue
			}
			n++
			if strings.Count(string(stage), `"`+c.Image+`"`) != 2 {
				t.Errorf("image %s is not listed in both the selector and the template of the dev cluster's image-pull stage", c.Image)
			}
		}
	}
	if n == 0 {
		t.Fatal("no shop image from registry.shop.internal: nothing checked")
	}
}

// waitHPA polls web's HPA until cond holds.
func waitHPA(t *testing.T, cs kubernetes.Interface, ns string, cond func(*autoscalingv2.HorizontalPodAutoscaler) bool) {
	t.Helper()
	var h *autoscalingv2.HorizontalPodAutoscaler
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(250 * time.Millisecond) {
		var err error
		if h, err = cs.AutoscalingV2().HorizontalPodAutoscalers(ns).Get(context.Background(), "web", metav1.GetOptions{}); err != nil {
			t.Fatal(err)
		}
		if cond(h) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("web's HPA status never got there: %+v", h.Status)
		}
	}
}

// hpaCondition is the reason of the HPA's condition typ, or "".
func hpaCondition(h *autoscalingv2.HorizontalPodAutoscaler, typ autoscalingv2.HorizontalPodAutoscalerConditionType) string {
	for _, c := range h.Status.Conditions {
		if c.Type == typ {
			return c.Reason
		}
	}
	return ""
}
