package e2e_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/internal/ha"
	"github.com/firedrill/firedrill/ui/client"
	"github.com/firedrill/firedrill/ui/wire"
)

// freeAddr returns a loopback address with a port nobody listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// startResuming follows a drill like a browser does: when its stream
// breaks (its replica died) it reconnects and resumes after the last
// sequence it has.
func startResuming(ctx context.Context, c *client.Client, drillID string) *follower {
	f := &follower{seen: make(chan struct{}, 1), done: make(chan error, 1)}
	go func() {
		var last int64
		for ctx.Err() == nil {
			_ = c.Follow(ctx, drillID, last, func(e wire.Event) error {
				f.mu.Lock()
				f.events = append(f.events, e)
				f.mu.Unlock()
				last = e.Seq
				select {
				case f.seen <- struct{}{}:
				default:
				}
				return nil
			})
			select {
			case <-ctx.Done():
			case <-time.After(200 * time.Millisecond):
			}
		}
		f.done <- ctx.Err()
	}()
	return f
}

// drillClock is the drill clock a view shows, in drill milliseconds.
func drillClock(v wire.DrillView) float64 {
	if v.ClockSince.IsZero() {
		return float64(v.ClockBaseMS)
	}
	return float64(v.ClockBaseMS) + float64(v.ServerNow.Sub(v.ClockSince).Milliseconds())*v.TimeScale
}

// TestFailover: two controllers share the drill database; everyone uses
// the follower's address, which forwards to the leader. With the layered
// drill running, its faults in effect and chat going on, the leader is
// SIGKILLed: the follower leads within 15 s, the drill goes on on its drill
// clock without any inject fired twice, every acknowledged message is kept,
// a stream that resumes from its last sequence sees every event once, and
// aborting then reverts everything.
func TestFailover(t *testing.T) {
	sh := sharedShop(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	extra := haConfig(t, sh, "")
	extra["drill"] = map[string]any{"timeScale": timeScale, "onRestart": "resume"}
	replica := func(name, addr string) *server {
		ex := map[string]any{}
		for k, v := range extra {
			ex[k] = v
		}
		h := map[string]any{}
		for k, v := range extra["ha"].(map[string]any) {
			h[k] = v
		}
		h["identity"] = "http://" + addr
		ex["ha"] = h
		rdir := filepath.Join(dir, name)
		must(t, "replica directory", os.MkdirAll(rdir, 0o700))
		return launchServer(t, serverConfig(t, data, addr, sh.urls, ex), rdir)
	}
	addrA, addrB := freeAddr(t), freeAddr(t)
	a := replica("a", addrA)
	a.URL = a.waitPrinted(t, `firedrill: drill room on (\S+)`, 90*time.Second)
	b := replica("b", addrB)
	b.waitPrinted(t, `firedrill: replica \S+ waits to lead`, 60*time.Second)
	time.Sleep(2 * time.Second) // b has seen a's Lease: it knows whom to forward to

	// Everyone goes through b, the follower.
	via := &server{URL: "http://" + addrB}
	d := newDrill(t, ctx, via, sh, "layered-payment-outage", "")
	d.begin(t, ctx)
	ana := startResuming(ctx, d.ana.c, d.id)
	d.fac.waitFor(t, "worker-isolated injected", eventWait, isFault(control.EventFaultInjected, "worker-isolated"))
	d.fac.waitFor(t, "payment-timeout injected", eventWait, isFault(control.EventFaultInjected, "payment-timeout"))
	sh.waitHealth(t, ctx, "web", "/api/checkout/health", 503, "payment")
	var said []string
	for i := 1; i <= 3; i++ {
		text := fmt.Sprintf("Checking the payment path, step %d.", i)
		must(t, "Ana says "+text, d.ana.c.Say(ctx, d.id, "incident", text, ""))
		said = append(said, text)
	}
	before, err := d.fac.c.DrillView(ctx, d.id)
	must(t, "the drill before the failover", err)

	// The leader's node dies.
	killed := time.Now()
	must(t, "SIGKILL the leader", a.cmd.Process.Kill())
	<-a.exited
	b.waitPrinted(t, `firedrill: replica \S+ leads`, 30*time.Second)
	took := time.Since(killed)
	b.waitPrinted(t, `firedrill: drill room on (\S+)`, 30*time.Second)
	t.Logf("failover: the follower led %s after the leader was killed", took.Round(time.Millisecond))
	if took > 15*time.Second {
		t.Fatalf("the follower led %s after the leader died, want within 15s", took)
	}

	text := "Still on it after the blip."
	must(t, "Ana speaks after the failover", d.ana.c.Say(ctx, d.id, "incident", text, ""))
	said = append(said, text)
	after, err := d.fac.c.DrillView(ctx, d.id)
	must(t, "the drill after the failover", err)
	if after.State != control.StateRunning {
		t.Fatalf("the drill is %s after the failover, want running", after.State)
	}
	wall := after.ServerNow.Sub(before.ServerNow)
	if got, want := drillClock(after)-drillClock(before), 0.8*float64(wall.Milliseconds())*timeScale; got < want {
		t.Fatalf("the drill clock advanced %.0fms over %s of wall time at ×%d: time was lost in the failover", got, wall, timeScale)
	}

	// Ana's stream resumed: every event once, in order, and every message
	// she was acknowledged.
	p := &person{name: "Ana (resuming)", c: d.ana.c, f: ana}
	p.waitFor(t, "her message after the failover", eventWait, saidBy(d.ana.id, text))
	evs := ana.snapshot()
	for i, e := range evs {
		if e.Seq != int64(i+1) {
			t.Fatalf("Ana's resumed stream: event %d has seq %d: an event was lost or repeated", i+1, e.Seq)
		}
	}
	for _, s := range said {
		found := false
		for _, e := range evs {
			found = found || saidBy(d.ana.id, s)(e)
		}
		if !found {
			t.Fatalf("the acknowledged message %q is not in the drill", s)
		}
	}
	intents := map[string]int{}
	for _, e := range evs {
		if fp, ok := faultPayload(e); ok && e.Type == control.EventFaultIntent {
			intents[fp.FaultID]++
		}
	}
	if intents["worker-isolated"] != 1 || intents["payment-timeout"] != 1 {
		t.Fatalf("inject intents per fault: %v, want exactly one each (no inject fired twice)", intents)
	}
	if code, _ := sh.health("web", "/api/checkout/health"); code != 503 {
		t.Fatalf("checkout health after the failover: %d, want still 503 (the faults stay in effect)", code)
	}

	// The new leader owns the faults: aborting reverts them all.
	must(t, "abort on the new leader", d.fac.c.Lifecycle(ctx, d.id, "abort", "failover test done"))
	p.waitFor(t, "worker-isolated reverted", endWait, isFault(control.EventFaultReverted, "worker-isolated"))
	p.waitFor(t, "payment-timeout reverted", endWait, isFault(control.EventFaultReverted, "payment-timeout"))
	sh.waitHealth(t, ctx, "web", "/api/checkout/health", 200, "ok")
	sh.assertClean(t, ctx)
	recs, err := ha.ListRecords(ctx, sh.cs, haNamespace)
	must(t, "list the revert records", err)
	if len(recs) != 0 {
		t.Fatalf("revert records left after the abort: %+v", recs)
	}
	b.stop(t)
}
