package devcluster_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/firedrill/firedrill/internal/devcluster/clustertest"
)

// TestServiceProxyReachesTheRoutedPods sends GETs through the API server's
// service proxy (kubectl get --raw .../services/web:http/proxy/...) to a
// Service whose kwok pod answers nothing: refused (503) while no route
// serves the pod, answered by whoever plays the pod once a route does (a
// route that does not serve it is passed over), and refused again once the
// route is gone, though the API server kept its connection alive.
func TestServiceProxyReachesTheRoutedPods(t *testing.T) {
	c := clustertest.Cluster(t)
	cs := clustertest.Client(t)
	ns := clustertest.Namespace(t)
	ctx := context.Background()
	d := deployment(ns, "web", 1, corev1.Container{Name: "web", Image: "web:1", Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}}})
	if _, err := cs.AppsV1().Deployments(ns).Create(ctx, d, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "web"}, Spec: corev1.ServiceSpec{
		Selector: map[string]string{"app": "web"},
		Ports:    []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromInt32(8080)}},
	}}
	if _, err := cs.CoreV1().Services(ns).Create(ctx, svc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	pods := waitPods(t, cs, ns, "web", func(ps []corev1.Pod) bool {
		return len(ps) == 1 && ps[0].Status.PodIP != "" && len(ps[0].Status.ContainerStatuses) == 1 && ps[0].Status.ContainerStatuses[0].Ready
	})
	podAddr := net.JoinHostPort(pods[0].Status.PodIP, "8080")
	// The service proxy picks a pod from the Service's Endpoints.
	err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		ep, err := cs.CoreV1().Endpoints(ns).Get(ctx, "web", metav1.GetOptions{}) // the proxy reads v1 Endpoints
		return err == nil && len(ep.Subsets) == 1 && len(ep.Subsets[0].Addresses) == 1, nil
	})
	if err != nil {
		t.Fatalf("the Service's Endpoints never listed its pod: %v", err)
	}

	// What plays the pod, with keep-alive: the API server keeps its tunnel
	// open between GETs, and unroute must close it.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "played %s", r.URL.Path)
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })

	get := func() (string, error) {
		b, err := cs.CoreV1().Services(ns).ProxyGet("http", "web", "http", "hello", nil).DoRaw(ctx)
		return string(b), err
	}
	refused := func(when string) {
		t.Helper()
		if body, err := get(); !apierrors.IsServiceUnavailable(err) || strings.Contains(err.Error(), "no endpoints available") {
			t.Fatalf("%s: GET through the service proxy answered %q, %v; want 503 Service Unavailable", when, body, err)
		}
	}
	refused("with no route")

	var (
		mu    sync.Mutex
		asked []string
	)
	unrouteOther := c.RoutePods(func(ctx context.Context, addr string) (net.Conn, error) {
		mu.Lock()
		defer mu.Unlock()
		asked = append(asked, addr)
		return nil, errors.New("not one of mine")
	})
	defer unrouteOther()
	unroute := c.RoutePods(func(ctx context.Context, addr string) (net.Conn, error) {
		if addr != podAddr {
			return nil, fmt.Errorf("not the web pod (%s)", podAddr)
		}
		var d net.Dialer
		return d.DialContext(ctx, "tcp", ln.Addr().String())
	})
	body, err := get()
	if err != nil || body != "played /hello" {
		t.Fatalf("with a route: GET through the service proxy answered %q, %v; want the pod's player", body, err)
	}
	mu.Lock()
	if len(asked) == 0 || asked[0] != podAddr {
		t.Errorf("the older route was asked for %v, want %s first", asked, podAddr)
	}
	mu.Unlock()
	unroute()
	refused("after the route was removed")
}
