// Package storecopy copies an installation's stores from one database to
// another (firedrill store copy): every drill's journal with its hash chain
// as it is, the program's plans with their versions and journals, and the
// drill room's join tokens and sessions, so that links and sign-ins keep
// working. A copy can be run again: what the target already holds is
// skipped, a drill that went on in the source is continued, and anything
// that differs is refused rather than overwritten.
package storecopy

import (
	"context"
	"fmt"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/control/program"
	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/ui"
)

// JournalSource is the journal and plans copied from.
type JournalSource interface {
	Drills(ctx context.Context, f control.DrillFilter) ([]control.DrillSummary, error)
	Events(ctx context.Context, drillID string, afterSeq int64, limit int) ([]control.Event, error)
	Seasons(ctx context.Context) ([]string, error)
	Plan(ctx context.Context, season string) (*program.Plan, error)
}

// JournalTarget is the journal and plans copied to.
type JournalTarget interface {
	JournalSource
	Append(ctx context.Context, sum control.DrillSummary, events []control.Event) error
	ImportPlan(ctx context.Context, p *program.Plan) error
}

// RoomSource is the drill room store copied from.
type RoomSource interface {
	AllJoinTokens(ctx context.Context) (map[string]ui.Grant, error)
	AllSessions(ctx context.Context) (map[string]ui.Session, error)
	AllIdentityLinks(ctx context.Context) (map[string][]ui.IdentityLink, error)
	LatestScenarios(ctx context.Context) ([]ui.ScenarioVersion, error)
	ScenarioVersions(ctx context.Context, name string) ([]ui.ScenarioVersion, error)
}

// RoomTarget is the drill room store copied to.
type RoomTarget interface {
	PutJoinToken(ctx context.Context, tokenHash string, g ui.Grant) error
	PutSession(ctx context.Context, idHash string, s ui.Session) error
	LinkIdentity(ctx context.Context, subject string, l ui.IdentityLink) error
	PutScenarioVersion(ctx context.Context, v ui.ScenarioVersion) error
	ScenarioVersions(ctx context.Context, name string) ([]ui.ScenarioVersion, error)
}

// Report says what a copy did.
type Report struct {
	// Drills and Events were copied; DrillsThere were already in the target.
	Drills, Events, DrillsThere int
	// Plans were copied; PlansThere were already in the target.
	Plans, PlansThere int
	// Tokens, Sessions and identity Links of the drill room were copied.
	Tokens, Sessions, Links int
	// ScenarioVersions of the studio were copied.
	ScenarioVersions int
}

// Journal copies every drill and plan of from into to.
func Journal(ctx context.Context, from JournalSource, to JournalTarget, rep *Report) error {
	drills, err := from.Drills(ctx, control.DrillFilter{})
	if err != nil {
		return err
	}
	there, err := to.Drills(ctx, control.DrillFilter{})
	if err != nil {
		return err
	}
	heads := make(map[string]control.DrillSummary, len(there))
	for _, s := range there {
		heads[s.ID] = s
	}
	for _, sum := range drills {
		if err := copyDrill(ctx, from, to, sum, heads[sum.ID], rep); err != nil {
			return err
		}
	}
	return copyPlans(ctx, from, to, rep)
}

// copyDrill copies the events of one drill the target does not hold yet,
// after checking the source's chain and that the target's is a prefix of it.
func copyDrill(ctx context.Context, from JournalSource, to JournalTarget, sum, there control.DrillSummary, rep *Report) error {
	if there.ID != "" && there.Seq == sum.Seq && there.Head == sum.Head {
		rep.DrillsThere++
		return nil
	}
	if there.Seq > sum.Seq {
		return injectors.Errorf(injectors.ECONFLICT, "drill %s: the target holds %d events, the source only %d: it is not a copy of this source", sum.ID, there.Seq, sum.Seq)
	}
	if there.ID != "" {
		prev, err := from.Events(ctx, sum.ID, there.Seq-1, 1)
		if err != nil {
			return err
		}
		if len(prev) != 1 || prev[0].Hash != there.Head {
			return injectors.Errorf(injectors.ECONFLICT, "drill %s: the target's event #%d differs from the source's: it is not a copy of this source", sum.ID, there.Seq)
		}
	}
	evs, err := from.Events(ctx, sum.ID, there.Seq, 0)
	if err != nil {
		return err
	}
	head, err := control.VerifyChain(there.Seq, there.Head, evs)
	if err != nil {
		return injectors.Errorf(injectors.EINVALID, "drill %s: the source's journal is broken, nothing of this drill was copied: %s", sum.ID, injectors.ErrorMessage(err))
	}
	if len(evs) == 0 || head != sum.Head || evs[len(evs)-1].Seq != sum.Seq {
		return injectors.Errorf(injectors.EINVALID, "drill %s: the source's summary (#%d %s) does not match its journal's head", sum.ID, sum.Seq, sum.Head)
	}
	if err := to.Append(ctx, sum, evs); err != nil {
		return fmt.Errorf("copy drill %s: %w", sum.ID, err)
	}
	rep.Drills++
	rep.Events += len(evs)
	return nil
}

func copyPlans(ctx context.Context, from JournalSource, to JournalTarget, rep *Report) error {
	seasons, err := from.Seasons(ctx)
	if err != nil {
		return err
	}
	for _, season := range seasons {
		p, err := from.Plan(ctx, season)
		if err != nil {
			return err
		}
		q, err := to.Plan(ctx, season)
		switch {
		case err == nil && q.Version == p.Version && len(q.Journal) == len(p.Journal):
			rep.PlansThere++
			continue
		case err == nil:
			return injectors.Errorf(injectors.ECONFLICT, "the plan of %s differs in the target (version %d, the source's is %d): it is not a copy of this source", season, q.Version, p.Version)
		case injectors.ErrorCode(err) != injectors.ENOTFOUND:
			return err
		}
		if err := to.ImportPlan(ctx, p); err != nil {
			return err
		}
		rep.Plans++
	}
	return nil
}

// Room copies the drill room's join tokens, sessions and identity links.
func Room(ctx context.Context, from RoomSource, to RoomTarget, rep *Report) error {
	tokens, err := from.AllJoinTokens(ctx)
	if err != nil {
		return err
	}
	for h, g := range tokens {
		if err := to.PutJoinToken(ctx, h, g); err != nil {
			return fmt.Errorf("copy join tokens: %w", err)
		}
		rep.Tokens++
	}
	sessions, err := from.AllSessions(ctx)
	if err != nil {
		return err
	}
	for h, s := range sessions {
		if err := to.PutSession(ctx, h, s); err != nil {
			return fmt.Errorf("copy sessions: %w", err)
		}
		rep.Sessions++
	}
	links, err := from.AllIdentityLinks(ctx)
	if err != nil {
		return err
	}
	for subject, ls := range links {
		for _, l := range ls {
			if err := to.LinkIdentity(ctx, subject, l); err != nil {
				return fmt.Errorf("copy identity links: %w", err)
			}
			rep.Links++
		}
	}
	return scenarioVersions(ctx, from, to, rep)
}

// scenarioVersions copies every version of the studio's scenarios that the
// target does not hold yet; a version the target holds with other text is
// a conflict, never overwritten.
func scenarioVersions(ctx context.Context, from RoomSource, to RoomTarget, rep *Report) error {
	latest, err := from.LatestScenarios(ctx)
	if err != nil {
		return err
	}
	for _, l := range latest {
		vs, err := from.ScenarioVersions(ctx, l.Name)
		if err != nil {
			return err
		}
		there, err := to.ScenarioVersions(ctx, l.Name)
		if err != nil && injectors.ErrorCode(err) != injectors.ENOTFOUND {
			return err
		}
		for _, v := range vs {
			if v.Version <= len(there) {
				if there[v.Version-1].Hash != v.Hash {
					return injectors.Errorf(injectors.ECONFLICT, "scenario %s version %d differs in the target store", v.Name, v.Version)
				}
				continue
			}
			if err := to.PutScenarioVersion(ctx, v); err != nil {
				return fmt.Errorf("copy scenario versions: %w", err)
			}
			rep.ScenarioVersions++
		}
	}
	return nil
}

// Compare checks that every drill of from has the same head in to, and
// that to's journal of it verifies, returning how many drills it checked.
func Compare(ctx context.Context, from, to JournalSource) (int, error) {
	drills, err := from.Drills(ctx, control.DrillFilter{})
	if err != nil {
		return 0, err
	}
	for _, sum := range drills {
		evs, err := to.Events(ctx, sum.ID, 0, 0)
		if err != nil {
			return 0, err
		}
		head, err := control.VerifyChain(0, "", evs)
		if err != nil {
			return 0, injectors.Errorf(injectors.EINTERNAL, "drill %s: the copy's journal does not verify: %s", sum.ID, injectors.ErrorMessage(err))
		}
		if head != sum.Head || int64(len(evs)) != sum.Seq {
			return 0, injectors.Errorf(injectors.EINTERNAL, "drill %s: the copy holds %d events with head %s, the source %d with head %s", sum.ID, len(evs), head, sum.Seq, sum.Head)
		}
	}
	return len(drills), nil
}
