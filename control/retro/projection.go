package retro

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/scenarios"
)

// Entry is one person's answers as the retro knows them: the latest save,
// and whether it is submitted.
type Entry struct {
	Answers
	Name string       `json:"name"`
	Role control.Role `json:"role,omitempty"`
	// Submitted is set once the person submitted; a later save that leaves
	// the answers incomplete turns it back into a draft.
	Submitted bool `json:"submitted"`
	// Saves counts the durable saves (drafts and submissions).
	Saves int `json:"saves"`
	// Seq is the sequence number of the latest save.
	Seq int64 `json:"seq"`
	// Sealed reports that the answers were saved anonymously, sealed: they
	// are known only to a projection made with the keys (ProjectWith).
	Sealed bool `json:"-"`
}

// Ignored is a retro event the projection did not apply, with why: the
// journal keeps everything, the projection applies only what the rules
// allow in journal order (for example nothing after the retro closed).
type Ignored struct {
	Seq    int64  `json:"seq"`
	Type   string `json:"type"`
	Reason string `json:"reason"`
}

// Retro is the retrospective of one drill, projected from its journal.
type Retro struct {
	DrillID string `json:"drillId"`
	// Open reports whether answers may change: the drill has ended (by
	// resolution, the cap or an abort) and the retro is not closed.
	Open   bool `json:"open"`
	Closed bool `json:"closed"`
	// Entries are the answers per person id.
	Entries   map[string]*Entry `json:"entries"`
	Questions []Question        `json:"questions"`
	Actions   []Action          `json:"actions"`
	// Presenting is the person whose turn it is to present.
	Presenting string    `json:"presenting,omitempty"`
	Ignored    []Ignored `json:"ignored,omitempty"`
	// AnonymousSaves counts the sealed, anonymous saves in the journal;
	// Unopened those a projection could not open (no key, or not the key
	// that sealed them).
	AnonymousSaves int `json:"anonymousSaves,omitempty"`
	Unopened       int `json:"-"`
	// Published are the anonymous answers published when the retro closed,
	// without their authors (see Closing).
	Published []Answers `json:"published,omitempty"`
	// Seq is the journal position the projection has seen.
	Seq int64 `json:"seq"`
}

// IsRetroEvent reports whether typ is a retro event type.
func IsRetroEvent(typ string) bool { return control.InNamespace(typ, control.NamespaceRetro) }

// retroStates are the drill states in which the retro is open.
func retroState(s control.DrillState) bool {
	return s == control.StateEnded || s == control.StateAborted || s == control.StateRetro
}

// Project folds the drill's journal into its retro. d gives the people and
// the drill state; events is the journal from sequence 1 (events of other
// types are skipped).
//
// Project has no keys: anonymous answers are only counted (AnonymousSaves)
// until the close publishes them. The record is built this way, so that
// anyone can re-derive it from the journal.
func Project(d *control.Drill, events []control.Event) *Retro {
	return ProjectWith(d, events, nil)
}

// ProjectWith is Project with the keys that open anonymous answers: each
// person's anonymous answers are in Entries under their id, for the server
// to show them their own form and who has submitted. What it returns must
// not leave the server as it is (see Retro.Statuses and FormFor).
func ProjectWith(d *control.Drill, events []control.Event, keys Sealer) *Retro {
	r := &Retro{DrillID: d.ID, Entries: map[string]*Entry{}, Questions: []Question{}, Actions: []Action{}}
	for i := range events {
		r.apply(d, &events[i], keys)
	}
	r.Open = retroState(d.State) && !r.Closed
	return r
}

func (r *Retro) ignore(e *control.Event, format string, args ...any) {
	r.Ignored = append(r.Ignored, Ignored{Seq: e.Seq, Type: e.Type, Reason: fmt.Sprintf(format, args...)})
}

func (r *Retro) apply(d *control.Drill, e *control.Event, keys Sealer) {
	r.Seq = e.Seq
	if !IsRetroEvent(e.Type) {
		return
	}
	if r.Closed {
		r.ignore(e, "the retro was already closed")
		return
	}
	switch e.Type {
	case EventDraft, EventSubmitted:
		if a, sealed, ok := r.answersOf(e, keys); ok {
			r.applyAnswers(d, e, a, sealed)
		}
	case EventQuestion:
		var q Question
		if err := json.Unmarshal(e.Payload, &q); err != nil {
			r.ignore(e, "payload: %v", err)
			return
		}
		q.ID, q.At, q.Answered, q.AuthorID = QuestionID(e.Seq), e.Seq, false, e.Actor
		r.Questions = append(r.Questions, q)
	case EventQuestionAnswered:
		var ref Ref
		_ = json.Unmarshal(e.Payload, &ref)
		q := r.Question(ref.ID)
		if q == nil {
			r.ignore(e, "no question %q", ref.ID)
			return
		}
		q.Answered = true
	case EventActionProposed:
		var a Action
		if err := json.Unmarshal(e.Payload, &a); err != nil {
			r.ignore(e, "payload: %v", err)
			return
		}
		if err := a.Check(); err != nil {
			r.ignore(e, "%s", injectors.ErrorMessage(err))
			return
		}
		a.ID, a.ProposedBy, a.Status = ActionID(e.Seq), e.Actor, ActionProposed
		r.Actions = append(r.Actions, a)
	case EventActionDecided:
		var dec Decision
		_ = json.Unmarshal(e.Payload, &dec)
		a := r.Action(dec.ID)
		if a == nil {
			r.ignore(e, "no action %q", dec.ID)
			return
		}
		if dec.Accepted {
			a.Status = ActionAccepted
		} else {
			a.Status = ActionRejected
		}
	case EventPresenting:
		var ref Ref
		_ = json.Unmarshal(e.Payload, &ref)
		r.Presenting = ref.ID
	case EventClosed:
		r.Closed = true
		var c Closing
		if len(e.Payload) > 0 && json.Unmarshal(e.Payload, &c) == nil && c.Anonymous != nil {
			r.Published = Unlink(c.Anonymous)
		}
	default:
		r.ignore(e, "unknown retro event type")
	}
}

// answersOf reads the answers a save carries: named answers from the
// payload, anonymous ones opened with the keys. ok is false when the save
// is not applied (no keys, or a payload the rules refuse).
func (r *Retro) answersOf(e *control.Event, keys Sealer) (a Answers, sealed, ok bool) {
	if e.Actor == AnonymousActor {
		r.AnonymousSaves++
		if keys == nil {
			r.Unopened++
			return a, true, false
		}
		a, err := openAnswers(keys, e.Payload)
		if err != nil {
			r.Unopened++
			r.ignore(e, "%v", err)
			return a, true, false
		}
		return a, true, true
	}
	if err := json.Unmarshal(e.Payload, &a); err != nil {
		r.ignore(e, "payload: %v", err)
		return a, false, false
	}
	if a.PersonID != e.Actor {
		r.ignore(e, "answers of %s saved by %s", a.PersonID, e.Actor)
		return a, false, false
	}
	return a, false, true
}

// applyAnswers applies a person's save. Whether a person answers
// anonymously is chosen at their first save and kept: answers saved under
// their name would otherwise stay linked to them in the journal.
func (r *Retro) applyAnswers(d *control.Drill, e *control.Event, a Answers, sealed bool) {
	complete := a.Complete(d.Scenario, RoleOf(d, a.PersonID))
	if e.Type == EventSubmitted && !complete {
		r.ignore(e, "incomplete answers cannot be submitted")
		return
	}
	en := r.Entries[a.PersonID]
	if en != nil && en.Sealed != sealed {
		r.ignore(e, "whether a person answers anonymously is chosen at their first save")
		return
	}
	if en == nil {
		en = &Entry{Name: a.PersonID, Role: RoleOf(d, a.PersonID), Sealed: sealed}
		if p, ok := d.Person(a.PersonID); ok {
			en.Name = p.Name
		} else if a.PersonID == "facilitator" {
			en.Name = "Facilitator"
		}
		r.Entries[a.PersonID] = en
	}
	en.Answers = a
	en.Saves++
	en.Seq = e.Seq
	if e.Type == EventSubmitted {
		en.Submitted = true
	} else if !complete {
		en.Submitted = false
	}
}

// AnonymousSubmitted returns how many people have submitted anonymous
// answers (known to a projection made with the keys): the facilitator sees
// this count, never whose they are.
func (r *Retro) AnonymousSubmitted() int {
	n := 0
	for _, en := range r.Entries {
		if en.Sealed && en.Submitted {
			n++
		}
	}
	return n
}

// QuestionID returns the id of the question asked by event seq.
func QuestionID(seq int64) string { return fmt.Sprintf("q%d", seq) }

// ActionID returns the id of the action proposed by event seq.
func ActionID(seq int64) string { return fmt.Sprintf("a%d", seq) }

// Question returns the queued question with the id, or nil.
func (r *Retro) Question(id string) *Question {
	for i := range r.Questions {
		if r.Questions[i].ID == id {
			return &r.Questions[i]
		}
	}
	return nil
}

// Action returns the action with the id, or nil.
func (r *Retro) Action(id string) *Action {
	for i := range r.Actions {
		if r.Actions[i].ID == id {
			return &r.Actions[i]
		}
	}
	return nil
}

// Accepted returns the accepted actions in the order they were proposed.
func (r *Retro) Accepted() []Action {
	out := []Action{}
	for _, a := range r.Actions {
		if a.Status == ActionAccepted {
			out = append(out, a)
		}
	}
	return out
}

// roleRank is the practice's presentation order: participants first so that
// nobody's voice is buried, then the designer, the observer, the facilitator.
func roleRank(r control.Role) int {
	switch r {
	case control.RoleParticipant:
		return 0
	case control.RoleDesigner:
		return 1
	case control.RoleObserver:
		return 2
	case control.RoleFacilitator:
		return 3
	}
	return 4
}

// PresentationOrder returns the drill's people in the order they present:
// participants, then designer, observer and facilitator, each group in the
// order they joined the drill.
func PresentationOrder(people []control.Person) []control.Person {
	out := append([]control.Person(nil), people...)
	sort.SliceStable(out, func(i, j int) bool { return roleRank(out[i].Role) < roleRank(out[j].Role) })
	return out
}

// Status is one person's progress on the form, for the facilitator's view.
type Status struct {
	PersonID  string       `json:"personId"`
	Name      string       `json:"name"`
	Role      control.Role `json:"role"`
	Started   bool         `json:"started"`
	Submitted bool         `json:"submitted"`
}

// Statuses returns who has started and who has submitted, in presentation
// order. A person who answers anonymously shows as started or submitted
// like anyone else (with the keys; see ProjectWith): the status says that
// they answered, never which answer is theirs nor that it is anonymous.
func (r *Retro) Statuses(people []control.Person) []Status {
	var out []Status
	for _, p := range PresentationOrder(people) {
		st := Status{PersonID: p.ID, Name: p.Name, Role: p.Role}
		if en := r.Entries[p.ID]; en != nil {
			st.Started, st.Submitted = true, en.Submitted
		}
		out = append(out, st)
	}
	return out
}

// Ratings are the before/after self-ratings of the submitted answers.
type Ratings struct {
	// Count is how many submitted answer sets the averages cover.
	Count int `json:"count"`
	// Before and After are the averages, rounded to two decimals.
	Before float64 `json:"before"`
	After  float64 `json:"after"`
	// ChangePct is (After−Before)/Before in percent, rounded to a whole
	// number (the source reports 2.0 → 3.7 as +85%).
	ChangePct float64 `json:"changePct"`
	// Pairs are the individual (before, after) ratings, sorted, without
	// names: the chart shows the spread, never who rated what.
	Pairs [][2]int `json:"pairs"`
}

// Ratings returns the averages of the participants' submitted
// self-ratings: only participants are trained by the drill, so staff (an
// observer, the designer, the facilitator) never move the averages.
// Anonymous answers count once the close has published them.
func (r *Retro) Ratings() Ratings {
	var pairs [][2]int
	for _, en := range r.Entries {
		// Sealed answers count once published, never before: a total that
		// moved when one person submitted would tell their ratings.
		if en.Submitted && !en.Sealed && (en.Role == "" || en.Role == control.RoleParticipant) {
			pairs = append(pairs, [2]int{en.Before, en.After})
		}
	}
	for _, a := range r.Published {
		// Only participants rate themselves (Check refuses the others).
		if a.Before > 0 && a.After > 0 {
			pairs = append(pairs, [2]int{a.Before, a.After})
		}
	}
	return RatingsOf(pairs)
}

// RatingsOf summarises (before, after) pairs.
func RatingsOf(pairs [][2]int) Ratings {
	out := Ratings{Pairs: [][2]int{}}
	var b, a int
	for _, p := range pairs {
		b += p[0]
		a += p[1]
		out.Pairs = append(out.Pairs, p)
	}
	sort.Slice(out.Pairs, func(i, j int) bool {
		if out.Pairs[i][0] != out.Pairs[j][0] {
			return out.Pairs[i][0] < out.Pairs[j][0]
		}
		return out.Pairs[i][1] < out.Pairs[j][1]
	})
	out.Count = len(pairs)
	if out.Count == 0 {
		return out
	}
	out.Before = Round2(float64(b) / float64(out.Count))
	out.After = Round2(float64(a) / float64(out.Count))
	out.ChangePct = ChangePct(float64(b)/float64(out.Count), float64(a)/float64(out.Count))
	return out
}

// ChangePct returns (after−before)/before in whole percent, 0 when before
// is 0.
func ChangePct(before, after float64) float64 {
	if before == 0 {
		return 0
	}
	return math.Round((after - before) / before * 100)
}

// Round2 rounds to two decimals.
func Round2(v float64) float64 { return math.Round(v*100) / 100 }

// Form is what the retro form shows a person: the blameless copy, the
// questions of their role (see QuestionsFor), and their saved answers.
type Form struct {
	Blameless string       `json:"blameless"`
	Role      control.Role `json:"role"`
	// SelfRating reports whether the before/after self-ratings are asked.
	SelfRating bool                      `json:"selfRating"`
	Questions  []scenarios.RetroQuestion `json:"questions"`
	Answers    Answers                   `json:"answers"`
	Submitted  bool                      `json:"submitted"`
	Open       bool                      `json:"open"`
	// Saved is the sequence number of the latest durable save.
	Saved int64 `json:"saved"`
}

// FormFor returns the form of the person.
func (r *Retro) FormFor(d *control.Drill, personID string) Form {
	set := QuestionsFor(RoleOf(d, personID), d.Scenario)
	f := Form{Blameless: Blameless, Role: set.Role, SelfRating: set.SelfRating, Questions: set.Questions, Open: r.Open, Answers: Answers{PersonID: personID}}
	if en := r.Entries[personID]; en != nil {
		f.Answers, f.Submitted, f.Saved = en.Answers, en.Submitted, en.Seq
	}
	return f
}

// Presented is the presenting person's answers, as the facilitator reads
// them during the presentations. Anonymous answers are not shown under the
// presenter's name: Anonymous is set and Answers left empty.
type Presented struct {
	PersonID  string                    `json:"personId"`
	Name      string                    `json:"name"`
	Role      control.Role              `json:"role"`
	Questions []scenarios.RetroQuestion `json:"questions"`
	Answered  bool                      `json:"answered"`
	Submitted bool                      `json:"submitted"`
	Anonymous bool                      `json:"anonymous,omitempty"`
	Answers   *Answers                  `json:"answers,omitempty"`
}

// PresentingAnswers returns the answers of the person presenting, or nil
// when nobody presents.
func (r *Retro) PresentingAnswers(d *control.Drill) *Presented {
	if r.Presenting == "" {
		return nil
	}
	set := QuestionsFor(RoleOf(d, r.Presenting), d.Scenario)
	p := &Presented{PersonID: r.Presenting, Name: r.Presenting, Role: set.Role, Questions: set.Questions}
	if pp, ok := d.Person(r.Presenting); ok {
		p.Name = pp.Name
	}
	en := r.Entries[r.Presenting]
	if en == nil {
		return p
	}
	p.Answered, p.Submitted, p.Anonymous = true, en.Submitted, en.Anonymous
	if !en.Anonymous {
		a := en.Answers
		p.Answers = &a
	}
	return p
}
