package record_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"html"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/control/controltest"
	"github.com/firedrill/firedrill/control/record"
	"github.com/firedrill/firedrill/control/retro/retrotest"
	"github.com/firedrill/firedrill/scenarios"
)

// recurringTitle is db-config's title in the recurring drill: long enough
// that the timeline chart must wrap it.
const recurringTitle = "Payment DB pool size set to 1 by a quiet config rollout that a nightly job keeps putting back"

// tick is the probes' polling interval: a fix is seen at the next poll.
const tick = 10 * time.Second

// step is one thing a person does in the recurring drill, at a drill time.
type step struct {
	at time.Duration
	do func(h *controltest.Harness, id string)
}

// post is a participant's message in a channel.
func post(who, channel, text string) func(h *controltest.Harness, id string) {
	return func(h *controltest.Harness, id string) {
		h.T.Helper()
		if _, err := h.Engine.PostMessage(h.Ctx, id, control.PostMessage{Channel: channel, AuthorID: who, AuthorKind: control.AuthorPerson, Text: text}); err != nil {
			h.T.Fatal(err)
		}
	}
}

// fix makes the fault's probes hold, as a participant's fix would.
func fix(fault string) func(h *controltest.Harness, id string) {
	return func(h *controltest.Harness, _ string) { h.Injector.Fix(fault) }
}

// markResolved is the facilitator marking a fault resolved by hand.
func markResolved(fault string) func(h *controltest.Harness, id string) {
	return func(h *controltest.Harness, id string) {
		h.T.Helper()
		if err := h.Engine.MarkFaultResolved(h.Ctx, id, fault, "fiona"); err != nil {
			h.T.Fatal(err)
		}
	}
}

// playRecurring plays the payment drill in which db-config comes back 3m
// after each fix while coupon-flag is still active (at most twice), with
// retrotest's people doing steps, until the drill clock reads end. It
// returns the drill's journal.
func playRecurring(t *testing.T, end time.Duration, steps ...step) []control.Event {
	t.Helper()
	h := controltest.NewHarness(t)
	s := retrotest.Scenario()
	s.Faults[0].Title = recurringTitle
	s.Faults[0].Recurs = &scenarios.Recurrence{While: scenarios.Condition{FaultActive: "coupon-flag"}, After: scenarios.Duration(3 * time.Minute), Times: 2}
	h.Injector.Bind(s)
	const id = "drill-recurs"
	if _, err := h.Engine.CreateDrill(h.Ctx, control.DrillRequest{ID: id, Scenario: s, Actor: "fiona"}); err != nil {
		t.Fatal(err)
	}
	retrotest.AddPeople(t, h, id)
	if err := h.Engine.StartBriefing(h.Ctx, id, "fiona"); err != nil {
		t.Fatal(err)
	}
	if err := h.Engine.Start(h.Ctx, id, "fiona"); err != nil {
		t.Fatal(err)
	}
	for _, st := range steps {
		h.AdvanceTo(id, st.at)
		st.do(h, id)
	}
	h.AdvanceTo(id, end)
	return h.Events(id)
}

// failReinject makes the next injection of fault fail (a busy API server):
// the engine retries it 10s later.
func failReinject(fault string) func(h *controltest.Harness, id string) {
	return func(h *controltest.Harness, _ string) {
		h.Injector.FailNextFor("inject", fault, errors.New("the API server is busy, try again"))
	}
}

// end is the facilitator ending the drill.
func end(h *controltest.Harness, id string) {
	h.T.Helper()
	if err := h.Engine.End(h.Ctx, id, "fiona", "out of time"); err != nil {
		h.T.Fatal(err)
	}
}

// healedTwice is the recurring drill in which db-config is detected, healed,
// comes back, is detected again by someone else and healed again, and then
// stays fixed because the facilitator marks its cause resolved.
func healedTwice(t *testing.T) []control.Event {
	return playRecurring(t, 23*time.Minute+30*time.Second,
		step{3 * time.Minute, post("alice", "incident", "Payments are failing, I'm on it")},
		step{10 * time.Minute, fix("db-config")},
		step{17 * time.Minute, post("bob", "incident", "Payments fail again, looking")},
		step{20 * time.Minute, fix("db-config")},
		step{23 * time.Minute, markResolved("coupon-flag")},
	)
}

// TestInjections_EachInjectionOfAFaultThatCameBack: the record keeps every
// injection of a fault that came back after a fix, each with its own
// detection, resolution, revert and people, and counts each in the totals.
func TestInjections_EachInjectionOfAFaultThatCameBack(t *testing.T) {
	p := func(d time.Duration) *int64 { v := d.Milliseconds(); return &v }
	const comeback = 15*time.Minute + tick // fixed at 10m, seen at 10m10s, resolved 2m later, back 3m later
	first := record.Injection{N: 1, InjectedAtMs: 0, DetectedAtMs: p(3 * time.Minute), DetectedBy: "Alice",
		RecoveringAtMs: p(10*time.Minute + tick), ResolvedAtMs: p(12*time.Minute + tick), ResolvedBy: "probe",
		RevertedAtMs: p(comeback), CameBackAtMs: p(comeback),
		TimeToDetectMs: p(3 * time.Minute), TimeToRecoverMs: p(10*time.Minute + tick), TimeToResolveMs: p(12*time.Minute + tick)}
	undetected := first
	undetected.DetectedAtMs, undetected.DetectedBy, undetected.TimeToDetectMs = nil, "", nil
	tests := []struct {
		name   string
		events func(t *testing.T) []control.Event
		want   []record.Injection
		totals record.InjectionTotals
		// pending: the drill ended after the fault came back and before it
		// was injected again (skipped); the fault itself is not resolved.
		pending bool
	}{
		{name: "injected, healed, back and healed again: both injections with their own detection and people", events: healedTwice,
			want: []record.Injection{first, {N: 2, InjectedAtMs: comeback.Milliseconds(), DetectedAtMs: p(17 * time.Minute), DetectedBy: "Bob",
				RecoveringAtMs: p(20*time.Minute + tick), ResolvedAtMs: p(22*time.Minute + tick), ResolvedBy: "probe",
				TimeToDetectMs: p(17*time.Minute - comeback), TimeToRecoverMs: p(20*time.Minute + tick - comeback), TimeToResolveMs: p(22*time.Minute + tick - comeback)}},
			// db-config twice and coupon-flag (Alice at 3m, resolved by hand at 23m).
			totals: record.InjectionTotals{Injections: 3, Detected: 3, Resolved: 3,
				MeanTimeToDetectMs:  p((3*time.Minute + 17*time.Minute - comeback + 3*time.Minute) / 3),
				MeanTimeToResolveMs: p((12*time.Minute + tick + 22*time.Minute + tick - comeback + 23*time.Minute) / 3)}},
		{name: "back and healed before anyone wrote: the comeback is not detected, nor counted as detected", events: func(t *testing.T) []control.Event {
			return playRecurring(t, 19*time.Minute+30*time.Second,
				step{3 * time.Minute, post("alice", "incident", "Payments are failing, I'm on it")},
				step{10 * time.Minute, fix("db-config")},
				step{16 * time.Minute, fix("db-config")},
				step{19 * time.Minute, markResolved("coupon-flag")})
		}, want: []record.Injection{first, {N: 2, InjectedAtMs: comeback.Milliseconds(),
			RecoveringAtMs: p(16*time.Minute + tick), ResolvedAtMs: p(18*time.Minute + tick), ResolvedBy: "probe",
			TimeToRecoverMs: p(16*time.Minute + tick - comeback), TimeToResolveMs: p(18*time.Minute + tick - comeback)}},
			totals: record.InjectionTotals{Injections: 3, Detected: 2, Resolved: 3, MeanTimeToDetectMs: p(3 * time.Minute),
				MeanTimeToResolveMs: p((12*time.Minute + tick + 18*time.Minute + tick - comeback + 19*time.Minute) / 3)}},
		{name: "back and still broken at the end: the comeback is open, neither detected nor resolved", events: func(t *testing.T) []control.Event {
			return playRecurring(t, 16*time.Minute,
				step{3 * time.Minute, post("alice", "incident", "Payments are failing, I'm on it")},
				step{10 * time.Minute, fix("db-config")})
		}, want: []record.Injection{first, {N: 2, InjectedAtMs: comeback.Milliseconds()}},
			totals: record.InjectionTotals{Injections: 3, Detected: 2, Resolved: 1, MeanTimeToDetectMs: p(3 * time.Minute), MeanTimeToResolveMs: p(12*time.Minute + tick)}},
		{name: "a message after a silent fix is not its detection: the comeback's first message is", events: func(t *testing.T) []control.Event {
			return playRecurring(t, 23*time.Minute+30*time.Second,
				step{10 * time.Minute, fix("db-config")},
				step{13 * time.Minute, post("alice", "incident", "Payments work again, is it fixed?")},
				step{17 * time.Minute, post("bob", "incident", "Payments fail again, looking")},
				step{20 * time.Minute, fix("db-config")},
				step{23 * time.Minute, markResolved("coupon-flag")})
		}, want: []record.Injection{undetected, {N: 2, InjectedAtMs: comeback.Milliseconds(), DetectedAtMs: p(17 * time.Minute), DetectedBy: "Bob",
			RecoveringAtMs: p(20*time.Minute + tick), ResolvedAtMs: p(22*time.Minute + tick), ResolvedBy: "probe",
			TimeToDetectMs: p(17*time.Minute - comeback), TimeToRecoverMs: p(20*time.Minute + tick - comeback), TimeToResolveMs: p(22*time.Minute + tick - comeback)}},
			// coupon-flag, still unresolved, is detected by Alice's question at 13m.
			totals: record.InjectionTotals{Injections: 3, Detected: 2, Resolved: 3,
				MeanTimeToDetectMs:  p((17*time.Minute - comeback + 13*time.Minute) / 2),
				MeanTimeToResolveMs: p((12*time.Minute + tick + 22*time.Minute + tick - comeback + 23*time.Minute) / 3)}},
		{name: "ended after it came back and before it was injected again: the comeback has no row and the fault is not resolved", events: func(t *testing.T) []control.Event {
			return playRecurring(t, comeback+5*time.Second,
				step{3 * time.Minute, post("alice", "incident", "Payments are failing, I'm on it")},
				step{10 * time.Minute, fix("db-config")},
				step{14 * time.Minute, failReinject("db-config")},
				step{comeback + 5*time.Second, end})
		}, want: []record.Injection{first}, pending: true,
			totals: record.InjectionTotals{Injections: 2, Detected: 2, Resolved: 1, MeanTimeToDetectMs: p(3 * time.Minute), MeanTimeToResolveMs: p(12*time.Minute + tick)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := record.Assemble(tt.events(t))
			if err != nil {
				t.Fatal(err)
			}
			f := r.Metrics.Faults[0]
			if f.ID != "db-config" || !reflect.DeepEqual(f.Injections, tt.want) {
				t.Fatalf("db-config's injections\n%s\nwant\n%s", jsonText(t, f.Injections), jsonText(t, tt.want))
			}
			last := tt.want[len(tt.want)-1]
			switch {
			case tt.pending:
				// Injected and reverted as its last injection was, but
				// not resolved: the comeback was never injected, and the
				// end skipped it.
				if f.Phase != string(control.FaultSkipped) || *f.InjectedAtMs != last.InjectedAtMs || !reflect.DeepEqual(f.RevertedAtMs, last.RevertedAtMs) ||
					f.RecoveringAtMs != nil || f.ResolvedAtMs != nil || f.TimeToDetectMs != nil || f.TimeToRecoverMs != nil || f.TimeToResolveMs != nil {
					t.Fatalf("db-config's own times %s, expected skipped at the end, not resolved, injected and reverted as its last injection", jsonText(t, f))
				}
			// The fault's own times are its latest injection's.
			case *f.InjectedAtMs != last.InjectedAtMs || !reflect.DeepEqual(f.TimeToDetectMs, last.TimeToDetectMs) || !reflect.DeepEqual(f.TimeToResolveMs, last.TimeToResolveMs):
				t.Fatalf("db-config's own times %s, expected its latest injection's", jsonText(t, f))
			}
			for _, in := range f.Injections {
				if in.TimeToDetectMs != nil && (*in.TimeToDetectMs < 0 || (in.TimeToResolveMs != nil && *in.TimeToDetectMs > *in.TimeToResolveMs)) {
					t.Fatalf("injection %d detected %d ms after it, outside its life (resolved after %v ms)", in.N, *in.TimeToDetectMs, in.TimeToResolveMs)
				}
			}
			if r.Metrics.Injections == nil || !reflect.DeepEqual(*r.Metrics.Injections, tt.totals) {
				t.Fatalf("totals %s, want %s", jsonText(t, r.Metrics.Injections), jsonText(t, tt.totals))
			}
			if v, err := record.Verify(r); err != nil || v.NotCompared != "" {
				t.Fatalf("the record does not verify with its sections compared: %v %+v", err, v)
			}
		})
	}
}

// TestInjections_FaultsThatCameBackOnce: a fault injected once has one
// injection, its resolver named when a person resolved it; a fault that
// never fired has none.
func TestInjections_FaultsThatCameBackOnce(t *testing.T) {
	r, err := record.Assemble(healedTwice(t))
	if err != nil {
		t.Fatal(err)
	}
	coupon, cache := r.Metrics.Faults[1], r.Metrics.Faults[2]
	if len(coupon.Injections) != 1 || coupon.Injections[0].Resolver != "Fiona" || coupon.Injections[0].ResolvedBy != "manual" || coupon.Injections[0].DetectedBy != "Alice" {
		t.Fatalf("coupon-flag's injections %s, expected one, detected by Alice and resolved by Fiona's hand", jsonText(t, coupon.Injections))
	}
	if cache.InjectedAtMs != nil || len(cache.Injections) != 0 || len(cache.Each()) != 0 {
		t.Fatalf("cache-evict never fired but has injections %s", jsonText(t, cache.Injections))
	}
}

// TestResponses_ResolutionNoticeAfterTheFirstFix: a resolution notice
// posted after a fault's first fix answers that fix, though the fault came
// back and was fixed again later.
func TestResponses_ResolutionNoticeAfterTheFirstFix(t *testing.T) {
	notice := func(h *controltest.Harness, id string) {
		h.T.Helper()
		if _, err := h.Engine.PostNotice(h.Ctx, id, control.PostNotice{Kind: scenarios.NoticeResolution, AuthorID: "bob", Fields: map[string]string{"end": "14:13", "cause": "pool size"}}); err != nil {
			h.T.Fatal(err)
		}
	}
	r, err := record.Assemble(playRecurring(t, 21*time.Minute,
		step{10 * time.Minute, fix("db-config")},
		step{13 * time.Minute, notice},
		step{18 * time.Minute, fix("db-config")}))
	if err != nil {
		t.Fatal(err)
	}
	for _, rs := range r.Responses {
		if rs.Kind == "notice" && rs.ID == string(scenarios.NoticeResolution) {
			if want := (12*time.Minute + tick).Milliseconds(); rs.AtMs != want || *rs.ResponseMs != 13*60000-want {
				t.Fatalf("resolution notice answers %d after %v ms, expected the first fix at %d", rs.AtMs, *rs.ResponseMs, want)
			}
			return
		}
	}
	t.Fatal("no response time for the resolution notice")
}

func jsonText(t *testing.T, v any) string {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// labelRe finds a fault's label on the timeline chart: its title and the
// lines it is wrapped into.
var labelRe = regexp.MustCompile(`<g class="fault-label" data-fault="([^"]+)"><title>([^<]*)</title><text x="(\d+)"[^>]*>((?:<tspan[^>]*>[^<]*</tspan>)+)</text></g>`)

var tspanRe = regexp.MustCompile(`<tspan[^>]*>([^<]*)</tspan>`)

// TestTimelineSVG_LongTitles: a long fault title is wrapped inside the
// chart's label column, never cut off on the left, and kept whole in the
// label's title; one too long for three lines ends in "…". Each injection
// of a fault that came back has its own bar.
func TestTimelineSVG_LongTitles(t *testing.T) {
	rec, err := record.Assemble(healedTwice(t))
	if err != nil {
		t.Fatal(err)
	}
	huge := strings.TrimSpace(strings.Repeat("결제 DB 커넥션 풀 크기가 야간 배치 작업 때문에 1로 되돌아감 ", 4))
	tests := []struct {
		name  string
		title string
		lang  record.Lang
		cut   bool
	}{
		{name: "a long English title wraps whole", title: recurringTitle, lang: record.English},
		{name: "a long Korean title wraps whole", title: "결제 DB 커넥션 풀 크기가 조용한 설정 배포 뒤 1로 바뀌었고 야간 배치가 계속 되돌려 놓음", lang: record.Korean},
		{name: "a title too long for three lines is cut with an ellipsis and kept whole in its title", title: huge, lang: record.Korean, cut: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec.Metrics.Faults[0].Title = tt.title
			svg := record.TimelineSVG(rec, tt.lang)
			var found bool
			for _, m := range labelRe.FindAllStringSubmatch(svg, -1) {
				if m[1] != "db-config" {
					continue
				}
				found = true
				var lines []string
				for _, l := range tspanRe.FindAllStringSubmatch(m[4], -1) {
					lines = append(lines, html.UnescapeString(l[1]))
				}
				if got := html.UnescapeString(m[2]); got != tt.title {
					t.Fatalf("the label's title is %q, expected the whole title", got)
				}
				if x, _ := strconv.Atoi(m[3]); x < 170 || x > 260 {
					t.Fatalf("the label column ends at %d", x)
				}
				joined := strings.Join(lines, " ")
				switch {
				case len(lines) < 2 || len(lines) > 3:
					t.Fatalf("the title is on %d lines: %q", len(lines), lines)
				case tt.cut && !strings.HasSuffix(joined, "…"):
					t.Fatalf("a cut title does not end in an ellipsis: %q", lines)
				case !tt.cut && joined != tt.title:
					t.Fatalf("the wrapped lines %q do not say the whole title", lines)
				}
			}
			if !found {
				t.Fatalf("no label for db-config:\n%s", svg)
			}
			if n := strings.Count(svg, `data-injection="2"`); n == 0 {
				t.Fatal("the comeback has no bar on the chart")
			}
		})
	}
}

// TestExport_VersionTwoRecordByItsFaultTimes: a record of sections version
// 2, which kept no injections, is still written out with a row per fault
// that fired, from the fault's own times.
func TestExport_VersionTwoRecordByItsFaultTimes(t *testing.T) {
	r := readKept(t, "sections-v2-recurs.json")
	var md bytes.Buffer
	if err := record.WriteMarkdown(&md, r, record.English); err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(md.String(), "(`db-config`) | 15:10 | 1:50 |"); got != 1 {
		t.Fatalf("db-config has %d rows from its own times:\n%s", got, md.String())
	}
}
