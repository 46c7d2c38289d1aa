package e2e_test

import (
	"bytes"
	"strconv"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/control/record"
)

// recordWant is what a drill's record must show beyond the sections every
// record has.
type recordWant struct {
	state     control.DrillState
	endReason string
	// faults are the faults that were injected; the others must be
	// skipped (an aborted drill's chained faults).
	faults []string
	// resolved says every injected fault was resolved before the end, and
	// the resolution notice was posted.
	resolved bool
	// answers is the number of submitted retro answer sets.
	answers int
}

// checkRecord validates the JSON record against the published schema,
// verifies its hash chain and sections, and asserts every field the
// practice and an audit need is filled.
func checkRecord(t *testing.T, js []byte, want recordWant) *record.Record {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(record.JSONSchema()))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("record.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("record.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(js))
	if err != nil {
		t.Fatalf("the JSON record is not JSON: %v", err)
	}
	if err := sch.Validate(inst); err != nil {
		t.Fatalf("the JSON record does not match record.schema.json: %v", err)
	}
	r, err := record.ReadJSON(bytes.NewReader(js))
	if err != nil {
		t.Fatalf("read the JSON record: %v", err)
	}
	if _, err := record.Verify(r); err != nil {
		t.Fatalf("the exported record does not verify: %v", err)
	}

	var problems []string
	need := func(ok bool, what string) {
		if !ok {
			problems = append(problems, what)
		}
	}
	need(r.DrillID != "" && r.Title != "" && r.Team != "", "drill id, title and team")
	need(r.Date != "" && r.Season != "", "date and season")
	need(r.StartedAt != nil && r.EndedAt != nil && r.EndedAt.After(*r.StartedAt), "start and end times, the end after the start")
	need(r.State == string(want.state), "state "+string(want.state)+", got "+r.State)
	need(r.EndReason == want.endReason, "end reason "+want.endReason+", got "+r.EndReason)
	need(r.Scenario.Name != "" && r.Scenario.Designer != "" && r.Scenario.Solution != "" && len(r.Scenario.Faults) > 0 && r.Scenario.TimeCap == 90*60*1000,
		"scenario name, designer, solution, faults and the 90-minute cap")
	roles := map[control.Role]int{}
	for _, p := range r.People {
		roles[p.Role]++
		need(p.Name != "", "a name for person "+p.ID)
	}
	need(roles[control.RoleParticipant] == 2 && roles[control.RoleObserver] == 1 && roles[control.RoleFacilitator] == 1,
		"two participants, an observer and the facilitator among the people")

	m := r.Metrics
	need(m.FirstInjectedMs != nil && m.TimeToAckMs != nil && m.TimeToIncidentNoticeMs != nil, "time to first injection, acknowledgement and incident notice")
	need(m.DurationMs > 0, "the duration")
	need(!m.CapReached, "the cap not reached")
	need(len(m.Faults) == len(r.Scenario.Faults), "metrics for every fault")
	for _, f := range m.Faults {
		if contains(want.faults, f.ID) {
			need(f.Phase == string(control.FaultReverted), "fault "+f.ID+" reverted, got "+f.Phase)
			need(f.InjectedAtMs != nil && f.RevertedAtMs != nil, "fault "+f.ID+" inject and revert times")
			need(f.TimeToDetectMs != nil, "fault "+f.ID+" time to detect")
			if want.resolved {
				need(f.ResolvedAtMs != nil && f.TimeToResolveMs != nil, "fault "+f.ID+" resolve time and time to resolve")
			}
		} else {
			need(f.Phase == string(control.FaultSkipped) && f.InjectedAtMs == nil, "fault "+f.ID+" skipped, never injected, got "+f.Phase)
		}
	}
	if want.resolved {
		need(m.TimeToResolutionNoticeMs != nil, "time to the resolution notice")
	}

	kinds := map[string]int{}
	for _, e := range r.Timeline {
		kinds[e.Kind]++
		need(e.Summary != "", "a summary for timeline entry #"+itoa(e.Seq))
	}
	need(kinds[record.KindChat] >= 3, "chat messages in the timeline")
	var noticeKinds []string
	for _, n := range r.Notices {
		noticeKinds = append(noticeKinds, n.Kind)
		need(n.Author != "" && len(n.Fields) > 0, "author and fields of the "+n.Kind+" notice")
	}
	need(contains(noticeKinds, "incident"), "the incident notice")
	if want.resolved {
		need(contains(noticeKinds, "resolution"), "the resolution notice")
	}
	responded := 0
	for _, rs := range r.Responses {
		if rs.ResponseMs != nil {
			responded++
		}
	}
	need(responded >= 2, "response times for at least an inject and a notice")

	tags := map[string]int{}
	for _, n := range r.ObserverNotes {
		tags[n.Tag]++
	}
	need(tags["strength"] >= 1 && tags["weakness"] >= 1, "observer notes, strengths and weaknesses")

	rt := r.Retro
	need(rt.Blameless != "", "the blameless statement")
	need(len(rt.Answers) == want.answers && rt.Submitted == want.answers, "submitted retro answers: "+itoa(int64(want.answers)))
	for _, a := range rt.Answers {
		need(a.WentWell != "" && a.Lacking != "" && a.Better != "" && a.Before >= 1 && a.After >= 1, "every part of "+a.Name+"'s answers")
	}
	need(rt.Ratings.Count == want.answers && rt.Ratings.Before > 0 && rt.Ratings.After > rt.Ratings.Before, "before/after ratings, improved")
	need(len(rt.Actions) >= 1, "an accepted follow-up action")
	need(r.Chain.Count == len(r.Chain.Events) && r.Chain.Head != "", "the journal")
	if len(problems) > 0 {
		t.Fatalf("the record of drill %s lacks:\n  %s", r.DrillID, strings.Join(problems, "\n  "))
	}
	return r
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
