package retro

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/injectors"
)

// Engine is what the retro needs from the drill engine; *control.Engine
// implements it.
type Engine interface {
	Drill(ctx context.Context, id string) (*control.Drill, error)
	AppendEvent(ctx context.Context, id, typ, actor string, payload any) (control.Event, error)
}

// Journal reads a drill's durable events; control.Store implements it.
type Journal interface {
	Events(ctx context.Context, drillID string, afterSeq int64, limit int) ([]control.Event, error)
}

// drillCloser is implemented by an engine that can close a drill after its
// retro; *control.Engine does.
type drillCloser interface {
	CloseDrill(ctx context.Context, id, actor string) error
}

// Service runs retros. It keeps no state of its own: every call projects
// the drill's journal, validates the request against the projection and
// appends one event. Concurrent requests are ordered by the journal, and the
// projection applies the rules in that order, so a save that races the
// close is ignored rather than half-applied.
//
// Keys seal anonymous answers; without them a person cannot answer
// anonymously. mu orders the service's own writes, so that the close
// publishes every anonymous answer saved before it.
type Service struct {
	Engine  Engine
	Journal Journal
	Keys    Sealer
	mu      sync.Mutex
}

// NewService returns a retro service over the engine and the journal that
// seals anonymous answers with keys (which may be nil: then nobody can
// answer anonymously).
func NewService(e Engine, j Journal, keys Sealer) *Service {
	return &Service{Engine: e, Journal: j, Keys: keys}
}

// Project folds the drill's journal into its retro with the service's keys
// (see ProjectWith).
func (s *Service) Project(d *control.Drill, events []control.Event) *Retro {
	return ProjectWith(d, events, s.Keys)
}

// Load returns the drill and its retro.
func (s *Service) Load(ctx context.Context, drillID string) (*control.Drill, *Retro, error) {
	d, err := s.Engine.Drill(ctx, drillID)
	if err != nil {
		return nil, nil, err
	}
	evs, err := s.Journal.Events(ctx, drillID, 0, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("retro of drill %s: %w", drillID, err)
	}
	return d, s.Project(d, evs), nil
}

func (s *Service) open(ctx context.Context, drillID string) (*control.Drill, *Retro, error) {
	d, r, err := s.Load(ctx, drillID)
	if err != nil {
		return nil, nil, err
	}
	if !r.Open {
		if r.Closed || d.State == control.StateClosed {
			return nil, nil, injectors.Errorf(injectors.ECONFLICT, "the retro of drill %s is closed", drillID)
		}
		return nil, nil, injectors.Errorf(injectors.ECONFLICT, "drill %s is %s; the retro opens when the drill ends", drillID, d.State)
	}
	return d, r, nil
}

// Save stores a person's answers as a draft. Drafts may be incomplete; they
// are durable, so nothing typed is lost on a reload. Saving after a
// submission keeps it submitted while the answers stay complete.
func (s *Service) Save(ctx context.Context, drillID, personID string, a Answers) (int64, error) {
	return s.save(ctx, drillID, personID, a, false)
}

// Submit stores a person's answers as submitted: both self-ratings and the
// scenario's required questions are needed.
func (s *Service) Submit(ctx context.Context, drillID, personID string, a Answers) (int64, error) {
	return s.save(ctx, drillID, personID, a, true)
}

func (s *Service) save(ctx context.Context, drillID, personID string, a Answers, submit bool) (int64, error) {
	if personID == "" {
		return 0, injectors.Errorf(injectors.EINVALID, "retro answers need a person")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	d, r, err := s.open(ctx, drillID)
	if err != nil {
		return 0, err
	}
	if en := r.Entries[personID]; en != nil && en.Sealed != a.Anonymous {
		how := "with your name"
		if en.Sealed {
			how = "anonymously"
		}
		return 0, injectors.Errorf(injectors.ECONFLICT, "your answers were first saved %s, and that choice is kept until the retro closes: answers saved under a name stay in the drill's journal", how)
	}
	if a.Anonymous && s.Keys == nil {
		return 0, injectors.Errorf(injectors.EINVALID, "anonymous answers need the record keys (records.keys), and none are configured")
	}
	a.PersonID = personID
	a.WentWell, a.Lacking, a.Better = control.CleanText(a.WentWell), control.CleanText(a.Lacking), control.CleanText(a.Better)
	for k, v := range a.Extra {
		if strings.TrimSpace(v) == "" {
			delete(a.Extra, k)
		} else {
			a.Extra[k] = control.CleanText(v)
		}
	}
	if err := a.Check(d.Scenario, RoleOf(d, personID), submit); err != nil {
		return 0, err
	}
	typ := EventDraft
	if submit {
		typ = EventSubmitted
	}
	if a.Anonymous {
		// Drafts included: nothing anonymous is journaled under the
		// person's id or in the clear.
		p, err := sealAnswers(s.Keys, a)
		if err != nil {
			return 0, err
		}
		e, err := s.Engine.AppendEvent(ctx, drillID, typ, AnonymousActor, p)
		if err != nil {
			return 0, fmt.Errorf("save anonymous retro answers: %w", err)
		}
		return e.Seq, nil
	}
	e, err := s.Engine.AppendEvent(ctx, drillID, typ, personID, a)
	if err != nil {
		return 0, fmt.Errorf("save retro answers of %s: %w", personID, err)
	}
	return e.Seq, nil
}

// Ask adds a question to the queue; anyone may.
func (s *Service) Ask(ctx context.Context, drillID, actor, text string) (string, error) {
	text = strings.TrimSpace(control.CleanText(text))
	if text == "" {
		return "", injectors.Errorf(injectors.EINVALID, "question text is required")
	}
	if n := utf8.RuneCountInString(text); n > MaxTextRunes {
		return "", injectors.Errorf(injectors.EINVALID, "question is %d characters long, at most %d are allowed", n, MaxTextRunes)
	}
	if _, _, err := s.open(ctx, drillID); err != nil {
		return "", err
	}
	e, err := s.Engine.AppendEvent(ctx, drillID, EventQuestion, actor, Question{AuthorID: actor, Text: text})
	if err != nil {
		return "", fmt.Errorf("ask question: %w", err)
	}
	return QuestionID(e.Seq), nil
}

// MarkAnswered marks a queued question answered; the facilitator does.
func (s *Service) MarkAnswered(ctx context.Context, drillID, questionID, actor string) error {
	_, r, err := s.open(ctx, drillID)
	if err != nil {
		return err
	}
	q := r.Question(questionID)
	if q == nil {
		return injectors.Errorf(injectors.ENOTFOUND, "the retro has no question %q", questionID)
	}
	if q.Answered {
		return injectors.Errorf(injectors.ECONFLICT, "question %s is already answered", questionID)
	}
	if _, err := s.Engine.AppendEvent(ctx, drillID, EventQuestionAnswered, actor, Ref{ID: questionID}); err != nil {
		return fmt.Errorf("mark question %s answered: %w", questionID, err)
	}
	return nil
}

// Propose proposes a follow-up action; anyone may.
func (s *Service) Propose(ctx context.Context, drillID, actor string, a Action) (string, error) {
	a.ID, a.Status, a.ProposedBy = "", "", ""
	if err := a.Check(); err != nil {
		return "", err
	}
	if _, _, err := s.open(ctx, drillID); err != nil {
		return "", err
	}
	e, err := s.Engine.AppendEvent(ctx, drillID, EventActionProposed, actor, a)
	if err != nil {
		return "", fmt.Errorf("propose action: %w", err)
	}
	return ActionID(e.Seq), nil
}

// Decide accepts or rejects a proposed action; the facilitator does. A
// decision can be changed while the retro is open.
func (s *Service) Decide(ctx context.Context, drillID, actionID, actor string, accept bool) error {
	_, r, err := s.open(ctx, drillID)
	if err != nil {
		return err
	}
	if r.Action(actionID) == nil {
		return injectors.Errorf(injectors.ENOTFOUND, "the retro has no action %q", actionID)
	}
	if _, err := s.Engine.AppendEvent(ctx, drillID, EventActionDecided, actor, Decision{ID: actionID, Accepted: accept}); err != nil {
		return fmt.Errorf("decide action %s: %w", actionID, err)
	}
	return nil
}

// Present gives the floor to a person of the drill; the facilitator does.
func (s *Service) Present(ctx context.Context, drillID, personID, actor string) error {
	d, _, err := s.open(ctx, drillID)
	if err != nil {
		return err
	}
	if _, ok := d.Person(personID); !ok {
		return injectors.Errorf(injectors.ENOTFOUND, "person %q is not in drill %s", personID, drillID)
	}
	if _, err := s.Engine.AppendEvent(ctx, drillID, EventPresenting, actor, Ref{ID: personID}); err != nil {
		return fmt.Errorf("present %s: %w", personID, err)
	}
	return nil
}

// Next gives the floor to the next person in the presentation order and
// returns their id, or "" when everyone has presented.
func (s *Service) Next(ctx context.Context, drillID, actor string) (string, error) {
	d, r, err := s.open(ctx, drillID)
	if err != nil {
		return "", err
	}
	order := PresentationOrder(d.People)
	next := ""
	for i, p := range order {
		if r.Presenting == "" {
			next = p.ID
			break
		}
		if p.ID == r.Presenting && i+1 < len(order) {
			next = order[i+1].ID
			break
		}
	}
	if next == "" {
		return "", nil
	}
	if _, err := s.Engine.AppendEvent(ctx, drillID, EventPresenting, actor, Ref{ID: next}); err != nil {
		return "", fmt.Errorf("present %s: %w", next, err)
	}
	return next, nil
}

// Close closes the retro: no answer changes after it. Then it closes the
// drill when the engine can, which the engine refuses while a fault is not
// reverted yet.
//
// The close publishes the submitted anonymous answers, without their
// authors and ordered per section (see Closing), so that the record shows
// them; it is refused while an anonymous answer cannot be opened, as it
// would be lost.
func (s *Service) Close(ctx context.Context, drillID, actor string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, r, err := s.open(ctx, drillID)
	if err != nil {
		return err
	}
	if r.Unopened > 0 {
		return injectors.Errorf(injectors.EINTERNAL, "the retro of drill %s holds %d anonymous saves the record keys do not open: put back the key that sealed them (records.keys) before closing, or their answers are lost", drillID, r.Unopened)
	}
	var payload any
	if r.AnonymousSaves > 0 {
		var anon []Answers
		for _, en := range r.Entries {
			if en.Sealed && en.Submitted {
				anon = append(anon, en.Answers)
			}
		}
		payload = Closing{Anonymous: Unlink(anon)}
	}
	if _, err := s.Engine.AppendEvent(ctx, drillID, EventClosed, actor, payload); err != nil {
		return fmt.Errorf("close retro: %w", err)
	}
	if c, ok := s.Engine.(drillCloser); ok {
		if err := c.CloseDrill(ctx, drillID, actor); err != nil {
			return fmt.Errorf("the retro is closed but drill %s is not: %w", drillID, err)
		}
	}
	return nil
}
