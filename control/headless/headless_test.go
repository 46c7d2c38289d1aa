package headless_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/control/controltest"
	"github.com/firedrill/firedrill/control/headless"
	"github.com/firedrill/firedrill/injectors"
)

// started returns a harness with the payment drill running and its first
// faults injected, and a session following it.
func started(t *testing.T, jsonOut bool) (*controltest.Harness, *headless.Session, *controltest.SyncBuffer) {
	t.Helper()
	h := controltest.NewHarness(t)
	h.Injector.Bind(controltest.PaymentScenario())
	id, err := headless.Start(h.Ctx, h.Engine, control.DrillRequest{ID: "rehearsal", Scenario: controltest.PaymentScenario()})
	if err != nil {
		t.Fatal(err)
	}
	h.Advance(id, time.Second)
	out := &controltest.SyncBuffer{}
	return h, &headless.Session{Engine: h.Engine, DrillID: id, Out: out, Log: out, JSON: jsonOut}, out
}

func acks(t *testing.T, out string) map[string]map[string]any {
	t.Helper()
	got := map[string]map[string]any{}
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("output line is not JSON: %q", l)
		}
		id, _ := m["ack"].(string)
		if _, dup := got[id]; dup {
			t.Fatalf("two acknowledgements for %q", id)
		}
		got[id] = m
	}
	return got
}

// Every command line gets one acknowledgement, after the engine has the
// command: what it reports on success, or the error's code and message.
func TestServe_acknowledgesEveryCommand(t *testing.T) {
	tests := []struct {
		name  string
		line  string
		check func(ack map[string]any) bool
	}{
		{"a join reports the person", `{"id":"join","cmd":"join","person":"alice","name":"Alice","role":"participant"}`,
			func(a map[string]any) bool { return a["person"] == "alice" && a["error"] == nil }},
		{"a message reports its sequence number", `{"id":"msg","cmd":"message","channel":"incident","author":"facilitator","text":"looking"}`,
			func(a map[string]any) bool { s, _ := a["seq"].(float64); return s > 0 && a["error"] == nil }},
		{"a persona message reports its sequence number", `{"id":"cs","cmd":"persona","channel":"cs","persona":"cc","text":"any ETA?"}`,
			func(a map[string]any) bool { s, _ := a["seq"].(float64); return s > 0 && a["error"] == nil }},
		{"an incomplete notice is refused naming its missing fields", `{"id":"notice","cmd":"notice","kind":"incident","author":"facilitator","fields":{"impact":"no payments"}}`,
			func(a map[string]any) bool {
				msg, _ := a["error"].(string)
				return a["code"] == "invalid" && strings.Contains(msg, "start") && strings.Contains(msg, "grade")
			}},
		{"a manual fault is marked resolved", `{"id":"resolve","cmd":"resolve","fault":"coupon-flag"}`,
			func(a map[string]any) bool { return a["error"] == nil && len(a) == 1 }},
		{"an unknown fault is not found", `{"id":"nofault","cmd":"resolve","fault":"no-such-fault"}`,
			func(a map[string]any) bool { return a["code"] == "not_found" }},
		{"an abort without a reason is refused", `{"id":"abort","cmd":"abort"}`,
			func(a map[string]any) bool {
				return a["code"] == "invalid" && strings.Contains(a["error"].(string), "reason")
			}},
		{"an unknown command is refused naming the commands", `{"id":"rockets","cmd":"launch-rockets"}`,
			func(a map[string]any) bool {
				return a["code"] == "invalid" && strings.Contains(a["error"].(string), "hint-next")
			}},
		{"an unknown field is refused with its line", `{"id":"x","cmd":"status","colour":"red"}`,
			func(a map[string]any) bool {
				return a["code"] == "invalid" && strings.Contains(a["error"].(string), "line 9")
			}},
		{"status reports the running drill and its faults", `{"id":"status","cmd":"status"}`,
			func(a map[string]any) bool {
				f, _ := a["faults"].(map[string]any)
				return a["drill"] == "rehearsal" && a["state"] == "running" && a["paused"] == false && f["db-config"] == "in-effect"
			}},
	}
	h, s, out := started(t, true)
	lines := make([]string, 0, len(tests)+2)
	for _, tc := range tests {
		lines = append(lines, tc.line)
	}
	lines = append(lines, "", "   ", "not json")
	s.Serve(h.Ctx, strings.NewReader(strings.Join(lines, "\n")))
	got := acks(t, out.String())
	if len(got) != len(tests)+1 {
		t.Fatalf("%d acknowledgements for %d commands and one bad line (blank lines are skipped):\n%s", len(got), len(tests), out)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var c struct{ ID string }
			_ = json.Unmarshal([]byte(tc.line), &c)
			if a := got[c.ID]; a == nil || !tc.check(a) {
				t.Fatalf("ack %v", a)
			}
		})
	}
	t.Run("a line that is not JSON is refused with its line number", func(t *testing.T) {
		if a := got[""]; a["code"] != "invalid" || !strings.Contains(a["error"].(string), "line 13") {
			t.Fatalf("ack %v", a)
		}
	})
}

// The text format prints an acknowledgement as sorted key=value pairs.
func TestServe_textAcknowledgement(t *testing.T) {
	h, s, out := started(t, false)
	s.Serve(h.Ctx, strings.NewReader(`{"id":"1","cmd":"join","person":"alice","name":"Alice","role":"participant"}`+"\n"+`{"id":"2","cmd":"fly"}`))
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 || lines[0] != "ack ack=1 person=alice" || !strings.HasPrefix(lines[1], "ack ack=2 code=invalid error=unknown command \"fly\"") {
		t.Fatalf("acknowledgements:\n%s", out)
	}
}

// Follow prints the whole timeline, serves the commands, and returns once
// the drill is aborted and its faults are reverted, with the summary.
func TestFollow_endsWithTheSummaryOnceFaultsAreReverted(t *testing.T) {
	h, s, out := started(t, false)
	in := strings.Join([]string{
		`{"id":"1","cmd":"join","person":"alice","name":"Alice","role":"participant"}`,
		`{"id":"2","cmd":"message","channel":"incident","author":"alice","text":"payments down, looking"}`,
		`{"id":"3","cmd":"abort","why":"a real incident"}`,
	}, "\n")
	ctx, cancel := context.WithTimeout(h.Ctx, 30*time.Second)
	defer cancel()
	if err := s.Follow(ctx, strings.NewReader(in)); err != nil {
		t.Fatal(err)
	}
	if ctx.Err() != nil {
		t.Fatalf("Follow did not return when the drill was over:\n%s", out)
	}
	text := out.String()
	for _, want := range []string{
		"+00:00 #1 drill.created",
		"Alice joined as participant",
		"#incident Alice: payments down, looking",
		"Fault db-config injected",
		"Drill aborted: a real incident",
		"Fault db-config reverted",
		"drill rehearsal aborted",
		"  fault db-config",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if h.Injector.BrokenFaults() != 0 {
		t.Errorf("%d faults left broken", h.Injector.BrokenFaults())
	}
	if t.Failed() {
		t.Logf("output:\n%s", text)
	}
}

// PickOpen resumes the drill named, or the only open one; otherwise it
// says why it cannot choose.
func TestPickOpen(t *testing.T) {
	h := controltest.NewHarness(t)
	create := func(id string) {
		t.Helper()
		if _, err := headless.Start(h.Ctx, h.Engine, control.DrillRequest{ID: id, Scenario: controltest.PaymentScenario()}); err != nil {
			t.Fatal(err)
		}
	}
	pick := func(id string) (string, error) { return headless.PickOpen(h.Ctx, h.Engine, id) }

	t.Run("no open drill is ErrNoOpenDrill", func(t *testing.T) {
		if _, err := pick(""); !errors.Is(err, headless.ErrNoOpenDrill) {
			t.Fatalf("error %v", err)
		}
	})
	create("first")
	t.Run("the only open drill is picked", func(t *testing.T) {
		if id, err := pick(""); err != nil || id != "first" {
			t.Fatalf("picked %q, %v", id, err)
		}
	})
	create("second")
	t.Run("two open drills ask for one by id", func(t *testing.T) {
		var many *headless.ManyOpenError
		if _, err := pick(""); !errors.As(err, &many) || strings.Join(many.IDs, ",") != "first,second" && strings.Join(many.IDs, ",") != "second,first" {
			t.Fatalf("error %v", err)
		}
	})
	t.Run("a named drill is picked", func(t *testing.T) {
		if id, err := pick("second"); err != nil || id != "second" {
			t.Fatalf("picked %q, %v", id, err)
		}
	})
	t.Run("an unknown drill is not found", func(t *testing.T) {
		if _, err := pick("nope"); injectors.ErrorCode(err) != injectors.ENOTFOUND {
			t.Fatalf("error %v", err)
		}
	})
}
