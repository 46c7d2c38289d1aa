package storetest

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/firedrill/firedrill/control"
)

var benchRuns atomic.Int64

// BenchmarkAppend measures the events per second a journal store commits
// durably, two ways: "serial", one drill appending one event at a time, each
// its own synced transaction (the way the engine writes a chat message or a
// fault step); and "concurrent", 16 drills appending at once, which the
// store's group commit puts into shared transactions. One iteration is 256
// appends.
func BenchmarkAppend(b *testing.B, db control.Store) {
	for _, writers := range []int{1, 16} {
		name := "serial"
		if writers > 1 {
			name = fmt.Sprintf("concurrent-%d", writers)
		}
		b.Run(name, func(b *testing.B) {
			const perIter = 256
			run := benchRuns.Add(1) // a new drill per run: b.Run may call this again
			ctx := context.Background()
			heads := make([]struct {
				seq  int64
				hash string
			}, writers)
			var elapsed time.Duration
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				batches := make([][]control.Event, writers)
				for w := range batches {
					id := fmt.Sprintf("bench-%d-%s-%d", run, name, w)
					batches[w] = Sealed(b, id, heads[w].seq, heads[w].hash, perIter/writers)
				}
				b.StartTimer()
				start := time.Now()
				var wg sync.WaitGroup
				errs := make(chan error, writers)
				for w := range batches {
					wg.Add(1)
					go func(evs []control.Event) {
						defer wg.Done()
						for j := range evs {
							one := evs[j : j+1]
							if err := db.Append(ctx, Summary(one[0].DrillID, one, control.StateRunning), one); err != nil {
								errs <- err
								return
							}
						}
					}(batches[w])
				}
				wg.Wait()
				elapsed += time.Since(start)
				close(errs)
				for err := range errs {
					b.Fatal(err)
				}
				for w, evs := range batches {
					last := evs[len(evs)-1]
					heads[w].seq, heads[w].hash = last.Seq, last.Hash
				}
			}
			b.ReportMetric(float64(b.N*perIter)/elapsed.Seconds(), "events/s")
			b.ReportMetric(float64(elapsed.Microseconds())/float64(b.N*perIter), "µs/append")
		})
	}
}
