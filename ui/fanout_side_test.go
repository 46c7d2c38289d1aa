package ui_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"

	"k8s.io/utils/clock"

	"github.com/firedrill/firedrill/control"
	csqlite "github.com/firedrill/firedrill/control/sqlite"
	"github.com/firedrill/firedrill/internal/gctune"
	"github.com/firedrill/firedrill/internal/lowprio"
	"github.com/firedrill/firedrill/ui"
)

// fanoutSide is one side of BenchmarkFanout's comparison as the benchmark
// drives it: its drills posting a second at a time, then its results.
type fanoutSide interface {
	// drive posts for d at the arrivals of round k of model m (see
	// fanoutLoad.drive).
	drive(d time.Duration, m arrivalModel, k int, measured bool)
	// finish ends the side and returns its results by arrival model, and
	// the durable floor's synced groups (zero for the other sides).
	finish(b *testing.B) ([arrivalModels]fanoutResult, [arrivalModels]groupStats)
}

// Each side of the fan-out benchmark runs in a process of its own — its
// server, its drills' sockets and their readers, its posts — and
// BenchmarkFanout drives the three processes in turn over pipes. In one
// process, the three servers and 3,000 sockets shared one heap: a GC cycle
// marked all of it (90-100 MB live, 11 MB of goroutine stacks, 40-90 ms of
// marking with assists), so that whichever side was driving when a cycle
// came had every delivery of those 50-90 ms late, whoever allocated the
// garbage; at 100 drills one such cycle in a side's 15 seconds decided its
// p99 (session 14: 1,000-2,000 deliveries over 3 ms in the 0.1 s around
// each cycle, and none of the room's slowest clusters without one or an
// fsync stall). On its own, each side's collector marks its own heap and
// runs on its own garbage, as a server's does beside its browsers' machines.
// FIREDRILL_BENCH_ONE_PROCESS=1 runs the three sides in the benchmark's
// process, as before session 14.
const (
	sideEnv       = "FIREDRILL_FANOUT_SIDE"
	sideDrillsEnv = "FIREDRILL_FANOUT_DRILLS"
	oneProcessEnv = "FIREDRILL_BENCH_ONE_PROCESS"
	// sideTraceEnv names a directory for an execution trace of each
	// side's process (go tool trace).
	sideTraceEnv = "FIREDRILL_BENCH_SIDE_TRACE"
	// sideProfileEnv names a directory for a CPU and a heap profile of
	// each side's process (go tool pprof).
	sideProfileEnv = "FIREDRILL_BENCH_SIDE_PROFILE"
)

// sideCommand is what BenchmarkFanout sends a side's process: drive one
// second, or finish.
type sideCommand struct {
	Finish   bool `json:"finish,omitempty"`
	Model    int  `json:"model"`
	Round    int  `json:"round"`
	Measured bool `json:"measured"`
}

// sideAnswer is what a side's process answers: ready once its drills are
// open, done after a drive, and its results after finish.
type sideAnswer struct {
	Ready   bool                       `json:"ready,omitempty"`
	Done    bool                       `json:"done,omitempty"`
	Results *[arrivalModels]sideResult `json:"results,omitempty"`
	Groups  *[arrivalModels]sideGroups `json:"groups,omitempty"`
}

// sideResult is a fanoutResult on the pipe.
type sideResult struct {
	P50, P99       float64
	Delivered      int
	Posted, Due    int64
	CPU            float64
	Bytes, Objects float64
	Cycles         uint64
	GCCPU          float64
	HeapGoal       float64
	ToHub, FromHub [2]float64
}

// sideGroups is a groupStats on the pipe.
type sideGroups struct {
	Groups, Posts, MaxPosts int
	MeanPosts               float64
	SyncP50, SyncP99        float64
}

func toSideResult(r fanoutResult) sideResult {
	return sideResult{P50: r.p50, P99: r.p99, Delivered: r.delivered, Posted: r.posted, Due: r.due, CPU: r.cpu,
		Bytes: r.mem.bytes, Objects: r.mem.objects, Cycles: r.mem.cycles, GCCPU: r.mem.gcCPU, HeapGoal: r.mem.goal, ToHub: r.toHub, FromHub: r.fromHub}
}

func (r sideResult) fanoutResult() fanoutResult {
	return fanoutResult{p50: r.P50, p99: r.P99, delivered: r.Delivered, posted: r.Posted, due: r.Due, cpu: r.CPU,
		mem: memUse{bytes: r.Bytes, objects: r.Objects, cycles: r.Cycles, gcCPU: r.GCCPU, goal: r.HeapGoal}, toHub: r.ToHub, fromHub: r.FromHub}
}

// toSideGroups is g as a side sends it over its pipe.
func toSideGroups(g groupStats) sideGroups {
	return sideGroups{Groups: g.groups, Posts: g.posts, MaxPosts: g.maxPosts, MeanPosts: g.meanPosts, SyncP50: g.syncP50, SyncP99: g.syncP99}
}

// groupStats is g as the benchmark reports it.
func (g sideGroups) groupStats() groupStats {
	return groupStats{groups: g.Groups, posts: g.Posts, maxPosts: g.MaxPosts, meanPosts: g.MeanPosts, syncP50: g.SyncP50, syncP99: g.SyncP99}
}

// localSide is a side in the benchmark's process.
type localSide struct {
	*fanoutLoad
	// floor is the durable floor's hub, nil for the other sides.
	floor *durableHub
}

// bareProcsEnv gives the bare hub's and the durable floor's processes
// that many processors (GOMAXPROCS), to compare the room, which runs with
// serve's (one more than Go's default, see internal/lowprio), with hubs
// given as many: FIREDRILL_BENCH_BARE_PROCS=3 on 2 cores.
const bareProcsEnv = "FIREDRILL_BENCH_BARE_PROCS"

// bareProcs applies bareProcsEnv in a side's own process.
func bareProcs(b *testing.B, own bool) {
	v := os.Getenv(bareProcsEnv)
	if !own || v == "" {
		return
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		b.Fatalf("%s=%q: want a number of processors", bareProcsEnv, v)
	}
	runtime.GOMAXPROCS(n)
}

// openSide opens n drills of the side called name ("bare", "floor" or
// "room") in this process, with their sockets. In a process of its own
// (own), the room runs with the garbage collector's targets serve sets
// (internal/gctune: GOGC raised from Go's 100 to 400 while browsers
// stream, unless GOGC is set) and its processors (internal/lowprio: one
// more than Go's default, for the journal's commits of chat messages on a
// lowered thread of their own), as a user's server does; the bare hub and
// the durable floor with Go's defaults. In the benchmark's process, which
// the three share, all run with Go's defaults.
func openSide(b *testing.B, name string, n int, own bool) *localSide {
	switch name {
	case "bare":
		bareProcs(b, own)
		return &localSide{fanoutLoad: startFanout(b, name, newBareHub(b), n)}
	case "floor":
		bareProcs(b, own)
		h := newDurableHub(b)
		return &localSide{fanoutLoad: startFanout(b, name, h, n), floor: h}
	case "room":
		var opts []envOption
		var low bool
		if own {
			gc := gctune.Apply(os.Getenv, os.ReadFile, clock.RealClock{})
			procs := lowprio.Processors(os.Getenv)
			low = procs.Added
			b.Logf("room: %s; %s", gc.Settings(), procs)
			opts = append(opts, func(c *ui.Config, _ *control.Engine) { c.Streaming = gc.Streaming })
		}
		e := newEnvStore(b, func(db *csqlite.DB) { db.LowPriority = low }, opts...)
		return &localSide{fanoutLoad: startFanout(b, name, &drillRoomFanout{e: e}, n)}
	}
	b.Fatalf("no fan-out side %q, expected bare, floor or room", name)
	return nil
}

func (s *localSide) finish(b *testing.B) ([arrivalModels]fanoutResult, [arrivalModels]groupStats) {
	var g [arrivalModels]groupStats
	r := s.fanoutLoad.finish(b)
	if s.floor != nil {
		for m := range g {
			g[m] = s.floor.log.stats(arrivalModel(m))
		}
	}
	return r, g
}

// remoteSide is a side in a process of its own: this test binary, running
// BenchmarkFanoutSide, told what to do over a pipe.
type remoteSide struct {
	name string
	cmd  *exec.Cmd
	enc  *json.Encoder
	dec  *json.Decoder
	// answers is the pipe dec reads, whose deadline bounds each wait.
	answers *os.File
	// output is the process's output, printed if it fails.
	output bytes.Buffer
}

// startSide starts the process of the side called name with n drills; it
// is ready once ready returns.
func startSide(b *testing.B, name string, n int) *remoteSide {
	exe, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	cmdR, cmdW, err := os.Pipe()
	if err != nil {
		b.Fatal(err)
	}
	ansR, ansW, err := os.Pipe()
	if err != nil {
		b.Fatal(err)
	}
	s := &remoteSide{name: name, answers: ansR}
	args := []string{"-test.run=^$", "-test.bench=^BenchmarkFanoutSide$", "-test.benchtime=1x", "-test.timeout=60m"}
	if dir := os.Getenv(sideTraceEnv); dir != "" {
		args = append(args, fmt.Sprintf("-test.trace=%s/fanout-%s-%d.trace", dir, name, n))
	}
	if dir := os.Getenv(sideProfileEnv); dir != "" {
		args = append(args, fmt.Sprintf("-test.cpuprofile=%s/fanout-%s-%d.cpu", dir, name, n),
			fmt.Sprintf("-test.memprofile=%s/fanout-%s-%d.mem", dir, name, n))
	}
	s.cmd = exec.Command(exe, args...)
	s.cmd.Env = append(os.Environ(), sideEnv+"="+name, sideDrillsEnv+"="+strconv.Itoa(n))
	s.cmd.ExtraFiles = []*os.File{cmdR, ansW} // fds 3 and 4
	// A benchmark that times out never runs its clean-ups: the side dies
	// with the benchmark's process rather than outlive it.
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	s.cmd.Stdout, s.cmd.Stderr = &s.output, &s.output
	if dir := os.Getenv("FIREDRILL_BENCH_LATLOG"); dir != "" {
		// Its log and, with GODEBUG=gctrace=1, its GC cycles (see
		// calibrateGCTrace), beside its latency log.
		f, err := os.Create(fmt.Sprintf("%s/fanout-%s-%d.out", dir, name, n))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { f.Close() })
		s.cmd.Stdout, s.cmd.Stderr = f, f
	}
	if err := s.cmd.Start(); err != nil {
		b.Fatal(err)
	}
	cmdR.Close()
	ansW.Close()
	s.enc, s.dec = json.NewEncoder(cmdW), json.NewDecoder(ansR)
	b.Cleanup(func() {
		cmdW.Close()
		ansR.Close()
		if s.cmd.ProcessState == nil {
			_ = s.cmd.Process.Kill()
			_ = s.cmd.Wait()
		}
	})
	return s
}

// answer reads the process's next answer, waiting at most within; it
// fails the benchmark with the process's output if there is none.
func (s *remoteSide) answer(b *testing.B, within time.Duration) sideAnswer {
	a, err := s.read(within)
	if err != nil {
		b.Fatalf("fan-out side %s: no answer (%v); its output:\n%s", s.name, err, s.output.String())
	}
	return a
}

// read reads the process's next answer, waiting at most within; if there
// is none, the process is killed and waited for.
func (s *remoteSide) read(within time.Duration) (sideAnswer, error) {
	var a sideAnswer
	_ = s.answers.SetReadDeadline(time.Now().Add(within))
	err := s.dec.Decode(&a)
	if err != nil {
		_ = s.cmd.Process.Kill()
		_ = s.cmd.Wait()
	}
	return a, err
}

// ready waits until the side's drills are open.
func (s *remoteSide) ready(b *testing.B) {
	if a := s.answer(b, 10*time.Minute); !a.Ready {
		b.Fatalf("fan-out side %s: answered %+v, want ready", s.name, a)
	}
}

func (s *remoteSide) drive(d time.Duration, m arrivalModel, k int, measured bool) {
	if d != time.Second {
		panic("a side's process drives a second at a time")
	}
	if err := s.enc.Encode(sideCommand{Model: int(m), Round: k, Measured: measured}); err != nil {
		panic(fmt.Sprintf("fan-out side %s: %v", s.name, err))
	}
	if a, err := s.read(d + time.Minute); err != nil || !a.Done {
		panic(fmt.Sprintf("fan-out side %s: answered %+v (%v) after a drive; its output:\n%s", s.name, a, err, s.output.String()))
	}
}

func (s *remoteSide) finish(b *testing.B) ([arrivalModels]fanoutResult, [arrivalModels]groupStats) {
	if err := s.enc.Encode(sideCommand{Finish: true}); err != nil {
		b.Fatal(err)
	}
	a := s.answer(b, 5*time.Minute)
	if a.Results == nil || a.Groups == nil {
		b.Fatalf("fan-out side %s: answered %+v, want its results", s.name, a)
	}
	if err := s.cmd.Wait(); err != nil {
		b.Fatalf("fan-out side %s: %v; its output:\n%s", s.name, err, s.output.String())
	}
	var r [arrivalModels]fanoutResult
	var g [arrivalModels]groupStats
	for m := range r {
		r[m], g[m] = a.Results[m].fanoutResult(), a.Groups[m].groupStats()
	}
	return r, g
}

// BenchmarkFanoutSide is one side of BenchmarkFanout in a process of its
// own (see remoteSide); run on its own, it is skipped. It opens the
// drills, answers ready on fd 4, then drives a second for each command read
// from fd 3 until told to finish, when it answers its results.
func BenchmarkFanoutSide(b *testing.B) {
	name := os.Getenv(sideEnv)
	if name == "" {
		b.Skip("one side of BenchmarkFanout, which runs it in a process of its own")
	}
	n, err := strconv.Atoi(os.Getenv(sideDrillsEnv))
	if err != nil || n < 1 {
		b.Fatalf("%s=%q: want a number of drills", sideDrillsEnv, os.Getenv(sideDrillsEnv))
	}
	cmds, answers := os.NewFile(3, "commands"), os.NewFile(4, "answers")
	dec, enc := json.NewDecoder(cmds), json.NewEncoder(answers)
	for b.Loop() {
		s := openSide(b, name, n, true)
		calibrateGCTrace()
		if err := enc.Encode(sideAnswer{Ready: true}); err != nil {
			b.Fatal(err)
		}
		for {
			var c sideCommand
			if err := dec.Decode(&c); err != nil {
				b.Fatalf("read a command: %v", err)
			}
			if c.Finish {
				break
			}
			s.drive(time.Second, arrivalModel(c.Model), c.Round, c.Measured)
			if err := enc.Encode(sideAnswer{Done: true}); err != nil {
				b.Fatal(err)
			}
		}
		r, g := s.finish(b)
		var out [arrivalModels]sideResult
		var groups [arrivalModels]sideGroups
		for m := range r {
			out[m], groups[m] = toSideResult(r[m]), toSideGroups(g[m])
		}
		if err := enc.Encode(sideAnswer{Results: &out, Groups: &groups}); err != nil {
			b.Fatal(err)
		}
	}
}
