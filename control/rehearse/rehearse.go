// Package rehearse plays a drill with robot participants: the scenario's
// rehearsal section says what each robot does and when (post a notice,
// answer an inject, fix a fault through the cluster API), and the runner
// plays the whole drill on the engine — real faults, probes, chains,
// injects, hints, the cap and the reverts — then reports what happened
// against what the scenario promises. `firedrill rehearse` and the studio's
// Rehearse button are this package wired to the real engine.
package rehearse

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"k8s.io/utils/clock"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/control/record"
	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/scenarios"
)

// Actor is who creates and starts a rehearsal drill.
const Actor = "rehearsal"

// DefaultTimeScale is the drill clock of a rehearsal: a 90-minute drill in
// nine wall seconds.
const DefaultTimeScale = 600

// Fixer fixes faults the way a participant does, through the cluster API
// and never through firedrill's revert.
type Fixer interface {
	// Baseline notes how the targets of the scenario's faults look before
	// the drill, as a participant knows them from the manifests.
	Baseline(ctx context.Context, s *scenarios.Scenario) error
	// Fix puts the fault's target back as the baseline has it, and says
	// what it did (e.g. the kubectl commands a person would have typed).
	Fix(ctx context.Context, f scenarios.Fault) (string, error)
}

// Engine is what a rehearsal needs of the drill engine: the paths a
// facilitator and participants use.
type Engine interface {
	CreateDrill(ctx context.Context, in control.DrillRequest) (*control.Drill, error)
	AddPerson(ctx context.Context, drillID string, p control.Person, actor string) (control.Person, error)
	Start(ctx context.Context, id, actor string) error
	Abort(ctx context.Context, id, actor, why string) error
	Drill(ctx context.Context, id string) (*control.Drill, error)
	Elapsed(ctx context.Context, id string) (time.Duration, error)
	Events(ctx context.Context, id string, afterSeq int64) ([]control.Event, error)
	Subscribe(ctx context.Context, id string, afterSeq int64) (*control.Subscription, error)
	PostMessage(ctx context.Context, drillID string, in control.PostMessage) (control.Message, error)
	PostNotice(ctx context.Context, drillID string, in control.PostNotice) (control.Notice, error)
	MarkFaultResolved(ctx context.Context, id, faultID, actor string) error
	ConfirmFault(ctx context.Context, drillID, faultID, personID string) error
	// CheckProbes asks probes once outside any drill (see Runner.Settle).
	CheckProbes(ctx context.Context, ps []scenarios.Probe) ([]control.CheckResult, error)
}

// Options choose one rehearsal.
type Options struct {
	// DrillID is optional; a random id is used when it is empty.
	DrillID    string
	Scenario   *scenarios.Scenario
	Difficulty scenarios.Difficulty
	// Candidate is the candidate to play, required for a scenario that
	// keeps candidates (see control.DrillRequest).
	Candidate string
	// TimeScale is the drill clock; 0 means DefaultTimeScale.
	TimeScale float64
	// Settle, when set, makes Start wait for a healthy target before it
	// creates the drill (see Runner.Settle); when the target is not
	// healthy in time Start returns a *NotSettledError and Run reports the
	// rehearsal as skipped.
	Settle *SettleOptions
}

// Runner plays rehearsals. Leftovers, when set, lists what still carries
// firedrill's marks for a drill once it is over (the cluster's objects).
type Runner struct {
	Engine    Engine
	Clock     clock.Clock
	Fixer     Fixer
	Leftovers func(ctx context.Context, drillID string) ([]string, error)
}

// Rehearsal is one rehearsal in progress. Start it with Runner.Start, then
// either Wait for it (real clock) or drive it with Step (tests on a fake
// clock), and Report.
type Rehearsal struct {
	r       *Runner
	ID      string
	steps   []*step
	stopped error
	// settle is how the wait for a healthy target before the drill went,
	// when Start waited.
	settle *Settle
}

// Start creates the drill marked as a rehearsal, notes the baseline, adds
// the robots as participants and starts it. With o.Settle it first waits
// for a healthy target (see Runner.Settle).
func (r *Runner) Start(ctx context.Context, o Options) (*Rehearsal, error) {
	if o.Scenario == nil {
		return nil, injectors.Errorf(injectors.EINVALID, "scenario is required")
	}
	if o.Scenario.Rehearsal == nil || len(o.Scenario.Rehearsal.Robots) == 0 {
		return nil, injectors.Errorf(injectors.EINVALID, "scenario %s has no rehearsal section: add rehearsal.robots with their steps (see scenarios/README.md)", o.Scenario.Metadata.Name)
	}
	var settled *Settle
	if o.Settle != nil {
		st, err := r.Settle(ctx, o)
		if err != nil {
			return nil, err
		}
		if !st.Healthy {
			return nil, &NotSettledError{Report: skippedReport(o, st)}
		}
		settled = st
	}
	scale := o.TimeScale
	if scale == 0 {
		scale = DefaultTimeScale
	}
	d, err := r.Engine.CreateDrill(ctx, control.DrillRequest{ID: o.DrillID, Scenario: o.Scenario, Difficulty: o.Difficulty, Candidate: o.Candidate, TimeScale: scale, Rehearsal: true, Actor: Actor,
		Title: "Rehearsal: " + o.Scenario.Metadata.Title})
	if err != nil {
		return nil, fmt.Errorf("create the rehearsal drill: %w", err)
	}
	if err := r.Fixer.Baseline(ctx, d.Scenario); err != nil {
		return nil, fmt.Errorf("note the baseline the robots fix back to: %w", err)
	}
	if _, err := r.Engine.AddPerson(ctx, d.ID, control.Person{ID: Actor, Name: "Rehearsal facilitator", Role: control.RoleFacilitator}, Actor); err != nil {
		return nil, err
	}
	for _, rb := range d.Scenario.Rehearsal.Robots {
		name := rb.Name
		if name == "" {
			name = rb.ID
		}
		if _, err := r.Engine.AddPerson(ctx, d.ID, control.Person{ID: rb.ID, Name: name, Role: control.RoleParticipant}, Actor); err != nil {
			return nil, fmt.Errorf("add robot %s: %w", rb.ID, err)
		}
	}
	if err := r.Engine.Start(ctx, d.ID, Actor); err != nil {
		return nil, err
	}
	return &Rehearsal{r: r, ID: d.ID, steps: stepsOf(d.Scenario), settle: settled}, nil
}

// Step carries out every robot step due at the drill's current time and
// returns the drill time the next one falls due (false when none is known
// yet) and whether the drill is over.
func (h *Rehearsal) Step(ctx context.Context) (next time.Duration, hasNext, done bool, err error) {
	return h.stepOf(ctx, h.steps)
}

// stepOf is Step over some of the steps (one robot's).
func (h *Rehearsal) stepOf(ctx context.Context, steps []*step) (next time.Duration, hasNext, done bool, err error) {
	for {
		d, err := h.r.Engine.Drill(ctx, h.ID)
		if err != nil {
			return 0, false, false, err
		}
		if over(d) {
			return 0, false, true, nil
		}
		now := d.Elapsed(h.r.Clock.Now())
		ready, next, hasNext := due(steps, d, now)
		if len(ready) == 0 || !d.Running() {
			return next, hasNext, false, nil
		}
		for _, st := range ready {
			h.act(ctx, d, st)
		}
	}
}

// act carries out one step as its robot, through the participant's paths.
func (h *Rehearsal) act(ctx context.Context, d *control.Drill, st *step) {
	st.Done = true
	s := st.Spec
	// An answer counts from when the robot took it up: how long the
	// machine then takes to store it is not the robot's slowness.
	if el, eerr := h.r.Engine.Elapsed(ctx, h.ID); eerr == nil && s.Answer != "" {
		st.AnsweredAfter = el - st.Due
	}
	e := h.r.Engine
	var err error
	switch s.Action() {
	case "say":
		ch := s.Channel
		if ch == "" {
			ch = d.Scenario.IncidentChannel()
		}
		_, err = e.PostMessage(ctx, h.ID, control.PostMessage{Channel: ch, AuthorID: st.Robot, AuthorKind: control.AuthorPerson, Text: s.Say})
	case "answer":
		ch := ""
		for _, in := range d.Scenario.Injects {
			if in.ID == s.Answer {
				ch = in.Channel
			}
		}
		_, err = e.PostMessage(ctx, h.ID, control.PostMessage{Channel: ch, AuthorID: st.Robot, AuthorKind: control.AuthorPerson, Text: s.Text})
	case "notice":
		_, err = e.PostNotice(ctx, h.ID, control.PostNotice{Kind: s.Notice, AuthorID: st.Robot, Fields: s.Fields})
	case "resolve":
		err = e.MarkFaultResolved(ctx, h.ID, s.Resolve, Actor)
	case "confirm":
		err = e.ConfirmFault(ctx, h.ID, s.Confirm, st.Robot)
	case "fix":
		for _, f := range d.Scenario.Faults {
			if f.ID == s.Fix {
				st.Did, err = h.r.Fixer.Fix(ctx, f)
			}
		}
	}
	if el, eerr := e.Elapsed(ctx, h.ID); eerr == nil {
		st.At = el
	}
	st.Err = err
}

// Wait plays the rehearsal on the runner's clock until the drill is over:
// each robot works on its own, as people do (one busy fixing does not keep
// another from answering), doing its steps at their times and woken early
// by every drill event. It aborts the drill (every fault reverted) when ctx
// ends first.
func (h *Rehearsal) Wait(ctx context.Context) error {
	byRobot := map[string][]*step{}
	var order []string
	for _, st := range h.steps {
		if byRobot[st.Robot] == nil {
			order = append(order, st.Robot)
		}
		byRobot[st.Robot] = append(byRobot[st.Robot], st)
	}
	if len(order) == 0 {
		order = []string{""} // no step at this level: still wait for the end
	}
	errs := make([]error, len(order))
	var wg sync.WaitGroup
	for i, id := range order {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = h.play(ctx, byRobot[id])
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		if ctx.Err() != nil {
			return h.abort(ctx)
		}
		return err
	}
	return nil
}

// AbortTimeout bounds the abort of a rehearsal whose context ended: the
// drill's faults are reverted within it. A program stopping on a signal
// must give a rehearsal at least this long.
const AbortTimeout = time.Minute

// abort stops a rehearsal whose context ended: the drill is aborted and
// every fault reverted, like any drill's. The context's cause (the server
// shutting down, the rehearsal's time bound) is why, in the journal and the
// report.
func (h *Rehearsal) abort(ctx context.Context) error {
	h.stopped = context.Cause(ctx)
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), AbortTimeout)
	defer cancel()
	if err := h.r.Engine.Abort(actx, h.ID, Actor, "the rehearsal was stopped: "+h.stopped.Error()); err != nil {
		return fmt.Errorf("stop the rehearsal: %w", err)
	}
	return h.stopped
}

// play is one robot at work until the drill is over.
func (h *Rehearsal) play(ctx context.Context, steps []*step) error {
	sub, err := h.r.Engine.Subscribe(ctx, h.ID, 0)
	if err != nil {
		return err
	}
	defer sub.Close()
	for {
		next, hasNext, done, err := h.stepOf(ctx, steps)
		if err != nil || done {
			return err
		}
		var timer <-chan time.Time
		if hasNext {
			d, err := h.r.Engine.Drill(ctx, h.ID)
			if err != nil {
				return err
			}
			now := d.Elapsed(h.r.Clock.Now())
			wall := time.Duration(float64(next-now) / d.TimeScale)
			if wall < time.Millisecond {
				wall = time.Millisecond
			}
			timer = h.r.Clock.After(wall)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case _, ok := <-sub.C:
			if !ok {
				if err := ctx.Err(); err != nil {
					// The subscription ends with the context, without an
					// error of its own: the rehearsal was stopped, not over.
					return err
				}
				return sub.Err()
			}
		case <-timer:
		}
	}
}

// Run plays a whole rehearsal and reports it. With o.Settle, a target
// not healthy in time is reported as a skipped rehearsal, naming the
// probes still failing; its drill is never created.
func (r *Runner) Run(ctx context.Context, o Options) (*Report, error) {
	h, err := r.Start(ctx, o)
	var ns *NotSettledError
	if errors.As(err, &ns) {
		return ns.Report, nil
	}
	if err != nil {
		return nil, err
	}
	if err := h.Wait(ctx); err != nil {
		return nil, err
	}
	return h.Report(ctx)
}

// record assembles the drill's record from its journal and verifies it.
func (h *Rehearsal) record(ctx context.Context) (*record.Record, error) {
	evs, err := h.r.Engine.Events(ctx, h.ID, 0)
	if err != nil {
		return nil, err
	}
	rec, err := record.Assemble(evs)
	if err != nil {
		return nil, err
	}
	if _, err := record.Verify(rec); err != nil {
		return rec, fmt.Errorf("verify: %w", err)
	}
	return rec, nil
}

// Level is one rehearsal of a sequence: a scenario as a candidate at a
// difficulty.
type Level struct {
	Scenario   *scenarios.Scenario
	Candidate  string
	Difficulty scenarios.Difficulty
}

// PlayLevels plays levels one after another on the same target with play
// (Runner.Run), each after a wait for a healthy target (settle's Timeout
// and Stable): the target recovers from the last level played, as played,
// from that level's last revert. A skipped level injected nothing, so the
// level after it still waits for the one played before. each, when set,
// is given every report as it comes.
func PlayLevels(ctx context.Context, levels []Level, scale float64, settle SettleOptions, play func(context.Context, Options) (*Report, error), each func(*Report) error) ([]*Report, error) {
	var reports []*Report
	var before *scenarios.Scenario
	var lastRevert time.Time
	for _, l := range levels {
		so := settle
		so.After, so.AfterRevert = before, lastRevert
		rep, err := play(ctx, Options{Scenario: l.Scenario, Difficulty: l.Difficulty, Candidate: l.Candidate, TimeScale: scale, Settle: &so})
		if err != nil {
			return reports, fmt.Errorf("rehearse %s at %s: %w", l.Scenario.Source, l.Difficulty, err)
		}
		if rep.Status != StatusSkipped {
			lastRevert = rep.LastRevertAt
			if before, err = l.Scenario.ForPlay(l.Candidate, l.Difficulty); err != nil {
				return reports, fmt.Errorf("rehearse %s at %s: %w", l.Scenario.Source, l.Difficulty, err)
			}
		}
		reports = append(reports, rep)
		if each != nil {
			if err := each(rep); err != nil {
				return reports, err
			}
		}
	}
	return reports, nil
}
