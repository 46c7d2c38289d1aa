package sqlite_test

import (
	"context"
	"fmt"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/internal/storetest"
)

// BenchmarkCommitGroup measures what the journal writer spends per chat
// message: groups of one message (a quiet server) and of ten messages of
// ten drills (a busy one), each group one synced transaction, committed on
// the writer directly so that no hand-over is counted. It reports the
// process's CPU time (user + system, fsync included) and the wall time per
// message.
func BenchmarkCommitGroup(b *testing.B) {
	for _, size := range []int{1, 10} {
		b.Run(fmt.Sprintf("group-%d", size), func(b *testing.B) {
			ctx := context.Background()
			db := openDB(b, filepath.Join(b.TempDir(), "firedrill.db"), 0)
			type head struct {
				seq  int64
				hash string
			}
			heads := make([]head, size)
			// The messages are sealed before the clock starts: sealing is
			// the poster's work, not the writer's.
			const perDrill = 64
			sealed := make([][]control.Event, size)
			refill := func() {
				for d := range sealed {
					sealed[d] = storetest.Sealed(b, fmt.Sprintf("drill-%d", d), heads[d].seq, heads[d].hash, perDrill)
					last := sealed[d][perDrill-1]
					heads[d] = head{last.Seq, last.Hash}
				}
			}
			refill()
			sums := make([]control.DrillSummary, size)
			evs := make([][]control.Event, size)
			var cpu time.Duration
			var wall time.Duration
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				k := i % perDrill
				if k == 0 && i > 0 {
					b.StopTimer()
					refill()
					b.StartTimer()
				}
				for d := range sums {
					one := sealed[d][k : k+1]
					sums[d], evs[d] = storetest.Summary(one[0].DrillID, one, control.StateRunning), one
				}
				c0, t0 := cpuTime(b), time.Now()
				for d, err := range db.CommitGroup(ctx, sums, evs) {
					if err != nil {
						b.Fatalf("drill %d: %v", d, err)
					}
				}
				cpu += cpuTime(b) - c0
				wall += time.Since(t0)
			}
			msgs := float64(b.N * size)
			b.ReportMetric(float64(cpu.Nanoseconds())/1e3/msgs, "cpu-µs/msg")
			b.ReportMetric(float64(wall.Nanoseconds())/1e3/msgs, "wall-µs/msg")
		})
	}
}

// cpuTime is the process's CPU time so far, user and system.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
