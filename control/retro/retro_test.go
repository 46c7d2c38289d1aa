package retro_test

import (
	"strings"
	"testing"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/control/controltest"
	"github.com/firedrill/firedrill/control/retro"
	"github.com/firedrill/firedrill/control/retro/retrotest"
	"github.com/firedrill/firedrill/injectors"
)

// The whole path on a fake clock: the drill ends itself on its resolution,
// the retro is open at once, answers save as drafts and submit, the
// facilitator sees who submitted, runs the order, the queue and the
// actions, and closing the retro freezes the answers and closes the drill.
func TestRetro_EndToEnd(t *testing.T) {
	h := controltest.NewHarness(t)
	retrotest.PlayDrill(t, h, "drill-1")
	s := retrotest.PlayRetro(t, h, "drill-1")

	d, r, err := s.Load(h.Ctx, "drill-1")
	if err != nil {
		t.Fatal(err)
	}
	if !r.Open || r.Closed {
		t.Fatalf("retro open=%v closed=%v, expected open", r.Open, r.Closed)
	}
	var submitted, started []string
	for _, st := range r.Statuses(d.People) {
		if st.Submitted {
			submitted = append(submitted, st.PersonID)
		}
		if st.Started {
			started = append(started, st.PersonID)
		}
	}
	if got := strings.Join(submitted, ","); got != "alice,bob,carol,dana" {
		t.Fatalf("submitted %s, expected participants then the designer", got)
	}
	if got := strings.Join(started, ","); got != "alice,bob,carol,dana,oscar" {
		t.Fatalf("started %s", got)
	}
	// Only participants are trained: the designer's self-rating (3 → 4)
	// is not in the averages. Bob answered anonymously: his ratings count
	// once the close publishes them, not before.
	rt := r.Ratings()
	if rt.Count != 2 || rt.Before != 1.5 || rt.After != 3.5 {
		t.Fatalf("ratings %+v, expected Alice's and Carol's answers, 1.5 → 3.5", rt)
	}
	if r.Entries["alice"].Saves != 2 || r.Entries["oscar"].Submitted {
		t.Fatalf("alice saves %d, oscar submitted %v", r.Entries["alice"].Saves, r.Entries["oscar"].Submitted)
	}
	if len(r.Questions) != 1 || !r.Questions[0].Answered || r.Questions[0].AuthorID != "carol" {
		t.Fatalf("questions %+v", r.Questions)
	}
	acc := r.Accepted()
	if len(acc) != 2 || acc[0].Title != "Alert on DB pool saturation" || acc[1].Kind != retro.KindRunbook {
		t.Fatalf("accepted %+v", acc)
	}
	if r.Presenting != "alice" {
		t.Fatalf("presenting %q, expected the first participant", r.Presenting)
	}

	// Editing after submitting keeps it submitted while complete.
	a := retrotest.Answers["alice"]
	a.Better = "Check the last 24 hours of changes first."
	if _, err := s.Save(h.Ctx, "drill-1", "alice", a); err != nil {
		t.Fatal(err)
	}
	_, r, _ = s.Load(h.Ctx, "drill-1")
	if en := r.Entries["alice"]; !en.Submitted || en.Better != a.Better {
		t.Fatalf("alice after edit: %+v", en)
	}

	if err := s.Close(h.Ctx, "drill-1", "fiona"); err != nil {
		t.Fatal(err)
	}
	if got := h.Drill("drill-1").State; got != control.StateClosed {
		t.Fatalf("drill is %s after the retro closed, expected closed", got)
	}
	_, r, _ = s.Load(h.Ctx, "drill-1")
	if rt := r.Ratings(); rt.Count != 3 || rt.Before != 1.67 || rt.After != 3.33 || rt.ChangePct != 100 {
		t.Fatalf("ratings after the close %+v, expected the 3 participants' answers, 1.67 → 3.33, +100%%", rt)
	}
	_, err = s.Save(h.Ctx, "drill-1", "carol", retrotest.Answers["carol"])
	if injectors.ErrorCode(err) != injectors.ECONFLICT {
		t.Fatalf("save after close: %v, expected a conflict", err)
	}
}

func TestRetro_RefusedBeforeTheDrillEnds(t *testing.T) {
	h := controltest.NewHarness(t)
	d, err := h.Engine.CreateDrill(h.Ctx, control.DrillRequest{ID: "early", Scenario: retrotest.Scenario()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Engine.AddPerson(h.Ctx, d.ID, control.Person{ID: "alice", Name: "Alice", Role: control.RoleParticipant}, "fiona"); err != nil {
		t.Fatal(err)
	}
	s := retro.NewService(h.Engine, h.DB, retrotest.Keys())
	_, err = s.Save(h.Ctx, d.ID, "alice", retro.Answers{WentWell: "x"})
	if injectors.ErrorCode(err) != injectors.ECONFLICT || !strings.Contains(injectors.ErrorMessage(err), "opens when the drill ends") {
		t.Fatalf("save in a draft drill: %v", err)
	}
}

// An aborted drill has a retro too: the practice records what went wrong.
func TestRetro_OpenAfterAbort(t *testing.T) {
	h := controltest.NewHarness(t)
	d, err := h.Engine.CreateDrill(h.Ctx, control.DrillRequest{ID: "aborted", Scenario: retrotest.Scenario()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Engine.AddPerson(h.Ctx, d.ID, control.Person{ID: "alice", Name: "Alice", Role: control.RoleParticipant}, "fiona"); err != nil {
		t.Fatal(err)
	}
	if err := h.Engine.Start(h.Ctx, d.ID, "fiona"); err != nil {
		t.Fatal(err)
	}
	if err := h.Engine.Abort(h.Ctx, d.ID, "fiona", "a real incident needs the team"); err != nil {
		t.Fatal(err)
	}
	s := retro.NewService(h.Engine, h.DB, retrotest.Keys())
	if _, err := s.Submit(h.Ctx, d.ID, "alice", retro.Answers{Before: 2, After: 2}); err != nil {
		t.Fatalf("submit after abort: %v", err)
	}
}

func TestAnswers_Check(t *testing.T) {
	sc := retrotest.Scenario()
	sc.Retro.Questions[1].Required = true
	long := strings.Repeat("x", retro.MaxTextRunes+1)
	tests := []struct {
		name   string
		role   control.Role
		a      retro.Answers
		submit bool
		want   string // "" for valid
	}{
		{"empty draft is valid", control.RoleParticipant, retro.Answers{}, false, ""},
		{"submission without ratings is refused", control.RoleParticipant, retro.Answers{Extra: map[string]string{"alert-gap": "x"}}, true, "before: the self-rating is required, expected 1 to 5; after: the self-rating is required"},
		{"rating out of range is refused", control.RoleParticipant, retro.Answers{Before: 6}, false, "before is 6, expected a rating from 1 to 5"},
		{"unknown extra question is refused", control.RoleParticipant, retro.Answers{Extra: map[string]string{"nope": "x"}}, false, "extra.nope is not a question asked of the participant"},
		{"scale question needs 1 to 5", control.RoleParticipant, retro.Answers{Extra: map[string]string{"realism": "seven"}}, false, `extra.realism is "seven", expected a whole number from 1 to 5`},
		{"required extra question is needed to submit", control.RoleParticipant, retro.Answers{Before: 1, After: 2}, true, `extra.alert-gap: "Which alert would have caught it sooner?" is required`},
		{"overlong text is refused", control.RoleParticipant, retro.Answers{WentWell: long}, false, "wentWell is 4001 characters long"},
		{"complete submission is valid", control.RoleParticipant, retro.Answers{Before: 1, After: 5, Extra: map[string]string{"alert-gap": "pool"}}, true, ""},
		{"a person without a role answers as a participant", "", retro.Answers{Before: 1, After: 5, Extra: map[string]string{"alert-gap": "pool"}}, true, ""},
		{"observer submits without self-ratings", control.RoleObserver, retro.Answers{Extra: map[string]string{retro.QObserverBalance: "IC held recovery too"}}, true, ""},
		{"observer self-rating is refused", control.RoleObserver, retro.Answers{Before: 2, After: 4}, false, "before: the self-rating is asked of participants only, not of the observer"},
		{"designer is not asked the scenario's questions", control.RoleDesigner, retro.Answers{Extra: map[string]string{"realism": "5"}}, false, "extra.realism is not a question asked of the designer"},
		{"facilitator is not asked the observer's questions", control.RoleFacilitator, retro.Answers{Extra: map[string]string{retro.QObserverStrengths: "x"}}, false, "extra.observer.strengths is not a question asked of the facilitator"},
		{"participant is not asked the designer's questions", control.RoleParticipant, retro.Answers{Extra: map[string]string{retro.QDesignerResolution: "x"}}, false, "extra.designer.resolution is not a question asked of the participant"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.a.Check(sc, tt.role, tt.submit)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if injectors.ErrorCode(err) != injectors.EINVALID || !strings.Contains(injectors.ErrorMessage(err), tt.want) {
				t.Fatalf("error %v, expected EINVALID containing %q", err, tt.want)
			}
		})
	}
}

func TestAction_Check(t *testing.T) {
	tests := []struct {
		name string
		a    retro.Action
		want string
	}{
		{"valid action passes", retro.Action{Title: "Alert", Kind: retro.KindAlert, Due: "2026-12-01"}, ""},
		{"missing title is refused", retro.Action{Kind: retro.KindAlert}, "title is required"},
		{"unknown kind is refused", retro.Action{Title: "x", Kind: "party"}, `kind "party" is not a kind, expected one of alert, monitoring, runbook, contact-list, error-message, config-default, process`},
		{"bad due date is refused", retro.Action{Title: "x", Kind: retro.KindProcess, Due: "next week"}, `due is "next week", expected a date like 2026-12-01`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.a.Check()
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(injectors.ErrorMessage(err), tt.want) {
				t.Fatalf("error %v, expected %q", err, tt.want)
			}
		})
	}
}

func TestPresentationOrder(t *testing.T) {
	got := retro.PresentationOrder(retrotest.People)
	var ids []string
	for _, p := range got {
		ids = append(ids, p.ID)
	}
	if s := strings.Join(ids, ","); s != "alice,bob,carol,dana,oscar,fiona" {
		t.Fatalf("order %s, expected participants, designer, observer, facilitator", s)
	}
}

func TestRatingsOf(t *testing.T) {
	// The source's figure: 2.0 → 3.7 is +85%.
	r := retro.RatingsOf([][2]int{{2, 4}, {2, 4}, {2, 3}, {2, 4}, {2, 4}, {2, 4}, {2, 4}, {2, 4}, {2, 3}, {2, 3}})
	if r.Before != 2 || r.After != 3.7 || r.ChangePct != 85 {
		t.Fatalf("ratings %+v, expected 2 → 3.7, +85%%", r)
	}
	if r := retro.RatingsOf(nil); r.Count != 0 || r.ChangePct != 0 {
		t.Fatalf("empty ratings %+v", r)
	}
}

// Events the rules do not allow are kept in the journal but not applied:
// a submission forged for someone else, anything after the close.
func TestProject_IgnoresWhatTheRulesRefuse(t *testing.T) {
	h := controltest.NewHarness(t)
	retrotest.PlayDrill(t, h, "d")
	if _, err := h.Engine.AppendEvent(h.Ctx, "d", retro.EventSubmitted, "bob", retro.Answers{PersonID: "alice", Before: 5, After: 5}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Engine.AppendEvent(h.Ctx, "d", retro.EventClosed, "fiona", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Engine.AppendEvent(h.Ctx, "d", retro.EventSubmitted, "bob", retro.Answers{PersonID: "bob", Before: 1, After: 5}); err != nil {
		t.Fatal(err)
	}
	r := retro.Project(h.Drill("d"), h.Events("d"))
	if len(r.Entries) != 0 || len(r.Ignored) != 2 || r.Open {
		t.Fatalf("entries %v ignored %+v open %v", r.Entries, r.Ignored, r.Open)
	}
	if !strings.Contains(r.Ignored[0].Reason, "answers of alice saved by bob") || !strings.Contains(r.Ignored[1].Reason, "already closed") {
		t.Fatalf("ignored %+v", r.Ignored)
	}
}

// BenchmarkProject measures projecting a retro from a journal with many
// autosaves: eight people saving every second for ten minutes.
func BenchmarkProject(b *testing.B) {
	h := controltest.NewHarness(b)
	retrotest.PlayDrill(b, h, "d")
	s := retro.NewService(h.Engine, h.DB, retrotest.Keys())
	for i := 0; i < 600; i++ {
		who := []string{"alice", "bob", "carol", "dana", "oscar", "fiona"}[i%6]
		if _, err := s.Save(h.Ctx, "d", who, retro.Answers{WentWell: strings.Repeat("typing ", i%50)}); err != nil {
			b.Fatal(err)
		}
	}
	d, evs := h.Drill("d"), h.Events("d")
	b.ResetTimer()
	for b.Loop() {
		retro.Project(d, evs)
	}
}

// Each role is asked its own questions: participants rate themselves and
// answer the scenario's questions; the staff answer about their part.
func TestQuestionsFor(t *testing.T) {
	sc := retrotest.Scenario()
	tests := []struct {
		name       string
		role       control.Role
		wantRole   control.Role
		selfRating bool
		ids        []string
	}{
		{"participant rates and answers the scenario's questions", control.RoleParticipant, control.RoleParticipant, true, []string{"realism", "alert-gap"}},
		{"unknown role is asked as a participant", "", control.RoleParticipant, true, []string{"realism", "alert-gap"}},
		{"observer is asked what they observed", control.RoleObserver, control.RoleObserver, false, []string{retro.QObserverStrengths, retro.QObserverWeaknesses, retro.QObserverBalance}},
		{"designer is asked about the scenario and its best resolution", control.RoleDesigner, control.RoleDesigner, false, []string{retro.QDesignerScenario, retro.QDesignerResolution, retro.QDesignerChange}},
		{"facilitator is asked about running the drill", control.RoleFacilitator, control.RoleFacilitator, false, []string{retro.QFacilitatorPurpose, retro.QFacilitatorStepIn, retro.QFacilitatorRunning}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set := retro.QuestionsFor(tt.role, sc)
			var ids []string
			for _, q := range set.Questions {
				ids = append(ids, q.ID)
				if strings.TrimSpace(q.Text) == "" {
					t.Errorf("question %s has no text", q.ID)
				}
			}
			if set.Role != tt.wantRole || set.SelfRating != tt.selfRating || strings.Join(ids, ",") != strings.Join(tt.ids, ",") {
				t.Fatalf("QuestionsFor(%q) = role %s, selfRating %t, %v; want %s, %t, %v", tt.role, set.Role, set.SelfRating, ids, tt.wantRole, tt.selfRating, tt.ids)
			}
		})
	}
	if got := retro.QuestionsFor(control.RoleParticipant, nil); !got.SelfRating || len(got.Questions) != 0 {
		t.Fatalf("participant set without a scenario = %+v, want self-ratings and no extra questions", got)
	}
}

// Anonymous answers, drafts included, are journaled sealed under the
// anonymous actor: the journal names no author and holds no text. The
// service, with the keys, still finds a person's own answers (and lets
// them edit), keeps their first choice, and publishes the submitted ones
// without authors when the retro closes.
func TestRetro_AnonymousAnswersAreSealed(t *testing.T) {
	h := controltest.NewHarness(t)
	retrotest.PlayDrill(t, h, "drill-1")
	s := retro.NewService(h.Engine, h.DB, retrotest.Keys())
	ctx := h.Ctx
	draft := retro.Answers{WentWell: "bob-draft-went-well", Anonymous: true}
	if _, err := s.Save(ctx, "drill-1", "bob", draft); err != nil {
		t.Fatal(err)
	}
	final := retro.Answers{WentWell: "bob-final-went-well", Lacking: "bob-final-lacking", Better: "bob-final-better", Before: 2, After: 4, Anonymous: true}
	if _, err := s.Submit(ctx, "drill-1", "bob", final); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Submit(ctx, "drill-1", "alice", retrotest.Answers["alice"]); err != nil {
		t.Fatal(err)
	}

	evs, err := h.DB.Events(ctx, "drill-1", 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		if !retro.IsRetroEvent(e.Type) || e.Actor == "alice" {
			continue
		}
		if e.Actor != retro.AnonymousActor || strings.Contains(string(e.Payload), "bob") {
			t.Fatalf("event #%d %s by %s carries %s: an anonymous save names its author", e.Seq, e.Type, e.Actor, e.Payload)
		}
	}

	d := h.Drill("drill-1")
	keyless := retro.Project(d, evs)
	if keyless.Entries["bob"] != nil || keyless.AnonymousSaves != 2 || len(keyless.Published) != 0 {
		t.Fatalf("without the keys: bob %+v, %d anonymous saves, expected none readable and 2 counted", keyless.Entries["bob"], keyless.AnonymousSaves)
	}

	t.Run("the person still reads and edits their own answers", func(t *testing.T) {
		edited := final
		edited.Better = "bob-edited-better"
		if _, err := s.Save(ctx, "drill-1", "bob", edited); err != nil {
			t.Fatal(err)
		}
		d, r, err := s.Load(ctx, "drill-1")
		if err != nil {
			t.Fatal(err)
		}
		f := r.FormFor(d, "bob")
		if !f.Submitted || !f.Answers.Anonymous || f.Answers.Better != "bob-edited-better" || f.Saved == 0 {
			t.Fatalf("bob's form %+v", f)
		}
		if n := r.AnonymousSubmitted(); n != 1 {
			t.Fatalf("%d anonymous answers submitted, expected 1", n)
		}
	})
	t.Run("the first save's choice is kept", func(t *testing.T) {
		named := final
		named.Anonymous = false
		_, err := s.Save(ctx, "drill-1", "bob", named)
		if injectors.ErrorCode(err) != injectors.ECONFLICT || !strings.Contains(injectors.ErrorMessage(err), "first saved anonymously") {
			t.Fatalf("bob switching to named: %v, expected a conflict", err)
		}
		anon := retrotest.Answers["alice"]
		anon.Anonymous = true
		_, err = s.Save(ctx, "drill-1", "alice", anon)
		if injectors.ErrorCode(err) != injectors.ECONFLICT || !strings.Contains(injectors.ErrorMessage(err), "first saved with your name") {
			t.Fatalf("alice switching to anonymous: %v, expected a conflict", err)
		}
	})
	t.Run("without keys nobody answers anonymously and the retro does not close", func(t *testing.T) {
		bare := retro.NewService(h.Engine, h.DB, nil)
		_, err := bare.Save(ctx, "drill-1", "carol", retro.Answers{WentWell: "x", Anonymous: true})
		if injectors.ErrorCode(err) != injectors.EINVALID || !strings.Contains(injectors.ErrorMessage(err), "records.keys") {
			t.Fatalf("anonymous save without keys: %v", err)
		}
		err = bare.Close(ctx, "drill-1", "fiona")
		if injectors.ErrorCode(err) != injectors.EINTERNAL || !strings.Contains(injectors.ErrorMessage(err), "do not open") {
			t.Fatalf("close without the keys that sealed the answers: %v, expected a refusal (the answers would be lost)", err)
		}
	})
	t.Run("the close publishes them without their author", func(t *testing.T) {
		if err := s.Close(ctx, "drill-1", "fiona"); err != nil {
			t.Fatal(err)
		}
		evs, err := h.DB.Events(ctx, "drill-1", 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		r := retro.Project(h.Drill("drill-1"), evs)
		if len(r.Published) != 1 || r.Published[0].PersonID != "" || r.Published[0].Better != "bob-edited-better" || r.Published[0].Before != 2 {
			t.Fatalf("published %+v, expected bob's latest answers without his id", r.Published)
		}
		for _, e := range evs {
			if e.Type == retro.EventClosed && (e.Actor != "fiona" || strings.Contains(string(e.Payload), `"bob"`)) {
				t.Fatalf("the close names bob: %s", e.Payload)
			}
		}
	})
}

func TestUnlink_OrdersEachSectionOnItsOwn(t *testing.T) {
	got := retro.Unlink([]retro.Answers{
		{PersonID: "p1", WentWell: "b", Lacking: "a", Before: 3, After: 4, Extra: map[string]string{"x": "2"}},
		{PersonID: "p2", WentWell: "a", Lacking: "b", Before: 1, After: 5},
	})
	if len(got) != 2 || got[0].PersonID != "" || got[0].WentWell != "a" || got[0].Lacking != "a" || got[1].WentWell != "b" {
		t.Fatalf("unlinked %+v, expected each section sorted and no person", got)
	}
	if got[0].Before != 1 || got[0].After != 5 || got[1].Before != 3 || got[1].After != 4 {
		t.Fatalf("pairs %+v, expected before/after kept together, ordered by value", got)
	}
	if got[0].Extra != nil || got[1].Extra["x"] != "2" || !got[0].Anonymous {
		t.Fatalf("extra %+v", got)
	}
}
