package scenarios

import (
	yaml "go.yaml.in/yaml/v3"
)

// This file maps every YAML field of the scenario format to its Go field.
// Keep it in step with types.go and schema.json.

func (d *decoder) scenario(n *yaml.Node, s *Scenario) {
	d.pos[""] = pos{n.Line, n.Column}
	d.object(n, "", []field{
		{"apiVersion", true, func(v *yaml.Node, p string) { d.str(v, p, &s.APIVersion) }},
		{"kind", true, func(v *yaml.Node, p string) { d.str(v, p, &s.Kind) }},
		{"metadata", true, func(v *yaml.Node, p string) { d.metadata(v, p, &s.Metadata) }},
		{"timeLimit", false, func(v *yaml.Node, p string) { d.duration(v, p, &s.TimeLimit) }},
		{"difficulty", false, func(v *yaml.Node, p string) { d.str(v, p, (*string)(&s.Difficulty)) }},
		{"personas", true, func(v *yaml.Node, p string) {
			d.list(v, p, func(v *yaml.Node, p string, _ int) {
				var x Persona
				d.persona(v, p, &x)
				s.Personas = append(s.Personas, x)
			})
		}},
		{"channels", true, func(v *yaml.Node, p string) {
			d.list(v, p, func(v *yaml.Node, p string, _ int) {
				var x Channel
				d.channel(v, p, &x)
				s.Channels = append(s.Channels, x)
			})
		}},
		{"faults", true, func(v *yaml.Node, p string) {
			d.list(v, p, func(v *yaml.Node, p string, _ int) {
				var x Fault
				d.fault(v, p, &x)
				s.Faults = append(s.Faults, x)
			})
		}},
		{"alerts", false, func(v *yaml.Node, p string) {
			d.list(v, p, func(v *yaml.Node, p string, _ int) {
				var x Alert
				d.alert(v, p, &x)
				s.Alerts = append(s.Alerts, x)
			})
		}},
		{"injects", false, func(v *yaml.Node, p string) {
			d.list(v, p, func(v *yaml.Node, p string, _ int) {
				var x Inject
				d.inject(v, p, &x)
				s.Injects = append(s.Injects, x)
			})
		}},
		{"hints", false, func(v *yaml.Node, p string) {
			d.list(v, p, func(v *yaml.Node, p string, _ int) {
				var x HintStage
				d.hint(v, p, &x)
				s.Hints = append(s.Hints, x)
			})
		}},
		{"notices", false, func(v *yaml.Node, p string) { d.notices(v, p, &s.Notices) }},
		{"briefing", false, func(v *yaml.Node, p string) { d.str(v, p, &s.Briefing) }},
		{"solution", false, func(v *yaml.Node, p string) { d.str(v, p, &s.Solution) }},
		{"retro", false, func(v *yaml.Node, p string) { d.retro(v, p, &s.Retro) }},
		{"rehearsal", false, func(v *yaml.Node, p string) {
			s.Rehearsal = &Rehearsal{}
			d.rehearsal(v, p, s.Rehearsal)
		}},
		{"candidates", false, func(v *yaml.Node, p string) { d.candidates(v, p, &s.Candidates) }},
	})
}

func (d *decoder) metadata(n *yaml.Node, path string, m *Metadata) {
	d.object(n, path, []field{
		{"name", true, func(v *yaml.Node, p string) { d.str(v, p, &m.Name) }},
		{"title", true, func(v *yaml.Node, p string) { d.str(v, p, &m.Title) }},
		{"summary", false, func(v *yaml.Node, p string) { d.str(v, p, &m.Summary) }},
		{"team", false, func(v *yaml.Node, p string) { d.str(v, p, &m.Team) }},
		{"designer", false, func(v *yaml.Node, p string) { d.str(v, p, &m.Designer) }},
		{"tags", false, func(v *yaml.Node, p string) { d.strs(v, p, &m.Tags) }},
		{"language", false, func(v *yaml.Node, p string) { d.str(v, p, &m.Language) }},
	})
}

func (d *decoder) persona(n *yaml.Node, path string, x *Persona) {
	d.object(n, path, []field{
		{"id", true, func(v *yaml.Node, p string) { d.str(v, p, &x.ID) }},
		{"name", true, func(v *yaml.Node, p string) { d.str(v, p, &x.Name) }},
		{"kind", true, func(v *yaml.Node, p string) { d.str(v, p, (*string)(&x.Kind)) }},
		{"organization", false, func(v *yaml.Node, p string) { d.str(v, p, &x.Organization) }},
		{"avatar", false, func(v *yaml.Node, p string) { d.str(v, p, &x.Avatar) }},
		{"color", false, func(v *yaml.Node, p string) { d.str(v, p, &x.Color) }},
		{"quickReplies", false, func(v *yaml.Node, p string) { d.strs(v, p, &x.QuickReplies) }},
	})
}

func (d *decoder) channel(n *yaml.Node, path string, x *Channel) {
	d.object(n, path, []field{
		{"id", true, func(v *yaml.Node, p string) { d.str(v, p, &x.ID) }},
		{"title", false, func(v *yaml.Node, p string) { d.str(v, p, &x.Title) }},
		{"topic", false, func(v *yaml.Node, p string) { d.str(v, p, &x.Topic) }},
		{"incident", false, func(v *yaml.Node, p string) { d.boolean(v, p, &x.Incident) }},
	})
}

func (d *decoder) target(n *yaml.Node, path string, x *Target) {
	d.object(n, path, []field{
		{"namespace", false, func(v *yaml.Node, p string) { d.str(v, p, &x.Namespace) }},
		{"kind", false, func(v *yaml.Node, p string) { d.str(v, p, &x.Kind) }},
		{"name", false, func(v *yaml.Node, p string) { d.str(v, p, &x.Name) }},
		{"selector", false, func(v *yaml.Node, p string) { d.stringMap(v, p, &x.Selector) }},
	})
}

func (d *decoder) fault(n *yaml.Node, path string, x *Fault) {
	d.object(n, path, []field{
		{"id", true, func(v *yaml.Node, p string) { d.str(v, p, &x.ID) }},
		{"title", true, func(v *yaml.Node, p string) { d.str(v, p, &x.Title) }},
		{"description", false, func(v *yaml.Node, p string) { d.str(v, p, &x.Description) }},
		{"impact", false, func(v *yaml.Node, p string) { d.str(v, p, &x.Impact) }},
		{"injector", true, func(v *yaml.Node, p string) { d.injectorRef(v, p, &x.Injector) }},
		{"target", true, func(v *yaml.Node, p string) { d.target(v, p, &x.Target) }},
		{"params", false, func(v *yaml.Node, p string) { d.params(v, p, &x.Params) }},
		{"variants", false, func(v *yaml.Node, p string) { d.variants(v, p, &x.Variants) }},
		{"at", false, func(v *yaml.Node, p string) { d.durationPtr(v, p, &x.At) }},
		{"after", false, func(v *yaml.Node, p string) { x.After = &Chain{}; d.chain(v, p, x.After) }},
		{"ifResolvedBefore", false, func(v *yaml.Node, p string) { d.durationPtr(v, p, &x.IfResolvedBefore) }},
		{"resolvedWhen", true, func(v *yaml.Node, p string) { d.resolvedWhen(v, p, &x.ResolvedWhen) }},
		{"autoRevertAtEnd", false, func(v *yaml.Node, p string) { d.boolPtr(v, p, &x.AutoRevertAtEnd) }},
		{"duration", false, func(v *yaml.Node, p string) { d.durationPtr(v, p, &x.HealAfter) }},
		{"onDemand", false, func(v *yaml.Node, p string) { d.boolean(v, p, &x.OnDemand) }},
		{"onlyIf", false, func(v *yaml.Node, p string) { x.OnlyIf = &Condition{}; d.condition(v, p, x.OnlyIf) }},
		{"unless", false, func(v *yaml.Node, p string) { x.Unless = &Condition{}; d.condition(v, p, x.Unless) }},
		{"candidates", false, func(v *yaml.Node, p string) { d.strs(v, p, &x.Candidates) }},
		{"recurs", false, func(v *yaml.Node, p string) { x.Recurs = &Recurrence{}; d.recurrence(v, p, x.Recurs) }},
	})
}

func (d *decoder) recurrence(n *yaml.Node, path string, x *Recurrence) {
	d.object(n, path, []field{
		{"while", true, func(v *yaml.Node, p string) { d.condition(v, p, &x.While) }},
		{"after", true, func(v *yaml.Node, p string) { d.duration(v, p, &x.After) }},
		{"times", true, func(v *yaml.Node, p string) { d.integer(v, p, &x.Times) }},
	})
}

func (d *decoder) chain(n *yaml.Node, path string, x *Chain) {
	d.object(n, path, []field{
		{"fault", true, func(v *yaml.Node, p string) { d.str(v, p, &x.Fault) }},
		{"event", false, func(v *yaml.Node, p string) { d.str(v, p, (*string)(&x.Event)) }},
		{"delay", false, func(v *yaml.Node, p string) { d.duration(v, p, &x.Delay) }},
	})
}

func (d *decoder) followUp(n *yaml.Node, path string, x *FollowUp) {
	d.object(n, path, []field{
		{"after", true, func(v *yaml.Node, p string) { d.duration(v, p, &x.After) }},
		{"text", true, func(v *yaml.Node, p string) { d.str(v, p, &x.Text) }},
		{"persona", false, func(v *yaml.Node, p string) { d.str(v, p, &x.Persona) }},
	})
}

func (d *decoder) textMatch(n *yaml.Node, path string, x *TextMatch) {
	d.object(n, path, []field{
		{"words", false, func(v *yaml.Node, p string) { d.strs(v, p, &x.Words) }},
		{"regex", false, func(v *yaml.Node, p string) { d.str(v, p, &x.Regex) }},
	})
}

func (d *decoder) condition(n *yaml.Node, path string, x *Condition) {
	d.object(n, path, []field{
		{"faultActive", false, func(v *yaml.Node, p string) { d.str(v, p, &x.FaultActive) }},
		{"faultResolved", false, func(v *yaml.Node, p string) { d.str(v, p, &x.FaultResolved) }},
		{"noticePosted", false, func(v *yaml.Node, p string) { d.str(v, p, (*string)(&x.NoticePosted)) }},
	})
}

// difficulties decodes a list of difficulty levels.
func (d *decoder) difficulties(n *yaml.Node, path string, into *[]Difficulty) {
	d.list(n, path, func(v *yaml.Node, p string, _ int) {
		var s string
		d.str(v, p, &s)
		if s != "" && !validDifficulty(Difficulty(s)) {
			d.errorf(v, p, "unknown difficulty %q, expected one of: hard, medium, easy", s)
			return
		}
		*into = append(*into, Difficulty(s))
	})
}

func (d *decoder) variants(n *yaml.Node, path string, into *map[Difficulty]FaultVariant) {
	r := d.resolve(n)
	if r == nil {
		return
	}
	if r.Kind != yaml.MappingNode {
		d.errorf(r, path, "expected a mapping of difficulty (hard, medium, easy) to variant, got %s", kindName(r))
		return
	}
	m := map[Difficulty]FaultVariant{}
	for i := 0; i+1 < len(r.Content); i += 2 {
		k := d.resolve(r.Content[i])
		if k == nil {
			return
		}
		p := join(path, k.Value)
		if k.Kind != yaml.ScalarNode {
			d.errorf(k, path, "keys must be difficulty names: hard, medium or easy")
			continue
		}
		diff := Difficulty(k.Value)
		if !validDifficulty(diff) {
			d.errorf(k, p, "unknown difficulty %q, expected one of: hard, medium, easy", k.Value)
			continue
		}
		if _, dup := m[diff]; dup {
			d.errorf(k, p, "duplicate variant %q", k.Value)
			continue
		}
		v := r.Content[i+1]
		d.pos[p] = pos{v.Line, v.Column}
		var fv FaultVariant
		d.object(v, p, []field{
			{"injector", false, func(v *yaml.Node, p string) {
				fv.Injector = &InjectorRef{}
				d.injectorRef(v, p, fv.Injector)
			}},
			{"title", false, func(v *yaml.Node, p string) { d.str(v, p, &fv.Title) }},
			{"description", false, func(v *yaml.Node, p string) { d.str(v, p, &fv.Description) }},
			{"target", false, func(v *yaml.Node, p string) {
				fv.Target = &Target{}
				d.target(v, p, fv.Target)
			}},
			{"params", false, func(v *yaml.Node, p string) { d.params(v, p, &fv.Params) }},
			{"impact", false, func(v *yaml.Node, p string) { d.str(v, p, &fv.Impact) }},
			{"enabled", false, func(v *yaml.Node, p string) { d.boolPtr(v, p, &fv.Enabled) }},
			{"at", false, func(v *yaml.Node, p string) { d.durationPtr(v, p, &fv.At) }},
			{"after", false, func(v *yaml.Node, p string) { fv.After = &Chain{}; d.chain(v, p, fv.After) }},
			{"ifResolvedBefore", false, func(v *yaml.Node, p string) { d.durationPtr(v, p, &fv.IfResolvedBefore) }},
			{"duration", false, func(v *yaml.Node, p string) { d.durationPtr(v, p, &fv.HealAfter) }},
			{"resolvedWhen", false, func(v *yaml.Node, p string) {
				fv.ResolvedWhen = &ResolvedWhen{}
				d.resolvedWhen(v, p, fv.ResolvedWhen)
			}},
		})
		m[diff] = fv
	}
	*into = m
}

func (d *decoder) resolvedWhen(n *yaml.Node, path string, x *ResolvedWhen) {
	d.object(n, path, []field{
		{"probes", false, func(v *yaml.Node, p string) {
			d.list(v, p, func(v *yaml.Node, p string, _ int) {
				var pr Probe
				d.probe(v, p, &pr)
				x.Probes = append(x.Probes, pr)
			})
		}},
		{"stableFor", false, func(v *yaml.Node, p string) { d.duration(v, p, &x.StableFor) }},
		{"manual", false, func(v *yaml.Node, p string) { d.boolean(v, p, &x.Manual) }},
		{"confirm", false, func(v *yaml.Node, p string) { d.str(v, p, &x.Confirm) }},
		{"require", false, func(v *yaml.Node, p string) { d.str(v, p, (*string)(&x.Require)) }},
	})
}

func (d *decoder) probe(n *yaml.Node, path string, x *Probe) {
	d.object(n, path, []field{
		{"name", false, func(v *yaml.Node, p string) { d.str(v, p, &x.Name) }},
		{"probe", true, func(v *yaml.Node, p string) { d.injectorRef(v, p, &x.Probe) }},
		{"target", false, func(v *yaml.Node, p string) { d.target(v, p, &x.Target) }},
		{"params", false, func(v *yaml.Node, p string) { d.params(v, p, &x.Params) }},
		{"interval", false, func(v *yaml.Node, p string) { d.duration(v, p, &x.Interval) }},
	})
}

func (d *decoder) alert(n *yaml.Node, path string, x *Alert) {
	d.object(n, path, []field{
		{"id", true, func(v *yaml.Node, p string) { d.str(v, p, &x.ID) }},
		{"title", true, func(v *yaml.Node, p string) { d.str(v, p, &x.Title) }},
		{"severity", false, func(v *yaml.Node, p string) { d.str(v, p, &x.Severity) }},
		{"persona", true, func(v *yaml.Node, p string) { d.str(v, p, &x.Persona) }},
		{"channel", true, func(v *yaml.Node, p string) { d.str(v, p, &x.Channel) }},
		{"check", false, func(v *yaml.Node, p string) { d.probe(v, p, &x.Probe) }},
		{"for", false, func(v *yaml.Node, p string) { d.duration(v, p, &x.For) }},
		{"difficulties", false, func(v *yaml.Node, p string) { d.difficulties(v, p, &x.Difficulties) }},
		{"at", false, func(v *yaml.Node, p string) { d.durationPtr(v, p, &x.At) }},
		{"on", false, func(v *yaml.Node, p string) { x.On = &EventTrigger{}; d.eventTrigger(v, p, x.On) }},
		{"until", false, func(v *yaml.Node, p string) { x.Until = &EventTrigger{}; d.eventTrigger(v, p, x.Until) }},
		{"repeat", false, func(v *yaml.Node, p string) {
			if r := d.resolve(v); r != nil && r.Kind == yaml.ScalarNode {
				d.errorf(r, p, "expected how often and how many times, e.g. repeat: {every: 1m, times: 10}, got %s", kindName(r))
				return
			}
			x.Repeat = &AlertRepeat{}
			d.object(v, p, []field{
				{"every", true, func(v *yaml.Node, p string) { d.duration(v, p, &x.Repeat.Every) }},
				{"times", false, func(v *yaml.Node, p string) { d.integer(v, p, &x.Repeat.Times) }},
			})
		}},
		{"renotify", false, func(v *yaml.Node, p string) { d.duration(v, p, &x.Renotify) }},
		{"resolved", false, func(v *yaml.Node, p string) { d.str(v, p, &x.Resolved) }},
		{"candidates", false, func(v *yaml.Node, p string) { d.strs(v, p, &x.Candidates) }},
	})
}

func (d *decoder) inject(n *yaml.Node, path string, x *Inject) {
	d.object(n, path, []field{
		{"id", true, func(v *yaml.Node, p string) { d.str(v, p, &x.ID) }},
		{"at", false, func(v *yaml.Node, p string) { d.durationPtr(v, p, &x.At) }},
		{"on", false, func(v *yaml.Node, p string) {
			x.On = &EventTrigger{}
			d.eventTrigger(v, p, x.On)
		}},
		{"persona", false, func(v *yaml.Node, p string) { d.str(v, p, &x.Persona) }},
		{"channel", true, func(v *yaml.Node, p string) { d.str(v, p, &x.Channel) }},
		{"text", true, func(v *yaml.Node, p string) { d.str(v, p, &x.Text) }},
		{"expectedAction", false, func(v *yaml.Node, p string) { d.str(v, p, &x.ExpectedAction) }},
		{"followUp", false, func(v *yaml.Node, p string) {
			x.FollowUp = &FollowUp{}
			d.followUp(v, p, x.FollowUp)
		}},
		{"escalation", false, func(v *yaml.Node, p string) {
			d.list(v, p, func(v *yaml.Node, p string, _ int) {
				var f FollowUp
				d.followUp(v, p, &f)
				x.Escalation = append(x.Escalation, f)
			})
		}},
		{"to", false, func(v *yaml.Node, p string) {
			x.To = &Recipient{}
			d.object(v, p, []field{
				{"slot", false, func(v *yaml.Node, p string) { d.integer(v, p, &x.To.Slot) }},
				{"claim", false, func(v *yaml.Node, p string) { d.str(v, p, &x.To.Claim) }},
			})
		}},
		{"answeredWhen", false, func(v *yaml.Node, p string) {
			x.AnsweredWhen = &TextMatch{}
			d.textMatch(v, p, x.AnsweredWhen)
		}},
		{"difficulties", false, func(v *yaml.Node, p string) { d.difficulties(v, p, &x.Difficulties) }},
		{"candidates", false, func(v *yaml.Node, p string) { d.strs(v, p, &x.Candidates) }},
	})
}

func (d *decoder) eventTrigger(n *yaml.Node, path string, x *EventTrigger) {
	d.object(n, path, []field{
		{"event", true, func(v *yaml.Node, p string) { d.str(v, p, (*string)(&x.Event)) }},
		{"fault", false, func(v *yaml.Node, p string) { d.str(v, p, &x.Fault) }},
		{"notice", false, func(v *yaml.Node, p string) { d.str(v, p, (*string)(&x.Notice)) }},
		{"alert", false, func(v *yaml.Node, p string) { d.str(v, p, &x.Alert) }},
		{"hint", false, func(v *yaml.Node, p string) { d.str(v, p, &x.Hint) }},
		{"by", false, func(v *yaml.Node, p string) { d.durationPtr(v, p, &x.By) }},
		{"delay", false, func(v *yaml.Node, p string) { d.duration(v, p, &x.Delay) }},
		{"inject", false, func(v *yaml.Node, p string) { d.str(v, p, &x.Inject) }},
		{"channel", false, func(v *yaml.Node, p string) { d.str(v, p, &x.Channel) }},
		{"match", false, func(v *yaml.Node, p string) { x.Match = &TextMatch{}; d.textMatch(v, p, x.Match) }},
		{"field", false, func(v *yaml.Node, p string) { d.str(v, p, &x.Field) }},
		{"value", false, func(v *yaml.Node, p string) { d.str(v, p, &x.Value) }},
		{"check", false, func(v *yaml.Node, p string) { x.Check = &Probe{}; d.probe(v, p, x.Check) }},
	})
}

func (d *decoder) hint(n *yaml.Node, path string, x *HintStage) {
	x.At = -1 // marks "not given": the loader stages it (70m, then +5m)
	d.object(n, path, []field{
		{"id", true, func(v *yaml.Node, p string) { d.str(v, p, &x.ID) }},
		{"at", false, func(v *yaml.Node, p string) { d.duration(v, p, &x.At) }},
		{"persona", true, func(v *yaml.Node, p string) { d.str(v, p, &x.Persona) }},
		{"channel", true, func(v *yaml.Node, p string) { d.str(v, p, &x.Channel) }},
		{"text", true, func(v *yaml.Node, p string) { d.str(v, p, &x.Text) }},
		{"faults", false, func(v *yaml.Node, p string) { d.strs(v, p, &x.Faults) }},
		{"difficulties", false, func(v *yaml.Node, p string) { d.difficulties(v, p, &x.Difficulties) }},
		{"candidates", false, func(v *yaml.Node, p string) { d.strs(v, p, &x.Candidates) }},
	})
}

func (d *decoder) notices(n *yaml.Node, path string, x *Notices) {
	tmpl := func(into **NoticeTemplate) func(v *yaml.Node, p string) {
		return func(v *yaml.Node, p string) {
			*into = &NoticeTemplate{}
			d.noticeTemplate(v, p, *into)
		}
	}
	d.object(n, path, []field{
		{"incident", false, tmpl(&x.Incident)},
		{"statusUpdate", false, tmpl(&x.StatusUpdate)},
		{"resolution", false, tmpl(&x.Resolution)},
		{"grades", false, func(v *yaml.Node, p string) { d.strs(v, p, &x.Grades) }},
		{"updateCadence", false, func(v *yaml.Node, p string) { d.duration(v, p, &x.UpdateCadence) }},
	})
}

func (d *decoder) noticeTemplate(n *yaml.Node, path string, x *NoticeTemplate) {
	d.object(n, path, []field{
		{"title", false, func(v *yaml.Node, p string) { d.str(v, p, &x.Title) }},
		{"channel", false, func(v *yaml.Node, p string) { d.str(v, p, &x.Channel) }},
		{"fields", true, func(v *yaml.Node, p string) {
			d.list(v, p, func(v *yaml.Node, p string, _ int) {
				var f NoticeField
				d.object(v, p, []field{
					{"id", true, func(v *yaml.Node, p string) { d.str(v, p, &f.ID) }},
					{"label", true, func(v *yaml.Node, p string) { d.str(v, p, &f.Label) }},
					{"type", false, func(v *yaml.Node, p string) { d.str(v, p, (*string)(&f.Type)) }},
					{"required", false, func(v *yaml.Node, p string) { d.boolean(v, p, &f.Required) }},
					{"options", false, func(v *yaml.Node, p string) { d.strs(v, p, &f.Options) }},
					{"help", false, func(v *yaml.Node, p string) { d.str(v, p, &f.Help) }},
				})
				x.Fields = append(x.Fields, f)
			})
		}},
	})
}

func (d *decoder) retro(n *yaml.Node, path string, x *RetroSpec) {
	d.object(n, path, []field{
		{"questions", false, func(v *yaml.Node, p string) {
			d.list(v, p, func(v *yaml.Node, p string, _ int) {
				var q RetroQuestion
				d.object(v, p, []field{
					{"id", true, func(v *yaml.Node, p string) { d.str(v, p, &q.ID) }},
					{"text", true, func(v *yaml.Node, p string) { d.str(v, p, &q.Text) }},
					{"type", false, func(v *yaml.Node, p string) { d.str(v, p, (*string)(&q.Type)) }},
					{"required", false, func(v *yaml.Node, p string) { d.boolean(v, p, &q.Required) }},
				})
				x.Questions = append(x.Questions, q)
			})
		}},
	})
}
