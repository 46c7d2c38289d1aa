package scenarios

import (
	"regexp"
	"slices"
	"strings"
)

// validator checks the meaning of a decoded scenario: references, ids,
// times against the cap, chains, templates and, with a catalog, plugin
// types and params.
type validator struct {
	d       *decoder
	s       *Scenario
	catalog Catalog
	limit   Duration // the time limit triggers are checked against, at most 90m
	samples map[bool]TemplateData
	// unavailable records the plugins already reported as not available
	// to check against.
	unavailable map[string]bool

	personas map[string]*Persona
	channels map[string]bool
	faults   map[string]int
	alerts   map[string]bool
	hints    map[string]bool
	injects  map[string]int
}

var (
	idPattern    = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
	colorPattern = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)
	langPattern  = regexp.MustCompile(`^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$`)
)

const idExpect = "expected lower-case letters, digits and dashes, starting and ending with a letter or digit (at most 63)"

func (v *validator) errf(path, format string, args ...any) { v.d.errAt(path, format, args...) }

func (v *validator) warnf(path, format string, args ...any) { v.d.warnAt(path, format, args...) }

func (v *validator) validate() {
	s := v.s
	if s.APIVersion != "" && s.APIVersion != APIVersion {
		v.errf("apiVersion", "unsupported apiVersion %q, expected %q", s.APIVersion, APIVersion)
	}
	if s.Kind != "" && s.Kind != Kind {
		v.errf("kind", "unsupported kind %q, expected %q", s.Kind, Kind)
	}
	v.metadata()
	v.limit = s.TimeLimit
	if s.TimeLimit.D() > MaxTimeLimit {
		v.limit = Duration(MaxTimeLimit)
		v.errf("timeLimit", "%s is above the 90m cap, expected at most 90m (focus and energy collapse past it)", mins(s.TimeLimit))
	}
	if s.Difficulty != "" && !validDifficulty(s.Difficulty) {
		v.errf("difficulty", "unknown difficulty %q, expected one of: hard, medium, easy", s.Difficulty)
	}
	v.personasAndChannels()
	v.collectIDs()
	for i := range s.Faults {
		v.fault(i)
	}
	v.chains()
	for i := range s.Alerts {
		v.alert(i)
	}
	for i := range s.Injects {
		v.inject(i)
	}
	v.injectChains()
	v.hintStages()
	v.noticeTemplates()
	v.retro()
	v.timing()
	v.variantLevels()
	v.overlaps()
	// The checks of the scenario as played (levels, candidatePlays) come
	// last: they run only when everything else passed, so that a mistake
	// the file shows as written is reported once, where it is.
	v.rehearsal()
	v.candidates()
	v.levels()
	v.candidatePlays()
}

func (v *validator) id(path, id string) {
	if id != "" && !idPattern.MatchString(id) {
		v.errf(path, "invalid id %q, %s", id, idExpect)
	}
}

func (v *validator) metadata() {
	m := v.s.Metadata
	v.id("metadata.name", m.Name)
	if m.Language != "" && !langPattern.MatchString(m.Language) {
		v.errf("metadata.language", "invalid language %q, expected a BCP 47 tag such as en or ko", m.Language)
	}
	for i, t := range m.Tags {
		if strings.TrimSpace(t) == "" {
			v.errf(index("metadata.tags", i), "empty tag")
		}
	}
}

func (v *validator) personasAndChannels() {
	s := v.s
	v.personas = map[string]*Persona{}
	for i := range s.Personas {
		p := &s.Personas[i]
		path := index("personas", i)
		v.id(path+".id", p.ID)
		if _, dup := v.personas[p.ID]; dup && p.ID != "" {
			v.errf(path+".id", "duplicate persona id %q", p.ID)
		}
		v.personas[p.ID] = p
		if p.Kind != "" && !slices.Contains(PersonaKinds, p.Kind) {
			names := make([]string, len(PersonaKinds))
			for i, k := range PersonaKinds {
				names[i] = string(k)
			}
			v.errf(path+".kind", "unknown persona kind %q, expected one of: %s", p.Kind, strings.Join(names, ", "))
		}
		if p.Organization != "" && p.Kind != PersonaPartner && p.Kind != PersonaPublic {
			v.errf(path+".organization", "organization is for outside personas, expected kind: partner or public next to it")
		}
		if p.Color != "" && !colorPattern.MatchString(p.Color) {
			v.errf(path+".color", "invalid colour %q, expected #rrggbb", p.Color)
		}
	}
	if len(s.Personas) == 0 && v.d.pos["personas"] != (pos{}) {
		v.errf("personas", "no personas, expected at least one (the customer center, an executive, an alerting system...)")
	}
	v.channels = map[string]bool{}
	incident := 0
	for i, c := range s.Channels {
		path := index("channels", i)
		v.id(path+".id", c.ID)
		if c.ID == BackroomChannel {
			v.errf(path+".id", "%q is reserved for the back room (designer, observer, facilitator), which always exists; choose another id", BackroomChannel)
		}
		if v.channels[c.ID] && c.ID != "" {
			v.errf(path+".id", "duplicate channel id %q", c.ID)
		}
		v.channels[c.ID] = true
		if c.Incident {
			incident++
			if incident > 1 {
				v.errf(path+".incident", "more than one incident channel, expected exactly one channel with incident: true")
			}
		}
	}
	if _, ok := v.d.pos["channels"]; ok && len(s.Channels) == 0 {
		v.errf("channels", "no channels, expected at least the incident channel")
	} else if len(s.Channels) > 0 && s.markedIncidentChannel() == "" {
		v.errf("channels", "no incident channel, expected one channel with incident: true or with id \"incident\"")
	}
}

// collectIDs indexes faults, alerts and hints and reports duplicates, so that
// references can be checked in any order.
func (v *validator) collectIDs() {
	s := v.s
	v.faults = map[string]int{}
	for i, f := range s.Faults {
		path := index("faults", i) + ".id"
		v.id(path, f.ID)
		if _, dup := v.faults[f.ID]; dup && f.ID != "" {
			v.errf(path, "duplicate fault id %q", f.ID)
			continue
		}
		v.faults[f.ID] = i
	}
	if _, ok := v.d.pos["faults"]; ok && len(s.Faults) == 0 {
		v.errf("faults", "no faults, expected at least one")
	}
	v.alerts = map[string]bool{}
	for i, a := range s.Alerts {
		path := index("alerts", i) + ".id"
		v.id(path, a.ID)
		if v.alerts[a.ID] && a.ID != "" {
			v.errf(path, "duplicate alert id %q", a.ID)
		}
		v.alerts[a.ID] = true
	}
	v.hints = map[string]bool{}
	for i, h := range s.Hints {
		path := index("hints", i) + ".id"
		v.id(path, h.ID)
		if v.hints[h.ID] && h.ID != "" {
			v.errf(path, "duplicate hint id %q", h.ID)
		}
		v.hints[h.ID] = true
	}
	v.injects = map[string]int{}
	for i, in := range s.Injects {
		path := index("injects", i) + ".id"
		v.id(path, in.ID)
		if _, dup := v.injects[in.ID]; dup && in.ID != "" {
			v.errf(path, "duplicate inject id %q", in.ID)
			continue
		}
		v.injects[in.ID] = i
	}
}

func (v *validator) persona(path, id string) {
	if id == "" {
		return
	}
	if _, ok := v.personas[id]; !ok {
		v.errf(path, "unknown persona %q, expected one of: %s", id, listOr(sortedKeys(v.personas)))
	}
}

func (v *validator) channel(path, id string, backroomOK bool) {
	if id == "" {
		return
	}
	if id == BackroomChannel {
		if !backroomOK {
			v.errf(path, "the back room is never visible to participants, expected a drill channel: %s", listOr(sortedKeys(v.channels)))
		}
		return
	}
	if !v.channels[id] {
		v.errf(path, "unknown channel %q, expected one of: %s", id, listOr(sortedKeys(v.channels)))
	}
}

func (v *validator) faultRef(path, id string) bool {
	if id == "" {
		return false
	}
	if _, ok := v.faults[id]; !ok {
		v.errf(path, "unknown fault %q, expected one of: %s", id, listOr(sortedKeys(v.faults)))
		return false
	}
	return true
}

func listOr(ids []string) string {
	ids = slices.DeleteFunc(ids, func(s string) bool { return s == "" })
	if len(ids) == 0 {
		return "(none defined)"
	}
	return strings.Join(ids, ", ")
}

// beforeCap reports a time at or past the time limit.
func (v *validator) beforeCap(path string, t Duration, what string) {
	if t >= v.limit {
		v.errf(path, "%s %s is past the time limit %s, expected a time before %s", what, mins(t), mins(v.limit), mins(v.limit))
	}
}

func (v *validator) fault(i int) {
	f := &v.s.Faults[i]
	path := index("faults", i)
	if _, ok := v.d.pos[path+".at"]; ok && f.After != nil {
		v.errf(path+".after", "both at and after are set, expected one trigger: a time (at) or a chain (after)")
	}
	if f.At != nil {
		v.beforeCap(path+".at", *f.At, "fault time")
	}
	if f.OnDemand {
		if _, ok := v.d.pos[path+".at"]; ok || f.After != nil {
			v.errf(path+".onDemand", "an on-demand fault fires when the facilitator fires it, expected no at or after")
		}
		if f.IfResolvedBefore != nil {
			v.errf(path+".ifResolvedBefore", "an on-demand fault fires when the facilitator fires it, expected no ifResolvedBefore")
		}
	}
	if f.After != nil {
		ap := path + ".after"
		if f.After.Fault == f.ID && f.ID != "" {
			v.errf(ap+".fault", "a fault cannot wait on itself")
		} else {
			v.faultRef(ap+".fault", f.After.Fault)
		}
		switch f.After.Event {
		case ChainResolved, ChainInjected:
		default:
			v.errf(ap+".event", "unknown chain event %q, expected resolved or injected", f.After.Event)
		}
	}
	if f.IfResolvedBefore != nil {
		p := path + ".ifResolvedBefore"
		if *f.IfResolvedBefore > v.limit {
			v.errf(p, "%s is after the time limit %s, expected at most %s", mins(*f.IfResolvedBefore), mins(v.limit), mins(v.limit))
		}
		if f.At != nil && f.After == nil {
			if !v.hasEarlierFault(f) {
				v.errf(p, "no fault fires before %s, so there is nothing to have resolved; expected an earlier fault or a chain (after)", mins(*f.At))
			} else if *f.IfResolvedBefore > *f.At {
				v.errf(p, "%s is after the fault's own time %s; a time-triggered extension checks earlier faults when it fires, expected at most %s", mins(*f.IfResolvedBefore), mins(*f.At), mins(*f.At))
			}
		}
	}
	v.target(path+".target", f.Target)
	for d, vr := range f.Variants {
		if vr.Target != nil {
			v.target(path+".variants."+string(d)+".target", *vr.Target)
		}
	}
	rw := f.ResolvedWhen
	rp := path + ".resolvedWhen"
	if _, ok := v.d.pos[rp]; (ok || v.d.noPositions) && len(rw.Probes) == 0 && !rw.Manual && rw.Confirm == "" {
		v.errf(rp, "no way to resolve the fault, expected probes, confirm (a participant confirms in the room), manual: true, or several")
	}
	v.confirmation(rp, rw)
	if len(rw.Probes) == 0 && rw.StableFor > 0 {
		v.errf(rp+".stableFor", "stableFor needs probes to watch, expected probes or no stableFor")
	}
	if rw.StableFor.D() >= v.limit.D() {
		v.errf(rp+".stableFor", "%s is not shorter than the time limit %s", mins(rw.StableFor), mins(v.limit))
	}
	v.variantTriggers(i)
	v.healAndConditions(i)
	v.catalogFault(path, f)
	for j, p := range rw.Probes {
		v.probe(index(rp+".probes", j), p)
	}
}

func (v *validator) hasEarlierFault(f *Fault) bool {
	for _, g := range v.s.Faults {
		if g.ID != f.ID && g.At != nil && g.After == nil && *g.At < *f.At {
			return true
		}
	}
	return false
}

func (v *validator) target(path string, t Target) {
	if t.Name != "" && len(t.Selector) > 0 {
		v.errf(path, "both name and selector are set, expected one of them")
	}
	if t.Namespace != "" && !idPattern.MatchString(t.Namespace) {
		v.errf(path+".namespace", "invalid namespace %q, %s", t.Namespace, idExpect)
	}
}

func (v *validator) probe(path string, p Probe) {
	if p.Interval.D() < 1e9 {
		v.errf(path+".interval", "interval %s is shorter than 1s, expected 1s or more", mins(p.Interval))
	}
	v.target(path+".target", p.Target)
	v.catalogProbe(path, p)
}

// chains reports chains that form a cycle and chained faults that can never
// fire before the cap.
func (v *validator) chains() {
	s := v.s
	const (
		white = iota
		grey
		black
	)
	color := make([]int, len(s.Faults))
	reported := map[int]bool{}
	var visit func(i int, stack []int)
	visit = func(i int, stack []int) {
		color[i] = grey
		stack = append(stack, i)
		if a := s.Faults[i].After; a != nil {
			if j, ok := v.faults[a.Fault]; ok && j != i {
				switch color[j] {
				case grey:
					k := slices.Index(stack, j)
					cycle := stack[k:]
					names := make([]string, 0, len(cycle)+1)
					for _, c := range cycle {
						names = append(names, s.Faults[c].ID)
					}
					names = append(names, s.Faults[j].ID)
					if !reported[j] {
						for _, c := range cycle {
							reported[c] = true
						}
						// report on the fault that closes the cycle
						v.errf(index("faults", i)+".after.fault", "chain forms a cycle: %s; expected every chain to start from a fault with a time (at)", strings.Join(names, " -> "))
					}
				case white:
					visit(j, stack)
				}
			}
		}
		color[i] = black
	}
	for i := range s.Faults {
		if color[i] == white {
			visit(i, nil)
		}
	}
	// earliest possible firing times for the cap check
	for i, f := range s.Faults {
		if f.After == nil || reported[i] {
			continue
		}
		if t, ok := earliest(s, i, len(s.Faults)); ok && t >= v.limit {
			v.errf(index("faults", i)+".after", "the chain fires at %s at the earliest, which is not before the time limit %s; expected a shorter delay or an earlier predecessor", mins(t), mins(v.limit))
		}
	}
}

// earliest returns the earliest drill time fault i can fire at, assuming
// every predecessor is resolved as soon as it can be: the moment it is
// injected when it may be resolved by hand, else when its probes have held
// for its stability window (stableFor). ok is false for broken chains.
func earliest(s *Scenario, i, budget int) (Duration, bool) {
	if budget < 0 {
		return 0, false
	}
	f := s.Faults[i]
	if f.OnDemand {
		return 0, false // whenever the facilitator fires it
	}
	if f.After == nil {
		if f.At == nil {
			return 0, true
		}
		return *f.At, true
	}
	for j := range s.Faults {
		if s.Faults[j].ID == f.After.Fault && j != i {
			t, ok := earliest(s, j, budget-1)
			if f.After.Event != ChainInjected {
				t += stabilityWindow(s.Faults[j])
			}
			return t + f.After.Delay, ok
		}
	}
	return 0, false
}

// stabilityWindow is the shortest time from injection to resolution of f:
// its probes must hold for stableFor, unless the facilitator may mark it
// resolved by hand.
func stabilityWindow(f Fault) Duration {
	if f.ResolvedWhen.Manual || len(f.ResolvedWhen.Probes) == 0 {
		return 0
	}
	return f.ResolvedWhen.StableFor
}

func (v *validator) alert(i int) {
	a := v.s.Alerts[i]
	path := index("alerts", i)
	v.persona(path+".persona", a.Persona)
	v.channel(path+".channel", a.Channel, false)
	switch a.Severity {
	case "", "critical", "warning", "info":
	default:
		v.errf(path+".severity", "unknown severity %q, expected critical, warning or info", a.Severity)
	}
	if a.HasCheck() {
		v.probe(path+".check", a.Probe)
	}
	v.alertScript(i)
}

func (v *validator) template(path, text string, withFault bool) {
	if text == "" {
		return
	}
	if v.samples == nil {
		v.samples = map[bool]TemplateData{false: sampleData(v.s, false), true: sampleData(v.s, true)}
	}
	if err := checkTemplate(v.samples[withFault], text); err != nil {
		v.errf(path, "%s", err)
	}
}

func validDifficulty(d Difficulty) bool { return d == Hard || d == Medium || d == Easy }
