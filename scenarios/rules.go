package scenarios

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
)

// The rules of a scenario that the engine, the drill room and the tools all
// apply live here, as methods of the scenario, so that each has one home.

// Persona returns the scenario's persona with the id.
func (s *Scenario) Persona(id string) (*Persona, bool) {
	for i := range s.Personas {
		if s.Personas[i].ID == id {
			return &s.Personas[i], true
		}
	}
	return nil, false
}

// HasChannel reports whether id is a channel of a drill of the scenario: one
// of its channels or the back room, which always exists.
func (s *Scenario) HasChannel(id string) bool {
	// Without ChannelIDs' slice: every chat post asks.
	return id == BackroomChannel || slices.ContainsFunc(s.Channels, func(c Channel) bool { return c.ID == id })
}

// ChannelIDs returns the ids of the scenario's channels, then the back room.
func (s *Scenario) ChannelIDs() []string {
	ids := make([]string, 0, len(s.Channels)+1)
	for _, c := range s.Channels {
		ids = append(ids, c.ID)
	}
	return append(ids, BackroomChannel)
}

// IncidentChannel returns the channel where incident notices are posted and
// where a participant's first message acknowledges the incident: the channel
// marked incident: true, else the channel with id "incident", else the first
// channel, else "incident". A loaded scenario always has a marked or
// "incident" channel when it has channels (Parse checks it); the fallbacks
// serve scenarios built in code.
func (s *Scenario) IncidentChannel() string {
	if ch := s.markedIncidentChannel(); ch != "" {
		return ch
	}
	if len(s.Channels) > 0 {
		return s.Channels[0].ID
	}
	return "incident"
}

// markedIncidentChannel returns the channel marked incident: true, else the
// channel with id "incident", else "".
func (s *Scenario) markedIncidentChannel() string {
	for _, c := range s.Channels {
		if c.Incident {
			return c.ID
		}
	}
	for _, c := range s.Channels {
		if c.ID == "incident" {
			return c.ID
		}
	}
	return ""
}

// NoticeKinds are the kinds of notice, in the order of the practice.
var NoticeKinds = []NoticeKind{NoticeIncident, NoticeStatus, NoticeResolution}

// NoticeTemplate returns the scenario's form for the notice kind, or nil when
// kind is not a notice kind or the scenario has no form for it.
func (s *Scenario) NoticeTemplate(kind NoticeKind) *NoticeTemplate {
	switch kind {
	case NoticeIncident:
		return s.Notices.Incident
	case NoticeStatus:
		return s.Notices.StatusUpdate
	case NoticeResolution:
		return s.Notices.Resolution
	}
	return nil
}

// NoticeFieldError is one field of a notice at fault: the field (only its ID
// for a field the form does not have), the value given, and the problem, one
// of the Problem constants, for the room to word next to the field's label.
type NoticeFieldError struct {
	Field   NoticeField
	Value   string
	Problem string
}

// NoticeErrors is the error of ValidateNotice: every field at fault, the
// form's fields in form order, then the fields it does not have by id.
type NoticeErrors []NoticeFieldError

// Error lists the fields at fault and their problems.
func (e NoticeErrors) Error() string {
	parts := make([]string, len(e))
	for i, f := range e {
		parts[i] = f.Field.ID + ": " + f.Problem
	}
	return "notice fields at fault: " + strings.Join(parts, ", ")
}

// ValidateNotice checks a notice's fields against the scenario's form for
// kind: known fields only, required ones filled, values of the field's type
// (see NoticeField.Check). It returns the fields with surrounding space
// trimmed and empty ones left out. A kind without a form is an error; fields
// at fault are a NoticeErrors naming every one.
func (s *Scenario) ValidateNotice(kind NoticeKind, in map[string]string) (map[string]string, error) {
	t := s.NoticeTemplate(kind)
	if t == nil {
		if !slices.Contains(NoticeKinds, kind) {
			return nil, fmt.Errorf("notice kind %q is not a kind, expected incident, status-update or resolution", kind)
		}
		return nil, fmt.Errorf("the scenario has no %s notice form", kind)
	}
	out := make(map[string]string)
	known := make(map[string]bool, len(t.Fields))
	var errs NoticeErrors
	for _, f := range t.Fields {
		known[f.ID] = true
		v := strings.TrimSpace(in[f.ID])
		p := ""
		switch {
		case v == "" && f.Required:
			p = ProblemRequired
		case v != "":
			p = f.Check(v)
		}
		if p != "" {
			errs = append(errs, NoticeFieldError{Field: f, Value: v, Problem: p})
			continue
		}
		if v != "" {
			out[f.ID] = v
		}
	}
	var unknown []string
	for id := range in {
		if !known[id] {
			unknown = append(unknown, id)
		}
	}
	sort.Strings(unknown)
	for _, id := range unknown {
		errs = append(errs, NoticeFieldError{Field: NoticeField{ID: id}, Value: in[id], Problem: ProblemUnknown})
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return out, nil
}

// DirFile is one scenario file of a directory: its path and the scenario, or
// the error loading it.
type DirFile struct {
	Path     string
	Scenario *Scenario
	Err      error
}

// LoadDir loads every scenario file of dir (*.yaml and *.yml, not
// recursive), in name order, with opts. A directory that cannot be read is
// an error; a file that does not load is returned with its error, so that
// one broken file does not hide the others.
func LoadDir(dir string, opts ...Option) ([]DirFile, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []DirFile
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || !(strings.HasSuffix(n, ".yaml") || strings.HasSuffix(n, ".yml")) {
			continue
		}
		p := filepath.Join(dir, n)
		s, err := Load(p, opts...)
		out = append(out, DirFile{Path: p, Scenario: s, Err: err})
	}
	return out, nil
}

// Validate checks a scenario built in code, not loaded from a file, with
// the rules the loader applies to a file: references, ids, times against
// the cap, chains, notices and templates. It checks a copy with the
// documented defaults applied, as the loader would, and leaves s as it is.
// Every problem is reported with its field path (there is no line or
// column to give); nil means the scenario is valid. Options such as
// WithCatalog also check plugin types and params.
func (s *Scenario) Validate(opts ...Option) error {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	name := s.Source
	if name == "" {
		name = "scenario " + s.Metadata.Name
	}
	d := newDecoder(name)
	d.noPositions = true
	c := s.Clone()
	applyDefaults(c)
	v := &validator{d: d, s: c, catalog: o.catalog}
	v.validate()
	if len(d.errs) > 0 {
		return d.errs.sorted()
	}
	return nil
}
