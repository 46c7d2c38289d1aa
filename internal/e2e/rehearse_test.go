package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/firedrill/firedrill/scenarios"
)

// rehearsalReport is the part of `firedrill rehearse -o json` the test
// reads.
type rehearsalReport struct {
	Status     string `json:"status"`
	DrillID    string `json:"drillId"`
	Scenario   string `json:"scenario"`
	Difficulty string `json:"difficulty"`
	Candidate  string `json:"candidate"`
	// Settle is how long the command waited for the target to be healthy
	// before the level.
	Settle *struct {
		WaitedMs int64 `json:"waitedMs"`
	} `json:"settle"`
	Checks []struct {
		What    string `json:"what"`
		Outcome string `json:"outcome"`
		Message string `json:"message"`
	} `json:"checks"`
}

// rehearseTimeScale plays a 90-minute drill in 27 seconds: fast, with
// room for a loaded CI machine (a robot answering 2 drill minutes late at
// ×600 is 0.2 s of scheduling).
const rehearseTimeScale = "200"

// TestRehearse_everyExamplePassesAtEveryDifficulty runs `firedrill rehearse`
// on every example scenario at every difficulty, in one process against
// the dev cluster and the shop: the robots of each example's rehearsal
// section must carry the drill to a passing report — every fault injected,
// detected, fixed through the cluster API and resolved by its probes,
// reverted, nothing left marked — and the shop is back to its original
// spec after all of them.
func TestRehearse_everyExamplePassesAtEveryDifficulty(t *testing.T) {
	needBinary(t)
	sh := sharedShop(t)
	files, _ := filepath.Glob(filepath.Join(repoRoot, "scenarios", "examples", "*.yaml"))
	incidents, _ := filepath.Glob(filepath.Join(repoRoot, "scenarios", "examples", "incidents", "*.yaml"))
	files = append(files, incidents...)
	if len(files) < 5 {
		t.Fatalf("found %d example scenarios", len(files))
	}
	reps, out, err := runRehearse(t, sh, append(files, "--difficulty", "all"))
	if err != nil {
		t.Errorf("firedrill rehearse: %v\n%s", err, out) // the failed checks follow
	}
	want := 0
	for _, f := range files {
		s, err := scenarios.Load(f)
		if err != nil {
			t.Fatal(err)
		}
		want += 3 * len(s.PlayableCandidates()) // a file with candidates is rehearsed as each
	}
	if len(reps) != want {
		t.Fatalf("%d reports, want %d (every example, as every candidate, at every difficulty)", len(reps), want)
	}
	var settled time.Duration
	for _, r := range reps {
		if r.Settle != nil {
			settled += time.Duration(r.Settle.WaitedMs) * time.Millisecond
		}
	}
	t.Logf("%d levels waited %s in all for the target to settle", len(reps), settled)
	for _, r := range reps {
		name := r.Scenario + "/" + r.Difficulty
		if r.Candidate != "" {
			name = r.Scenario + "/" + r.Candidate + "/" + r.Difficulty
		}
		if r.Settle != nil {
			t.Logf("%s: settled in %s", name, time.Duration(r.Settle.WaitedMs)*time.Millisecond)
		}
		t.Run(name, func(t *testing.T) {
			if r.Status != "passed" {
				t.Errorf("status %s", r.Status)
			}
			resolved := 0
			for _, c := range r.Checks {
				if c.Outcome == "failed" {
					t.Errorf("%s: %s", c.What, c.Message)
				}
				if strings.HasSuffix(c.What, " resolved") && c.Outcome == "passed" && strings.Contains(c.Message, "fixed it at") {
					resolved++
				}
			}
			if resolved == 0 {
				t.Errorf("no fault was resolved after a robot's fix: %+v", r.Checks)
			}
			if r.Scenario == "traffic-surge-leak-cascade" {
				assertPagerStorm(t, r.Checks)
			}
			if r.Scenario == "traffic-surge-leak-cascade" {
				// The cascade comes back while the leak lasts (recurs),
				// and stays fixed once the robots fixed the leak.
				assertCameBack(t, r, "fault cascade came back")
			}
		})
	}
	sh.assertClean(t, context.Background())
}

// TestRehearse_aRobotThatNeverFixesFails rehearses a copy of the layered
// example whose robots never fix the isolated payment worker: the command exits 1
// and the report names the fault and says why it was not resolved.
func TestRehearse_aRobotThatNeverFixesFails(t *testing.T) {
	needBinary(t)
	sh := sharedShop(t)
	src, err := os.ReadFile(filepath.Join(repoRoot, "scenarios", "examples", "layered-payment-outage.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	fix := "        - on: {event: fault.injected, fault: worker-isolated, delay: 10m}\n          fix: worker-isolated\n"
	if !bytes.Contains(src, []byte(fix)) {
		t.Fatalf("the layered example no longer has the step %q", fix)
	}
	b := bytes.Replace(src, []byte(fix), nil, 1)
	file := filepath.Join(t.TempDir(), "never-fixes.yaml")
	if err := os.WriteFile(file, b, 0o600); err != nil {
		t.Fatal(err)
	}
	reps, out, err := runRehearse(t, sh, []string{file})
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("exit %v, want 1 for a failed rehearsal\n%s", err, out)
	}
	if len(reps) != 1 || reps[0].Status != "failed" {
		t.Fatalf("reports %+v, want one failed", reps)
	}
	var found bool
	for _, c := range reps[0].Checks {
		if c.What == "fault worker-isolated resolved" {
			found = true
			if c.Outcome != "failed" || !strings.Contains(c.Message, "no robot step fixes it") || !strings.Contains(c.Message, "probes still failing") {
				t.Errorf("check %+v does not say why the fault was not resolved", c)
			}
		}
	}
	if !found {
		t.Fatalf("no check about worker-isolated: %+v", reps[0].Checks)
	}
	sh.assertClean(t, context.Background())
}

// runRehearse runs `firedrill rehearse -o json` with a config against the
// dev cluster and the shop simulator, and returns its reports.
func runRehearse(t *testing.T, sh *theShop, args []string) ([]rehearsalReport, string, error) {
	t.Helper()
	dir := t.TempDir()
	cfg := serverConfig(t, filepath.Join(dir, "data"), "127.0.0.1:0", sh.urls, nil)
	b, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "firedrill.yaml")
	if err := os.WriteFile(conf, b, 0o600); err != nil {
		t.Fatal(err)
	}
	// Every example at every level, one after another, each level after
	// the target settled (at least 5 s of real time): about 7 minutes on
	// an idle 2-core machine.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, append([]string{"rehearse", "--config", conf, "--time-scale", rehearseTimeScale, "-o", "json"}, args...)...)
	cmd.Dir = dir
	cmd.Env = cleanEnv()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err = cmd.Run()
	t.Logf("firedrill rehearse %s took %s", strings.Join(args, " "), time.Since(start).Round(time.Millisecond))
	var reps []rehearsalReport
	if jerr := json.Unmarshal(stdout.Bytes(), &reps); jerr != nil {
		t.Fatalf("firedrill rehearse printed no JSON report (%v, exit %v)\nstdout:\n%s\nstderr:\n%s", jerr, err, stdout.String(), tail(stderr.String(), 60))
	}
	return reps, tail(stderr.String(), 60), err
}

// assertCameBack checks that the report's check what passed: the fault came
// back at least once on the cluster and then stayed fixed.
func assertCameBack(t *testing.T, r rehearsalReport, what string) {
	t.Helper()
	for _, c := range r.Checks {
		if c.What == what {
			if c.Outcome != "passed" || !strings.Contains(c.Message, "stays fixed") {
				t.Errorf("%s: %s %s, want it passed: came back, then stays fixed", what, c.Outcome, c.Message)
			}
			return
		}
	}
	t.Errorf("no check %q in the report", what)
}

// assertPagerStorm: on the demo cluster, the cascade's alert really fires —
// payment-worker-down from its check on the scaled-down Deployment — is
// posted again while firing (its pager storm) and resolves after the
// robots' fix.
func assertPagerStorm(t *testing.T, checks []struct {
	What    string `json:"what"`
	Outcome string `json:"outcome"`
	Message string `json:"message"`
}) {
	t.Helper()
	for _, c := range checks {
		if c.What != "alert payment-worker-down" {
			continue
		}
		t.Logf("alert payment-worker-down: %s", c.Message)
		var fired string
		var posts int
		n, _ := fmt.Sscanf(c.Message, "fired at %s posted %d times", &fired, &posts)
		if c.Outcome != "passed" || n != 2 || posts < 2 || !strings.Contains(c.Message, "resolved at") {
			t.Errorf("alert payment-worker-down: %s %q, want fired, posted again while firing, and resolved", c.Outcome, c.Message)
		}
		return
	}
	t.Errorf("the report says nothing of alert payment-worker-down: %+v", checks)
}
