package gctune_test

import (
	"io/fs"
	"math"
	"runtime/debug"
	"runtime/metrics"
	"strings"
	"sync"
	"testing"
	"time"

	testclock "k8s.io/utils/clock/testing"

	"github.com/firedrill/firedrill/internal/gctune"
)

func TestApply(t *testing.T) {
	const v2, v1 = "/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"
	tests := []struct {
		name  string
		env   map[string]string
		files map[string]string
		want  gctune.Settings
		inLog string
	}{
		{name: "no GOGC and no container limit: 400 and no limit",
			want:  gctune.Settings{Percent: 100, PercentFrom: "default", Limit: math.MaxInt64},
			inLog: "GOGC=100, 400 while browsers stream drills (set GOGC to fix one), no memory limit"},
		{name: "cgroup v2 limit: three quarters of it",
			files: map[string]string{v2: "1073741824\n"},
			want:  gctune.Settings{Percent: 100, PercentFrom: "default", Limit: 805306368, LimitFrom: v2},
			inLog: "soft memory limit 768 MiB (3/4 of " + v2 + ")"},
		{name: "cgroup v2 says max: no limit",
			files: map[string]string{v2: "max\n", v1: "536870912\n"},
			want:  gctune.Settings{Percent: 100, PercentFrom: "default", Limit: math.MaxInt64},
			inLog: ", no memory limit"},
		{name: "cgroup v1 limit: three quarters of it",
			files: map[string]string{v1: "536870912\n"},
			want:  gctune.Settings{Percent: 100, PercentFrom: "default", Limit: 402653184, LimitFrom: v1},
			inLog: "soft memory limit 384 MiB (3/4 of " + v1 + ")"},
		{name: "cgroup v1 without a limit: no limit",
			files: map[string]string{v1: "9223372036854771712\n"},
			want:  gctune.Settings{Percent: 100, PercentFrom: "default", Limit: math.MaxInt64},
			inLog: ", no memory limit"},
		{name: "unreadable limit: no limit",
			files: map[string]string{v1: "lots\n"},
			want:  gctune.Settings{Percent: 100, PercentFrom: "default", Limit: math.MaxInt64},
			inLog: ", no memory limit"},
		{name: "GOGC set: the runtime's value stays",
			env:   map[string]string{"GOGC": "150"},
			want:  gctune.Settings{Percent: 150, PercentFrom: "GOGC", Limit: math.MaxInt64},
			inLog: "GOGC=150 (from GOGC)"},
		{name: "GOGC off: stays off, and no limit from the cgroup",
			env:   map[string]string{"GOGC": "off"},
			files: map[string]string{v2: "1073741824\n"},
			want:  gctune.Settings{Percent: -1, PercentFrom: "GOGC", Limit: math.MaxInt64},
			inLog: "GOGC=off (from GOGC), no memory limit"},
		{name: "GOMEMLIMIT off: no limit, and it says so",
			env:   map[string]string{"GOMEMLIMIT": "off"},
			files: map[string]string{v2: "1073741824\n"},
			want:  gctune.Settings{Percent: 100, PercentFrom: "default", Limit: math.MaxInt64, LimitFrom: "GOMEMLIMIT"},
			inLog: "no memory limit (GOMEMLIMIT=off)"},
		{name: "GOMEMLIMIT set: the runtime's limit stays, the cgroup is not read",
			env:   map[string]string{"GOMEMLIMIT": "300MiB"},
			files: map[string]string{v2: "1073741824\n"},
			want:  gctune.Settings{Percent: 100, PercentFrom: "default", Limit: 300 << 20, LimitFrom: "GOMEMLIMIT"},
			inLog: "memory limit 300 MiB (from GOMEMLIMIT)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The runtime read GOGC and GOMEMLIMIT when the test binary
			// started; set them as a start with those variables would.
			oldPercent, oldLimit := debug.SetGCPercent(100), debug.SetMemoryLimit(math.MaxInt64)
			t.Cleanup(func() { debug.SetGCPercent(oldPercent); debug.SetMemoryLimit(oldLimit) })
			switch tt.env["GOGC"] {
			case "150":
				debug.SetGCPercent(150)
			case "off":
				debug.SetGCPercent(-1)
			}
			if tt.env["GOMEMLIMIT"] == "300MiB" {
				debug.SetMemoryLimit(300 << 20)
			}
			getenv := func(k string) string { return tt.env[k] }
			readFile := func(name string) ([]byte, error) {
				if v, ok := tt.files[name]; ok {
					return []byte(v), nil
				}
				return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
			}
			got := gctune.Apply(getenv, readFile, testclock.NewFakeClock(time.Unix(0, 0))).Settings()
			if got != tt.want {
				t.Fatalf("Apply = %+v, want %+v", got, tt.want)
			}
			if p := debug.SetGCPercent(100); p != tt.want.Percent {
				t.Errorf("the runtime's GOGC is %d, want %d", p, tt.want.Percent)
			}
			if l := debug.SetMemoryLimit(-1); l != tt.want.Limit {
				t.Errorf("the runtime's memory limit is %d, want %d", l, tt.want.Limit)
			}
			if tt.inLog == "" {
				t.Fatal("the case says nothing of the log line")
			}
			if !strings.Contains(got.String(), tt.inLog) {
				t.Errorf("String() = %q, want it to say %q", got.String(), tt.inLog)
			}
		})
	}
}

func TestTunerStreaming(t *testing.T) {
	oldPercent := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetGCPercent(oldPercent) })
	getenv := func(string) string { return "" }
	none := func(name string) ([]byte, error) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	percent := func() int {
		sample := []metrics.Sample{{Name: "/gc/gogc:percent"}}
		metrics.Read(sample)
		return int(int64(sample[0].Value.Uint64()))
	}
	t.Run("raised while sockets stream, lowered IdleAfter after the last left", func(t *testing.T) {
		clk := testclock.NewFakeClock(time.Unix(0, 0))
		tu := gctune.Apply(getenv, none, clk)
		steps := []struct {
			streams int
			wait    time.Duration
			want    int
		}{
			{0, 0, gctune.IdlePercent},
			{1, 0, gctune.StreamingPercent},
			{3, 0, gctune.StreamingPercent},
			{0, gctune.IdleAfter - time.Second, gctune.StreamingPercent}, // a reload's gap
			{2, gctune.IdleAfter, gctune.StreamingPercent},               // back: the lowering is off
			{0, gctune.IdleAfter, gctune.IdlePercent},
			{1, 0, gctune.StreamingPercent},
		}
		for i, s := range steps {
			tu.Streaming(func() int { return s.streams })
			clk.Step(s.wait)
			if got := percent(); got != s.want {
				t.Fatalf("step %d: %v after %d streams, GOGC is %d, want %d", i, s.wait, s.streams, got, s.want)
			}
		}
	})
	t.Run("concurrent calls leave the target of the last count", func(t *testing.T) {
		clk := testclock.NewFakeClock(time.Unix(0, 0))
		tu := gctune.Apply(getenv, none, clk)
		var mu sync.Mutex
		n := 0
		count := func() int { mu.Lock(); defer mu.Unlock(); return n }
		var wg sync.WaitGroup
		for i := range 200 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				mu.Lock()
				if i%2 == 0 {
					n++
				} else {
					n--
				}
				mu.Unlock()
				tu.Streaming(count)
			}()
		}
		wg.Wait()
		if n != 0 {
			t.Fatalf("count %d after as many subscribes as leaves", n)
		}
		clk.Step(gctune.IdleAfter)
		if got := percent(); got != gctune.IdlePercent {
			t.Fatalf("GOGC %d with nobody streaming for IdleAfter, want %d", got, gctune.IdlePercent)
		}
	})
	t.Run("GOGC set: never changed", func(t *testing.T) {
		debug.SetGCPercent(150)
		tu := gctune.Apply(func(k string) string {
			if k == "GOGC" {
				return "150"
			}
			return ""
		}, none, testclock.NewFakeClock(time.Unix(0, 0)))
		tu.Streaming(func() int { return 5 })
		if got := percent(); got != 150 {
			t.Fatalf("GOGC %d while streaming with GOGC=150 set, want 150", got)
		}
	})
}
