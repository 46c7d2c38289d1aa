// Package gctune sets the Go garbage collector's targets for firedrill's
// server, where they decide how late a chat message reaches the browsers.
//
// A collection's mark phase takes one of the two processors of a 2-core
// server for its whole length (20-30 ms with a few hundred sockets open),
// and every message streamed meanwhile waits behind it: in the fan-out
// benchmark (ui.BenchmarkFanout, 100 drills) four fifths of the drill
// room's deliveries slower than its p99 overlapped a collection. The
// collector starts a cycle once the heap has grown by GOGC percent of what
// the last one left live, so with GOGC=400 instead of Go's 100 it runs
// about a quarter as often, for a heap up to five times the live one
// instead of twice: tens of megabytes more at a hundred drills.
//
// That heap is worth it only while browsers stream: an idle server keeps
// Go's default, so that its memory stays what it was (the garbage of an
// idle server's timers would otherwise pile up to five times its small
// live heap). A Tuner switches between the two as the drill room's
// WebSockets come and go (ui.Config.Streaming).
//
// GOGC and GOMEMLIMIT in the environment are the operator's and always
// win. Without GOMEMLIMIT (and unless GOGC=off), the memory limit of a
// container with its own cgroup namespace (cgroup v2 memory.max or v1
// memory.limit_in_bytes) becomes a soft limit of three quarters of it, so
// that the heap the larger GOGC allows is collected more often near the
// limit instead of having the container killed.
package gctune

import (
	"fmt"
	"math"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"time"

	"k8s.io/utils/clock"
)

// StreamingPercent is the collector's target (GOGC) while browsers stream
// drills, unless GOGC is set.
const StreamingPercent = 400

// IdlePercent is the target otherwise: Go's default.
const IdlePercent = 100

// IdleAfter is how long the target stays raised after the last browser
// left: a lone browser that reconnects (a network blip, a reload) would
// otherwise lower it and, with the heap above the lower goal, start a
// collection right away.
const IdleAfter = 30 * time.Second

// limitShare is the part of a container's memory limit that becomes the
// collector's soft limit when GOMEMLIMIT is not set: the rest is for what
// the Go heap does not hold (SQLite's page cache, goroutine stacks, the
// binary).
const limitShare = 0.75

// CgroupFiles are where a container's memory limit is read from, cgroup
// v2 first; the first that exists is taken. They are the container's own
// in a cgroup namespace (Docker, Kubernetes); a limit set on a systemd
// unit or a cgroup of the host is not seen there.
var CgroupFiles = []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"}

// Settings are the collector's targets Apply left in force, and where each
// came from.
type Settings struct {
	// Percent is GOGC when set in the environment (PercentFrom "GOGC"),
	// otherwise IdlePercent (PercentFrom "default"; the Tuner raises the
	// runtime's target to StreamingPercent while browsers stream). -1 is
	// off.
	Percent     int
	PercentFrom string
	// Limit is the soft memory limit in bytes, math.MaxInt64 for none;
	// LimitFrom is "GOMEMLIMIT", the cgroup file it was derived from, or
	// "" for none.
	Limit     int64
	LimitFrom string
}

// String says the settings in one line for the server's log.
func (s Settings) String() string {
	var b strings.Builder
	switch {
	case s.PercentFrom == "default":
		fmt.Fprintf(&b, "garbage collector target GOGC=%d, %d while browsers stream drills (set GOGC to fix one)", IdlePercent, StreamingPercent)
	case s.Percent < 0:
		b.WriteString("garbage collector target GOGC=off (from GOGC)")
	default:
		fmt.Fprintf(&b, "garbage collector target GOGC=%d (from GOGC)", s.Percent)
	}
	switch s.LimitFrom {
	case "":
		b.WriteString(", no memory limit")
	case "GOMEMLIMIT":
		if s.Limit == math.MaxInt64 {
			b.WriteString(", no memory limit (GOMEMLIMIT=off)")
		} else {
			fmt.Fprintf(&b, ", memory limit %d MiB (from GOMEMLIMIT)", s.Limit>>20)
		}
	default:
		fmt.Fprintf(&b, ", soft memory limit %d MiB (3/4 of %s)", s.Limit>>20, s.LimitFrom)
	}
	return b.String()
}

// Tuner keeps the collector's target where Apply put it, raising it while
// browsers stream (see Streaming).
type Tuner struct {
	settings Settings
	clock    clock.WithDelayedExecution
	mu       sync.Mutex
	// streaming is whether the target is raised.
	streaming bool
	// lower, when set, lowers the target IdleAfter after the last browser
	// left; gen tells it from one stopped since.
	lower clock.Timer
	gen   int
}

// Apply sets the collector's targets for a server: IdlePercent (raised
// by the returned Tuner's Streaming) unless GOGC is set, and a soft memory
// limit of three quarters of the container's memory limit unless
// GOMEMLIMIT is set or GOGC is off (none without a container limit).
// getenv looks up the environment the runtime read at start (os.Getenv),
// readFile reads the cgroup files (os.ReadFile); clk times IdleAfter.
func Apply(getenv func(string) string, readFile func(string) ([]byte, error), clk clock.WithDelayedExecution) *Tuner {
	s := applySettings(getenv, readFile)
	return &Tuner{settings: s, clock: clk}
}

// applySettings sets the targets Apply sets and returns them.
func applySettings(getenv func(string) string, readFile func(string) ([]byte, error)) Settings {
	var s Settings
	if getenv("GOGC") != "" { // the runtime read it at start
		s.Percent, s.PercentFrom = int(int64(read("/gc/gogc:percent"))), "GOGC"
	} else {
		debug.SetGCPercent(IdlePercent)
		s.Percent, s.PercentFrom = IdlePercent, "default"
	}
	s.Limit = int64(read("/gc/gomemlimit:bytes"))
	if getenv("GOMEMLIMIT") != "" {
		s.LimitFrom = "GOMEMLIMIT"
		return s
	}
	if s.Percent < 0 {
		// GOGC=off without a limit: the operator asked for no
		// collection at all.
		return s
	}
	for _, f := range CgroupFiles {
		b, err := readFile(f)
		if err != nil {
			continue // not this cgroup version
		}
		if max, ok := containerLimit(b); ok {
			s.Limit = int64(float64(max) * limitShare)
			s.LimitFrom = f
			debug.SetMemoryLimit(s.Limit)
		}
		break
	}
	return s
}

// Settings returns the targets Apply set.
func (t *Tuner) Settings() Settings { return t.settings }

// Streaming raises the collector's target to StreamingPercent while
// streams() (the WebSockets streaming drills, counted now) is above zero,
// and lowers it back to IdlePercent once it has been zero for IdleAfter;
// with GOGC set it does nothing. It is called whenever that number may
// have crossed zero, from many goroutines at once: it counts under its
// lock rather than trust the order of the calls, so the last call leaves
// the target of the latest count.
func (t *Tuner) Streaming(streams func() int) {
	if t.settings.PercentFrom != "default" {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if streams() > 0 {
		if t.lower != nil {
			t.lower.Stop()
			t.lower = nil
			t.gen++
		}
		if !t.streaming {
			t.streaming = true
			debug.SetGCPercent(StreamingPercent)
		}
		return
	}
	if !t.streaming || t.lower != nil {
		return
	}
	gen := t.gen
	t.lower = t.clock.AfterFunc(IdleAfter, func() {
		t.mu.Lock()
		defer t.mu.Unlock()
		if gen != t.gen || streams() > 0 {
			return // stopped since, or a browser came back
		}
		t.lower = nil
		t.streaming = false
		debug.SetGCPercent(IdlePercent)
	})
}

// read returns the runtime metric called name (a uint64).
func read(name string) uint64 {
	sample := []metrics.Sample{{Name: name}}
	metrics.Read(sample)
	if sample[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return sample[0].Value.Uint64()
}

// containerLimit parses a cgroup memory limit file's content b: false
// when it says "max" or holds a number too large to be a real limit
// (cgroup v1 writes 2^63 rounded down to a page for none).
func containerLimit(b []byte) (int64, bool) {
	v := strings.TrimSpace(string(b))
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 || n >= math.MaxInt64/2 {
		return 0, false
	}
	return n, true
}
