package ui

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/scenarios"
	"github.com/firedrill/firedrill/ui/wire"
)

// The scenario studio: a library of every scenario the room knows, an
// editor that validates as the designer types, a preview of the plan, and
// versions kept in the drill database. Designers and facilitators reach it
// (AccessStudio), each for the teams they design or facilitate for.

// studioRoutes are the studio's pages and API.
func (s *Server) studioRoutes() []route {
	rt := func(method, pattern string, h func(http.ResponseWriter, *http.Request, *Session)) route {
		return route{Route{method, pattern, AccessStudio}, h}
	}
	const one = "/api/studio/scenarios/{name}"
	return []route{
		rt("GET", "/studio", s.pageStudio),
		rt("GET", "/studio/edit", s.pageStudioEdit),
		rt("GET", "/api/studio/schema", s.apiStudioSchema),
		rt("GET", "/api/studio/scenarios", s.apiStudioScenarios),
		rt("POST", "/api/studio/scenarios", s.apiStudioSave),
		rt("GET", one, s.apiStudioScenario),
		rt("GET", one+"/diff", s.apiStudioDiff),
		rt("GET", one+"/yaml", s.apiStudioYAML),
		rt("GET", one+"/injects.csv", s.apiStudioCSV),
		rt("POST", "/api/studio/check", s.apiStudioCheck),
		rt("POST", "/api/studio/injects", s.apiStudioInjects),
	}
}

func (s *Server) pageStudio(w http.ResponseWriter, r *http.Request, _ *Session) {
	s.servePage(w, r, "studio.html", http.StatusOK)
}

func (s *Server) pageStudioEdit(w http.ResponseWriter, r *http.Request, _ *Session) {
	s.servePage(w, r, "studio-edit.html", http.StatusOK)
}

// studioScope returns which teams' scenarios sess may see and write in the
// studio: every team for the facilitator's admin credential and org-wide
// staff; the teams a staff member designs or facilitates for; a designer's
// own drill's team for a join link.
func (s *Server) studioScope(ctx context.Context, sess *Session) (func(team string) bool, error) {
	switch {
	case sess.Admin && !sess.scoped():
		return func(string) bool { return true }, nil
	case sess.Admin:
		return func(team string) bool {
			r := sess.RoleIn(team)
			return r == control.RoleFacilitator || r == control.RoleDesigner
		}, nil
	}
	d, err := s.engine.Drill(ctx, sess.DrillID)
	if err != nil {
		return nil, refusedAccess()
	}
	own := d.Scenario.Metadata.Team
	return func(team string) bool { return team == own }, nil
}

// studioDesigns reports whether a scoped staff member designs or
// facilitates for any team (the studio is theirs to open).
func (sess *Session) studioDesigns() bool {
	for _, r := range sess.Teams {
		if r == control.RoleFacilitator || r == control.RoleDesigner {
			return true
		}
	}
	return false
}

// studioEntry is one scenario of the studio's library.
type studioEntry struct {
	LibraryEntry
	// Writable says whether the studio may save it (a file in a directory
	// firedrill may not write is read-only).
	Writable bool `json:"writable"`
	// LastDrill is the latest drill run with it.
	LastDrill *control.DrillSummary `json:"lastDrill,omitempty"`
}

// studioLibrary is the library page's data.
type studioLibrary struct {
	Scenarios []studioEntry `json:"scenarios"`
	// Problems are the files and stored versions that did not load.
	Problems []string `json:"problems"`
}

func (s *Server) studioCatalog(w http.ResponseWriter, r *http.Request) (*Catalog, bool) {
	if s.studio == nil {
		s.writeError(w, r, errNoStudio)
		return nil, false
	}
	return s.studio, true
}

func (s *Server) apiStudioSchema(w http.ResponseWriter, r *http.Request, _ *Session) {
	w.Header().Set("Content-Type", "application/schema+json")
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(scenarios.Schema())
}

func (s *Server) apiStudioScenarios(w http.ResponseWriter, r *http.Request, sess *Session) {
	c, ok := s.studioCatalog(w, r)
	if !ok {
		return
	}
	visible, err := s.studioScope(r.Context(), sess)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	drills, err := s.engine.Drills(r.Context(), control.DrillFilter{})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	last := map[string]control.DrillSummary{}
	for _, d := range drills {
		if prev, ok := last[d.Scenario]; !ok || d.CreatedAt.After(prev.CreatedAt) {
			last[d.Scenario] = d
		}
	}
	out := studioLibrary{Scenarios: []studioEntry{}, Problems: c.Problems()}
	for _, e := range c.Scenarios() {
		if !visible(e.Team) {
			continue
		}
		se := studioEntry{LibraryEntry: e, Writable: true}
		if path, isFile := c.fileOf(e.Name); isFile {
			se.Writable = writableDir(filepath.Dir(path))
		}
		if d, ok := last[e.Name]; ok {
			se.LastDrill = &d
		}
		out.Scenarios = append(out.Scenarios, se)
	}
	writeJSON(w, http.StatusOK, out)
}

// studioScenario is one scenario opened in the editor.
type studioScenario struct {
	Name     string            `json:"name"`
	YAML     string            `json:"yaml"`
	Version  int               `json:"version"`
	Writable bool              `json:"writable"`
	Source   string            `json:"source"`
	Versions []ScenarioVersion `json:"versions"`
}

// visibleScenario returns the named scenario if sess may see it; a
// scenario of another team is not found, like one that does not exist.
func (s *Server) visibleScenario(r *http.Request, sess *Session, name string) (*scenarios.Scenario, error) {
	if s.studio == nil {
		return nil, errNoStudio
	}
	visible, err := s.studioScope(r.Context(), sess)
	if err != nil {
		return nil, err
	}
	sc, err := s.studio.Scenario(name)
	if err == nil && !visible(sc.Metadata.Team) {
		err = injectors.Errorf(injectors.ENOTFOUND, "No scenario named %q in your teams' library.", name)
	}
	return sc, err
}

func (s *Server) apiStudioScenario(w http.ResponseWriter, r *http.Request, sess *Session) {
	name := r.PathValue("name")
	sc, err := s.visibleScenario(r, sess, name)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	text, version, writable, err := s.studio.Text(r.Context(), name)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	vs, err := s.studio.Versions(r.Context(), name)
	if err != nil && injectors.ErrorCode(err) != injectors.ENOTFOUND {
		s.writeError(w, r, err)
		return
	}
	for i := range vs {
		vs[i].YAML = ""
	}
	if vs == nil {
		vs = []ScenarioVersion{}
	}
	writeJSON(w, http.StatusOK, studioScenario{Name: name, YAML: string(text), Version: version, Writable: writable, Source: sourceOf(sc), Versions: vs})
}

// sourceOf says where a scenario comes from: "studio", or its file's name
// (not the server's directories).
func sourceOf(sc *scenarios.Scenario) string {
	if sc.Source == "studio" {
		return "studio"
	}
	return filepath.Base(sc.Source)
}

func (s *Server) apiStudioDiff(w http.ResponseWriter, r *http.Request, sess *Session) {
	name := r.PathValue("name")
	if _, err := s.visibleScenario(r, sess, name); err != nil {
		s.writeError(w, r, err)
		return
	}
	vs, err := s.studio.Versions(r.Context(), name)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	// Without a query: the latest version against the one before.
	q := r.URL.Query()
	if !q.Has("to") {
		q.Set("to", strconv.Itoa(len(vs)))
	}
	if !q.Has("from") {
		to, _ := strconv.Atoi(q.Get("to"))
		q.Set("from", strconv.Itoa(to-1))
	}
	r.URL.RawQuery = q.Encode()
	from, err1 := versionParam(r, "from", len(vs))
	to, err2 := versionParam(r, "to", len(vs))
	if err := errors.Join(err1, err2); err != nil {
		s.writeError(w, r, err)
		return
	}
	old := ""
	if from > 0 {
		old = vs[from-1].YAML
	}
	writeJSON(w, http.StatusOK, map[string]any{"name": name, "from": from, "to": to, "lines": lineDiff(old, vs[to-1].YAML)})
}

// versionParam reads a version number from the query: 1..n (0 allowed for
// "from", the empty text before the first version).
func versionParam(r *http.Request, key string, n int) (int, error) {
	v, err := strconv.Atoi(r.URL.Query().Get(key))
	lo := 1
	if key == "from" {
		lo = 0
	}
	if err != nil || v < lo || v > n {
		return 0, injectors.Errorf(injectors.EINVALID, "%s: a version from %d to %d.", key, lo, n)
	}
	return v, nil
}

func (s *Server) apiStudioYAML(w http.ResponseWriter, r *http.Request, sess *Session) {
	name := r.PathValue("name")
	if _, err := s.visibleScenario(r, sess, name); err != nil {
		s.writeError(w, r, err)
		return
	}
	text, _, _, err := s.studio.Text(r.Context(), name)
	if v := r.URL.Query().Get("version"); v != "" && err == nil {
		var vs []ScenarioVersion
		if vs, err = s.studio.Versions(r.Context(), name); err == nil {
			var n int
			if n, err = versionParam(r, "version", len(vs)); err == nil {
				text = []byte(vs[n-1].YAML)
			}
		}
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	attachment(w, name+".yaml", "application/yaml; charset=utf-8", text)
}

func (s *Server) apiStudioCSV(w http.ResponseWriter, r *http.Request, sess *Session) {
	name := r.PathValue("name")
	sc, err := s.visibleScenario(r, sess, name)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var b bytes.Buffer
	if err := scenarios.ExportInjectsCSV(&b, sc); err != nil {
		// Writing to memory cannot fail: the error says which inject the
		// spreadsheet cannot hold (a private briefing, a chat trigger), a
		// property of the scenario, not a server fault.
		s.writeError(w, r, injectors.Errorf(injectors.EINVALID, "%v", err))
		return
	}
	attachment(w, name+"-injects.csv", "text/csv; charset=utf-8", b.Bytes())
}

// attachment sends a file to download.
func attachment(w http.ResponseWriter, name, contentType string, b []byte) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(b)
}

// studioText is the body of the studio's writes: the YAML being edited.
type studioText struct {
	YAML string `json:"yaml"`
	// Base is the version the text was edited from (0 for a new scenario).
	Base int `json:"base"`
	// CSV is an injects CSV to replace the text's injects with.
	CSV string `json:"csv,omitempty"`
}

func (s *Server) decodeStudio(w http.ResponseWriter, r *http.Request) (studioText, error) {
	var in studioText
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != "application/json" {
		return in, injectors.Errorf(injectors.EINVALID, "Content-Type must be application/json.")
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxStudioBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return in, injectors.Errorf(injectors.EINVALID, "The scenario is larger than the limit of %d bytes.", scenarios.MaxFileSize)
		}
		return in, injectors.Errorf(injectors.EINVALID, "Request body is not valid JSON.")
	}
	return in, nil
}

// checked is a scenario text checked by the validator in the studio.
type checked struct {
	sc       *scenarios.Scenario
	problems []Problem
	err      error // the check itself failed: too busy, too slow
}

// check validates text within the studio's bounds: at most
// studioChecksAtOnce at a time in the server, each within
// studioCheckTimeout (a check that takes longer is answered as refused and
// left to finish, its size bounded by the loader's limit).
func (s *Server) check(text []byte) checked {
	select {
	case s.studioSlots <- struct{}{}:
	default:
		return checked{err: injectors.Errorf(injectors.ECONFLICT, "The validator is busy; your text is checked again in a moment.")}
	}
	done := make(chan checked, 1)
	go func() {
		defer func() { <-s.studioSlots }()
		sc, err := scenarios.Parse("scenario.yaml", text, s.studioOpts...)
		done <- checked{sc: sc, problems: problemsOf(sc, err)}
	}()
	select {
	case c := <-done:
		return c
	case <-s.netClock.After(studioCheckTimeout):
		return checked{err: injectors.Errorf(injectors.EINVALID, "Checking this scenario took longer than %s: it is refused.", studioCheckTimeout)}
	}
}

// studioCheck is the validator's answer while the designer types.
type studioCheck struct {
	Valid    bool             `json:"valid"`
	Problems []Problem        `json:"problems"`
	Name     string           `json:"name,omitempty"`
	Plans    []StudioPlan     `json:"plans,omitempty"`
	Messages []PreviewMessage `json:"messages,omitempty"`
}

func (s *Server) apiStudioCheck(w http.ResponseWriter, r *http.Request, sess *Session) {
	in, err := s.decodeStudio(w, r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	c := s.check([]byte(in.YAML))
	if c.err != nil {
		s.writeError(w, r, c.err)
		return
	}
	out := studioCheck{Valid: c.sc != nil, Problems: c.problems}
	if c.sc != nil {
		out.Name = c.sc.Metadata.Name
		plans, msgs, err := preview(c.sc)
		if err != nil {
			out.Valid = false
			out.Problems = append(out.Problems, Problem{Line: 1, Column: 1, Message: err.Error(), Severity: "error"})
		}
		out.Plans, out.Messages = plans, msgs
	}
	writeJSON(w, http.StatusOK, out)
}

// refusedText answers a save or import of an invalid scenario: 400 with
// every problem at its line:column.
func refusedText(w http.ResponseWriter, problems []Problem) {
	first := problems[0]
	writeJSON(w, http.StatusBadRequest, struct {
		wire.ErrorResponse
		Lines []Problem `json:"lines"`
	}{wire.ErrorResponse{Code: injectors.EINVALID, Message: fmt.Sprintf("The scenario is not valid: line %d, column %d: %s", first.Line, first.Column, first.Message)}, problems})
}

func (s *Server) apiStudioSave(w http.ResponseWriter, r *http.Request, sess *Session) {
	in, err := s.decodeStudio(w, r)
	if err == nil && in.Base < 0 {
		err = injectors.Errorf(injectors.EINVALID, "base: the version edited from, 0 for a new scenario.")
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	c := s.check([]byte(in.YAML))
	switch {
	case c.err != nil:
		s.writeError(w, r, c.err)
		return
	case c.sc == nil:
		refusedText(w, c.problems)
		return
	}
	visible, err := s.studioScope(r.Context(), sess)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	name, team := c.sc.Metadata.Name, c.sc.Metadata.Team
	if !visible(team) {
		s.writeError(w, r, injectors.Errorf(injectors.EFORBIDDEN, "metadata.team: you do not design scenarios for team %q.", team))
		return
	}
	if old, err := s.studio.Scenario(name); err == nil && !visible(old.Metadata.Team) {
		s.writeError(w, r, injectors.Errorf(injectors.ECONFLICT, "metadata.name: %q is taken by a scenario of another team; choose another name.", name))
		return
	}
	author := sess.Name
	if author == "" {
		author = DefaultFacilitatorName
	}
	v, _, err := s.studio.Save(r.Context(), []byte(in.YAML), in.Base, author, s.clock.Now())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	v.YAML = ""
	writeJSON(w, http.StatusCreated, v)
}

func (s *Server) apiStudioInjects(w http.ResponseWriter, r *http.Request, sess *Session) {
	in, err := s.decodeStudio(w, r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	injects, err := scenarios.ImportInjectsCSV(strings.NewReader(in.CSV))
	var rows scenarios.CSVErrors
	if errors.As(err, &rows) {
		var ps []Problem
		for _, e := range rows {
			ps = append(ps, Problem{Line: e.Row, Column: e.Column, Message: e.Message, Severity: "error"})
		}
		refusedText(w, ps)
		return
	}
	if err != nil {
		s.writeError(w, r, injectors.Errorf(injectors.EINVALID, "The injects CSV: %v", err))
		return
	}
	out, err := scenarios.ReplaceInjects([]byte(in.YAML), injects)
	if err != nil {
		refusedText(w, problemsOf(nil, err))
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"yaml": string(out)})
}

// studioWriteBudget charges a studio write to the writer: checks against
// the check limit (the editor checks as the designer types), saves and
// imports against the facilitator's write bucket.
func (s *Server) studioWriteBudget(rt route, sess *Session) error {
	if sess == nil {
		return nil
	}
	if rt.Pattern == "/api/studio/check" {
		if !s.studioChecks.allow("check:" + sess.actor()) {
			return injectors.Errorf(injectors.ECONFLICT, "You are checking too fast; wait a moment.")
		}
		return nil
	}
	if !s.facWrites.allow("write:studio:" + sess.actor()) {
		return injectors.Errorf(injectors.ECONFLICT, "You are doing that too fast; wait a moment.")
	}
	return nil
}
