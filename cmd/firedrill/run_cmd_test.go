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
