// Package record assembles a drill's record — what a compliance audit and the
// team keep — from the drill's journal alone: date, team, scenario and
// variant, people and roles, the full timeline on the drill clock, the
// engine's metrics, response times per inject and per notice, the notices as
// posted, observer notes, the retro's answers and ratings, and the accepted
// follow-up actions. The record carries the journal itself, so Verify can
// recompute the hash chain and re-derive every section, proving a kept
// record unaltered or naming what was changed.
//
// Exports (Markdown, JSON, printable HTML, actions as CSV and as
// GitHub-issue JSON) and the SVG charts are deterministic: the same journal
// gives the same bytes. History summarises records across drills.
package record

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/control/retro"
	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/scenarios"
)

// Schema identifies the JSON record format; see SCHEMA.md and
// record.schema.json.
const Schema = "https://firedrill.dev/schemas/record/v1"

// SectionsVersion is the version of how this firedrill derives a record's
// sections from its journal: their layout and their English wording (the
// timeline's summaries, the response and notice lines, from words.json).
// Verify compares a kept record's sections with fresh ones when the record
// states this version or one it still derives (ComparedSince); the hash
// chain is verified whatever the version. Bump it whenever the same
// journal gives other sections, and keep an export of the previous
// version in testdata/verify.
//
// Version 3 records each injection of a fault that came back after a fix
// (metrics.faults[].injections, metrics.injections), and times the
// resolution notice from the last resolution of any injection; version 2
// kept each fault's latest injection only.
const SectionsVersion = 3

// ComparedSince is the oldest sections version Verify still derives, and
// so compares: version 2 differs from 3 only in how it records a fault
// that came back, which assemble keeps. Version 2 read each fault's
// detection from the engine's projection; the engine has since stopped
// taking a message written after a fault came back and before it was
// injected again for the comeback's detection, so version 2's rule is
// kept here (detectedV2) rather than read from the engine: whatever the
// engine measures, a version-2 record re-derives as it was written
// (testdata/verify/sections-v2-recurs-gap.json). Likewise version 2 took
// the earliest of the faults' latest injections for the drill's first
// injection, which the engine has since kept from the first fault.injected
// on: firstInjectedV2 keeps version 2's rule
// (testdata/verify/sections-v2-first-came-back.json).
const ComparedSince = 2

// Record is one drill's record. Durations are milliseconds of drill time.
type Record struct {
	Schema string `json:"$schema"`
	// SectionsVersion is the SectionsVersion of the firedrill that derived
	// the sections; 0 (absent) in records exported before it was recorded.
	SectionsVersion int    `json:"sectionsVersion,omitempty"`
	DrillID         string `json:"drillId"`
	Title           string `json:"title"`
	Team            string `json:"team"`
	// Date is the day the drill ran (or was created, if it never started),
	// YYYY-MM-DD in UTC; Season is its half year, e.g. 2026H2.
	Date      string     `json:"date"`
	Season    string     `json:"season"`
	StartedAt *time.Time `json:"startedAt,omitempty"`
	EndedAt   *time.Time `json:"endedAt,omitempty"`
	State     string     `json:"state"`
	EndReason string     `json:"endReason,omitempty"`
	Why       string     `json:"why,omitempty"`
	// TimeScale is the drill clock's speed-up: 1 for a real drill, above 1
	// for a rehearsal (60 runs a drill minute in a second).
	TimeScale float64 `json:"timeScale"`
	// Robots is set when robot participants played the drill (firedrill
	// rehearse): a rehearsal whatever its clock.
	Robots bool `json:"robots,omitempty"`

	Scenario ScenarioInfo    `json:"scenario"`
	People   []Person        `json:"people"`
	Metrics  Metrics         `json:"metrics"`
	Timeline []TimelineEntry `json:"timeline"`
	// Responses are the response times per inject and per question a
	// persona asked live (→ first participant reply in its channel) and per
	// notice.
	Responses []Response `json:"responses"`
	Notices   []Notice   `json:"notices"`
	// UpdatePromises are the next updates the notices promised ("next
	// update 14:20"), read in the server's time zone, and whether and how
	// late they came.
	UpdatePromises []UpdatePromise `json:"updatePromises,omitempty"`
	ObserverNotes  []Note          `json:"observerNotes"`
	Retro          Retro           `json:"retro"`
	// Chain is the journal: every event with its hash, and the head.
	Chain Chain `json:"chain"`

	// lang is the drill's language (the scenario's metadata.language),
	// which the record's pages are written in unless asked otherwise.
	lang Lang
}

// Language is the language the record's pages and exports are written in
// unless a reader asks for another: the scenario's metadata.language (ko,
// ko-KR: Korean), English otherwise and for a record read from JSON.
func (r *Record) Language() Lang { return r.lang.Or(English) }

// ScenarioInfo is the scenario as the drill ran it.
type ScenarioInfo struct {
	Name    string `json:"name"`
	Title   string `json:"title"`
	Summary string `json:"summary,omitempty"`
	Variant string `json:"variant,omitempty"`
	// Candidate and CandidateTitle name the candidate the facilitator
	// picked, for a scenario that keeps candidates.
	Candidate      string `json:"candidate,omitempty"`
	CandidateTitle string `json:"candidateTitle,omitempty"`
	// ContentHash is the SHA-256 of the scenario text the drill ran.
	ContentHash string   `json:"contentHash,omitempty"`
	Designer    string   `json:"designer,omitempty"`
	Solution    string   `json:"solution,omitempty"`
	Faults      []string `json:"faults"`
	TimeCap     int64    `json:"timeCapMs"`
}

// Person is someone who took part, with their role; staff carry their
// identity-provider subject, or the break-glass sign-in they used.
type Person struct {
	ID      string       `json:"id"`
	Name    string       `json:"name"`
	Role    control.Role `json:"role"`
	Subject string       `json:"subject,omitempty"`
	SignIn  string       `json:"signIn,omitempty"`
}

// TimelineEntry is one event of the drill as people read it.
type TimelineEntry struct {
	Seq     int64  `json:"seq"`
	AtMs    int64  `json:"atMs"`
	Kind    string `json:"kind"`
	Type    string `json:"type"`
	Actor   string `json:"actor"`
	Summary string `json:"summary"`
	// Phrase is the summary as a key and arguments, for readers who word
	// it in another language.
	Phrase
}

// Response is how long the team took to answer an inject or to post a
// notice. For an inject: AtMs is the persona's message, RepliedMs the first
// participant message in the same channel after it. For a notice: AtMs is
// the first fault injection (the occurrence), RepliedMs the notice.
type Response struct {
	// Kind is inject (scripted), question (asked live by the facilitator
	// as a persona) or notice.
	Kind       string `json:"kind"`
	ID         string `json:"id"`
	Channel    string `json:"channel"`
	AtMs       int64  `json:"atMs"`
	RepliedMs  *int64 `json:"repliedAtMs"`
	ResponseMs *int64 `json:"responseMs"`
}

// UpdatePromise is a promised next update: when it was due and when the
// next notice came (LateMs above 0: late; nil KeptAtMs: never came).
type UpdatePromise struct {
	NoticeSeq int64  `json:"noticeSeq"`
	Promised  string `json:"promised"`
	DueMs     int64  `json:"dueMs"`
	KeptAtMs  *int64 `json:"keptAtMs"`
	LateMs    *int64 `json:"lateMs"`
}

// Notice is a notice as posted.
type Notice struct {
	Seq     int64             `json:"seq"`
	Kind    string            `json:"kind"`
	Channel string            `json:"channel"`
	Author  string            `json:"author"`
	AtMs    int64             `json:"atMs"`
	Fields  map[string]string `json:"fields"`
	// Title and Rows are the notice as its form shows it: the form's title,
	// and each filled field with its label, in the form's order.
	Title string      `json:"title,omitempty"`
	Rows  []NoticeRow `json:"rows,omitempty"`
}

// NoticeRow is one filled field of a notice, with the form's label.
type NoticeRow struct {
	ID    string `json:"id"`
	Label string `json:"label"`
	Value string `json:"value"`
}

// noticeRows lays a notice's fields out as its form does: labels, form
// order; fields the form does not know (an older scenario) follow by id.
func noticeRows(tpl *scenarios.NoticeTemplate, fields map[string]string) (string, []NoticeRow) {
	var rows []NoticeRow
	seen := map[string]bool{}
	title := ""
	if tpl != nil {
		title = tpl.Title
		for _, f := range tpl.Fields {
			if v, ok := fields[f.ID]; ok {
				rows = append(rows, NoticeRow{ID: f.ID, Label: f.Label, Value: v})
				seen[f.ID] = true
			}
		}
	}
	for _, k := range sortedKeys(fields) {
		if !seen[k] {
			rows = append(rows, NoticeRow{ID: k, Label: k, Value: fields[k]})
		}
	}
	return title, rows
}

// Note is an observer note.
type Note struct {
	Seq    int64  `json:"seq"`
	AtMs   int64  `json:"atMs"`
	Tag    string `json:"tag"`
	Text   string `json:"text"`
	Author string `json:"author"`
}

// Retro is the retrospective's outcome.
type Retro struct {
	Blameless string `json:"blameless"`
	Closed    bool   `json:"closed"`
	// Answers are the submitted answer sets in presentation order; an
	// anonymous set has no name or role.
	Answers   []Answer                  `json:"answers"`
	Submitted int                       `json:"submitted"`
	People    int                       `json:"people"`
	Ratings   retro.Ratings             `json:"ratings"`
	Questions []retro.Question          `json:"questions"`
	Extra     []scenarios.RetroQuestion `json:"extraQuestions"`
	// Actions are the accepted follow-up actions.
	Actions []retro.Action `json:"actions"`
	// AnonymousPending reports that people are answering anonymously and
	// the retro is not closed yet: their answers are sealed in the journal
	// and published, without their authors, when it closes.
	AnonymousPending bool `json:"anonymousPending,omitempty"`
}

// Answer is one submitted answer set.
type Answer struct {
	Name      string            `json:"name,omitempty"`
	Role      control.Role      `json:"role,omitempty"`
	Anonymous bool              `json:"anonymous"`
	WentWell  string            `json:"wentWell"`
	Lacking   string            `json:"lacking"`
	Better    string            `json:"better"`
	Before    int               `json:"before"`
	After     int               `json:"after"`
	Extra     map[string]string `json:"extra,omitempty"`
}

// Chain is the drill's journal as kept in the record.
type Chain struct {
	Algorithm string          `json:"algorithm"`
	Head      string          `json:"head"`
	Count     int             `json:"count"`
	Events    []control.Event `json:"events"`
}

// Assemble builds the record of a drill from its whole journal (from
// sequence 1). It verifies the hash chain first.
func Assemble(events []control.Event) (*Record, error) { return assemble(events, SectionsVersion) }

// assemble is Assemble with the sections derived as the given version
// derives them (Verify re-derives a kept record's sections by its own
// version).
func assemble(events []control.Event, version int) (*Record, error) {
	// A record of a drill that is still open is computed as of its last
	// event.
	d, err := control.Replay(events)
	if err != nil {
		return nil, fmt.Errorf("record: %w", err)
	}
	last := events[len(events)-1]
	head := last.Hash
	mt := d.Metrics(last.Time)
	if version < 3 {
		mt = firstInjectedV2(d, mt)
	}
	rt := retro.Project(d, events)

	rec := &Record{
		Schema: Schema, SectionsVersion: version, DrillID: d.ID, Title: d.Title, State: string(d.State), EndReason: d.EndReason, Why: d.Why, TimeScale: d.TimeScale, Robots: d.Rehearsal,
		Chain: Chain{Algorithm: "sha256(prevHash || canonical event)", Head: head, Count: len(events), Events: events},
	}
	s := d.Scenario
	rec.Team = s.Metadata.Team
	rec.lang = LangOf(s.Metadata.Language)
	day := d.CreatedAt
	if !d.StartedAt.IsZero() {
		t := d.StartedAt.UTC()
		rec.StartedAt, day = &t, t
	}
	if !d.EndedAt.IsZero() {
		t := d.EndedAt.UTC()
		rec.EndedAt = &t
	}
	rec.Date, rec.Season = day.UTC().Format(time.DateOnly), SeasonOf(day)
	rec.Scenario = ScenarioInfo{Name: s.Metadata.Name, Title: s.Metadata.Title, Summary: s.Metadata.Summary, Variant: string(d.Difficulty),
		ContentHash: s.ContentHash, Designer: s.Metadata.Designer, Solution: s.Solution, Faults: []string{}, TimeCap: d.TimeLimit().Milliseconds()}
	if c := s.Candidate; c != nil {
		rec.Scenario.Candidate, rec.Scenario.CandidateTitle = c.ID, c.Title
	}
	for _, f := range d.Faults {
		rec.Scenario.Faults = append(rec.Scenario.Faults, f.ID)
	}
	names := map[string]string{"facilitator": "Facilitator", control.ActorEngine: "engine"}
	rec.People = []Person{}
	for _, p := range retro.PresentationOrder(d.People) {
		rec.People = append(rec.People, Person{ID: p.ID, Name: p.Name, Role: p.Role, Subject: p.Subject, SignIn: p.SignIn})
		names[p.ID] = p.Name
	}
	for _, p := range s.Personas {
		names[control.PersonaActor(p.ID)] = p.Name
	}
	inj := injectionsOf(d, events, names)
	rec.Metrics = metricsOf(d, mt, events, exportInjections(inj), version)
	rec.Timeline = timeline(events, names, d.Scenario)
	rec.Responses = responses(d, events, mt, resolvedTimes(d, inj, version), version)
	for _, p := range control.UpdatePromises(d, time.Local) {
		u := UpdatePromise{NoticeSeq: p.Seq, Promised: p.Promised, DueMs: p.Due.Milliseconds(), KeptAtMs: ms(p.KeptAt)}
		if p.KeptAt != nil {
			late := max(0, *p.KeptAt-p.Due)
			u.LateMs = ms(&late)
		}
		rec.UpdatePromises = append(rec.UpdatePromises, u)
	}
	rec.Notices = []Notice{}
	for _, n := range d.Notices {
		title, rows := noticeRows(d.Scenario.NoticeTemplate(n.Kind), n.Fields)
		rec.Notices = append(rec.Notices, Notice{Seq: n.Seq, Kind: string(n.Kind), Channel: n.Channel, Author: nameOf(names, n.AuthorID), AtMs: n.At.Milliseconds(), Fields: n.Fields, Title: title, Rows: rows})
	}
	rec.ObserverNotes = notes(events, names)
	rec.Retro = retroOf(d, rt, names)
	return rec, nil
}

// SeasonOf returns the half year of t, e.g. 2026H1 (January–June) or
// 2026H2.
func SeasonOf(t time.Time) string {
	t = t.UTC()
	h := 1
	if t.Month() > time.June {
		h = 2
	}
	return fmt.Sprintf("%dH%d", t.Year(), h)
}

func nameOf(names map[string]string, id string) string {
	if n, ok := names[id]; ok {
		return n
	}
	return id
}

func ms(d *time.Duration) *int64 {
	if d == nil {
		return nil
	}
	v := d.Milliseconds()
	return &v
}

// responses measures each inject (inject → first participant message in its
// channel after it) and each notice from the moment it answers: the
// incident notice from the first fault, a status update from the notice
// before it (the cadence), the resolution notice from the recovery (the
// last resolution before it, of those in resolved).
//
// From sections version 3 a notice posted before the first injection
// answers nothing and has no response time (version 2 timed it from the
// first injection after it, a negative response).
func responses(d *control.Drill, events []control.Event, mt control.Metrics, resolved []time.Duration, version int) []Response {
	participant := map[string]bool{}
	for _, p := range d.People {
		if p.Role == control.RoleParticipant {
			participant[p.ID] = true
		}
	}
	channelOf := map[string]string{}
	for _, in := range d.Scenario.Injects {
		channelOf[in.ID] = in.Channel
	}
	asks := map[string]bool{} // personas that ask: every kind but alerting
	for _, p := range d.Scenario.Personas {
		asks[p.ID] = p.Kind != scenarios.PersonaAlerting
	}
	// firstReply is the first participant message in channel after event i.
	firstReply := func(i int, channel string) (*int64, *int64) {
		for _, later := range events[i+1:] {
			if later.Type != control.EventChatMessage {
				continue
			}
			var m control.Message
			if json.Unmarshal(later.Payload, &m) != nil {
				continue
			}
			if m.AuthorKind == control.AuthorPerson && participant[m.AuthorID] && m.Channel == channel {
				at := later.DrillTime
				rt := later.DrillTime - events[i].DrillTime
				return ms(&at), ms(&rt)
			}
		}
		return nil, nil
	}
	out := []Response{}
	var lastNotice *time.Duration
	for i, e := range events {
		switch e.Type {
		case control.EventChatMessage:
			// A question the facilitator asks live as a persona (no
			// scripted source) is timed like a scripted inject.
			var m control.Message
			if json.Unmarshal(e.Payload, &m) != nil || m.AuthorKind != control.AuthorPersona || m.Source != "" || !asks[m.AuthorID] {
				continue
			}
			r := Response{Kind: "question", ID: m.AuthorID, Channel: m.Channel, AtMs: e.DrillTime.Milliseconds()}
			r.RepliedMs, r.ResponseMs = firstReply(i, m.Channel)
			out = append(out, r)
		case control.EventInjectPosted:
			var p control.InjectEvent
			if json.Unmarshal(e.Payload, &p) != nil || p.FollowUp {
				continue
			}
			r := Response{Kind: "inject", ID: p.InjectID, Channel: channelOf[p.InjectID], AtMs: e.DrillTime.Milliseconds()}
			r.RepliedMs, r.ResponseMs = firstReply(i, r.Channel)
			out = append(out, r)
		case control.EventNoticePosted:
			var p control.NoticePosted
			if json.Unmarshal(e.Payload, &p) != nil {
				continue
			}
			at := e.DrillTime
			r := Response{Kind: "notice", ID: string(p.Kind), Channel: p.Channel, RepliedMs: ms(&at)}
			if ref := noticeReference(p.Kind, at, lastNotice, mt.FirstInjected, resolved); ref != nil && (version < 3 || *ref <= at) {
				r.AtMs = ref.Milliseconds()
				rt := at - *ref
				r.ResponseMs = ms(&rt)
			}
			lastNotice = &at
			out = append(out, r)
		}
	}
	return out
}

// noticeReference is the drill time a notice of kind answers; nil when
// there is none (no fault was injected).
func noticeReference(kind scenarios.NoticeKind, at time.Duration, lastNotice, firstInjected *time.Duration, resolved []time.Duration) *time.Duration {
	switch kind {
	case scenarios.NoticeStatus:
		if lastNotice != nil {
			return lastNotice
		}
	case scenarios.NoticeResolution:
		var recovered *time.Duration
		for i, r := range resolved {
			if r <= at && (recovered == nil || r > *recovered) {
				recovered = &resolved[i]
			}
		}
		if recovered != nil {
			return recovered
		}
	}
	return firstInjected
}

func notes(events []control.Event, names map[string]string) []Note {
	out := []Note{}
	for _, e := range events {
		if e.Type != control.EventObserverNote {
			continue
		}
		var p struct {
			AuthorName string `json:"authorName"`
			Tag        string `json:"tag"`
			Text       string `json:"text"`
		}
		if json.Unmarshal(e.Payload, &p) != nil {
			continue
		}
		author := p.AuthorName
		if author == "" {
			author = nameOf(names, e.Actor)
		}
		out = append(out, Note{Seq: e.Seq, AtMs: e.DrillTime.Milliseconds(), Tag: p.Tag, Text: p.Text, Author: author})
	}
	return out
}

func retroOf(d *control.Drill, rt *retro.Retro, names map[string]string) Retro {
	out := Retro{Blameless: retro.Blameless, Closed: rt.Closed || d.State == control.StateClosed, Answers: []Answer{}, People: len(d.People),
		Ratings: rt.Ratings(), Questions: rt.Questions, Extra: []scenarios.RetroQuestion{}, Actions: rt.Accepted()}
	out.Extra = append(out.Extra, d.Scenario.Retro.Questions...)
	for i := range out.Questions {
		out.Questions[i].AuthorID = nameOf(names, out.Questions[i].AuthorID)
	}
	for i := range out.Actions {
		out.Actions[i].ProposedBy = nameOf(names, out.Actions[i].ProposedBy)
	}
	// Presentation order, then anyone not in the drill's people.
	var ids []string
	seen := map[string]bool{}
	for _, p := range retro.PresentationOrder(d.People) {
		ids = append(ids, p.ID)
		seen[p.ID] = true
	}
	var others []string
	for id := range rt.Entries {
		if !seen[id] {
			others = append(others, id)
		}
	}
	sort.Strings(others)
	var anon []retro.Answers
	for _, id := range append(ids, others...) {
		en := rt.Entries[id]
		if en == nil || !en.Submitted {
			continue
		}
		out.Submitted++
		if en.Anonymous {
			// Journaled before anonymous answers were sealed: the journal
			// names their author, the record does not.
			anon = append(anon, en.Answers)
			continue
		}
		out.Answers = append(out.Answers, Answer{Name: en.Name, Role: en.Role, WentWell: en.WentWell, Lacking: en.Lacking, Better: en.Better, Before: en.Before, After: en.After, Extra: en.Extra})
	}
	// Anonymous answers come after the named ones, each section ordered on
	// its own; sealed ones appear once the close has published them.
	out.Submitted += len(rt.Published)
	for _, a := range retro.Unlink(append(anon, rt.Published...)) {
		out.Answers = append(out.Answers, Answer{Anonymous: true, WentWell: a.WentWell, Lacking: a.Lacking, Better: a.Better, Before: a.Before, After: a.After, Extra: a.Extra})
	}
	out.AnonymousPending = rt.AnonymousSaves > 0 && !rt.Closed
	return out
}

// trimLines shortens text to one line of at most n runes, for summaries.
func trimLines(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	r := []rune(s)
	if len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// Journal reads a drill's durable events; control.Store implements it.
type Journal interface {
	Events(ctx context.Context, drillID string, afterSeq int64, limit int) ([]control.Event, error)
}

// Store lists drills and reads their journals; control.Store implements it.
type Store interface {
	Journal
	Drills(ctx context.Context, f control.DrillFilter) ([]control.DrillSummary, error)
}

// Load assembles the record of one drill from the journal.
func Load(ctx context.Context, j Journal, drillID string) (*Record, error) {
	evs, err := j.Events(ctx, drillID, 0, 0)
	if err != nil {
		return nil, fmt.Errorf("record of drill %s: %w", drillID, err)
	}
	if len(evs) == 0 {
		return nil, injectors.Errorf(injectors.ENOTFOUND, "drill %s does not exist", drillID)
	}
	return Assemble(evs)
}

// LoadAll assembles the record of every drill in the store, oldest first.
func LoadAll(ctx context.Context, s Store) ([]*Record, error) {
	sums, err := s.Drills(ctx, control.DrillFilter{})
	if err != nil {
		return nil, fmt.Errorf("list drills: %w", err)
	}
	out := make([]*Record, 0, len(sums))
	for _, sum := range sums {
		r, err := Load(ctx, s, sum.ID)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}
