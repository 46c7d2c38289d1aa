package fsyncd_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/firedrill/firedrill/internal/fsyncd"
)

// BenchmarkSync measures what a commit waits for in its sync, side by
// side: a 4 KiB write and fsync of a file made through the helper process,
// the same in this process (SyncInProcess's cost), and the first sync of a
// Syncer, which starts its helper (the first commit after an idle stop).
// Each side runs n syncs; it reports their p50 and p99.
func BenchmarkSync(b *testing.B) {
	const n = 200
	block := make([]byte, 4096)
	path := filepath.Join(b.TempDir(), "log")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	// timed runs n writes, each followed by sync, and returns the
	// latencies of the syncs.
	timed := func(sync func() error) []time.Duration {
		var lat []time.Duration
		for i := 0; i < n; i++ {
			if _, err := f.WriteAt(block, int64(i%64)*4096); err != nil {
				b.Fatal(err)
			}
			start := time.Now()
			if err := sync(); err != nil {
				b.Fatal(err)
			}
			lat = append(lat, time.Since(start))
		}
		slices.Sort(lat)
		return lat
	}
	report := func(name string, lat []time.Duration) {
		p50, p99 := lat[len(lat)/2], lat[len(lat)*99/100]
		fmt.Fprintf(os.Stdout, "%-32s p50 %8.1f µs   p99 %8.1f µs\n", name, float64(p50)/1e3, float64(p99)/1e3)
		b.ReportMetric(float64(p50)/1e3, name+"-p50-µs")
	}
	for b.Loop() {
		s, err := fsyncd.New(path)
		if err != nil {
			b.Fatal(err)
		}
		helper := timed(func() error { return s.Sync(0) })
		s.Close()
		inProcess := timed(f.Sync)
		first := timed(func() error {
			s, err := fsyncd.New(path)
			if err != nil {
				return err
			}
			defer s.Close()
			return s.Sync(0)
		})
		fmt.Fprintf(os.Stdout, "\nwrite 4 KiB + sync, %d each\n", n)
		report("helper", helper)
		report("in-process", inProcess)
		report("first-sync-starting-the-helper", first)
	}
}
