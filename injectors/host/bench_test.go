package host_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/injectors/host"
)

// BenchmarkInjectRevert measures one fault's full cycle through a real plugin
// process: Prepare, Inject and Revert, three gRPC round trips over mTLS and
// three reads and two atomic writes of a flag file.
func BenchmarkInjectRevert(b *testing.B) {
	ctx := context.Background()
	h, _ := openHost(b, host.Config{Dir: pluginDir(b, "flagfile")})
	file := flagFile(b, map[string]any{"k": "old"})
	f := setFlag(b, "f1", file, "k", "injected")
	b.ResetTimer()
	for b.Loop() {
		rec, err := h.Prepare(ctx, f)
		if err != nil {
			b.Fatal(err)
		}
		if rec, err = h.Inject(ctx, f, rec); err != nil {
			b.Fatal(err)
		}
		if err := h.Revert(ctx, "flagfile", rec); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRevert50Concurrently measures the plugin layer's share of an
// abort: 50 injected faults (one flag file each) reverted at once through
// one plugin process.
func BenchmarkRevert50Concurrently(b *testing.B) {
	ctx := context.Background()
	h, _ := openHost(b, host.Config{Dir: pluginDir(b, "flagfile")})
	const n = 50
	faults := make([]control.FaultSpec, n)
	for i := range faults {
		faults[i] = setFlag(b, fmt.Sprintf("f%d", i), flagFile(b, map[string]any{"k": "old"}), "k", "injected")
	}
	records := make([][]byte, n)
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		for i, f := range faults {
			rec, err := h.Prepare(ctx, f)
			if err == nil {
				rec, err = h.Inject(ctx, f, rec)
			}
			if err != nil {
				b.Fatal(err)
			}
			records[i] = rec
		}
		b.StartTimer()
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range records {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = h.Revert(ctx, "flagfile", records[i])
			}()
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				b.Fatal(err)
			}
		}
	}
}
