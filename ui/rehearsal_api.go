package ui

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/control/rehearse"
	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/scenarios"
)

// Bounds of the rehearsal routes: rehearsals run one real drill each on the
// cluster, so only a few run at once, starts are rate limited, and only the
// latest reports are kept.
const (
	// DefaultMaxRehearsals is how many rehearsals run at once unless
	// Config.MaxRehearsals says otherwise.
	DefaultMaxRehearsals = 2
	// RehearsalStartsPerHour bounds the rehearsals started in an hour.
	RehearsalStartsPerHour = 30
	// keptRehearsals is how many reports are kept for GET.
	keptRehearsals = 50
	// maxRehearsalWall bounds one rehearsal's wall time; past it the drill
	// is aborted (every fault reverted) and the report says so.
	maxRehearsalWall = 20 * time.Minute
)

// ErrShutdown is why the rehearsals running when the server closes are
// stopped: their drills are aborted and every fault reverted.
var ErrShutdown = errors.New("the server shut down")

// errRehearsalTooLong is why a rehearsal running past maxRehearsalWall is
// stopped.
var errRehearsalTooLong = fmt.Errorf("it ran past its %s bound", maxRehearsalWall)

// rehearsals are the rehearsals this server ran or runs. Close waits for
// the running ones (wg) once closed refuses new ones.
type rehearsals struct {
	mu      sync.Mutex
	running int
	closed  bool
	wg      sync.WaitGroup
	starts  []time.Time
	byID    map[string]keptRehearsal
	order   []string
}

// keptRehearsal is a report and the team of its scenario, whose designers
// and facilitators may read it.
type keptRehearsal struct {
	rep  *rehearse.Report
	team string
}

// rehearsalRoutes are the Rehearse button's routes (issue 15): designers
// and facilitators start a rehearsal with robot participants and read its
// report.
func (s *Server) rehearsalRoutes() []route {
	return []route{
		{Route{"POST", "/api/rehearsals", AccessStudio}, s.apiStartRehearsal},
		{Route{"GET", "/api/rehearsals/{rid}", AccessStudio}, s.apiRehearsal},
	}
}

// rehearsalRequest is the body of POST /api/rehearsals: the scenario's YAML
// text, or a library scenario by name (and version, when the library keeps
// versions), the difficulty and the drill clock.
type rehearsalRequest struct {
	Scenario    string `json:"scenario"`
	ScenarioRef *struct {
		Name    string `json:"name"`
		Version string `json:"version"`
	} `json:"scenarioRef"`
	Difficulty scenarios.Difficulty `json:"difficulty"`
	// Candidate is the candidate to rehearse, for a scenario that keeps
	// candidates.
	Candidate string  `json:"candidate"`
	TimeScale float64 `json:"timeScale"`
}

// rehearsalScenario returns the scenario the request names, validated.
func (s *Server) rehearsalScenario(ctx context.Context, req rehearsalRequest) (*scenarios.Scenario, error) {
	switch {
	case req.Scenario != "" && req.ScenarioRef != nil:
		return nil, injectors.Errorf(injectors.EINVALID, "Give scenario (YAML text) or scenarioRef (a library scenario), not both.")
	case req.Scenario != "":
		sc, err := scenarios.Parse("scenario.yaml", []byte(req.Scenario))
		if err != nil {
			return nil, injectors.Errorf(injectors.EINVALID, "scenario: %v", err)
		}
		return sc, nil
	case req.ScenarioRef != nil && req.ScenarioRef.Name != "":
		if req.ScenarioRef.Version != "" && s.scenarioVersion != nil {
			return s.scenarioVersion(req.ScenarioRef.Name, req.ScenarioRef.Version)
		}
		if req.ScenarioRef.Version != "" && s.studio != nil {
			return s.studioVersion(ctx, req.ScenarioRef.Name, req.ScenarioRef.Version)
		}
		if req.ScenarioRef.Version != "" {
			return nil, injectors.Errorf(injectors.ENOTFOUND, "scenarioRef.version: this server keeps no scenario versions; leave it out for the library's current one.")
		}
		return s.library.Scenario(req.ScenarioRef.Name)
	}
	return nil, injectors.Errorf(injectors.EINVALID, "scenario: give the YAML text, or scenarioRef with a library scenario's name.")
}

func (s *Server) apiStartRehearsal(w http.ResponseWriter, r *http.Request, sess *Session) {
	var req rehearsalRequest
	if err := decodeJSON(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := checkDifficulty(req.Difficulty); err != nil {
		s.writeError(w, r, err)
		return
	}
	if req.TimeScale == 0 {
		req.TimeScale = rehearse.DefaultTimeScale
	}
	sc, err := s.rehearsalScenario(r.Context(), req)
	if err == nil {
		err = s.canRehearse(r.Context(), sess, sc.Metadata.Team)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if s.rehearser == nil {
		s.writeError(w, r, injectors.Errorf(injectors.EINVALID, "Rehearsals are not available on this server: it has no cluster for the robots to work on."))
		return
	}
	if err := s.rehearsing.reserve(s.clock.Now(), s.maxRehearsals); err != nil {
		s.writeError(w, r, err)
		return
	}
	// The rehearsal outlives the request, not the server: it is bounded by
	// maxRehearsalWall and stopped (its drill aborted, every fault
	// reverted) when the server closes.
	ctx, cancel := context.WithTimeoutCause(context.WithoutCancel(r.Context()), maxRehearsalWall, errRehearsalTooLong)
	ctx, shut := context.WithCancelCause(ctx)
	unlink := context.AfterFunc(s.ctx, func() { shut(ErrShutdown) })
	stop := func() { unlink(); shut(nil); cancel() }
	h, err := s.rehearser.Start(ctx, rehearse.Options{Scenario: sc, Difficulty: req.Difficulty, Candidate: req.Candidate, TimeScale: req.TimeScale})
	if err != nil {
		stop()
		s.rehearsing.release("", "", nil)
		s.writeError(w, r, err)
		return
	}
	team := sc.Metadata.Team
	s.rehearsing.begin(h.ID, team)
	go func() {
		defer stop()
		rep := s.finishRehearsal(ctx, h)
		s.rehearsing.release(h.ID, team, rep)
	}()
	writeJSON(w, http.StatusAccepted, map[string]string{"id": h.ID})
}

// finishRehearsal waits for the rehearsal and reports it; a rehearsal that
// could not finish reports as failed with the reason.
func (s *Server) finishRehearsal(ctx context.Context, h *rehearse.Rehearsal) *rehearse.Report {
	waitErr := h.Wait(ctx)
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	rep, err := h.Report(rctx)
	if err != nil {
		rep = &rehearse.Report{DrillID: h.ID, Checks: []rehearse.Check{}}
		rep.Error = err.Error()
	}
	if waitErr != nil {
		rep.Status = rehearse.StatusFailed
		rep.Error = fmt.Sprintf("the rehearsal did not finish: %v", waitErr)
	}
	if ctx.Err() != nil && rep.Interrupted == "" {
		rep.Interrupted = context.Cause(ctx).Error()
	}
	if rep.Status == "" {
		rep.Status = rehearse.StatusFailed
	}
	return rep
}

func (s *Server) apiRehearsal(w http.ResponseWriter, r *http.Request, sess *Session) {
	k, ok := s.rehearsing.get(r.PathValue("rid"))
	if !ok || s.canRehearse(r.Context(), sess, k.team) != nil {
		s.writeError(w, r, injectors.Errorf(injectors.ENOTFOUND, "No rehearsal %q on this server.", r.PathValue("rid")))
		return
	}
	writeJSON(w, http.StatusOK, k.rep)
}

// reserve takes a place for a new rehearsal, or refuses: too many running,
// or too many started in the last hour.
func (rs *rehearsals) reserve(now time.Time, most int) error {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if rs.closed {
		return injectors.Errorf(injectors.ECONFLICT, "The server is shutting down; start the rehearsal when it is back.")
	}
	if rs.running >= most {
		return injectors.Errorf(injectors.ECONFLICT, "%d rehearsals are running; start this one when one of them ends.", rs.running)
	}
	kept := rs.starts[:0]
	for _, t := range rs.starts {
		if now.Sub(t) < time.Hour {
			kept = append(kept, t)
		}
	}
	rs.starts = kept
	if len(rs.starts) >= RehearsalStartsPerHour {
		return injectors.Errorf(injectors.ECONFLICT, "%d rehearsals were started in the last hour, the most this server runs; try again later.", len(rs.starts))
	}
	rs.starts = append(rs.starts, now)
	rs.running++
	rs.wg.Add(1)
	return nil
}

// close refuses new rehearsals and waits for the running ones to finish
// (the server's context, already cancelled, stops them).
func (rs *rehearsals) close() {
	rs.mu.Lock()
	rs.closed = true
	rs.mu.Unlock()
	rs.wg.Wait()
}

// begin lists a started rehearsal as running.
func (rs *rehearsals) begin(id, team string) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	rs.keep(id, keptRehearsal{&rehearse.Report{Status: rehearse.StatusRunning, DrillID: id, Checks: []rehearse.Check{}}, team})
}

// release frees the place of a rehearsal and keeps its report.
func (rs *rehearsals) release(id, team string, rep *rehearse.Report) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	defer rs.wg.Done()
	rs.running--
	if id != "" && rep != nil {
		rs.keep(id, keptRehearsal{rep, team})
	}
}

func (rs *rehearsals) keep(id string, k keptRehearsal) {
	if rs.byID == nil {
		rs.byID = map[string]keptRehearsal{}
	}
	if _, ok := rs.byID[id]; !ok {
		rs.order = append(rs.order, id)
	}
	rs.byID[id] = k
	for len(rs.order) > keptRehearsals {
		delete(rs.byID, rs.order[0])
		rs.order = rs.order[1:]
	}
}

func (rs *rehearsals) get(id string) (keptRehearsal, bool) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	k, ok := rs.byID[id]
	return k, ok
}

// canRehearse says whether sess may rehearse a scenario of team: a staff
// member who designs or facilitates for the team, or the designer or
// facilitator of a drill of that team (a join link).
func (s *Server) canRehearse(ctx context.Context, sess *Session, team string) error {
	refused := injectors.Errorf(injectors.ENOTFOUND, "No such scenario in your teams' library.")
	if sess.Admin {
		if r := sess.RoleIn(team); r == control.RoleFacilitator || r == control.RoleDesigner {
			return nil
		}
		return refused
	}
	if sess.Role != control.RoleDesigner && sess.Role != control.RoleFacilitator {
		return refused
	}
	d, err := s.engine.Drill(ctx, sess.DrillID)
	if err != nil || d.Scenario.Metadata.Team != team {
		return refused
	}
	return nil
}

// studioVersion returns version v (its number) of a studio scenario, as it
// was saved: a rehearsal of a past version plays that text, not today's.
func (s *Server) studioVersion(ctx context.Context, name, v string) (*scenarios.Scenario, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return nil, injectors.Errorf(injectors.EINVALID, "scenarioRef.version is %q, expected a version number (1, 2, …)", v)
	}
	vs, err := s.studio.Versions(ctx, name)
	if err != nil {
		return nil, err
	}
	for _, x := range vs {
		if x.Version != n {
			continue
		}
		sc, err := scenarios.Parse(name+".yaml", []byte(x.YAML))
		if err != nil {
			return nil, injectors.Errorf(injectors.EINVALID, "version %d of %s: %v", n, name, err)
		}
		return sc, nil
	}
	return nil, injectors.Errorf(injectors.ENOTFOUND, "scenario %s has no version %d (it has %d)", name, n, len(vs))
}
