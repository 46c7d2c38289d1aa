package scenarios_test

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/firedrill/firedrill/scenarios"
)

// TestPlan_matchesGolden renders the plan of every example, and of each
// case in testdata/plan-cases, at every difficulty it offers, as text and
// JSON.
func TestPlan_matchesGolden(t *testing.T) {
	files, _ := filepath.Glob("examples/*.yaml")
	incidents, _ := filepath.Glob("examples/incidents/*.yaml")
	cases, _ := filepath.Glob("testdata/plan-cases/*.yaml")
	files = append(append(files, incidents...), cases...)
	for _, f := range files {
		s := mustLoad(t, f)
		name := strings.TrimSuffix(filepath.Base(f), ".yaml")
		diffs := s.Difficulties()
		if len(diffs) == 0 {
			diffs = []scenarios.Difficulty{""}
		}
		for _, c := range s.PlayableCandidates() {
			for _, d := range diffs {
				label := name
				if c != "" {
					label += "-" + c
				}
				if d != "" {
					label += "-" + string(d)
				}
				t.Run(label, func(t *testing.T) {
					tl, err := scenarios.PlanCandidate(s, c, d)
					if err != nil {
						t.Fatal(err)
					}
					var text, js bytes.Buffer
					if err := tl.WriteText(&text); err != nil {
						t.Fatal(err)
					}
					if err := tl.WriteJSON(&js); err != nil {
						t.Fatal(err)
					}
					golden(t, "plan/"+label+".txt", text.Bytes())
					golden(t, "plan/"+label+".json", js.Bytes())
				})
			}
		}
	}
}

func TestPlan(t *testing.T) {
	s := mustLoad(t, "examples/chained-order-api.yaml")
	tl, err := scenarios.Plan(s, scenarios.Hard)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("ends with the cap", func(t *testing.T) {
		last := tl.Scheduled[len(tl.Scheduled)-1]
		if last.Kind != scenarios.EntryEnd || last.At.String() != "1h30m" {
			t.Errorf("last scheduled entry = %+v", last)
		}
	})
	t.Run("schedules in time order", func(t *testing.T) {
		for i := 1; i < len(tl.Scheduled); i++ {
			if *tl.Scheduled[i].At < *tl.Scheduled[i-1].At {
				t.Errorf("entry %d at %s before %s", i, tl.Scheduled[i].At, tl.Scheduled[i-1].At)
			}
		}
	})
	t.Run("chains wait with their earliest time and extension condition", func(t *testing.T) {
		var ext *scenarios.TimelineEntry
		for i, e := range tl.Waiting {
			if e.ID == "web-squeezed" {
				ext = &tl.Waiting[i]
			}
		}
		if ext == nil {
			t.Fatal("extension fault missing from the waiting list")
		}
		if ext.Trigger != "after settlement-suspended resolved +2m" || ext.Earliest.String() != "9m" /* 4m, then settlement-suspended's 3m stability window, then 2m */ ||
			ext.Condition != "only if settlement-suspended resolved before 45m (too fast)" {
			t.Errorf("extension entry = %+v", *ext)
		}
	})
	t.Run("unknown difficulty is an error", func(t *testing.T) {
		if _, err := scenarios.Plan(s, "extreme"); err == nil {
			t.Fatal("want an error")
		}
	})
	t.Run("json round-trips", func(t *testing.T) {
		var b bytes.Buffer
		if err := tl.WriteJSON(&b); err != nil {
			t.Fatal(err)
		}
		var back scenarios.Timeline
		if err := json.Unmarshal(b.Bytes(), &back); err != nil {
			t.Fatal(err)
		}
		if len(back.Scheduled) != len(tl.Scheduled) || len(back.Waiting) != len(tl.Waiting) || back.TimeLimit != tl.TimeLimit {
			t.Errorf("round trip lost entries")
		}
	})
}

func TestPlan_layeredFaultsNameEachOther(t *testing.T) {
	tl, err := scenarios.Plan(mustLoad(t, "examples/layered-payment-outage.yaml"), "")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, e := range tl.Scheduled {
		if e.Kind == scenarios.EntryFault {
			got[e.ID] = strings.Join(e.Layered, ",")
		}
	}
	if got["worker-isolated"] != "payment-timeout" || got["payment-timeout"] != "worker-isolated" {
		t.Errorf("layered = %v", got)
	}
}
