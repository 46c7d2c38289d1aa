// Package clustertest gives the integration tests of a package one real dev
// cluster (see devcluster), started once per test binary from TestMain, and
// each test its own namespace opted in to fault injection.
//
//	func TestMain(m *testing.M) { os.Exit(clustertest.Main(m)) }
//
//	func TestSomething(t *testing.T) {
//		ns := clustertest.Namespace(t)
//		cs := clustertest.Client(t)
//		...
//	}
//
// The cluster's binaries are built on first use (about 15 minutes on 2 cores,
// once per machine); set FIREDRILL_DEVCLUSTER_LOG=1 to see the build and
// start-up progress on stderr.
package clustertest

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/firedrill/firedrill/internal/devcluster"
)

var (
	shared  *devcluster.Cluster
	startup error
	nsSeq   atomic.Int64
)

// Main starts the shared cluster, runs the tests, stops the cluster and
// returns the exit code for os.Exit. A cluster that cannot start fails every
// test that asks for it, with the reason.
func Main(m *testing.M) int {
	var log io.Writer = io.Discard
	if os.Getenv("FIREDRILL_DEVCLUSTER_LOG") != "" {
		log = os.Stderr
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	shared, startup = devcluster.Start(ctx, devcluster.Options{Log: log})
	cancel()
	code := m.Run()
	if shared != nil {
		if err := shared.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "clustertest: stop:", err)
		}
	}
	return code
}

// Cluster returns the shared cluster, failing t when it could not start.
func Cluster(t testing.TB) *devcluster.Cluster {
	t.Helper()
	if startup != nil {
		t.Fatalf("dev cluster: %v", startup)
	}
	if shared == nil {
		t.Fatal("dev cluster: not started; call clustertest.Main from TestMain")
	}
	return shared
}

// Client returns an admin clientset of the shared cluster.
func Client(t testing.TB) kubernetes.Interface {
	t.Helper()
	return Cluster(t).Client()
}

// Namespace creates a fresh namespace carrying the drill-target opt-in label,
// waits for its default service account, and deletes it when the test ends.
func Namespace(t testing.TB) string {
	t.Helper()
	return namespace(t, map[string]string{devcluster.DrillTargetLabel: "true"})
}

// PlainNamespace creates a fresh namespace without the opt-in label, for
// tests of the safety rails.
func PlainNamespace(t testing.TB) string {
	t.Helper()
	return namespace(t, nil)
}

func namespace(t testing.TB, labels map[string]string) string {
	t.Helper()
	cs := Client(t)
	name := fmt.Sprintf("t%d-%s", nsSeq.Add(1), sanitize(t.Name()))
	if len(name) > 63 {
		name = strings.TrimRight(name[:63], "-")
	}
	ctx := context.Background()
	_, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create namespace %s: %v", name, err)
	}
	t.Cleanup(func() {
		_ = cs.CoreV1().Namespaces().Delete(context.Background(), name, metav1.DeleteOptions{})
	})
	if err := devcluster.WaitServiceAccount(ctx, cs, name, nil); err != nil {
		t.Fatalf("namespace %s: %v", name, err)
	}
	return name
}

func sanitize(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	return strings.Trim(b.String(), "-")
}
