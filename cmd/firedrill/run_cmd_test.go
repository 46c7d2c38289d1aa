package main_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	main "github.com/firedrill/firedrill/cmd/firedrill"
)

// runWithStdin runs the real firedrill program in-process with stdin and an
// empty environment apart from HOME.
func runWithStdin(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	home := t.TempDir()
	env := map[string]string{"HOME": home, "XDG_CONFIG_HOME": home}
	var stdout, stderr bytes.Buffer
	m := main.NewMain()
	m.Stdin = strings.NewReader(stdin)
	m.Stdout, m.Stderr = &stdout, &stderr
	m.Getenv = func(k string) string { return env[k] }
	code := m.Run(context.Background(), args)
	if err := m.Close(); err != nil {
		t.Errorf("close: %v", err)
	}
	return code, stdout.String(), stderr.String()
}

func jsonLines(t *testing.T, out string) []map[string]any {
	t.Helper()
	var lines []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("stdout line is not JSON: %q", l)
		}
		lines = append(lines, m)
	}
	return lines
}

// A whole drill at 3600x on the real flagfile plugin: nobody fixes
// anything, so the hints come and the cap ends the drill and restores the
// flag file; commands are acknowledged with their sequence numbers.
func TestRun_capOnRealPlugin(t *testing.T) {
	pluginDir := buildFlagfile(t)
	scenario, flags := drillFiles(t)
	data := t.TempDir()
	stdin := strings.Join([]string{
		`{"id":"1","cmd":"join","person":"alice","name":"Alice","role":"participant"}`,
		`{"id":"2","cmd":"message","channel":"incident","author":"alice","text":"payments are down, looking"}`,
		`{"id":"3","cmd":"persona","channel":"cs","persona":"cs","text":"customers are calling"}`,
		`{"id":"4","cmd":"notice","kind":"incident","author":"alice","fields":{"impact":"customers cannot pay"}}`,
		`{"id":"5","cmd":"launch-rockets"}`,
		`not json`,
	}, "\n")
	code, out, errOut := runWithStdin(t, stdin, "run", scenario, "-o", "json", "--data-dir", data, "--plugin-dir", pluginDir, "--time-scale", "3600", "--drill-id", "rehearsal-1")
	if code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, errOut)
	}
	acks := map[string]map[string]any{}
	events := map[string][]map[string]any{}
	var summary map[string]any
	for _, l := range jsonLines(t, out) {
		switch {
		case l["ack"] != nil:
			acks[fmt.Sprint(l["ack"])] = l
		case l["event"] != nil:
			events[l["event"].(string)] = append(events[l["event"].(string)], l)
		case l["metrics"] != nil:
			summary = l
		}
	}
	for _, id := range []string{"1", "2", "3"} {
		if acks[id] == nil || acks[id]["error"] != nil {
			t.Fatalf("command %s: ack %v", id, acks[id])
		}
	}
	if s, _ := acks["2"]["seq"].(float64); s <= 0 {
		t.Fatalf("message ack without a sequence number: %v", acks["2"])
	}
	if msg := fmt.Sprint(acks["4"]["error"]); acks["4"]["code"] != "invalid" || !strings.Contains(msg, "started") || !strings.Contains(msg, "grade") {
		t.Fatalf("incomplete notice: ack %v, expected invalid naming the missing fields", acks["4"])
	}
	if acks["5"]["code"] != "invalid" || acks[""]["code"] != "invalid" {
		t.Fatalf("bad commands: %v and %v, expected invalid", acks["5"], acks[""])
	}
	if n := len(events["fault.injected"]); n != 2 {
		t.Fatalf("%d faults injected, expected the 2 layered ones", n)
	}
	if n := len(events["hint.given"]); n != 2 {
		t.Fatalf("%d hints given, expected 2", n)
	}
	if n := len(events["fault.reverted"]); n != 2 {
		t.Fatalf("%d faults reverted, expected 2", n)
	}
	if len(events["drill.ended"]) != 1 || !strings.Contains(fmt.Sprint(events["drill.ended"][0]["payload"]), "cap") {
		t.Fatalf("drill.ended %v, expected the cap", events["drill.ended"])
	}
	if summary["drill"] != "rehearsal-1" || summary["state"] != "retro" {
		t.Fatalf("summary %v", summary)
	}
	if got := readFlags(t, flags); fmt.Sprint(got) != fmt.Sprint(originalFlags) {
		t.Fatalf("flags after the cap %v, expected %v", got, originalFlags)
	}
	if _, err := os.Stat(filepath.Join(data, "firedrill.db")); err != nil {
		t.Fatalf("no database in the data directory: %v", err)
	}
}

func TestRun_usage(t *testing.T) {
	empty := t.TempDir()
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("apiVersion: firedrill/v1\nkind: Scenario\nmetadata:\n  name: x\n  title: y\nfaults: 3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"no scenario is a usage error", []string{"run", "--data-dir", empty}, 2, "a scenario file is required"},
		{"scenario and resume together is a usage error", []string{"run", bad, "--resume", "--data-dir", empty}, 2, "not both"},
		{"resume without open drills fails", []string{"run", "--resume", "--data-dir", empty}, 1, "no open drill"},
		{"an invalid scenario fails with its position", []string{"run", bad, "--data-dir", empty}, 1, "bad.yaml:6:"},
		{"an unknown output format is a usage error", []string{"run", bad, "-o", "xml", "--data-dir", empty}, 2, "--output"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errOut := runWithStdin(t, "", tc.args...)
			if code != tc.code || !strings.Contains(errOut, tc.stderr) {
				t.Fatalf("exit %d, stderr %q; expected exit %d mentioning %q", code, errOut, tc.code, tc.stderr)
			}
		})
	}
}

// candidateFlagDrill writes the flag drill kept as two candidates: payments
// (the payment flag and the search flag chained on it) and coupons.
func candidateFlagDrill(t *testing.T) (scenario, flags string) {
	t.Helper()
	scenario, flags = drillFiles(t)
	b, err := os.ReadFile(scenario)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(b), "faults:\n", "candidates:\n  - id: payments\n    title: Payments switched off\n  - id: coupons\n    title: Every order free\nfaults:\n", 1)
	for _, f := range []struct{ id, candidate string }{{"payments-off", "payments"}, {"coupons-free", "coupons"}, {"search-off", "payments"}} {
		text = strings.Replace(text, "  - id: "+f.id+"\n", "  - id: "+f.id+"\n    candidates: ["+f.candidate+"]\n", 1)
	}
	text = strings.Replace(text, "  - id: payments-failing\n", "  - id: payments-failing\n    candidates: [payments]\n", 1)
	if err := os.WriteFile(scenario, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return scenario, flags
}

// TestRun_candidate runs the candidate the facilitator picked, on the real
// flagfile plugin: only its fault is injected; a file with candidates run
// without one, or with one it does not keep, is a usage error naming them.
func TestRun_candidate(t *testing.T) {
	pluginDir := buildFlagfile(t)
	scenario, flags := candidateFlagDrill(t)
	for _, tc := range []struct {
		name, candidate, stderr string
	}{
		{"none picked is a usage error", "", `expected one of them to be chosen: payments ("Payments switched off"), coupons ("Every order free")`},
		{"an unknown one is a usage error", "search", `unknown candidate "search"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errOut := runWithStdin(t, "", "run", scenario, "--candidate", tc.candidate, "--data-dir", t.TempDir(), "--plugin-dir", pluginDir)
			if code != 2 || !strings.Contains(errOut, tc.stderr) {
				t.Fatalf("exit %d, stderr %q; expected exit 2 mentioning %q", code, errOut, tc.stderr)
			}
		})
	}
	t.Run("the picked candidate plays only its faults", func(t *testing.T) {
		code, out, errOut := runWithStdin(t, "", "run", scenario, "--candidate", "coupons", "-o", "json", "--data-dir", t.TempDir(), "--plugin-dir", pluginDir, "--time-scale", "3600")
		if code != 0 {
			t.Fatalf("exit %d; stderr:\n%s", code, errOut)
		}
		var injected []string
		for _, l := range jsonLines(t, out) {
			if l["event"] == "fault.injected" {
				injected = append(injected, fmt.Sprint(l["payload"]))
			}
		}
		if len(injected) != 1 || !strings.Contains(injected[0], "coupons-free") {
			t.Fatalf("injected %v, expected coupons-free alone", injected)
		}
		if got := readFlags(t, flags); fmt.Sprint(got) != fmt.Sprint(originalFlags) {
			t.Fatalf("flags after the cap %v, expected %v", got, originalFlags)
		}
	})
}
