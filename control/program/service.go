package program

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"k8s.io/utils/clock"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/control/record"
	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/scenarios"
)

// Store keeps the season plans durably. control/sqlite implements it in the
// drill database; another database can implement the same three methods.
type Store interface {
	// Seasons lists the seasons that have a plan, in order.
	Seasons(ctx context.Context) ([]string, error)
	// Plan returns the season's plan with its journal, or ENOTFOUND.
	Plan(ctx context.Context, season string) (*Plan, error)
	// SavePlan stores p and appends entries to its journal in one atomic
	// write. p.Version is the version p was read at (0 for a new plan); a
	// store holding another version returns ECONFLICT. On success p.Version
	// and the entries' Seq are set.
	SavePlan(ctx context.Context, p *Plan, entries []Entry) error
}

// Drills is what the program needs from the drill engine; *control.Engine
// implements it.
type Drills interface {
	CreateDrill(ctx context.Context, in control.DrillRequest) (*control.Drill, error)
	AddPerson(ctx context.Context, drillID string, p control.Person, actor string) (control.Person, error)
	Schedule(ctx context.Context, id string, at time.Time, actor, why string) error
	Abort(ctx context.Context, id, actor, why string) error
	Drill(ctx context.Context, id string) (*control.Drill, error)
}

// Scenarios finds a library scenario by name.
type Scenarios interface {
	Scenario(name string) (*scenarios.Scenario, error)
}

// Poster posts a day-before notice to a chat channel.
type Poster interface {
	PostNotice(ctx context.Context, n *Notice) error
}

// Service runs the drill program over a Store, the drill engine and the
// scenario library.
type Service struct {
	Store     Store
	Drills    Drills
	Scenarios Scenarios
	Clock     clock.PassiveClock
	// Poster, when set, posts notices to the configured webhook.
	Poster Poster
}

// save stores the plan with its new journal entry.
func (s *Service) save(ctx context.Context, p *Plan, e Entry) (*Plan, error) {
	if err := s.Store.SavePlan(ctx, p, []Entry{e}); err != nil {
		return nil, fmt.Errorf("save the plan of %s: %w", p.Season, err)
	}
	p.Journal = append(p.Journal, e)
	return p, nil
}

// change loads a season's plan, applies fn and saves the plan with fn's
// journal entry.
func (s *Service) change(ctx context.Context, season string, fn func(p *Plan, now time.Time) (Entry, error)) (*Plan, error) {
	p, err := s.Store.Plan(ctx, season)
	if err != nil {
		return nil, err
	}
	e, err := fn(p, s.Clock.Now())
	if err != nil {
		return nil, err
	}
	return s.save(ctx, p, e)
}

// CreateSeason starts a season's plan.
func (s *Service) CreateSeason(ctx context.Context, season, owner, processURL, timeZone, actor string) (*Plan, error) {
	p, err := NewPlan(season, owner, processURL, timeZone)
	if err != nil {
		return nil, err
	}
	if _, err := s.Store.Plan(ctx, season); err == nil {
		return nil, injectors.Errorf(injectors.ECONFLICT, "season %s already has a plan", season)
	} else if injectors.ErrorCode(err) != injectors.ENOTFOUND {
		return nil, err
	}
	e := p.entry(s.Clock.Now(), actor, "", ActionSeasonCreated, "owner "+p.Owner, "")
	return s.save(ctx, p, e)
}

// AddTeam plans a team's drill.
func (s *Service) AddTeam(ctx context.Context, season string, in TeamInput, actor string) (*Plan, error) {
	if err := s.checkScenario(in.Scenario); err != nil {
		return nil, err
	}
	return s.change(ctx, season, func(p *Plan, now time.Time) (Entry, error) { return p.AddTeam(in, actor, now) })
}

// UpdateTeam changes a team's planned drill.
func (s *Service) UpdateTeam(ctx context.Context, season, team string, in TeamInput, actor string) (*Plan, error) {
	if err := s.checkScenario(in.Scenario); err != nil {
		return nil, err
	}
	return s.change(ctx, season, func(p *Plan, now time.Time) (Entry, error) { return p.Update(team, in, actor, now) })
}

// Apply records a team's application.
func (s *Service) Apply(ctx context.Context, a Application) (*Plan, error) {
	if err := CheckSeason(strings.TrimSpace(a.Season)); err != nil {
		return nil, err
	}
	return s.change(ctx, strings.TrimSpace(a.Season), func(p *Plan, now time.Time) (Entry, error) { return p.Apply(a, now) })
}

// Accept accepts a team's application.
func (s *Service) Accept(ctx context.Context, season, team, actor string) (*Plan, error) {
	return s.change(ctx, season, func(p *Plan, now time.Time) (Entry, error) { return p.Accept(team, actor, now) })
}

func (s *Service) checkScenario(name string) error {
	if strings.TrimSpace(name) == "" {
		return nil
	}
	if _, err := s.Scenarios.Scenario(strings.TrimSpace(name)); err != nil {
		return injectors.Errorf(injectors.EINVALID, "scenario: %s", injectors.ErrorMessage(err))
	}
	return nil
}

// Schedule creates the team's drill from its scenario, with the team's name
// and designer, and schedules it at at. At that time the drill moves to its
// briefing on its own and waits for the facilitator's Start.
func (s *Service) Schedule(ctx context.Context, season, team string, at time.Time, actor string) (*Plan, error) {
	p, err := s.Store.Plan(ctx, season)
	if err != nil {
		return nil, err
	}
	now := s.Clock.Now()
	t, err := p.CanSchedule(team, at, now)
	if err != nil {
		return nil, err
	}
	sc, err := s.Scenarios.Scenario(t.Scenario)
	if err != nil {
		return nil, injectors.Errorf(injectors.ECONFLICT, "team %s's scenario: %s", t.Name, injectors.ErrorMessage(err))
	}
	cp := *sc
	cp.Metadata.Team = t.Name
	if t.Designer != "" {
		cp.Metadata.Designer = t.Designer
	}
	d, err := s.Drills.CreateDrill(ctx, control.DrillRequest{Scenario: &cp, Title: fmt.Sprintf("%s drill (%s)", t.Name, p.Season), Actor: actor})
	if err != nil {
		return nil, fmt.Errorf("create team %s's drill: %w", t.Name, err)
	}
	if t.Designer != "" {
		if _, err := s.Drills.AddPerson(ctx, d.ID, control.Person{Name: t.Designer, Role: control.RoleDesigner}, actor); err != nil {
			return nil, fmt.Errorf("add the designer to drill %s: %w", d.ID, err)
		}
	}
	// The drill keeps the plan's zone so that the day participants see is
	// the day the notice names.
	if err := s.Drills.Schedule(ctx, d.ID, at.In(p.Location()), actor, ""); err != nil {
		return nil, fmt.Errorf("schedule drill %s: %w", d.ID, err)
	}
	e, err := p.Scheduled(t.Name, d.ID, at, actor, now)
	if err != nil {
		return nil, err
	}
	if _, err := s.save(ctx, p, e); err != nil {
		return nil, fmt.Errorf("drill %s is scheduled, but: %w", d.ID, err)
	}
	return p, nil
}

// Reschedule moves the team's scheduled drill to at, for a reason that is
// journaled in the plan and in the drill's journal.
func (s *Service) Reschedule(ctx context.Context, season, team string, at time.Time, reason, actor string) (*Plan, error) {
	p, err := s.Store.Plan(ctx, season)
	if err != nil {
		return nil, err
	}
	now := s.Clock.Now()
	t, err := p.CanReschedule(team, at, reason, now)
	if err != nil {
		return nil, err
	}
	if err := s.Drills.Schedule(ctx, t.DrillID, at.In(p.Location()), actor, strings.TrimSpace(reason)); err != nil {
		return nil, fmt.Errorf("reschedule drill %s: %w", t.DrillID, err)
	}
	e, err := p.Rescheduled(t.Name, at, reason, actor, now)
	if err != nil {
		return nil, err
	}
	return s.save(ctx, p, e)
}

// Cancel calls off the team's drill for a reason. A drill that exists and
// has not started is aborted with the reason in its journal; a drill that
// is running is refused: end or abort it from the console.
func (s *Service) Cancel(ctx context.Context, season, team, reason, actor string) (*Plan, error) {
	p, err := s.Store.Plan(ctx, season)
	if err != nil {
		return nil, err
	}
	t, err := p.CanCancel(team, reason)
	if err != nil {
		return nil, err
	}
	if t.DrillID != "" {
		d, err := s.Drills.Drill(ctx, t.DrillID)
		if err != nil {
			return nil, fmt.Errorf("cancel drill %s: %w", t.DrillID, err)
		}
		switch d.State {
		case control.StateDraft, control.StateScheduled, control.StateBriefing:
			if err := s.Drills.Abort(ctx, t.DrillID, actor, "cancelled: "+strings.TrimSpace(reason)); err != nil {
				return nil, fmt.Errorf("cancel drill %s: %w", t.DrillID, err)
			}
		default:
			return nil, injectors.Errorf(injectors.ECONFLICT, "team %s's drill %s is %s; it is past cancelling", t.Name, t.DrillID, d.State)
		}
	}
	e, err := p.Cancelled(t.Name, reason, actor, s.Clock.Now())
	if err != nil {
		return nil, err
	}
	return s.save(ctx, p, e)
}

// Notice returns the day-before notice of the team's scheduled drill.
func (s *Service) Notice(ctx context.Context, season, team string) (*Notice, error) {
	p, err := s.Store.Plan(ctx, season)
	if err != nil {
		return nil, err
	}
	return BuildNotice(p, team)
}

// PostNotice posts the team's notice through the Poster and journals it.
func (s *Service) PostNotice(ctx context.Context, season, team, actor string) (*Notice, error) {
	if s.Poster == nil {
		return nil, injectors.Errorf(injectors.ENOTIMPLEMENTED, "No notice webhook is configured (program.noticeWebhook): copy the notice or download the invitation instead.")
	}
	n, err := s.Notice(ctx, season, team)
	if err != nil {
		return nil, err
	}
	if err := s.Poster.PostNotice(ctx, n); err != nil {
		return nil, err
	}
	if _, err := s.change(ctx, season, func(p *Plan, now time.Time) (Entry, error) {
		return p.entry(now, actor, n.Team, ActionNoticePosted, "for "+n.Day, ""), nil
	}); err != nil {
		return nil, err
	}
	return n, nil
}

// Plans returns every season's plan.
func (s *Service) Plans(ctx context.Context) ([]*Plan, error) {
	seasons, err := s.Store.Seasons(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]*Plan, 0, len(seasons))
	for _, season := range seasons {
		p, err := s.Store.Plan(ctx, season)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// KeptRecords assembles the record of every drill in the journal. A drill
// whose journal does not assemble is returned with its error, so that the
// report flags it instead of failing.
func KeptRecords(ctx context.Context, st record.Store) ([]Kept, error) {
	sums, err := st.Drills(ctx, control.DrillFilter{})
	if err != nil {
		return nil, fmt.Errorf("list drills: %w", err)
	}
	out := make([]Kept, 0, len(sums))
	for _, sum := range sums {
		out = append(out, keep(ctx, st, sum.ID))
	}
	return out, nil
}

// keep assembles one drill's record; when it does not assemble, it keeps
// the error and what the journal still tells: the team and the start.
func keep(ctx context.Context, j record.Journal, id string) Kept {
	r, err := record.Load(ctx, j, id)
	k := Kept{DrillID: id, Record: r, Err: err}
	if err == nil {
		return k
	}
	evs, lerr := j.Events(ctx, id, 0, 0)
	if lerr != nil {
		return k
	}
	for _, e := range evs {
		switch e.Type {
		case control.EventDrillCreated:
			var p struct {
				Scenario struct {
					Metadata struct {
						Team string `json:"team"`
					} `json:"metadata"`
				} `json:"scenario"`
			}
			if json.Unmarshal(e.Payload, &p) == nil {
				k.Team = p.Scenario.Metadata.Team
			}
		case control.EventDrillStarted:
			at := e.Time
			k.StartedAt = &at
		}
	}
	return k
}

// LinkedRecords assembles the records of the drills the plan links to, the
// season's drills, for its awards.
func LinkedRecords(ctx context.Context, j record.Journal, p *Plan) []Kept {
	var out []Kept
	for _, t := range p.Teams {
		if t.DrillID != "" {
			out = append(out, keep(ctx, j, t.DrillID))
		}
	}
	return out
}

// Report builds the compliance report of the period from the plans and the
// kept records.
func (s *Service) Report(ctx context.Context, period Period, st record.Store, baseURL string) (*Report, error) {
	if err := period.Check(); err != nil {
		return nil, err
	}
	plans, err := s.Plans(ctx)
	if err != nil {
		return nil, err
	}
	kept, err := KeptRecords(ctx, st)
	if err != nil {
		return nil, err
	}
	return BuildReport(period, plans, kept, baseURL, s.Clock.Now())
}
