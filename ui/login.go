package ui

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"k8s.io/utils/clock"
)

// Sign-in failures back off per client address: the first freeFailures
// are free, then each failure doubles the wait before the address may try
// again, from one second up to maxLoginWait. When the credential itself is
// under attack (more than attackFailures failures from all addresses in
// failureWindow), an address that fails gets no free failures. An address
// that has not failed is always checked, so nobody's guessing locks the
// facilitator out, and a correct credential clears its address.
const (
	freeFailures   = 5
	attackFailures = 50
	failureWindow  = 15 * time.Minute
	maxLoginWait   = 15 * time.Minute
)

// loginGuard counts sign-in failures per client address and per credential.
type loginGuard struct {
	clock clock.PassiveClock
	mu    sync.Mutex
	addrs map[string]*failures
	cred  []time.Time // failure times against the credential, in the window
}

type failures struct {
	n     int
	last  time.Time
	until time.Time
}

func newLoginGuard(c clock.PassiveClock) *loginGuard {
	return &loginGuard{clock: c, addrs: map[string]*failures{}}
}

// wait returns how long addr must wait before its next attempt is checked.
func (g *loginGuard) wait(addr string) time.Duration {
	g.mu.Lock()
	defer g.mu.Unlock()
	f, ok := g.addrs[addr]
	if !ok {
		return 0
	}
	if d := f.until.Sub(g.clock.Now()); d > 0 {
		return d
	}
	return 0
}

// failed records a failure of addr and sets its backoff.
func (g *loginGuard) failed(addr string) {
	now := g.clock.Now()
	g.mu.Lock()
	defer g.mu.Unlock()
	keep := g.cred[:0]
	for _, t := range g.cred {
		if now.Sub(t) < failureWindow {
			keep = append(keep, t)
		}
	}
	g.cred = append(keep, now)
	for a, f := range g.addrs {
		if now.Sub(f.last) > failureWindow && now.After(f.until) {
			delete(g.addrs, a)
		}
	}
	f := g.addrs[addr]
	if f == nil {
		f = &failures{}
		g.addrs[addr] = f
	}
	f.n++
	f.last = now
	free := freeFailures
	if len(g.cred) > attackFailures {
		free = 0
	}
	if over := f.n - free; over > 0 {
		wait := maxLoginWait
		if over <= 20 {
			wait = min(time.Second<<(over-1), maxLoginWait)
		}
		f.until = now.Add(wait)
	}
}

// succeeded clears addr's failures.
func (g *loginGuard) succeeded(addr string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.addrs, addr)
}

// clientAddr is the address a request comes from: the peer's, or, when the
// peer is a configured proxy, the last address in X-Forwarded-For that is
// not one of the proxies. Forwarded headers from anyone else are ignored,
// so a client cannot pick its own address.
func (s *Server) clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if !s.trustedProxy(host) {
		return host
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		h := strings.TrimSpace(hops[i])
		if h == "" {
			continue
		}
		if !s.trustedProxy(h) {
			return h
		}
		host = h
	}
	return host
}

func (s *Server) trustedProxy(host string) bool {
	a, err := netip.ParseAddr(host)
	if err != nil {
		return false
	}
	for _, p := range s.proxies {
		if p.Contains(a.Unmap()) {
			return true
		}
	}
	return false
}
