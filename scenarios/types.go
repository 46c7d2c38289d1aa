// Package scenarios is the scenario language: the types a designer writes in
// YAML (apiVersion firedrill/v1, kind Scenario), the strict loader that turns a
// file into a validated *Scenario with file:line:column errors, the JSON Schema,
// the planned timeline, and CSV import/export of injects.
package scenarios

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// APIVersion and Kind identify a scenario document.
const (
	APIVersion = "firedrill/v1"
	Kind       = "Scenario"
)

// Drill-wide constants from the practice: a drill never runs past 90 minutes,
// and hints start at minute 70 when people are stuck.
const (
	MaxTimeLimit     = 90 * time.Minute
	DefaultHintStart = 70 * time.Minute
)

// BackroomChannel is the id of the channel that always exists for designer,
// observer and facilitator and is never visible to participants.
const BackroomChannel = "backroom"

// Duration is a time.Duration written as "70m", "1h30m" or "45s" in YAML and
// JSON.
type Duration time.Duration

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// String formats d compactly ("70m", "1h30m", "45s").
func (d Duration) String() string {
	t := time.Duration(d)
	if t == 0 {
		return "0m"
	}
	s := t.String() // e.g. 1h30m0s, 1m0s, 10s, 1.5s
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// ParseDuration parses a scenario duration. Units h, m and s are accepted; a
// bare number is refused because its unit would be a guess.
func ParseDuration(s string) (Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, fmt.Errorf("empty duration, expected a value like 70m or 1h30m")
	}
	t, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("invalid duration %q, expected a value like 70m, 90s or 1h30m", s)
	}
	if t < 0 {
		return 0, fmt.Errorf("negative duration %q, expected zero or more", s)
	}
	return Duration(t), nil
}

// MarshalJSON writes d as a string such as "70m".
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// UnmarshalJSON reads a string such as "70m".
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration must be a string like \"70m\"")
	}
	v, err := ParseDuration(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// MarshalYAML writes d as a string such as "70m".
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// Difficulty is one of the levels a chained fault can be prepared at; one is
// chosen on the day for the people present.
type Difficulty string

// Difficulty levels.
const (
	Hard   Difficulty = "hard"
	Medium Difficulty = "medium"
	Easy   Difficulty = "easy"
)

// PersonaKind says which related department or system a persona plays.
type PersonaKind string

// Persona kinds.
const (
	PersonaCustomerCenter     PersonaKind = "customer-center"
	PersonaExecutive          PersonaKind = "executive"
	PersonaEmergencyCommittee PersonaKind = "emergency-committee"
	PersonaAlerting           PersonaKind = "alerting"
	PersonaOther              PersonaKind = "other"
	// PersonaPartner is an outside company the business depends on: the
	// payment (PG) company, a delivery agency, a franchise system.
	PersonaPartner PersonaKind = "partner"
	// PersonaPublic is someone outside the company: a customer, a fan on
	// social media with the key piece of information.
	PersonaPublic PersonaKind = "public"
)

// PersonaKinds are the persona kinds, in the order errors list them.
var PersonaKinds = []PersonaKind{PersonaCustomerCenter, PersonaExecutive, PersonaEmergencyCommittee, PersonaAlerting, PersonaPartner, PersonaPublic, PersonaOther}

// Scenario is one drill design. Source, when set, is the file it was loaded
// from; it is not part of the YAML.
type Scenario struct {
	APIVersion string   `yaml:"apiVersion" json:"apiVersion"`
	Kind       string   `yaml:"kind" json:"kind"`
	Metadata   Metadata `yaml:"metadata" json:"metadata"`

	// TimeLimit is the drill's cap: default and maximum 90m. The drill ends
	// itself when it is reached.
	TimeLimit Duration `yaml:"timeLimit,omitempty" json:"timeLimit,omitempty"`
	// Difficulty is the variant used when the facilitator does not choose one.
	Difficulty Difficulty `yaml:"difficulty,omitempty" json:"difficulty,omitempty"`

	Personas []Persona   `yaml:"personas" json:"personas"`
	Channels []Channel   `yaml:"channels" json:"channels"`
	Faults   []Fault     `yaml:"faults" json:"faults"`
	Alerts   []Alert     `yaml:"alerts,omitempty" json:"alerts,omitempty"`
	Injects  []Inject    `yaml:"injects,omitempty" json:"injects,omitempty"`
	Hints    []HintStage `yaml:"hints,omitempty" json:"hints,omitempty"`
	Notices  Notices     `yaml:"notices,omitempty" json:"notices,omitempty"`

	// Briefing is the day-before notice sent to everyone: purpose, rules,
	// that it is a real recovery and propagation exercise, that it is not an
	// evaluation. It never reveals the time or the scenario.
	Briefing string `yaml:"briefing,omitempty" json:"briefing,omitempty"`
	// Solution is the designer's intended best response; secret until the retro.
	Solution string    `yaml:"solution,omitempty" json:"solution,omitempty"`
	Retro    RetroSpec `yaml:"retro,omitempty" json:"retro,omitempty"`
	// Rehearsal, when set, lets `firedrill rehearse` play the drill with
	// robot participants before the day. Real drills ignore it.
	Rehearsal *Rehearsal `yaml:"rehearsal,omitempty" json:"rehearsal,omitempty"`
	// Candidates are alternative drills kept in one file; the facilitator
	// picks one when the drill is created (see candidates.go).
	Candidates []Candidate `yaml:"candidates,omitempty" json:"candidates,omitempty"`
	// Candidate is the candidate this copy plays, set by ForCandidate;
	// it is not part of the YAML.
	Candidate *Candidate `yaml:"-" json:"candidate,omitempty"`

	Source string `yaml:"-" json:"-"`
	// ContentHash is ContentHash of the text the scenario was parsed from:
	// a drill keeps it, so its record names the exact version it ran.
	ContentHash string `yaml:"-" json:"contentHash,omitempty"`
	// Warnings are what Parse found valid but probably not meant (a YAML
	// comment that swallowed text, two faults changing the same field...),
	// each with its position. They are not part of the YAML.
	Warnings ErrorList `yaml:"-" json:"-"`
}

// Metadata describes a scenario for people and for the drill history.
type Metadata struct {
	Name     string   `yaml:"name" json:"name"` // DNS-label style id, e.g. payment-db-config
	Title    string   `yaml:"title" json:"title"`
	Summary  string   `yaml:"summary,omitempty" json:"summary,omitempty"`
	Team     string   `yaml:"team,omitempty" json:"team,omitempty"`
	Designer string   `yaml:"designer,omitempty" json:"designer,omitempty"`
	Tags     []string `yaml:"tags,omitempty" json:"tags,omitempty"`
	Language string   `yaml:"language,omitempty" json:"language,omitempty"` // BCP 47, e.g. en, ko
}

// Persona is a related department, executive or system that speaks in the
// drill channels, played by the facilitator or by the script.
type Persona struct {
	ID     string      `yaml:"id" json:"id"`
	Name   string      `yaml:"name" json:"name"`
	Kind   PersonaKind `yaml:"kind" json:"kind"`
	Avatar string      `yaml:"avatar,omitempty" json:"avatar,omitempty"` // short text or emoji shown as the avatar
	Color  string      `yaml:"color,omitempty" json:"color,omitempty"`   // #rrggbb
	// Organization is the outside organization a partner or public
	// persona speaks for ("KCP payments", "Baro delivery agency"); it is
	// shown with the persona's name.
	Organization string `yaml:"organization,omitempty" json:"organization,omitempty"`
	// QuickReplies are lines the facilitator can send as this persona with
	// one click.
	QuickReplies []string `yaml:"quickReplies,omitempty" json:"quickReplies,omitempty"`
}

// DisplayName is the name the persona's messages carry: its name, with the
// organization of an outside persona, e.g. "Jiwon (KCP payments)".
func (p Persona) DisplayName() string {
	if p.Organization == "" {
		return p.Name
	}
	return p.Name + " (" + p.Organization + ")"
}

// Channel is one chat channel of the drill. The back room is implicit.
type Channel struct {
	ID    string `yaml:"id" json:"id"`
	Title string `yaml:"title,omitempty" json:"title,omitempty"`
	Topic string `yaml:"topic,omitempty" json:"topic,omitempty"`
	// Incident marks the channel where incident notices are posted. Exactly
	// one channel is the incident channel; when none is marked, the channel
	// with id "incident" is.
	Incident bool `yaml:"incident,omitempty" json:"incident,omitempty"`
}

// InjectorRef names a plugin and one of its fault or probe types, written
// "plugin/type" in YAML, e.g. "kubernetes/configmap-key".
type InjectorRef struct {
	Plugin string `json:"plugin"`
	Type   string `json:"type"`
}

// String formats r as "plugin/type".
func (r InjectorRef) String() string { return r.Plugin + "/" + r.Type }

// MarshalYAML writes r as "plugin/type".
func (r InjectorRef) MarshalYAML() (any, error) { return r.String(), nil }

// Target names the Kubernetes object (or set of objects) a fault or probe acts
// on.
type Target struct {
	Namespace string            `yaml:"namespace,omitempty" json:"namespace,omitempty"`
	Kind      string            `yaml:"kind,omitempty" json:"kind,omitempty"`
	Name      string            `yaml:"name,omitempty" json:"name,omitempty"`
	Selector  map[string]string `yaml:"selector,omitempty" json:"selector,omitempty"`
}

// Fault is one fault of the scenario.
type Fault struct {
	ID          string `yaml:"id" json:"id"`
	Title       string `yaml:"title" json:"title"`
	Description string `yaml:"description,omitempty" json:"description,omitempty"`
	// Impact is what users feel, in the customer's words; templates use it.
	Impact   string         `yaml:"impact,omitempty" json:"impact,omitempty"`
	Injector InjectorRef    `yaml:"injector" json:"injector"`
	Target   Target         `yaml:"target" json:"target"`
	Params   map[string]any `yaml:"params,omitempty" json:"params,omitempty"`
	// Variants override Title, Description, Target fields and Params per
	// difficulty; params are merged key by key over Params.
	Variants map[Difficulty]FaultVariant `yaml:"variants,omitempty" json:"variants,omitempty"`

	// Exactly one of At and After is set (At defaults to 0m when neither
	// is), unless OnDemand is.
	At    *Duration `yaml:"at,omitempty" json:"at,omitempty"`
	After *Chain    `yaml:"after,omitempty" json:"after,omitempty"`
	// IfResolvedBefore makes this an extension fault (the "too fast" rule):
	// it fires only if every fault it depends on (After's fault, or every
	// earlier fault for a time trigger) was resolved before this drill time.
	IfResolvedBefore *Duration `yaml:"ifResolvedBefore,omitempty" json:"ifResolvedBefore,omitempty"`

	ResolvedWhen ResolvedWhen `yaml:"resolvedWhen" json:"resolvedWhen"`
	// OnDemand declares a fault that is never scheduled: it fires only when
	// the facilitator fires it during the drill ("depending on the day").
	OnDemand bool `yaml:"onDemand,omitempty" json:"onDemand,omitempty"`
	// HealAfter (duration in YAML) makes the fault heal by itself, as a
	// quiet fix or a restart does: it is reverted and marked resolved this
	// long after it was injected, unless it was resolved before.
	HealAfter *Duration `yaml:"duration,omitempty" json:"duration,omitempty"`
	// OnlyIf and Unless make the fault fire only while a condition holds
	// (or does not): when it is due and the condition says no, it is
	// skipped with the reason.
	OnlyIf *Condition `yaml:"onlyIf,omitempty" json:"onlyIf,omitempty"`
	Unless *Condition `yaml:"unless,omitempty" json:"unless,omitempty"`
	// Recurs makes a cascade come back while its cause persists: when
	// the fault is resolved and its While condition still holds, it is
	// injected again After later, at most Times times.
	Recurs *Recurrence `yaml:"recurs,omitempty" json:"recurs,omitempty"`
	// AutoRevertAtEnd reverts the fault when the drill ends; default true.
	AutoRevertAtEnd *bool `yaml:"autoRevertAtEnd,omitempty" json:"autoRevertAtEnd,omitempty"`
	// Candidates, when set, limits the fault to drills that play these
	// candidates.
	Candidates []string `yaml:"candidates,omitempty" json:"candidates,omitempty"`
}

// FaultVariant is a fault prepared at one difficulty.
type FaultVariant struct {
	// Injector, when set, replaces the fault's injector at this difficulty;
	// the variant's params then replace the fault's params instead of being
	// merged over them, since they belong to another fault type.
	Injector    *InjectorRef   `yaml:"injector,omitempty" json:"injector,omitempty"`
	Title       string         `yaml:"title,omitempty" json:"title,omitempty"`
	Description string         `yaml:"description,omitempty" json:"description,omitempty"`
	Target      *Target        `yaml:"target,omitempty" json:"target,omitempty"`
	Params      map[string]any `yaml:"params,omitempty" json:"params,omitempty"`
	// Impact replaces the fault's impact text at this difficulty.
	Impact string `yaml:"impact,omitempty" json:"impact,omitempty"`
	// Enabled false leaves the fault out at this difficulty: it is not
	// played, and injects on its events and hints only about it go with it.
	Enabled *bool `yaml:"enabled,omitempty" json:"enabled,omitempty"`
	// At or After replace the fault's trigger at this difficulty (setting
	// one clears the other); IfResolvedBefore replaces its "too fast" rule.
	At               *Duration `yaml:"at,omitempty" json:"at,omitempty"`
	After            *Chain    `yaml:"after,omitempty" json:"after,omitempty"`
	IfResolvedBefore *Duration `yaml:"ifResolvedBefore,omitempty" json:"ifResolvedBefore,omitempty"`
	// ResolvedWhen replaces the fault's resolution checks at this
	// difficulty.
	ResolvedWhen *ResolvedWhen `yaml:"resolvedWhen,omitempty" json:"resolvedWhen,omitempty"`
	// HealAfter replaces the fault's duration (self-healing) at this
	// difficulty.
	HealAfter *Duration `yaml:"duration,omitempty" json:"duration,omitempty"`
}

// Condition is a state of the drill: every field set must hold.
type Condition struct {
	// FaultActive holds while that fault is injected and not yet resolved.
	FaultActive string `yaml:"faultActive,omitempty" json:"faultActive,omitempty"`
	// FaultResolved holds once that fault is resolved.
	FaultResolved string `yaml:"faultResolved,omitempty" json:"faultResolved,omitempty"`
	// NoticePosted holds once a notice of that kind was posted.
	NoticePosted NoticeKind `yaml:"noticePosted,omitempty" json:"noticePosted,omitempty"`
}

// Recurrence makes a fault come back after participants fix it, for as long
// as its cause persists, as a real cascade returns until the root cause is
// fixed.
type Recurrence struct {
	// While is the cause: the fault comes back only while this holds,
	// e.g. {faultActive: leak}.
	While Condition `yaml:"while" json:"while"`
	// After is how long after the fault was resolved it comes back.
	After Duration `yaml:"after" json:"after"`
	// Times bounds how often it comes back, so it cannot loop forever.
	Times int `yaml:"times" json:"times"`
}

// ChainEvent is the event of a predecessor fault a chained fault waits for.
type ChainEvent string

// Chain events.
const (
	ChainResolved ChainEvent = "resolved"
	ChainInjected ChainEvent = "injected"
)

// Chain makes a fault fire after an event of another fault.
type Chain struct {
	Fault string     `yaml:"fault" json:"fault"`
	Event ChainEvent `yaml:"event,omitempty" json:"event,omitempty"` // default resolved
	Delay Duration   `yaml:"delay,omitempty" json:"delay,omitempty"`
}

// ResolvedWhen says how the controller knows a fault is resolved: every probe
// holds continuously for StableFor (stabilisation monitoring), and/or a
// participant confirms in the room (Confirm, combined as Require says), or
// the facilitator marks it by hand. At least one probe, Confirm or Manual is
// required.
type ResolvedWhen struct {
	Probes    []Probe  `yaml:"probes,omitempty" json:"probes,omitempty"`
	StableFor Duration `yaml:"stableFor,omitempty" json:"stableFor,omitempty"`
	Manual    bool     `yaml:"manual,omitempty" json:"manual,omitempty"`
	// Confirm is what a participant confirms in the drill room (a button
	// with this text), e.g. "the pending orders are re-processed": the
	// human half of a resolution that a probe cannot see.
	Confirm string `yaml:"confirm,omitempty" json:"confirm,omitempty"`
	// Require says how probes and Confirm combine: all (the default: the
	// probes held for StableFor and a participant confirmed) or any
	// (either resolves the fault).
	Require Require `yaml:"require,omitempty" json:"require,omitempty"`
}

// Require is how a fault's resolution checks combine.
type Require string

// Ways to combine resolution checks.
const (
	RequireAll Require = "all"
	RequireAny Require = "any"
)

// NeedsConfirmation reports whether the probes alone cannot resolve the
// fault: a participant must confirm too.
func (rw ResolvedWhen) NeedsConfirmation() bool {
	return rw.Confirm != "" && rw.Require != RequireAny
}

// Probe is one check evaluated by a plugin, e.g. "kubernetes/deployment-available"
// or "kubernetes/http-get".
type Probe struct {
	Name     string         `yaml:"name,omitempty" json:"name,omitempty"`
	Probe    InjectorRef    `yaml:"probe" json:"probe"`
	Target   Target         `yaml:"target,omitempty" json:"target,omitempty"`
	Params   map[string]any `yaml:"params,omitempty" json:"params,omitempty"`
	Interval Duration       `yaml:"interval,omitempty" json:"interval,omitempty"` // default 10s
}

// Alert is a monitoring rule played into the alerts channel by an alerting
// persona: it fires when its probe has failed for For and resolves when the
// probe holds again. Alerts are how participants detect what monitoring sees;
// customer-center injects cover what it misses.
//
// A designer may also script an alert: At or On arm it at a drill time or
// on a drill event (with a check it then fires once the check has failed
// For; without one it fires at once), Until resolves it on an event,
// Repeat posts it again while it fires (a pager storm), Renotify reminds
// that it still fires, and Resolved is the message posted when it
// resolves.
type Alert struct {
	ID       string   `yaml:"id" json:"id"`
	Title    string   `yaml:"title" json:"title"`
	Severity string   `yaml:"severity,omitempty" json:"severity,omitempty"` // critical, warning, info
	Persona  string   `yaml:"persona" json:"persona"`
	Channel  string   `yaml:"channel" json:"channel"`
	Probe    Probe    `yaml:"check,omitempty" json:"check"`
	For      Duration `yaml:"for,omitempty" json:"for,omitempty"`
	// Difficulties, when set, limits the alert to drills played at these
	// levels.
	Difficulties []Difficulty `yaml:"difficulties,omitempty" json:"difficulties,omitempty"`
	// At arms the alert at a drill time.
	At *Duration `yaml:"at,omitempty" json:"at,omitempty"`
	// On arms the alert on a drill event (the injects' triggers).
	On *EventTrigger `yaml:"on,omitempty" json:"on,omitempty"`
	// Until resolves the alert on a drill event, e.g. its fault resolved;
	// after it the alert never fires again.
	Until *EventTrigger `yaml:"until,omitempty" json:"until,omitempty"`
	// Repeat posts the firing message again while the alert fires.
	Repeat *AlertRepeat `yaml:"repeat,omitempty" json:"repeat,omitempty"`
	// Renotify posts a "still firing" reminder every Renotify while the
	// alert fires.
	Renotify Duration `yaml:"renotify,omitempty" json:"renotify,omitempty"`
	// Resolved is the message (a template) posted when the alert
	// resolves; empty means "[RESOLVED] <title>".
	Resolved string `yaml:"resolved,omitempty" json:"resolved,omitempty"`
	// Candidates, when set, limits the alert to drills that play these
	// candidates.
	Candidates []string `yaml:"candidates,omitempty" json:"candidates,omitempty"`
}

// AlertRepeat is a pager storm: the firing message again Every, at most
// Times more times, while the alert fires.
type AlertRepeat struct {
	Every Duration `yaml:"every" json:"every"`
	Times int      `yaml:"times,omitempty" json:"times,omitempty"`
}

// Alert repetition bounds: a storm repeats at most every MinAlertRepeat,
// DefaultAlertRepeats times unless Times says otherwise, never more than
// MaxAlertRepeats; reminders come at most every MinAlertRenotify.
const (
	MinAlertRepeat      = 30 * time.Second
	DefaultAlertRepeats = 10
	MaxAlertRepeats     = 60
	MinAlertRenotify    = 5 * time.Minute
)

// HasCheck reports whether the alert polls a probe.
func (a Alert) HasCheck() bool { return a.Probe.Probe.Type != "" || a.Probe.Probe.Plugin != "" }

// Scripted reports whether the designer scripted more than a monitoring
// rule: a trigger, a storm, reminders, an until or a resolved message.
func (a Alert) Scripted() bool {
	return a.At != nil || a.On != nil || a.Until != nil || a.Repeat != nil || a.Renotify > 0 || a.Resolved != ""
}

// Repeats returns how many times the alert is posted again while it fires.
func (a Alert) Repeats() int {
	switch {
	case a.Repeat == nil:
		return 0
	case a.Repeat.Times > 0:
		return a.Repeat.Times
	}
	return DefaultAlertRepeats
}

// EventKind names the drill events an inject can be triggered by.
type EventKind string

// Inject trigger events.
const (
	OnDrillStarted  EventKind = "drill.started"
	OnFaultInjected EventKind = "fault.injected"
	OnFaultResolved EventKind = "fault.resolved"
	// OnFaultRecurred fires when a fault with recurs first comes back
	// after a fix, because its cause persists.
	OnFaultRecurred EventKind = "fault.recurred"
	OnNoticePosted  EventKind = "notice.posted"
	OnNoticeMissing EventKind = "notice.missing" // the notice was not posted by By
	OnHintGiven     EventKind = "hint.given"
	OnAlertFiring   EventKind = "alert.firing"
	OnAlertResolved EventKind = "alert.resolved"
	// OnInjectPosted fires after another scripted message was posted.
	OnInjectPosted EventKind = "inject.posted"
	// OnChatMatched fires when a participant writes a message that
	// matches (words or a regular expression), in one channel or any.
	OnChatMatched EventKind = "chat.matched"
	// OnClusterChanged fires when a check polled by the engine sees the
	// cluster change: its result differs from the first one it saw, or
	// from the one after the drill's own latest fault change.
	OnClusterChanged EventKind = "cluster.changed"
)

// NoticeKind is one of the notices participants post.
type NoticeKind string

// Notice kinds.
const (
	NoticeIncident   NoticeKind = "incident"
	NoticeStatus     NoticeKind = "status-update"
	NoticeResolution NoticeKind = "resolution"
)

// EventTrigger makes an inject fire on a drill event.
type EventTrigger struct {
	Event  EventKind  `yaml:"event" json:"event"`
	Fault  string     `yaml:"fault,omitempty" json:"fault,omitempty"`   // for fault.* events
	Notice NoticeKind `yaml:"notice,omitempty" json:"notice,omitempty"` // for notice.* events
	Alert  string     `yaml:"alert,omitempty" json:"alert,omitempty"`   // for alert.* events
	Hint   string     `yaml:"hint,omitempty" json:"hint,omitempty"`     // for hint.given
	// By is the deadline for notice.missing: fire at By when the notice has
	// not been posted yet.
	By    *Duration `yaml:"by,omitempty" json:"by,omitempty"`
	Delay Duration  `yaml:"delay,omitempty" json:"delay,omitempty"`
	// Inject is the scripted message inject.posted waits for.
	Inject string `yaml:"inject,omitempty" json:"inject,omitempty"`
	// Channel limits chat.matched to one channel; empty means any channel
	// participants write in.
	Channel string `yaml:"channel,omitempty" json:"channel,omitempty"`
	// Match is what a participant's message must contain for
	// chat.matched.
	Match *TextMatch `yaml:"match,omitempty" json:"match,omitempty"`
	// Field and Value make notice.posted wait for a notice whose field has
	// that value (compared without case), e.g. field: grade, value: SEV1.
	Field string `yaml:"field,omitempty" json:"field,omitempty"`
	Value string `yaml:"value,omitempty" json:"value,omitempty"`
	// Check is the probe cluster.changed polls.
	Check *Probe `yaml:"check,omitempty" json:"check,omitempty"`
}

// Inject is one scripted persona message. Text is a Go text/template; see
// TemplateData for the values it can use.
type Inject struct {
	ID string        `yaml:"id" json:"id"`
	At *Duration     `yaml:"at,omitempty" json:"at,omitempty"`
	On *EventTrigger `yaml:"on,omitempty" json:"on,omitempty"`
	// Persona speaks the message. A message in the back room may have
	// none: it is a note of the scenario to the staff (a reminder for the
	// facilitator, what to look for), from nobody in the story.
	Persona string `yaml:"persona,omitempty" json:"persona,omitempty"`
	Channel string `yaml:"channel" json:"channel"`
	Text    string `yaml:"text" json:"text"`
	// ExpectedAction is what the designer expects participants to do; shown
	// to facilitator and observers, and in the retro.
	ExpectedAction string    `yaml:"expectedAction,omitempty" json:"expectedAction,omitempty"`
	FollowUp       *FollowUp `yaml:"followUp,omitempty" json:"followUp,omitempty"`
	// Escalation is a ladder of follow-ups: each step comes its After
	// after the message before it (the inject, then the previous step)
	// unless the inject was answered. FollowUp is a ladder of one step;
	// a scenario sets one or the other.
	Escalation []FollowUp `yaml:"escalation,omitempty" json:"escalation,omitempty"`
	// AnsweredWhen is what counts as an answer that stops the follow-ups:
	// a participant's message in the inject's channel that matches. Empty
	// means any participant message in the channel.
	AnsweredWhen *TextMatch `yaml:"answeredWhen,omitempty" json:"answeredWhen,omitempty"`
	// Difficulties, when set, limits the inject to drills played at these
	// levels.
	Difficulties []Difficulty `yaml:"difficulties,omitempty" json:"difficulties,omitempty"`
	// Candidates, when set, limits the inject to drills that play these
	// candidates.
	Candidates []string `yaml:"candidates,omitempty" json:"candidates,omitempty"`
	// To makes the inject a private briefing: only that participant (and
	// staff) ever see it. It waits until such a participant is there.
	To *Recipient `yaml:"to,omitempty" json:"to,omitempty"`
}

// Response roles participants claim in the drill room, from the practice:
// recovery and propagation are done by different people.
const (
	ClaimCommander   = "incident-commander"
	ClaimRecovery    = "recovery"
	ClaimPropagation = "propagation"
	ClaimLiaison     = "customer-liaison"
)

// ResponseRoles are the roles a participant can claim, in the room's order.
var ResponseRoles = []string{ClaimCommander, ClaimRecovery, ClaimPropagation, ClaimLiaison}

// Recipient names the participant a private message goes to: the one who
// joined in Slot (1 for the first participant added to the drill), or
// whoever holds the response role Claim when the message is due.
type Recipient struct {
	Slot  int    `yaml:"slot,omitempty" json:"slot,omitempty"`
	Claim string `yaml:"claim,omitempty" json:"claim,omitempty"`
}

// Describe returns r in words: "participant 2", "the recovery role".
func (r Recipient) Describe() string {
	if r.Claim != "" {
		return "whoever holds " + r.Claim + ", once claimed"
	}
	return fmt.Sprintf("participant %d", r.Slot)
}

// FollowUp is sent by the same persona (or Persona, someone higher up) when
// the inject was not answered within After.
type FollowUp struct {
	After Duration `yaml:"after" json:"after"`
	Text  string   `yaml:"text" json:"text"`
	// Persona, on an escalation step, is who speaks at this step instead
	// of the inject's persona (the CTO after the customer center).
	Persona string `yaml:"persona,omitempty" json:"persona,omitempty"`
}

// Ladder returns the inject's follow-ups in order: its escalation steps,
// or its single follow-up.
func (in Inject) Ladder() []FollowUp {
	if len(in.Escalation) > 0 {
		return in.Escalation
	}
	if in.FollowUp != nil {
		return []FollowUp{*in.FollowUp}
	}
	return nil
}

// HintStage is one staged hint, given in character by a persona.
type HintStage struct {
	ID      string   `yaml:"id" json:"id"`
	At      Duration `yaml:"at" json:"at"`
	Persona string   `yaml:"persona" json:"persona"`
	Channel string   `yaml:"channel" json:"channel"`
	Text    string   `yaml:"text" json:"text"`
	// Faults limits the hint to these faults: it is skipped when all of them
	// are resolved. Empty means every fault.
	Faults []string `yaml:"faults,omitempty" json:"faults,omitempty"`
	// Difficulties, when set, limits the hint to drills played at these
	// levels.
	Difficulties []Difficulty `yaml:"difficulties,omitempty" json:"difficulties,omitempty"`
	// Candidates, when set, limits the hint to drills that play these
	// candidates.
	Candidates []string `yaml:"candidates,omitempty" json:"candidates,omitempty"`
}

// Notices holds the templates of the notices participants post, and the
// expected update cadence.
type Notices struct {
	Incident     *NoticeTemplate `yaml:"incident,omitempty" json:"incident,omitempty"`
	StatusUpdate *NoticeTemplate `yaml:"statusUpdate,omitempty" json:"statusUpdate,omitempty"`
	Resolution   *NoticeTemplate `yaml:"resolution,omitempty" json:"resolution,omitempty"`
	// Grades are the internal incident grades participants choose from.
	Grades []string `yaml:"grades,omitempty" json:"grades,omitempty"`
	// UpdateCadence is how often a status update is expected while the
	// incident is open (e.g. 15m); 0 means no expectation.
	UpdateCadence Duration `yaml:"updateCadence,omitempty" json:"updateCadence,omitempty"`
}

// FieldType is the input type of a notice or retro field.
type FieldType string

// Field types.
const (
	FieldText     FieldType = "text"
	FieldTextarea FieldType = "textarea"
	FieldTime     FieldType = "time"     // a clock time such as 14:05
	FieldDuration FieldType = "duration" // e.g. 20m
	FieldSelect   FieldType = "select"
	FieldScale    FieldType = "scale" // 1..5
)

// NoticeTemplate is the form participants fill to post a notice, and how the
// posted notice is rendered as a card.
type NoticeTemplate struct {
	Title   string        `yaml:"title,omitempty" json:"title,omitempty"`
	Channel string        `yaml:"channel,omitempty" json:"channel,omitempty"` // default: the incident channel
	Fields  []NoticeField `yaml:"fields" json:"fields"`
}

// NoticeField is one field of a notice form.
type NoticeField struct {
	ID       string    `yaml:"id" json:"id"`
	Label    string    `yaml:"label" json:"label"`
	Type     FieldType `yaml:"type,omitempty" json:"type,omitempty"` // default text
	Required bool      `yaml:"required,omitempty" json:"required,omitempty"`
	Options  []string  `yaml:"options,omitempty" json:"options,omitempty"` // for select
	Help     string    `yaml:"help,omitempty" json:"help,omitempty"`
}

// RetroSpec adds the scenario's own questions to the retrospective form; the
// standard questions and the before/after self-rating are always asked.
type RetroSpec struct {
	Questions []RetroQuestion `yaml:"questions,omitempty" json:"questions,omitempty"`
}

// RetroQuestion is one extra retro question.
type RetroQuestion struct {
	ID       string    `yaml:"id" json:"id"`
	Text     string    `yaml:"text" json:"text"`
	Type     FieldType `yaml:"type,omitempty" json:"type,omitempty"` // text, textarea or scale; default textarea
	Required bool      `yaml:"required,omitempty" json:"required,omitempty"`
}
