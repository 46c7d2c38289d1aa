package e2e_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/control/seal"
	"github.com/firedrill/firedrill/internal/ha"
	"github.com/firedrill/firedrill/ui/client"
	"github.com/firedrill/firedrill/ui/wire"
)

// balancer is what people reach the replicas through, like a Kubernetes
// Service: each new connection goes to the next replica that accepts it, so
// some streams land on the leader and some on the follower (which forwards
// them), and when a replica dies its clients' reconnections land on a live
// one.
type balancer struct {
	ln       net.Listener
	backends []string

	mu    sync.Mutex
	next  int
	conns map[net.Conn]bool
}

func startBalancer(t *testing.T, backends ...string) *balancer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &balancer{ln: ln, backends: backends, conns: map[net.Conn]bool{}}
	go b.serve()
	t.Cleanup(func() { b.ln.Close() })
	return b
}

func (b *balancer) URL() string { return "http://" + b.ln.Addr().String() }

func (b *balancer) serve() {
	for {
		c, err := b.ln.Accept()
		if err != nil {
			return
		}
		go b.pass(c)
	}
}

// pass connects c to the next backend that accepts a connection.
func (b *balancer) pass(c net.Conn) {
	defer c.Close()
	var up net.Conn
	for i := 0; i < len(b.backends) && up == nil; i++ {
		b.mu.Lock()
		addr := b.backends[b.next%len(b.backends)]
		b.next++
		b.mu.Unlock()
		up, _ = net.DialTimeout("tcp", addr, time.Second)
	}
	if up == nil {
		return
	}
	defer up.Close()
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(up, c); done <- struct{}{} }()
	go func() { _, _ = io.Copy(c, up); done <- struct{}{} }()
	<-done
}

// startResuming follows a drill like the drill room's pages do: when its
// stream breaks (its replica died) it reconnects and resumes after the
// last sequence it has, within the stream's epoch; a stream of another
// epoch (the new leader's) resets it, and it starts over from the journal.
// tries counts its attempts to follow.
func startResuming(ctx context.Context, c *client.Client, drillID string) (f *follower, tries *atomic.Int32) {
	f = &follower{seen: make(chan struct{}, 1), done: make(chan error, 1)}
	tries = new(atomic.Int32)
	go func() {
		var cur client.Cursor
		for ctx.Err() == nil {
			tries.Add(1)
			err := c.FollowCursor(ctx, drillID, &cur, func(e wire.Event) error {
				f.mu.Lock()
				f.events = append(f.events, e)
				f.mu.Unlock()
				select {
				case f.seen <- struct{}{}:
				default:
				}
				return nil
			})
			if errors.Is(err, client.ErrReset) {
				// Another leader's stream (or a withdrawn message): start
				// over from the journal, as the pages do.
				f.mu.Lock()
				f.events = nil
				f.resets++
				f.mu.Unlock()
				continue
			}
			select {
			case <-ctx.Done():
			case <-time.After(200 * time.Millisecond):
			}
		}
		f.done <- ctx.Err()
	}()
	return f, tries
}

// resetCount is how many times the follower started over.
func (f *follower) resetCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.resets
}

// drillClock is the drill clock a view shows, in drill milliseconds.
func drillClock(v wire.DrillView) float64 {
	if v.ClockSince.IsZero() {
		return float64(v.ClockBaseMS)
	}
	return float64(v.ClockBaseMS) + float64(v.ServerNow.Sub(v.ClockSince).Milliseconds())*v.TimeScale
}

// printedAfter waits until the server's stdout, past its first from bytes,
// holds a line matching pattern; it reports whether one came in time.
func (s *server) printedAfter(from int, pattern string, timeout time.Duration) bool {
	re := regexp.MustCompile(pattern)
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if out := s.stdout.String(); len(out) > from && re.MatchString(out[from:]) {
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}

// TestFailover: two `firedrill serve` replicas share a PostgreSQL database
// and elect a leader through a Lease with the default timings; people
// reach them through a balancer. With the layered drill running, its
// faults in effect and chat going on, the leader is SIGKILLed: the
// follower leads within 15 s and opens the drill room; the drill goes on
// on its drill clock without an inject fired twice; every acknowledged
// message is kept; every stream that resumes from its last sequence sees
// every event exactly once; the faults stay in effect, tracked by the new
// leader, which reverts them all when the drill is aborted.
func TestFailover(t *testing.T) {
	sh := sharedShop(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	dir := t.TempDir()
	dsn := pg.Get(t).NewDatabase(t)
	haConfig(t, sh, "") // the namespace
	key, err := seal.NewKeySpec("failover")
	must(t, "a record key", err)
	lease := "firedrill-failover"
	replica := func(name, addr string) *server {
		extra := map[string]any{
			"store": map[string]any{"driver": "postgres", "dsn": dsn},
			// The default election timings: what an installation gets.
			"ha":      map[string]any{"namespace": haNamespace, "lease": lease, "identity": "http://" + addr},
			"records": map[string]any{"keys": []string{key}},
			"drill":   map[string]any{"timeScale": timeScale, "onRestart": "resume"},
		}
		rdir := filepath.Join(dir, name)
		must(t, "replica directory", os.MkdirAll(rdir, 0o700))
		return launchServer(t, serverConfig(t, filepath.Join(rdir, "data"), addr, sh.urls, extra), rdir)
	}
	addrA, addrB := freeAddr(t), freeAddr(t)
	a := replica("a", addrA)
	a.URL = a.waitPrinted(t, `firedrill: drill room on (\S+)`, 90*time.Second)
	b := replica("b", addrB)
	b.waitPrinted(t, `firedrill: replica \S+ waits to lead`, 60*time.Second)
	lb := startBalancer(t, addrA, addrB)

	via := &server{URL: lb.URL()}
	d := newDrill(t, ctx, via, sh, "layered-payment-outage", "")
	d.begin(t, ctx)
	// The facilitator, Ana and Ben follow like the room's pages: after a
	// break they resume where they were. Ana's stream is on the leader
	// itself, Ben's on the follower, which forwards it to the leader.
	d.ana.c.DialStream = dialFirst(addrA, addrB)
	d.ben.c.DialStream = dialFirst(addrB, addrA)
	resuming := func(p *person, name string) (*person, *atomic.Int32) {
		f, tries := startResuming(ctx, p.c, d.id)
		return &person{name: name, id: p.id, c: p.c, f: f}, tries
	}
	fac, _ := resuming(d.fac, "the facilitator (resuming)")
	ana, anaTries := resuming(d.ana, "Ana (resuming, on the leader)")
	ben, benTries := resuming(d.ben, "Ben (resuming, through the follower)")
	fac.waitFor(t, "worker-isolated injected", eventWait, isFault(control.EventFaultInjected, "worker-isolated"))
	fac.waitFor(t, "payment-timeout injected", eventWait, isFault(control.EventFaultInjected, "payment-timeout"))
	sh.waitHealth(t, ctx, "web", "/api/checkout/health", 503, "payment")
	var said []string
	for i := 1; i <= 3; i++ {
		text := fmt.Sprintf("Checking the payment path, step %d.", i)
		must(t, "Ana says "+text, d.ana.c.Say(ctx, d.id, "incident", text, ""))
		said = append(said, text)
	}
	before, err := d.fac.c.DrillView(ctx, d.id)
	must(t, "the drill before the failover", err)

	// Ben keeps talking through the failover; what he is acknowledged
	// must be kept.
	chatCtx, stopChat := context.WithCancel(ctx)
	var (
		ackMu sync.Mutex
		acked []string
	)
	nAcked := func() int { ackMu.Lock(); defer ackMu.Unlock(); return len(acked) }
	chatDone := make(chan struct{})
	go func() {
		defer close(chatDone)
		for i := 1; chatCtx.Err() == nil; i++ {
			text := fmt.Sprintf("Ben: still digging, note %d.", i)
			if d.ben.c.Say(chatCtx, d.id, "incident", text, "") == nil {
				ackMu.Lock()
				acked = append(acked, text)
				ackMu.Unlock()
			}
			select {
			case <-chatCtx.Done():
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()

	if err := poll(ctx, 10*time.Second, func() bool { return nAcked() >= 3 }); err != nil {
		t.Fatalf("the old leader acknowledged %d of Ben's messages in 10s", nAcked())
	}

	// The leader's node dies.
	mark := len(b.stdout.String())
	killed := time.Now()
	must(t, "SIGKILL the leader", a.cmd.Process.Kill())
	<-a.exited
	if !b.printedAfter(mark, `firedrill: replica \S+ leads`, 30*time.Second) {
		t.Fatalf("the follower did not lead within 30s of the leader's death")
	}
	led := time.Since(killed)
	if !b.printedAfter(mark, `firedrill: drill room on `, 30*time.Second) {
		t.Fatalf("the new leader did not open the drill room within 30s of leading")
	}
	opened := time.Since(killed)
	t.Logf("failover: the follower led %s and served the drill room %s after the leader was SIGKILLed", led.Round(time.Millisecond), opened.Round(time.Millisecond))
	if led > 15*time.Second {
		t.Fatalf("the follower led %s after the leader died, want within 15s", led)
	}

	onOld := nAcked()
	if err := poll(ctx, 20*time.Second, func() bool { return nAcked() >= onOld+3 }); err != nil {
		t.Fatalf("the new leader acknowledged %d of Ben's messages in 20s", nAcked()-onOld)
	}
	stopChat()
	<-chatDone

	text := "Still on it after the blip."
	must(t, "Ana speaks after the failover", d.ana.c.Say(ctx, d.id, "incident", text, ""))
	said = append(said, text)
	after, err := d.fac.c.DrillView(ctx, d.id)
	must(t, "the drill after the failover", err)
	if after.State != control.StateRunning {
		t.Fatalf("the drill is %s after the failover, want running", after.State)
	}
	wall := after.ServerNow.Sub(before.ServerNow)
	if got, want := drillClock(after)-drillClock(before), float64(wall.Milliseconds())*timeScale; got < 0.95*want || got > 1.05*want {
		t.Fatalf("the drill clock advanced %.0fms over %s of wall time at ×%d, want %.0fms: the failover cost drill time", got, wall, timeScale, want)
	}

	// The resumed streams hold every event once, in order, and every
	// message Ana was acknowledged.
	for _, p := range []*person{fac, ana, ben} {
		p.waitFor(t, "Ana's message after the failover", eventWait, saidBy(d.ana.id, text))
		evs := p.f.snapshot()
		for i := 1; i < len(evs); i++ {
			if evs[i].Seq != evs[i-1].Seq+1 {
				t.Fatalf("%s: event #%d follows #%d: an event was lost or repeated across the failover", p.name, evs[i].Seq, evs[i-1].Seq)
			}
		}
		assertSaidOnce(t, p.name, evs, d.ana.id, said)
		assertSaidOnce(t, p.name, evs, d.ben.id, acked)
	}
	t.Logf("failover: Ben was acknowledged %d messages around it; Ana's stream was opened %d times, Ben's %d; the streams started over on the new leader's epoch %d (facilitator), %d (Ana), %d (Ben) times", len(acked), anaTries.Load(), benTries.Load(), fac.f.resetCount(), ana.f.resetCount(), ben.f.resetCount())
	if anaTries.Load() < 2 || benTries.Load() < 2 {
		t.Fatalf("the streams were opened %d (Ana, on the leader) and %d (Ben, through the follower) times, want a reconnection each", anaTries.Load(), benTries.Load())
	}
	intents, restarts := map[string]int{}, 0
	for _, e := range fac.f.snapshot() {
		if fp, ok := faultPayload(e); ok && e.Type == control.EventFaultIntent {
			intents[fp.FaultID]++
		}
		if e.Type == control.EventDrillRestarted {
			restarts++
		}
	}
	if intents["worker-isolated"] != 1 || intents["payment-timeout"] != 1 {
		t.Fatalf("inject intents per fault: %v, want exactly one each (no inject fired twice)", intents)
	}
	if restarts != 1 {
		t.Fatalf("the drill notes %d restarts, want 1 (the failover)", restarts)
	}
	if code, _ := sh.health("web", "/api/checkout/health"); code != 503 {
		t.Fatalf("checkout health after the failover: %d, want still 503 (the faults stay in effect)", code)
	}
	recs, err := ha.ListRecords(ctx, sh.ha, haNamespace)
	must(t, "list the revert records", err)
	if len(recs) != 1 || recs[0].DrillID != d.id || len(recs[0].Entries) != 2 {
		t.Fatalf("revert records in the cluster after the failover: %+v, want drill %s with 2 faults", recs, d.id)
	}

	for _, id := range []string{"worker-isolated", "payment-timeout"} {
		if ph := d.faultPhase(t, ctx, id); ph != control.FaultInEffect {
			t.Fatalf("fault %s is %s on the new leader, want %s", id, ph, control.FaultInEffect)
		}
	}

	// The new leader owns the faults: aborting reverts them all.
	p := fac
	must(t, "abort on the new leader", d.fac.c.Lifecycle(ctx, d.id, "abort", "failover test done"))
	p.waitFor(t, "worker-isolated reverted", endWait, isFault(control.EventFaultReverted, "worker-isolated"))
	p.waitFor(t, "payment-timeout reverted", endWait, isFault(control.EventFaultReverted, "payment-timeout"))
	sh.assertRestored(t, ctx, "the abort")
	b.stop(t)
}

// assertSaidOnce asserts that each of the texts personID was acknowledged
// is in evs exactly once.
func assertSaidOnce(t *testing.T, who string, evs []wire.Event, personID string, texts []string) {
	t.Helper()
	for _, text := range texts {
		n := 0
		for _, e := range evs {
			if saidBy(personID, text)(e) {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("%s: the acknowledged message %q of %s is in the drill %d times, want once", who, text, personID, n)
		}
	}
}

// dialFirst dials the first of addrs that accepts a connection, whatever
// address the client asked for: a stream that prefers one replica.
func dialFirst(addrs ...string) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, _ string) (net.Conn, error) {
		var err error
		for _, a := range addrs {
			var c net.Conn
			if c, err = (&net.Dialer{Timeout: time.Second}).DialContext(ctx, network, a); err == nil {
				return c, nil
			}
		}
		return nil, err
	}
}

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
