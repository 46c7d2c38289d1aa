// Package retrotest plays a whole drill and its retrospective on the
// controltest harness (real engine, real SQLite, fake clock), so that the
// retro, the record and the drill room can be tested against the same
// deterministic journal.
package retrotest

import (
	"crypto/sha256"
	"encoding/binary"
	"testing"
	"time"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/control/controltest"
	"github.com/firedrill/firedrill/control/retro"
	"github.com/firedrill/firedrill/control/seal"
	"github.com/firedrill/firedrill/scenarios"
)

const m = time.Minute

// People are the people of the played drill.
var People = []control.Person{
	{ID: "fiona", Name: "Fiona", Role: control.RoleFacilitator},
	{ID: "dana", Name: "Dana", Role: control.RoleDesigner},
	{ID: "oscar", Name: "Oscar", Role: control.RoleObserver},
	{ID: "alice", Name: "Alice", Role: control.RoleParticipant},
	{ID: "bob", Name: "Bob", Role: control.RoleParticipant},
	{ID: "carol", Name: "Carol", Role: control.RoleParticipant},
}

// Scenario is controltest.PaymentScenario with a designer, a solution and
// two extra retro questions (one a 1–5 realism scale).
func Scenario() *scenarios.Scenario {
	s := controltest.PaymentScenario()
	s.Metadata.Designer = "Dana"
	s.Solution = "Roll the DB pool size back to 20, switch the coupon flag off, then extract the affected orders."
	s.Retro.Questions = []scenarios.RetroQuestion{
		{ID: "realism", Text: "How realistic was the scenario?", Type: scenarios.FieldScale},
		{ID: "alert-gap", Text: "Which alert would have caught it sooner?", Type: scenarios.FieldTextarea},
	}
	return s
}

// PlayDrill creates drill id from Scenario on the harness and plays it to
// its natural end with Play.
func PlayDrill(t testing.TB, h *controltest.Harness, id string) {
	t.Helper()
	if _, err := h.Engine.CreateDrill(h.Ctx, control.DrillRequest{ID: id, Scenario: Scenario(), Actor: "fiona"}); err != nil {
		t.Fatal(err)
	}
	AddPeople(t, h, id)
	must(t, h.Engine.StartBriefing(h.Ctx, id, "fiona"))
	Play(t, h, id)
}

// AddPeople adds People to drill id.
func AddPeople(t testing.TB, h *controltest.Harness, id string) {
	t.Helper()
	for _, p := range People {
		if _, err := h.Engine.AddPerson(h.Ctx, id, p, "fiona"); err != nil {
			t.Fatal(err)
		}
	}
}

// Play starts drill id, a drill of Scenario in its briefing with People,
// and plays it to its natural end: alice acknowledges at 3m, bob posts the
// incident notice at 6m and answers the customer center at 7m, the faults
// are fixed, the resolution notice goes out at 45m, the drill ends itself
// and its retro opens. The observer writes one strength and one weakness
// note.
func Play(t testing.TB, h *controltest.Harness, id string) {
	t.Helper()
	e := h.Engine
	must(t, e.Start(h.Ctx, id, "fiona"))
	post := func(who, ch, text string) {
		t.Helper()
		if _, err := e.PostMessage(h.Ctx, id, control.PostMessage{Channel: ch, AuthorID: who, AuthorKind: control.AuthorPerson, Text: text}); err != nil {
			t.Fatal(err)
		}
	}
	note := func(tag, text string) {
		t.Helper()
		if _, err := e.AppendEvent(h.Ctx, id, control.EventObserverNote, "oscar", map[string]string{"authorId": "oscar", "authorName": "Oscar", "tag": tag, "text": text}); err != nil {
			t.Fatal(err)
		}
	}
	h.AdvanceTo(id, 3*m)
	post("alice", "incident", "Payments are failing, I'm on it")
	h.AdvanceTo(id, 4*m)
	note("strength", "Acknowledged within minutes and split recovery from propagation.")
	h.AdvanceTo(id, 6*m)
	if _, err := e.PostNotice(h.Ctx, id, control.PostNotice{Kind: scenarios.NoticeIncident, AuthorID: "bob", Fields: map[string]string{"start": "14:00", "impact": "users can't pay", "grade": "P1"}}); err != nil {
		t.Fatal(err)
	}
	h.AdvanceTo(id, 7*m)
	post("bob", "cs", "We are on it, back in ~20 min")
	h.AdvanceTo(id, 12*m)
	note("weakness", "Nobody checked the config changes of the last 24 hours until 20 minutes in.")
	h.AdvanceTo(id, 20*m)
	h.Injector.Fix("db-config")
	h.AdvanceTo(id, 25*m)
	must(t, e.MarkFaultResolved(h.Ctx, id, "coupon-flag", "fiona"))
	h.AdvanceTo(id, 30*m)
	h.Injector.Fix("cache-evict")
	h.AdvanceTo(id, 40*m)
	h.Injector.Fix("late-batch")
	h.AdvanceTo(id, 45*m)
	if _, err := e.PostNotice(h.Ctx, id, control.PostNotice{Kind: scenarios.NoticeResolution, AuthorID: "bob", Fields: map[string]string{"end": "14:45", "cause": "pool size"}}); err != nil {
		t.Fatal(err)
	}
	h.AdvanceTo(id, 46*m)
	if got := h.Drill(id).State; got != control.StateRetro {
		t.Fatalf("drill %s is %s after its resolution, expected retro", id, got)
	}
}

// Answers are the submitted answers PlayRetro stores, by person. Dana, the
// designer, rates nothing: only participants rate themselves.
var Answers = map[string]retro.Answers{
	"alice": {WentWell: "We split recovery and comms early.", Lacking: "I did not know where the DB config lives; a runbook would help.", Better: "Check recent changes first.", Before: 2, After: 4, Extra: map[string]string{"realism": "5"}},
	"bob":   {WentWell: "The incident notice went out at 6 minutes.", Lacking: "I was unsure what to tell the customer center.", Better: "Use the notice template.", Before: 2, After: 3, Extra: map[string]string{"realism": "4", "alert-gap": "Pool saturation"}, Anonymous: true},
	"carol": {WentWell: "Good chat discipline.", Lacking: "Too many channels to watch.", Better: "Fewer notification channels.", Before: 1, After: 3},
	"dana":  {WentWell: "The team found both faults.", Lacking: "The coupon fault was too hidden.", Better: "Give the customer center a second inquiry."},
}

// PlayRetro fills the retro of a drill PlayDrill played: four people
// submit (bob anonymously), the observer leaves a draft, a question is asked
// and answered, three actions are proposed (two accepted, one rejected) and
// the facilitator runs the presentation order. It does not close the retro.
func PlayRetro(t testing.TB, h *controltest.Harness, id string) *retro.Service {
	t.Helper()
	s := retro.NewService(h.Engine, h.DB, Keys())
	ctx := h.Ctx
	for _, who := range []string{"alice", "bob", "carol", "dana"} {
		a := Answers[who]
		draft := a
		draft.Before, draft.After = 0, 0
		if _, err := s.Save(ctx, id, who, draft); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Submit(ctx, id, who, a); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Save(ctx, id, "oscar", retro.Answers{WentWell: "Calm communication."}); err != nil {
		t.Fatal(err)
	}
	q, err := s.Ask(ctx, id, "carol", "Why did the alert not fire for the coupon flag?")
	if err != nil {
		t.Fatal(err)
	}
	must(t, s.MarkAnswered(ctx, id, q, "fiona"))
	a1, err := s.Propose(ctx, id, "alice", retro.Action{Title: "Alert on DB pool saturation", Kind: retro.KindAlert, Owner: "alice", Due: "2026-12-15"})
	must(t, err)
	a2, err := s.Propose(ctx, id, "dana", retro.Action{Title: "Runbook: where payment config lives", Kind: retro.KindRunbook, Owner: "dana", Due: "2026-12-01"})
	must(t, err)
	a3, err := s.Propose(ctx, id, "carol", retro.Action{Title: "Merge the alert channels", Kind: retro.KindProcess})
	must(t, err)
	must(t, s.Decide(ctx, id, a1, "fiona", true))
	must(t, s.Decide(ctx, id, a2, "fiona", true))
	must(t, s.Decide(ctx, id, a3, "fiona", false))
	if _, err := s.Next(ctx, id, "fiona"); err != nil {
		t.Fatal(err)
	}
	return s
}

// KeySpec is the record key of the played retros.
const KeySpec = "test:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="

// Keys returns the keyring that seals the played retros' anonymous answers.
// Its nonces are a fixed sequence, fresh for each call, so that a played
// journal is the same byte for byte on every run (the golden records);
// never do that outside tests.
func Keys() *seal.Keyring {
	k, err := seal.ParseKeys([]string{KeySpec})
	if err != nil {
		panic(err)
	}
	return k.WithNonces(&counter{})
}

// counter is a reader of a reproducible byte stream: SHA-256 of a counter.
type counter struct {
	n   uint64
	buf []byte
}

func (c *counter) Read(p []byte) (int, error) {
	for len(c.buf) < len(p) {
		c.n++
		sum := sha256.Sum256(binary.BigEndian.AppendUint64(nil, c.n))
		c.buf = append(c.buf, sum[:]...)
	}
	n := copy(p, c.buf)
	c.buf = c.buf[n:]
	return n, nil
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
