package scenarios

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"time"
)

// Defaults the loader applies; documented in scenarios/README.md.
const (
	DefaultProbeInterval = 10 * time.Second
	// HintStageGap is the time between staged hints whose at is omitted.
	HintStageGap = 5 * time.Minute
)

// Catalog tells the loader which fault and probe types the injector plugins
// offer, and the JSON Schema of each type's params. When given (WithCatalog),
// unknown plugin/type references are errors and params are validated.
type Catalog interface {
	// FaultType returns the params schema of a fault type; ok is false when
	// the plugin or the type does not exist.
	FaultType(plugin, typ string) (schema []byte, ok bool, err error)
	// ProbeType returns the params schema of a probe type.
	ProbeType(plugin, typ string) (schema []byte, ok bool, err error)
}

// Option changes how a scenario is loaded.
type Option func(*options)

type options struct {
	catalog Catalog
}

// WithCatalog validates injector and probe references and their params
// against the plugins' catalog.
func WithCatalog(c Catalog) Option {
	return func(o *options) { o.catalog = c }
}

// Load reads and validates the scenario file at path. Every problem found is
// returned as an ErrorList.
func Load(path string, opts ...Option) (*Scenario, error) {
	name := path
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("load scenario %s: %w", path, err)
	}
	if st.IsDir() {
		return nil, fmt.Errorf("load scenario %s: is a directory, expected a YAML file", path)
	}
	if st.Size() > MaxFileSize {
		return nil, ErrorList{{File: name, Line: 1, Column: 1, Message: fmt.Sprintf("file is %d bytes, larger than the limit of %d bytes", st.Size(), MaxFileSize)}}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load scenario %s: %w", path, err)
	}
	s, err := Parse(name, data, opts...)
	if s != nil {
		s.Source = path
	}
	return s, err
}

// Parse decodes and validates a scenario from data; name is used in error
// messages (usually the file name). It applies the documented defaults.
func Parse(name string, data []byte, opts ...Option) (*Scenario, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	d := newDecoder(name)
	root := d.parseNode(data)
	if root == nil {
		return nil, d.errs.sorted()
	}
	s := &Scenario{}
	d.scenario(root, s)
	if d.over {
		return nil, d.errs.sorted()
	}
	applyDefaults(s)
	v := &validator{d: d, s: s, catalog: o.catalog}
	v.validate()
	d.lintComments(root, data)
	if len(d.errs) > 0 {
		return nil, append(d.errs, d.warns...).sorted()
	}
	s.Warnings = d.warns.sorted()
	s.ContentHash = ContentHash(data)
	return s, nil
}

// ContentHash is the hex SHA-256 of a scenario's text: the version a drill
// ran, recorded with it.
func ContentHash(data []byte) string {
	h := sha256.Sum256(data)
	return hex.EncodeToString(h[:])
}

// applyDefaults fills in what the designer may leave out.
func applyDefaults(s *Scenario) {
	if s.TimeLimit == 0 {
		s.TimeLimit = Duration(MaxTimeLimit)
	}
	hasVariants := false
	for i := range s.Faults {
		f := &s.Faults[i]
		if len(f.Variants) > 0 {
			hasVariants = true
		}
		if f.At == nil && f.After == nil && !f.OnDemand {
			zero := Duration(0)
			f.At = &zero
		}
		if f.After != nil && f.After.Event == "" {
			f.After.Event = ChainResolved
		}
		if f.AutoRevertAtEnd == nil {
			t := true
			f.AutoRevertAtEnd = &t
		}
		for j := range f.ResolvedWhen.Probes {
			defaultProbe(&f.ResolvedWhen.Probes[j])
		}
	}
	if s.Difficulty == "" && hasVariants {
		s.Difficulty = Medium
	}
	for i := range s.Alerts {
		if s.Alerts[i].HasCheck() {
			defaultProbe(&s.Alerts[i].Probe)
		}
	}
	for i := range s.Injects {
		if on := s.Injects[i].On; on != nil && on.Check != nil {
			defaultProbe(on.Check)
		}
	}
	next := Duration(DefaultHintStart)
	for i := range s.Hints {
		h := &s.Hints[i]
		if h.At < 0 {
			h.At = next
		}
		next = h.At + Duration(HintStageGap)
	}
	incident := s.markedIncidentChannel()
	if s.Notices.Incident == nil {
		s.Notices.Incident = DefaultIncidentNotice()
	}
	if s.Notices.StatusUpdate == nil {
		s.Notices.StatusUpdate = DefaultStatusUpdateNotice()
	}
	if s.Notices.Resolution == nil {
		s.Notices.Resolution = DefaultResolutionNotice()
	}
	if len(s.Notices.Grades) == 0 {
		s.Notices.Grades = append([]string(nil), DefaultGrades...)
	}
	for _, t := range []*NoticeTemplate{s.Notices.Incident, s.Notices.StatusUpdate, s.Notices.Resolution} {
		if t.Channel == "" {
			t.Channel = incident
		}
		for j := range t.Fields {
			if t.Fields[j].Type == "" {
				t.Fields[j].Type = FieldText
			}
			if t.Fields[j].ID == "grade" && t.Fields[j].Type == FieldSelect && len(t.Fields[j].Options) == 0 {
				t.Fields[j].Options = append([]string(nil), s.Notices.Grades...)
			}
		}
	}
	for i := range s.Retro.Questions {
		if s.Retro.Questions[i].Type == "" {
			s.Retro.Questions[i].Type = FieldTextarea
		}
	}
}

func defaultProbe(p *Probe) {
	if p.Interval == 0 {
		p.Interval = Duration(DefaultProbeInterval)
	}
}

// Fault returns the fault with the given id.
func (s *Scenario) Fault(id string) (*Fault, bool) {
	for i := range s.Faults {
		if s.Faults[i].ID == id {
			return &s.Faults[i], true
		}
	}
	return nil, false
}
