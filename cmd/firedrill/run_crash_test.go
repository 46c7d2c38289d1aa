package main_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// crashScale is the drill clock speed of the crash test: a drill minute per
// wall second, so faults, probes and the alert run while the test kills.
const crashScale = 60

// original and injected are the flag file before the drill and the value
// each fault sets.
var (
	originalFlags = map[string]any{"payments": "on", "coupon_discount": float64(0), "search": "on"}
	faultFlags    = map[string][2]any{ // fault → key, injected value
		"payments-off": {"payments", "off"},
		"coupons-free": {"coupon_discount", float64(100)},
		"search-off":   {"search", "off"},
	}
)

// buildRunBinaries builds the real firedrill binary and the flagfile plugin.
func buildRunBinaries(t *testing.T) (bin, pluginDir string) {
	t.Helper()
	return buildFiredrill(t), buildFlagfile(t)
}

// drillFiles writes the flag file and the scenario pointing at it.
func drillFiles(t *testing.T) (scenario, flags string) {
	t.Helper()
	dir := t.TempDir()
	flags = filepath.Join(dir, "flags.json")
	b, _ := json.Marshal(originalFlags)
	if err := os.WriteFile(flags, b, 0o644); err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("testdata/run/flag-drill.yaml")
	if err != nil {
		t.Fatal(err)
	}
	scenario = filepath.Join(dir, "flag-drill.yaml")
	if err := os.WriteFile(scenario, bytes.ReplaceAll(src, []byte("FLAGS_FILE"), []byte(flags)), 0o644); err != nil {
		t.Fatal(err)
	}
	return scenario, flags
}

func readFlags(t *testing.T, path string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("flag file %s: %v", path, err)
	}
	return m
}

// runProc is a running `firedrill run` subprocess.
type runProc struct {
	t      *testing.T
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	lines  chan map[string]any
	stderr *bytes.Buffer
	mu     sync.Mutex
	seen   []map[string]any
}

func startRun(t *testing.T, bin, dataDir, pluginDir string, args ...string) *runProc {
	t.Helper()
	home := t.TempDir()
	all := append([]string{"run", "--output", "json", "--data-dir", dataDir, "--plugin-dir", pluginDir, "--time-scale", fmt.Sprint(crashScale)}, args...)
	cmd := exec.Command(bin, all...)
	cmd.Env = []string{"HOME=" + home, "XDG_CONFIG_HOME=" + home, "PATH=" + os.Getenv("PATH")}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &runProc{t: t, cmd: cmd, stdin: stdin, lines: make(chan map[string]any, 10000), stderr: &bytes.Buffer{}}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var m map[string]any
			if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
				m = map[string]any{"unparsed": sc.Text()}
			}
			p.lines <- m
		}
		close(p.lines)
	}()
	t.Cleanup(func() { p.kill() })
	return p
}

func (p *runProc) send(cmd map[string]any) {
	p.t.Helper()
	b, _ := json.Marshal(cmd)
	if _, err := p.stdin.Write(append(b, '\n')); err != nil {
		p.t.Fatalf("write command: %v", err)
	}
}

// waitFor returns the first line (event or ack) matching pred.
func (p *runProc) waitFor(what string, pred func(map[string]any) bool) map[string]any {
	p.t.Helper()
	timeout := time.After(60 * time.Second)
	for {
		select {
		case m, ok := <-p.lines:
			if !ok {
				p.t.Fatalf("firedrill run exited before %s; stderr:\n%s", what, p.stderr)
			}
			p.mu.Lock()
			p.seen = append(p.seen, m)
			p.mu.Unlock()
			if pred(m) {
				return m
			}
		case <-timeout:
			p.t.Fatalf("timed out waiting for %s; stderr:\n%s", what, p.stderr)
		}
	}
}

func isEvent(typ, contains string) func(map[string]any) bool {
	return func(m map[string]any) bool {
		if m["event"] != typ {
			return false
		}
		b, _ := json.Marshal(m["payload"])
		return strings.Contains(string(b), contains)
	}
}

func isAck(id string) func(map[string]any) bool {
	return func(m map[string]any) bool { return m["ack"] == id }
}

// seenLine returns a line already read that matches pred.
func (p *runProc) seenLine(pred func(map[string]any) bool) map[string]any {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, m := range p.seen {
		if pred(m) {
			return m
		}
	}
	return nil
}

// lastDrillTime is the largest drill time of the events seen so far.
func (p *runProc) lastDrillTime() time.Duration {
	dt, _ := p.lastEvent()
	return dt
}

// lastEvent returns the drill time and wall time of the latest event seen.
func (p *runProc) lastEvent() (time.Duration, time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var last time.Duration
	var at time.Time
	for _, m := range p.seen {
		if dt, ok := m["drillTime"].(float64); ok && time.Duration(dt) >= last {
			last = time.Duration(dt)
			at, _ = time.Parse(time.RFC3339Nano, fmt.Sprint(m["time"]))
		}
	}
	return last, at
}

// waitBacklog waits until the events up to the head reported by a status
// ack are printed: the status can be answered before the backlog is out.
func (p *runProc) waitBacklog(status map[string]any) {
	p.t.Helper()
	head := int64(status["seq"].(float64))
	isHead := func(m map[string]any) bool { s, _ := m["seq"].(float64); return m["event"] != nil && int64(s) >= head }
	if p.seenLine(isHead) == nil {
		p.waitFor(fmt.Sprintf("the backlog up to #%d", head), isHead)
	}
}

// checkClock asserts that the drill clock read after a restart continued
// from the latest journal event: it kept running while the process was
// down, no less and no more.
func checkClock(t *testing.T, el, last time.Duration, lastAt time.Time) {
	t.Helper()
	upper := last + time.Duration(float64(time.Since(lastAt)+time.Second)*crashScale)
	if el < last || el > upper {
		t.Fatalf("drill clock %s after restart; the latest event was at %s, %s ago (expected at most %s)", el, last, time.Since(lastAt), upper)
	}
}

// drain kills the process and reads the rest of its output.
func (p *runProc) drain() {
	p.kill()
	for m := range p.lines {
		p.mu.Lock()
		p.seen = append(p.seen, m)
		p.mu.Unlock()
	}
}

func (p *runProc) kill() {
	if p.cmd.ProcessState == nil {
		p.cmd.Process.Signal(syscall.SIGKILL)
		p.cmd.Wait()
	}
}

// TestRunCrash runs the real binary against a real SQLite file and the real
// flagfile plugin, SIGKILLs it at points of a drill, starts it again with
// --resume, and checks that no fault is left injected that should not be,
// no acknowledged message is lost, and the drill clock continues.
func TestRunCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the real binary")
	}
	bin, pluginDir := buildRunBinaries(t)

	points := []struct {
		name string
		// crash drives the first process to the crash point and returns the
		// acknowledged chat messages (seq → text).
		crash func(t *testing.T, p *runProc) map[int64]string
	}{
		{"after intent", func(t *testing.T, p *runProc) map[int64]string {
			p.waitFor("the first fault intent", isEvent("fault.intent", "payments-off"))
			return nil
		}},
		{"after prepare", func(t *testing.T, p *runProc) map[int64]string {
			p.waitFor("the revert record", isEvent("fault.prepared", "coupons-free"))
			return nil
		}},
		{"after inject", func(t *testing.T, p *runProc) map[int64]string {
			p.waitFor("the inject", isEvent("fault.injected", "coupons-free"))
			return nil
		}},
		{"mid-chat", func(t *testing.T, p *runProc) map[int64]string {
			p.send(map[string]any{"id": "join", "cmd": "join", "person": "alice", "name": "Alice", "role": "participant"})
			p.waitFor("the join ack", isAck("join"))
			texts := map[string]string{}
			for i := 0; i < 40; i++ {
				id := fmt.Sprintf("m%d", i)
				texts[id] = fmt.Sprintf("status %d: checking the payment flags", i)
				p.send(map[string]any{"id": id, "cmd": "message", "channel": "incident", "author": "alice", "text": texts[id]})
			}
			acked := map[int64]string{}
			for len(acked) < 15 {
				m := p.waitFor("message acks", func(m map[string]any) bool { _, ok := texts[fmt.Sprint(m["ack"])]; return ok })
				if m["error"] != nil {
					t.Fatalf("message refused: %v", m)
				}
				acked[int64(m["seq"].(float64))] = texts[m["ack"].(string)]
			}
			return acked
		}},
		{"mid-revert of an abort", func(t *testing.T, p *runProc) map[int64]string {
			p.waitFor("both faults", isEvent("fault.injected", "coupons-free"))
			p.send(map[string]any{"id": "abort", "cmd": "abort", "why": "testing the kill switch"})
			p.waitFor("the first revert intent", isEvent("fault.revert-intent", ""))
			return nil
		}},
	}
	for _, pt := range points {
		t.Run("killed "+pt.name, func(t *testing.T) {
			scenario, flags := drillFiles(t)
			data := t.TempDir()
			first := startRun(t, bin, data, pluginDir, scenario)
			acked := pt.crash(t, first)
			before := first.lastDrillTime()
			first.kill()

			second := startRun(t, bin, data, pluginDir, "--resume")
			second.send(map[string]any{"id": "status", "cmd": "status"})
			var st map[string]any
			aborted := false
			m := second.waitFor("the status or the end", func(m map[string]any) bool {
				return m["ack"] == "status" || m["metrics"] != nil
			})
			if m["metrics"] != nil {
				aborted = true // an aborted drill is finished by the restart and the run exits
			} else {
				st = m
			}
			if st["state"] == "aborted" {
				// The restart finishes the abort's reverts in the drill's
				// loop, and the run exits once they are done.
				second.waitFor("the end of the aborted drill", func(m map[string]any) bool { return m["metrics"] != nil })
				aborted = true
			}

			// Every acknowledged message is in the journal the restarted
			// process prints from #1.
			for seq, text := range acked {
				isSeq := func(m map[string]any) bool { s, _ := m["seq"].(float64); return m["event"] != nil && int64(s) == seq }
				e := second.seenLine(isSeq)
				if e == nil {
					// The status ack can come before the whole backlog is printed.
					e = second.waitFor(fmt.Sprintf("acked message #%d", seq), isSeq)
				}
				p, _ := json.Marshal(e["payload"])
				if e["event"] != "chat.message" || !strings.Contains(string(p), text) {
					t.Fatalf("acknowledged message #%d %q lost: journal has %v", seq, text, e)
				}
			}

			got := readFlags(t, flags)
			if aborted {
				if fmt.Sprint(got) != fmt.Sprint(originalFlags) {
					t.Fatalf("aborted drill left flags %v, expected %v", got, originalFlags)
				}
				return
			}
			// No fault is left in the world unless the journal says it is
			// in effect, and none that is in effect is missing. The restart
			// may revert a half-fired fault and fire it again as soon as it
			// is due, between the status and the read of the flags: the
			// world and the journal must agree once that settles.
			var faults map[string]any
			for try := 0; ; try++ {
				faults = st["faults"].(map[string]any)
				mismatch := ""
				for id, phase := range faults {
					key, val := faultFlags[id][0].(string), faultFlags[id][1]
					inWorld := fmt.Sprint(got[key]) == fmt.Sprint(val)
					inEffect := phase == "in-effect" || phase == "resolved"
					if phase == "injecting" || phase == "reverting" {
						mismatch = fmt.Sprintf("fault %s still %s after the restart settled", id, phase)
					} else if inWorld != inEffect {
						mismatch = fmt.Sprintf("fault %s is %s in the journal but the flag %s is %v", id, phase, key, got[key])
					}
				}
				if mismatch == "" {
					break
				}
				if try == 20 {
					t.Fatal(mismatch)
				}
				time.Sleep(250 * time.Millisecond)
				id := fmt.Sprintf("status-%d", try)
				second.send(map[string]any{"id": id, "cmd": "status"})
				st = second.waitFor("the status", isAck(id))
				got = readFlags(t, flags)
			}
			t.Logf("killed at drill %s with faults %v", before, faults)
			// The drill clock continues where it was: it kept running while
			// the process was down, no less and no more.
			second.waitBacklog(st)
			last, lastAt := second.lastEvent()
			checkClock(t, time.Duration(st["elapsed"].(float64)), last, lastAt)

			second.send(map[string]any{"id": "abort", "cmd": "abort", "why": "end of the crash test"})
			second.waitFor("the end", func(m map[string]any) bool { return m["metrics"] != nil })
			if err := second.cmd.Wait(); err != nil {
				t.Fatalf("run exited with %v; stderr:\n%s", err, second.stderr)
			}
			if got := readFlags(t, flags); fmt.Sprint(got) != fmt.Sprint(originalFlags) {
				t.Fatalf("flags after the abort %v, expected %v", got, originalFlags)
			}
		})
	}
}

// TestRunCrashRepeatedly SIGKILLs the real binary at 50 random moments
// while messages are being posted (the faults inject in the first round,
// probes and timers run throughout, the abort reverts at the end),
// resuming it each time, and then checks the same invariants as
// TestRunCrash once it is left to settle, and that no acknowledged message
// is in the journal twice.
func TestRunCrashRepeatedly(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the real binary")
	}
	bin, pluginDir := buildRunBinaries(t)
	scenario, flags := drillFiles(t)
	data := t.TempDir()
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 0))
	t.Logf("seed %d", seed)

	texts := map[string]string{}
	acked := map[int64]string{}
	var before time.Duration
	const kills = 50
	for round := 0; round < kills; round++ {
		var p *runProc
		if round == 0 {
			p = startRun(t, bin, data, pluginDir, scenario)
			p.send(map[string]any{"id": "join", "cmd": "join", "person": "alice", "name": "Alice", "role": "participant"})
			p.waitFor("the join ack", isAck("join"))
		} else {
			p = startRun(t, bin, data, pluginDir, "--resume")
		}
		for i := 0; i < 10; i++ {
			id := fmt.Sprintf("r%dm%d", round, i)
			texts[id] = fmt.Sprintf("round %d message %d", round, i)
			p.send(map[string]any{"id": id, "cmd": "message", "channel": "incident", "author": "alice", "text": texts[id]})
		}
		// Kill at a random moment once the process serves commands: while
		// the rest of the messages, probes and timers are in flight.
		p.waitFor("the first ack of the round", func(m map[string]any) bool { return m["ack"] == fmt.Sprintf("r%dm0", round) })
		time.Sleep(time.Duration(rng.IntN(300)) * time.Millisecond)
		p.drain()
		for _, m := range p.seen {
			if text, ok := texts[fmt.Sprint(m["ack"])]; ok && m["error"] == nil {
				acked[int64(m["seq"].(float64))] = text
			}
		}
		before = max(before, p.lastDrillTime())
	}
	last := startRun(t, bin, data, pluginDir, "--resume")
	last.send(map[string]any{"id": "status", "cmd": "status"})
	st := last.waitFor("the status", isAck("status"))
	for seq, text := range acked {
		isSeq := func(m map[string]any) bool { s, _ := m["seq"].(float64); return m["event"] != nil && int64(s) == seq }
		e := last.seenLine(isSeq)
		if e == nil {
			e = last.waitFor(fmt.Sprintf("acked message #%d", seq), isSeq)
		}
		p, _ := json.Marshal(e["payload"])
		if e["event"] != "chat.message" || !strings.Contains(string(p), text) {
			t.Fatalf("acknowledged message #%d %q lost: journal has %v", seq, text, e)
		}
	}
	t.Logf("%d acknowledged messages over %d kills, all in the journal", len(acked), kills)
	got := readFlags(t, flags)
	for id, phase := range st["faults"].(map[string]any) {
		key, val := faultFlags[id][0].(string), faultFlags[id][1]
		inWorld := fmt.Sprint(got[key]) == fmt.Sprint(val)
		inEffect := phase == "in-effect" || phase == "resolved"
		if phase == "injecting" || phase == "reverting" || inWorld != inEffect {
			t.Fatalf("fault %s is %s in the journal but the flag %s is %v", id, phase, key, got[key])
		}
	}
	last.waitBacklog(st)
	copies := map[string]int{}
	last.mu.Lock()
	for _, m := range last.seen {
		if m["event"] == "chat.message" {
			if p, ok := m["payload"].(map[string]any); ok {
				copies[fmt.Sprint(p["text"])]++
			}
		}
	}
	last.mu.Unlock()
	for _, text := range acked {
		if copies[text] != 1 {
			t.Fatalf("acknowledged message %q is in the journal %d times", text, copies[text])
		}
	}
	last2, lastAt := last.lastEvent()
	if last2 < before {
		t.Fatalf("the journal printed after the restarts ends at %s, before the %s seen earlier", last2, before)
	}
	checkClock(t, time.Duration(st["elapsed"].(float64)), last2, lastAt)
	last.send(map[string]any{"id": "abort", "cmd": "abort", "why": "end of the crash test"})
	last.waitFor("the end", func(m map[string]any) bool { return m["metrics"] != nil })
	if got := readFlags(t, flags); fmt.Sprint(got) != fmt.Sprint(originalFlags) {
		t.Fatalf("flags after the abort %v, expected %v", got, originalFlags)
	}
}
