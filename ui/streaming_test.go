package ui_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/ui"
	"github.com/firedrill/firedrill/ui/wire"
)

// streamCounts records what Config.Streaming was told: the count it read
// at each call.
type streamCounts struct {
	mu     sync.Mutex
	counts []int
}

func (c *streamCounts) streaming(streams func() int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.counts = append(c.counts, streams())
}

// last waits until the latest call counted want, and fails otherwise.
func (c *streamCounts) last(t *testing.T, want int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c.mu.Lock()
		counts := append([]int(nil), c.counts...)
		c.mu.Unlock()
		if len(counts) > 0 && counts[len(counts)-1] == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("Streaming was told %v, want the last call to count %d", counts, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (c *streamCounts) calls() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.counts)
}

// TestStreaming checks the hook serve raises the collector's target with
// (internal/gctune): it is told when the first browser streams a drill
// and when the last one leaves, and not for those in between.
func TestStreaming(t *testing.T) {
	var c streamCounts
	e := newEnv(t, func(cfg *ui.Config, _ *control.Engine) { cfg.Streaming = c.streaming })
	a := e.admin()
	var sum control.DrillSummary
	a.must(201, "POST", "/api/drills", map[string]string{"scenario": "room-test"}, &sum)
	var streams []*stream
	for i := range 3 {
		var l wire.JoinLink
		a.must(201, "POST", "/api/drills/"+sum.ID+"/people", map[string]any{"name": fmt.Sprintf("p%d", i), "role": "participant"}, &l)
		s := e.join(l.URL).ws(sum.ID, 0)
		s.untilReady()
		streams = append(streams, s)
	}
	t.Run("the first browser raises it, the next ones do not call", func(t *testing.T) {
		c.last(t, 1)
		if n := c.calls(); n != 1 {
			t.Fatalf("Streaming called %d times for 3 browsers, want once (the first)", n)
		}
	})
	t.Run("the last browser leaving lowers it", func(t *testing.T) {
		for _, s := range streams[:2] {
			s.conn.Close()
		}
		for deadline := time.Now().Add(10 * time.Second); e.server.HubStats().Subscribers != 1; {
			if time.Now().After(deadline) {
				t.Fatalf("%d browsers stream after 2 of 3 left, want 1", e.server.HubStats().Subscribers)
			}
			time.Sleep(5 * time.Millisecond)
		}
		if n := c.calls(); n != 1 {
			t.Fatalf("Streaming called %d times with a browser still streaming, want once", n)
		}
		streams[2].conn.Close()
		c.last(t, 0)
	})
}
