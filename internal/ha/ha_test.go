package ha_test

import (
	"context"
	"io"
	"net"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"k8s.io/client-go/rest"

	"github.com/firedrill/firedrill/internal/devcluster/clustertest"
	"github.com/firedrill/firedrill/internal/ha"
)

func TestMain(m *testing.M) { os.Exit(clustertest.Main(m)) }

// cutter is a TCP proxy to the API server that a test can cut, as a
// network partition cuts a controller off while it keeps running.
type cutter struct {
	ln       net.Listener
	upstream string
	mu       sync.Mutex
	conns    []net.Conn
	cut      bool
}

func newCutter(t testing.TB, upstream string) *cutter {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := &cutter{ln: ln, upstream: upstream}
	go func() {
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			out, err := net.Dial("tcp", upstream)
			if err != nil {
				in.Close()
				continue
			}
			c.mu.Lock()
			if c.cut {
				in.Close()
				out.Close()
			} else {
				c.conns = append(c.conns, in, out)
			}
			c.mu.Unlock()
			go func() { _, _ = io.Copy(out, in); out.Close() }()
			go func() { _, _ = io.Copy(in, out); in.Close() }()
		}
	}()
	t.Cleanup(c.Cut)
	return c
}

// Cut closes every connection and refuses new ones.
func (c *cutter) Cut() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cut = true
	c.ln.Close()
	for _, conn := range c.conns {
		conn.Close()
	}
}

// connect returns ha's client for rc, with client-go's transport for the
// dev cluster's credentials (firedrill's comes from internal/kubeconn).
func connect(rc *rest.Config) (*ha.Client, error) {
	hc, err := rest.HTTPClientFor(rc)
	if err != nil {
		return nil, err
	}
	return ha.New(rc.Host, hc)
}

// electors makes two electors for one Lease: a through the cutter, b
// direct.
func electors(t testing.TB, lease string, a, b *ha.ElectorConfig) (*ha.Elector, *ha.Elector, *cutter) {
	t.Helper()
	cl := clustertest.Cluster(t)
	rc := cl.RESTConfig()
	u, err := url.Parse(rc.Host)
	if err != nil {
		t.Fatal(err)
	}
	cut := newCutter(t, u.Host)
	prc := cl.RESTConfig()
	prc.Host = "https://" + cut.ln.Addr().String()
	prc.Timeout = time.Second
	csA, err := connect(prc)
	if err != nil {
		t.Fatal(err)
	}
	csB, err := connect(cl.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	ns := clustertest.Namespace(t)
	for _, c := range []*ha.ElectorConfig{a, b} {
		c.Namespace, c.Name = ns, lease
		if c.LeaseDuration == 0 {
			// Short timings, so that the tests take seconds.
			c.LeaseDuration, c.RenewDeadline, c.RetryPeriod = 3*time.Second, 2*time.Second, 250*time.Millisecond
		}
	}
	a.Client, a.Identity = csA, "http://a.example:8080"
	b.Client, b.Identity = csB, "http://b.example:8080"
	ea, err := ha.NewElector(*a)
	if err != nil {
		t.Fatal(err)
	}
	eb, err := ha.NewElector(*b)
	if err != nil {
		t.Fatal(err)
	}
	return ea, eb, cut
}

// TestACutOffLeaderStopsActingBeforeTheLeaseIsTakenOver: the leader is cut
// off from the API server while it keeps running; its fence shuts (no
// plugin call passes) before the other controller can lead, and the other
// then leads.
func TestACutOffLeaderStopsActingBeforeTheLeaseIsTakenOver(t *testing.T) {
	ea, eb, cut := electors(t, "fence-test", &ha.ElectorConfig{}, &ha.ElectorConfig{})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	go ea.Run(ctx)
	select {
	case <-ea.Started():
	case <-ctx.Done():
		t.Fatal("a did not lead")
	}
	go eb.Run(ctx)
	deadline := time.Now().Add(10 * time.Second)
	for eb.Leader() != ea.Identity() {
		if time.Now().After(deadline) {
			t.Fatalf("b does not see a as the leader (sees %q)", eb.Leader())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := ea.Fence(); err != nil {
		t.Fatalf("the leader's fence is shut while it renews: %v", err)
	}
	if err := eb.Fence(); err == nil {
		t.Fatal("the follower's fence is open")
	}

	cut.Cut()
	cutAt := time.Now()
	var fencedAt, bLedAt time.Time
	for fencedAt.IsZero() || bLedAt.IsZero() {
		now := time.Now()
		if fencedAt.IsZero() && ea.Fence() != nil {
			fencedAt = now
		}
		if bLedAt.IsZero() && eb.Leading() {
			bLedAt = now
			if ea.Fence() == nil {
				t.Fatalf("b leads %s after the cut while a's fence is still open: two controllers may act", now.Sub(cutAt))
			}
		}
		if now.Sub(cutAt) > 30*time.Second {
			t.Fatalf("30s after the cut: a fenced at %v, b led at %v", fencedAt, bLedAt)
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Logf("cut at 0: a stopped acting after %s, b led after %s", fencedAt.Sub(cutAt).Round(time.Millisecond), bLedAt.Sub(cutAt).Round(time.Millisecond))
	if !fencedAt.Before(bLedAt) {
		t.Fatalf("a stopped acting %s after the cut, b led %s after it: a must stop first", fencedAt.Sub(cutAt), bLedAt.Sub(cutAt))
	}
	if fencedAt.Sub(cutAt) > 2*time.Second+500*time.Millisecond {
		t.Fatalf("a kept acting %s after the cut, past its renew deadline (2s)", fencedAt.Sub(cutAt))
	}
}

// BenchmarkFailover measures how long after its leader dies (stops
// renewing without releasing the Lease, as a killed process) a follower
// leads, with the tests' short timings (3s lease, 2s renew deadline, 250ms
// retry); the metrics are in seconds.
func BenchmarkFailover(b *testing.B) {
	benchFailover(b, "failover-bench", func() *ha.ElectorConfig { return &ha.ElectorConfig{} })
}

// BenchmarkFailoverDefaults is BenchmarkFailover with the timings an
// installation gets (ha.leaseDuration 10s, ha.renewDeadline 7s,
// ha.retryPeriod 2s): the follower leads within 15s of the leader's death.
func BenchmarkFailoverDefaults(b *testing.B) {
	benchFailover(b, "failover-bench-defaults", func() *ha.ElectorConfig {
		return &ha.ElectorConfig{LeaseDuration: ha.DefaultLeaseDuration, RenewDeadline: ha.DefaultRenewDeadline, RetryPeriod: ha.DefaultRetryPeriod}
	})
}

// benchFailover measures, per failover, the time from the leader's cut to
// the other elector leading, with electors configured by cfg.
func benchFailover(b *testing.B, lease string, cfg func() *ha.ElectorConfig) {
	b.StopTimer()
	var total, worst time.Duration
	for i := 0; i < b.N; i++ {
		ea, eb, cut := electors(b, lease, cfg(), cfg())
		ctx, cancel := context.WithCancel(context.Background())
		go ea.Run(ctx)
		<-ea.Started()
		go eb.Run(ctx)
		for eb.Leader() != ea.Identity() {
			time.Sleep(20 * time.Millisecond)
		}
		b.StartTimer()
		cut.Cut() // the leader dies: nothing it sends arrives any more
		start := time.Now()
		<-eb.Started()
		took := time.Since(start)
		b.StopTimer()
		total += took
		worst = max(worst, took)
		cancel()
	}
	b.ReportMetric(total.Seconds()/float64(b.N), "s/failover")
	b.ReportMetric(worst.Seconds(), "s/worst-failover")
}
