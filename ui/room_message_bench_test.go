package ui_test

import (
	"context"
	"fmt"
	"io"
	"runtime/metrics"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/ui/wire"
)

// BenchmarkRoomMessage is the drill room's cost per chat message, end to
// end, without the fan-out benchmark's schedule: 10 drills of 10
// participants' WebSockets each, one poster per drill posting its share of
// the messages one after another through the engine (each message durable
// in the SQLite journal, then streamed to the drill's 10 sockets). It
// reports the process's CPU time per message (cpu-µs/msg: posting,
// storing, streaming and the benchmark's own socket readers, which only
// count frames) and, with -benchmem, the allocations per message of the
// whole process, and runs/msg, the goroutine hand-offs per message. An op
// is one message delivered to all its sockets.
func BenchmarkRoomMessage(b *testing.B) {
	const drills, sockets = 10, 10
	e := newEnv(b)
	ids, authors := make([]string, drills), make([]string, drills)
	conns := make([][]*websocket.Conn, drills)
	for i := range drills {
		a := e.admin()
		var sum control.DrillSummary
		a.must(201, "POST", "/api/drills", map[string]string{"scenario": "room-test"}, &sum)
		var streams []*stream
		for j := range sockets {
			var l wire.JoinLink
			a.must(201, "POST", "/api/drills/"+sum.ID+"/people", map[string]any{"name": fmt.Sprintf("p%d", j), "role": "participant"}, &l)
			if j == 0 {
				authors[i] = l.Person.ID
			}
			streams = append(streams, e.join(l.URL).ws(sum.ID, 0))
		}
		a.must(200, "POST", "/api/drills/"+sum.ID+"/start", nil, nil)
		ids[i] = sum.ID
		for _, s := range streams {
			s.untilReady()
			_ = s.conn.SetReadDeadline(time.Time{})
			conns[i] = append(conns[i], s.conn)
		}
	}
	// Each socket counts the frames it receives; a round is over when
	// every socket has had the round's messages.
	var mu sync.Mutex
	cond := sync.NewCond(&mu)
	got := make([][]int, drills)
	for i := range conns {
		got[i] = make([]int, sockets)
		for j, c := range conns[i] {
			go func() {
				for {
					_, r, err := c.NextReader()
					if err != nil {
						return
					}
					if _, err := io.Copy(io.Discard, r); err != nil {
						return
					}
					mu.Lock()
					got[i][j]++
					cond.Broadcast()
					mu.Unlock()
				}
			}()
		}
	}
	ctx := context.Background()
	post := func(n int) {
		var wg sync.WaitGroup
		for i := range drills {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for k := i; k < n; k += drills {
					if _, err := e.engine.PostMessage(ctx, ids[i], control.PostMessage{
						Channel: "incident", AuthorID: authors[i], AuthorKind: control.AuthorPerson, Text: fmt.Sprintf("m%d", k),
					}); err != nil {
						b.Error(err)
						return
					}
				}
			}()
		}
		wg.Wait()
		want := make([]int, drills)
		for k := range n {
			want[k%drills]++
		}
		mu.Lock()
		defer mu.Unlock()
		for i := range got {
			for j := range got[i] {
				for got[i][j] < want[i] {
					cond.Wait()
				}
				got[i][j] -= want[i]
			}
		}
	}
	post(10 * drills) // warm-up
	cpu0, sched0 := processCPU(), goroutineRuns()
	b.ResetTimer()
	post(b.N)
	b.StopTimer()
	b.ReportMetric(float64(processCPU()-cpu0)/float64(time.Microsecond)/float64(b.N), "cpu-µs/msg")
	b.ReportMetric(float64(goroutineRuns()-sched0)/float64(b.N), "runs/msg")
}

// goroutineRuns returns how many times so far a goroutine went from
// runnable to running (the count of the runtime's scheduling latencies):
// the goroutine hand-offs a message costs, which the machine's load does
// not change as it changes the CPU time.
func goroutineRuns() uint64 {
	s := []metrics.Sample{{Name: "/sched/latencies:seconds"}}
	metrics.Read(s)
	var n uint64
	for _, c := range s[0].Value.Float64Histogram().Counts {
		n += c
	}
	return n
}
