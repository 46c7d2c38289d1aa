package ui_test

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	clocktesting "k8s.io/utils/clock/testing"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/ui"
)

// loginFrom signs in from a client address forwarded by the (trusted)
// loopback proxy and returns the status and body.
func loginFrom(e *env, addr, secret string) (int, string) {
	c := e.client()
	c.forwardedFor = addr
	st, b := c.do("POST", "/api/login", map[string]string{"secret": secret})
	return st, string(b)
}

func TestLoginLimit(t *testing.T) {
	clk := clocktesting.NewFakeClock(time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC))
	behindProxy := func(c *ui.Config, _ *control.Engine) {
		c.Clock = clk
		c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	}
	t.Run("a guesser backs off and never locks the facilitator out", func(t *testing.T) {
		e := newEnv(t, behindProxy)
		var locked bool
		for i := 0; i < 30; i++ {
			if _, b := loginFrom(e, "203.0.113.7", "wrong-guess"); strings.Contains(b, "Too many failed sign-ins") {
				locked = true
			}
		}
		if !locked {
			t.Fatal("30 wrong guesses from one address were all checked; want a backoff")
		}
		if st, b := loginFrom(e, "198.51.100.20", adminToken); st != 200 {
			t.Fatalf("the facilitator at another address: %d %s, want signed in", st, b)
		}
		if st, b := loginFrom(e, "203.0.113.7", adminToken); st != 401 || !strings.Contains(b, "try again in") {
			t.Fatalf("the guesser's address during its backoff: %d %s, want to wait", st, b)
		}
	})
	t.Run("the backoff ends, and a correct credential clears it", func(t *testing.T) {
		e := newEnv(t, behindProxy)
		for i := 0; i < 7; i++ {
			loginFrom(e, "203.0.113.8", "wrong")
		}
		clk.Step(maxWait)
		if st, b := loginFrom(e, "203.0.113.8", adminToken); st != 200 {
			t.Fatalf("after the backoff: %d %s, want signed in", st, b)
		}
		if st, _ := loginFrom(e, "203.0.113.8", "wrong"); st != 401 {
			t.Fatal("a wrong credential signed in")
		}
		if st, b := loginFrom(e, "203.0.113.8", adminToken); st != 200 {
			t.Fatalf("one failure after a success: %d %s, want signed in (the success cleared the count)", st, b)
		}
	})
	t.Run("under a spread-out attack a failing address gets no free failures, a fresh one is still checked", func(t *testing.T) {
		e := newEnv(t, behindProxy)
		for i := 0; i < 60; i++ {
			loginFrom(e, "192.0.2."+itoa(int64(i)), "wrong")
		}
		loginFrom(e, "192.0.2.200", "wrong")
		if _, b := loginFrom(e, "192.0.2.200", adminToken); !strings.Contains(b, "try again in") {
			t.Fatalf("a failing address while the credential is under attack: %s, want a backoff at once", b)
		}
		if st, b := loginFrom(e, "198.51.100.21", adminToken); st != 200 {
			t.Fatalf("the facilitator at a fresh address: %d %s, want signed in", st, b)
		}
	})
	t.Run("forwarded addresses from an untrusted peer are ignored", func(t *testing.T) {
		e := newEnv(t, func(c *ui.Config, _ *control.Engine) { c.Clock = clk })
		var locked bool
		for i := 0; i < 30; i++ {
			if _, b := loginFrom(e, "203.0.113."+itoa(int64(i)), "wrong-guess"); strings.Contains(b, "Too many failed sign-ins") {
				locked = true
			}
		}
		if !locked {
			t.Fatal("a client escaped the backoff by forging X-Forwarded-For")
		}
	})
}

// maxWait is longer than any sign-in backoff.
const maxWait = 16 * time.Minute
