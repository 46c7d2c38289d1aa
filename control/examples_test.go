package control_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/control/controltest"
	"github.com/firedrill/firedrill/scenarios"
)

// exampleScenarios loads every example scenario of the repository, and with
// incidents the real incidents written as drills (examples/incidents); an
// example that keeps candidates gives one scenario per candidate
// (file#candidate).
func exampleScenarios(t *testing.T, incidents bool) map[string]*scenarios.Scenario {
	t.Helper()
	paths, err := filepath.Glob("../scenarios/examples/*.yaml")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no example scenarios: %v", err)
	}
	if incidents {
		more, err := filepath.Glob("../scenarios/examples/incidents/*.yaml")
		if err != nil || len(more) == 0 {
			t.Fatalf("no incident scenarios: %v", err)
		}
		paths = append(paths, more...)
	}
	out := map[string]*scenarios.Scenario{}
	for _, p := range paths {
		s, err := scenarios.Load(p)
		if err != nil {
			t.Fatalf("load %s: %v", p, err)
		}
		// A file that keeps candidates is played once per candidate.
		for _, c := range s.PlayableCandidates() {
			sc, err := s.ForCandidate(c)
			if err != nil {
				t.Fatalf("%s as candidate %q: %v", p, c, err)
			}
			name := filepath.Base(p)
			if c != "" {
				name += "#" + c
			}
			out[name] = sc
		}
	}
	return out
}

// Every example, with a team that never fixes anything: time-triggered
// faults fire at their offsets (layered ones together), hints at their
// stages, the cap ends the drill and reverts every fault.
func TestExamples_capEndsAndReverts(t *testing.T) {
	for name, s := range exampleScenarios(t, true) {
		t.Run(name, func(t *testing.T) {
			h := controltest.NewHarness(t)
			h.Injector.Bind(s)
			id := startDrill(t, h, s)
			limit := s.TimeLimit.D()
			h.AdvanceTo(id, limit+time.Minute)
			d := h.Drill(id)
			for i, sf := range d.Scenario.Faults {
				f := d.Faults[i]
				if sf.After == nil && sf.IfResolvedBefore == nil {
					want := time.Duration(0)
					if sf.At != nil {
						want = sf.At.D()
					}
					eqDur(t, f.ID+" injected", f.InjectedAt, want)
				}
				if f.Phase != control.FaultReverted && f.Phase != control.FaultSkipped {
					t.Fatalf("fault %s is %s after the cap", f.ID, f.Phase)
				}
			}
			// Each hint stage comes at its time: given, or skipped when none
			// of its faults is in effect (a chained fault that never fired).
			for _, hs := range d.Scenario.Hints {
				got := append(h.EventTimes(id, control.EventHintGiven, `"hintId":"`+hs.ID+`"`), h.EventTimes(id, control.EventHintSkipped, `"hintId":"`+hs.ID+`"`)...)
				if len(got) != 1 || got[0] != hs.At.D() {
					t.Fatalf("hint %s decided at %v, expected once at %s", hs.ID, got, hs.At)
				}
			}
			if d.State != control.StateRetro || d.EndReason != "cap" || *d.EndDrill != limit {
				t.Fatalf("state %s, end %q at %v; expected retro after the cap at %s", d.State, d.EndReason, d.EndDrill, limit)
			}
			if n := h.Injector.BrokenFaults(); n != 0 {
				t.Fatalf("%d faults left in effect", n)
			}
		})
	}
}

// Every example, with a team that fixes each fault within a minute: chained
// faults fire their delay after the predecessor's resolution, extensions
// fire because everything was resolved early, and the drill ends once the
// resolution notice is posted.
func TestExamples_fastTeamSeesEveryChain(t *testing.T) {
	for name, s := range exampleScenarios(t, false) {
		t.Run(name, func(t *testing.T) {
			h := controltest.NewHarness(t)
			h.Injector.Bind(s)
			id := startDrill(t, h, s)
			for minute := 1; minute <= 89; minute++ {
				h.AdvanceTo(id, time.Duration(minute)*time.Minute)
				d := h.Drill(id)
				if d.State != control.StateRunning {
					break
				}
				settled := true
				for i, f := range d.Faults {
					switch f.Phase {
					case control.FaultInEffect:
						settled = false
						h.Injector.Fix(f.ID)
						if len(d.Scenario.Faults[i].ResolvedWhen.Probes) == 0 {
							if err := h.Engine.MarkFaultResolved(h.Ctx, id, f.ID, "fiona"); err != nil {
								t.Fatal(err)
							}
						}
					case control.FaultPending, control.FaultInjecting:
						settled = false
					}
				}
				if settled {
					fields := map[string]string{}
					for _, fl := range d.Scenario.Notices.Resolution.Fields {
						fields[fl.ID] = sampleValue(fl)
					}
					if _, err := h.Engine.PostNotice(h.Ctx, id, control.PostNotice{Kind: scenarios.NoticeResolution, AuthorID: "bob", Fields: fields}); err != nil {
						t.Fatal(err)
					}
				}
			}
			d := h.Drill(id)
			if d.State != control.StateRetro || d.EndReason != "resolved" {
				t.Fatalf("state %s, end %q; expected the drill to end resolved", d.State, d.EndReason)
			}
			for i, sf := range d.Scenario.Faults {
				f := d.Faults[i]
				if f.InjectedAt == nil {
					t.Fatalf("fault %s never fired (%s: %s)", f.ID, f.Phase, f.SkipReason)
				}
				if sf.After != nil && sf.After.Event != scenarios.ChainInjected {
					pred, _ := d.Fault(sf.After.Fault)
					eqDur(t, f.ID+" chained injection", f.InjectedAt, *pred.ResolvedAt+sf.After.Delay.D())
				}
			}
			if n := h.Injector.BrokenFaults(); n != 0 {
				t.Fatalf("%d faults left in effect", n)
			}
		})
	}
}

func sampleValue(f scenarios.NoticeField) string {
	switch f.Type {
	case scenarios.FieldSelect:
		return f.Options[0]
	case scenarios.FieldTime:
		return "15:30"
	case scenarios.FieldDuration:
		return "10m"
	case scenarios.FieldScale:
		return "3"
	}
	return "restored"
}
