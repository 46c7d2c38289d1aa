package ui

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/scenarios"
	"github.com/firedrill/firedrill/ui/wire"
)

func msPtr(d *time.Duration) *int64 {
	if d == nil {
		return nil
	}
	v := d.Milliseconds()
	return &v
}

func (s *Server) apiDrill(w http.ResponseWriter, r *http.Request, sess *Session) {
	d, err := s.engine.Drill(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if sess.Admin && slices.Contains([]control.DrillState{control.StateDraft, control.StateScheduled, control.StateBriefing, control.StateRunning}, d.State) {
		// A facilitator opening the drill joins it under their name.
		if err := s.ensureFacilitator(r.Context(), d.ID, sess); err != nil {
			s.logf("drill %s: add facilitator %s: %v", d.ID, sess.Name, err)
		} else if d, err = s.engine.Drill(r.Context(), d.ID); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	st, err := s.rooms.state(r.Context(), d.ID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	v := s.drillView(d, st, sess)
	if v.Seq, err = s.participantSeq(r.Context(), sess, d.ID, d.Seq); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// writeSeq answers a write with the number of the event it appended, as
// the session numbers the events it sees.
func (s *Server) writeSeq(w http.ResponseWriter, r *http.Request, sess *Session, drillID string, seq int64) {
	n, err := s.participantSeq(r.Context(), sess, drillID, seq)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]int64{"seq": n})
}

func (s *Server) drillView(d *control.Drill, st roomState, sess *Session) wire.DrillView {
	sc := d.Scenario
	staff := sess.Admin || sess.Role.Backroom()
	fac := sess.facilitator()
	v := wire.DrillView{
		ID: d.ID, Title: d.Title, State: d.State, Paused: d.Paused, Me: sessionView(sess), Seq: d.Seq,
		ServerNow: s.clock.Now().UTC(), ClockBaseMS: d.ClockBase.Milliseconds(), ClockSince: d.ClockSince,
		TimeScale: d.TimeScale, TimeLimitMS: d.TimeLimit().Milliseconds(),
		IncidentChannel: sc.IncidentChannel(), ClaimRoles: claimRoles,
		Notices: sc.Notices,
	}
	if ps := control.UpdatePromises(d, time.Local); len(ps) > 0 && !ps[len(ps)-1].Kept() && d.Running() {
		p := ps[len(ps)-1]
		v.NextUpdate = &wire.NextUpdateView{Promised: p.Promised, DueMS: p.Due.Milliseconds()}
	}
	if v.Title == "" {
		v.Title = sc.Metadata.Title
	}
	v.Confirmations = confirmations(d)
	if d.ScheduledAt != nil {
		// The day in the zone the drill was scheduled in (the program plan's),
		// the same day the day-before notice names.
		v.ScheduledDay = d.ScheduledAt.Format(time.DateOnly)
		if staff {
			at := *d.ScheduledAt
			v.ScheduledAt = &at
		}
	}
	if staff {
		// When hints are due is the back room's business.
		for _, h := range d.Hints {
			v.HintMarksMS = append(v.HintMarksMS, h.At.Milliseconds())
		}
		sort.Slice(v.HintMarksMS, func(i, j int) bool { return v.HintMarksMS[i] < v.HintMarksMS[j] })
	}
	for _, c := range sc.Channels {
		title := c.Title
		if title == "" {
			title = c.ID
		}
		v.Channels = append(v.Channels, wire.ChannelView{ID: c.ID, Title: title, Topic: c.Topic,
			Incident: c.ID == v.IncidentChannel, ReadOnly: staff && !fac})
	}
	if staff {
		v.Channels = append(v.Channels, wire.ChannelView{ID: scenarios.BackroomChannel, Title: "back room", Backroom: true})
	}
	for _, p := range sc.Personas {
		pv := wire.PersonaView{ID: p.ID, Name: p.DisplayName(), Kind: p.Kind, Avatar: p.Avatar, Color: p.Color}
		if fac {
			pv.QuickReplies = p.QuickReplies
		}
		v.Personas = append(v.Personas, pv)
	}
	for _, p := range d.People {
		v.People = append(v.People, wire.PersonView{ID: p.ID, Name: p.Name, Role: p.Role, Claims: st.claims[p.ID], Removed: p.Removed})
	}
	if !staff {
		return v
	}
	sv := &wire.StaffView{Scenario: sc, Difficulty: d.Difficulty, Briefing: sc.Briefing, Solution: sc.Solution,
		Hints: d.Hints, Injects: d.Injects, Alerts: d.Alerts, Notes: st.notes, EndReason: d.EndReason}
	for _, f := range d.Faults {
		fv := wire.FaultView{ID: f.ID, Title: f.Title, Phase: f.Phase, ProbeDetail: f.ProbeDetail,
			LastError: f.LastError, ResolvedBy: f.ResolvedBy, InjectedMS: msPtr(f.InjectedAt), ResolvedMS: msPtr(f.ResolvedAt),
			RecoveringMS: msPtr(f.RecoveringAt), Trigger: triggerOf(sc, f.ID), FireRequested: f.FireRequestedAt != nil}
		for _, c := range f.Checks {
			fv.Checks = append(fv.Checks, wire.CheckView{Name: c.Name, OK: c.OK, Detail: c.Detail, CheckedMS: c.CheckedAt.Milliseconds()})
		}
		faultSpecView(&fv, sc, f.ID)
		fv.Recurs = recursView(sc, f)
		sv.Faults = append(sv.Faults, fv)
	}
	if sv.Notes == nil {
		sv.Notes = []wire.NoteView{}
	}
	v.Staff = sv
	return v
}

// faultSpecView fills what the scenario says about a fault: its trigger,
// and its resolution checks before the first poll.
func faultSpecView(fv *wire.FaultView, sc *scenarios.Scenario, faultID string) {
	for _, f := range sc.Faults {
		if f.ID != faultID {
			continue
		}
		switch {
		case f.OnDemand:
			fv.OnDemand = true
		case f.After != nil:
			ev := f.After.Event
			if ev == "" {
				ev = scenarios.ChainResolved
			}
			fv.TriggerAfter = &wire.TriggerAfter{Fault: f.After.Fault, Event: string(ev), DelayMS: f.After.Delay.D().Milliseconds()}
		case f.At != nil:
			at := f.At.D().Milliseconds()
			fv.TriggerAt = &at
		default:
			var zero int64
			fv.TriggerAt = &zero
		}
		fv.Manual = f.ResolvedWhen.Manual
		fv.StableForMS = f.ResolvedWhen.StableFor.D().Milliseconds()
		if len(fv.Checks) == 0 {
			for _, p := range f.ResolvedWhen.Probes {
				name := p.Name
				if name == "" {
					name = p.Probe.String()
				}
				fv.Checks = append(fv.Checks, wire.CheckView{Name: name, CheckedMS: -1})
			}
		}
	}
}

func triggerOf(sc *scenarios.Scenario, faultID string) string {
	for _, f := range sc.Faults {
		if f.ID != faultID {
			continue
		}
		if f.OnDemand {
			return "fired by the facilitator on demand"
		}
		if f.After != nil {
			ev := f.After.Event
			if ev == "" {
				ev = scenarios.ChainResolved
			}
			t := "after " + f.After.Fault + " " + string(ev)
			if f.After.Delay > 0 {
				t += " +" + f.After.Delay.String()
			}
			return t
		}
		if f.At != nil {
			return "at " + f.At.String()
		}
		return "at 0m"
	}
	return ""
}

// apiPostMessage posts to a channel. Participants write in the drill
// channels; designer and observer only in the back room (they must not
// intervene); the facilitator anywhere, as themself or as any persona.
func (s *Server) apiPostMessage(w http.ResponseWriter, r *http.Request, sess *Session) {
	var req wire.PostMessageRequest
	if err := decodeJSON(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	req.Text = strings.TrimSpace(req.Text)
	if req.Text == "" {
		s.writeError(w, r, injectors.Errorf(injectors.EINVALID, "text: write a message first."))
		return
	}
	if utf8.RuneCountInString(req.Text) > maxMessageRunes {
		s.writeError(w, r, injectors.Errorf(injectors.EINVALID, "text: at most %d characters.", maxMessageRunes))
		return
	}
	// Read the few fields needed under the drill's lock instead of copying
	// the whole drill on every post.
	var sc *scenarios.Scenario
	var drillID string
	var head int64
	err := s.engine.View(r.Context(), r.PathValue("id"), func(d *control.Drill) error {
		sc, drillID, head = d.Scenario, d.ID, d.Seq
		return nil
	})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	backroom := req.Channel == scenarios.BackroomChannel
	if !backroom && !sc.HasChannel(req.Channel) {
		s.writeError(w, r, injectors.Errorf(injectors.EINVALID, "channel: %q is not a channel of this drill.", req.Channel))
		return
	}
	fac := sess.facilitator()
	switch {
	case backroom && !(sess.Admin || sess.Role.Backroom()):
		s.writeError(w, r, injectors.Errorf(injectors.EINVALID, "channel: %q is not a channel of this drill.", req.Channel))
		return
	case !backroom && !fac && sess.Role != control.RoleParticipant:
		s.writeError(w, r, injectors.Errorf(injectors.EFORBIDDEN, "Designers and observers watch the drill channels without writing; use the back room."))
		return
	case req.Persona != "" && !fac:
		s.writeError(w, r, injectors.Errorf(injectors.EFORBIDDEN, "Only the facilitator speaks as a persona."))
		return
	}
	key := sess.PersonID
	if sess.Admin {
		key = "admin"
	}
	if !s.limiter.allow("msg:" + drillID + ":" + key) {
		s.writeError(w, r, injectors.Errorf(injectors.ECONFLICT, "You are sending messages too fast; wait a moment."))
		return
	}
	if req.ReplyTo > 0 && !sess.staff() {
		// A participant replies to a message by its number as they see it.
		n, err := s.publicSeqs.journalSeq(r.Context(), drillID, sess.PersonID, req.ReplyTo, head)
		if err != nil {
			s.writeError(w, r, fmt.Errorf("replyTo: %w", err))
			return
		}
		req.ReplyTo = n
	}
	in := control.PostMessage{Channel: req.Channel, Text: req.Text, ReplyTo: req.ReplyTo,
		AuthorID: sess.actor(), AuthorKind: control.AuthorPerson}
	if req.Persona != "" {
		if _, ok := sc.Persona(req.Persona); !ok {
			s.writeError(w, r, injectors.Errorf(injectors.EINVALID, "persona: %q is not a persona of this scenario.", req.Persona))
			return
		}
		in.AuthorID, in.AuthorKind = req.Persona, control.AuthorPersona
	} else if err := s.ensureFacilitator(r.Context(), drillID, sess); err != nil {
		s.writeError(w, r, err)
		return
	}
	m, err := s.engine.PostMessage(r.Context(), drillID, in)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeSeq(w, r, sess, drillID, m.Seq)
}

// PostNoticeRequest is the body of POST /api/drills/{id}/notices.
type PostNoticeRequest struct {
	Kind   scenarios.NoticeKind `json:"kind"`
	Fields map[string]string    `json:"fields"`
}

// apiPostNotice posts an incident, status-update or resolution notice built
// from the scenario's template. Every required field must be filled; the
// answer names the ones that are not.
func (s *Server) apiPostNotice(w http.ResponseWriter, r *http.Request, sess *Session) {
	var req PostNoticeRequest
	if err := decodeJSON(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	d, err := s.engine.Drill(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if d.Scenario.NoticeTemplate(req.Kind) == nil {
		s.writeError(w, r, injectors.Errorf(injectors.EINVALID, "kind: %q is not a notice of this drill, expected incident, status-update or resolution.", req.Kind))
		return
	}
	fields, err := d.Scenario.ValidateNotice(req.Kind, req.Fields)
	if err != nil {
		s.writeError(w, r, noticeFieldError(err))
		return
	}
	if !s.limiter.allow("msg:" + d.ID + ":" + sess.PersonID) {
		s.writeError(w, r, injectors.Errorf(injectors.ECONFLICT, "You are sending too fast; wait a moment."))
		return
	}
	n, err := s.engine.PostNotice(r.Context(), d.ID, control.PostNotice{Kind: req.Kind, AuthorID: sess.PersonID, Fields: fields})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeSeq(w, r, sess, d.ID, n.Seq)
}

// noticeFieldError turns the error of scenarios.ValidateNotice into a
// FieldError naming every field at fault with its problem, so the form
// outlines them and words them with its own labels in the viewer's language.
func noticeFieldError(err error) error {
	var errs scenarios.NoticeErrors
	if !errors.As(err, &errs) {
		return injectors.Errorf(injectors.EINVALID, "%v", err)
	}
	fe := &FieldError{Problems: map[string]string{}}
	msgs := make([]string, 0, len(errs))
	for _, e := range errs {
		fe.Fields = append(fe.Fields, e.Field.ID)
		fe.Problems[e.Field.ID] = e.Problem
		label := e.Field.Label
		if e.Problem == scenarios.ProblemUnknown {
			label = e.Field.ID
		}
		msgs = append(msgs, "\""+label+"\": "+problemText(e.Field, e.Problem))
	}
	fe.Message = strings.Join(msgs, " ")
	return fe
}

// problemText words a field problem in English, for API clients; the room
// words it in the viewer's language from the problem code.
func problemText(f scenarios.NoticeField, p string) string {
	switch p {
	case scenarios.ProblemRequired:
		return "required."
	case scenarios.ProblemOption:
		return "choose one of " + strings.Join(f.Options, ", ") + "."
	case scenarios.ProblemScale:
		return "choose a number from 1 to 5."
	case scenarios.ProblemTime:
		return "write a clock time like 14:05, or \"unknown\"."
	case scenarios.ProblemDuration:
		return "write a duration like 20m."
	case scenarios.ProblemTooLong:
		return fmt.Sprintf("at most %d characters.", scenarios.MaxNoticeFieldRunes)
	}
	return "not a field of this notice."
}

func (s *Server) apiClaim(w http.ResponseWriter, r *http.Request, sess *Session) {
	var req struct {
		Role    string `json:"role"`
		Release bool   `json:"release"`
		// TakeOver claims incident commander from whoever holds it.
		TakeOver bool `json:"takeOver"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	if !validClaim(req.Role) {
		s.writeError(w, r, injectors.Errorf(injectors.EINVALID, "role: %q is not a response role, expected one of %s.", req.Role, strings.Join(claimRoles, ", ")))
		return
	}
	id := r.PathValue("id")
	claim := wire.RoleClaim{PersonID: sess.PersonID, Role: req.Role, Release: req.Release}
	// One incident commander at a time: the check and the claim are one
	// step, so two people clicking at once cannot both become commander.
	s.claimMu.Lock()
	defer s.claimMu.Unlock()
	if req.Role == wire.ClaimCommander && !req.Release {
		st, err := s.rooms.state(r.Context(), id)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		if holder := st.holderOf(wire.ClaimCommander); holder != "" && holder != sess.PersonID {
			if !req.TakeOver {
				name := holder
				_ = s.engine.View(r.Context(), id, func(d *control.Drill) error {
					if p, ok := d.Person(holder); ok {
						name = p.Name
					}
					return nil
				})
				writeJSON(w, http.StatusConflict, wire.ClaimConflict{ErrorResponse: wire.ErrorResponse{Code: injectors.ECONFLICT,
					Message: name + " is incident commander. Take over from them?"}, HolderID: holder, HolderName: name})
				return
			}
			claim.TakeOverFrom = holder
		}
	}
	// Roles are claimed while the drill is played: after its end a claim
	// would only put a stray entry on the record's timeline. The state is
	// checked under the drill's lock with the append, so an end, an abort
	// or the engine's own end (cap, resolved) cannot come in between.
	e, err := s.engine.AppendEventIf(r.Context(), id, control.EventRoleClaim, sess.PersonID, claim, func(d *control.Drill) error {
		if d.Over() {
			return injectors.Errorf(injectors.ECONFLICT, "drill %s is %s: response roles are claimed until the drill ends.", d.ID, d.State)
		}
		return nil
	})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeSeq(w, r, sess, id, e.Seq)
}

func (s *Server) apiPostNote(w http.ResponseWriter, r *http.Request, sess *Session) {
	var req struct {
		Tag  string `json:"tag"`
		Text string `json:"text"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	if req.Tag != wire.NoteStrength && req.Tag != wire.NoteWeakness {
		s.writeError(w, r, injectors.Errorf(injectors.EINVALID, "tag: %q is not a note tag, expected strength or weakness.", req.Tag))
		return
	}
	req.Text = strings.TrimSpace(control.CleanText(req.Text))
	if req.Text == "" || utf8.RuneCountInString(req.Text) > maxMessageRunes {
		s.writeError(w, r, injectors.Errorf(injectors.EINVALID, "text: required, at most %d characters.", maxMessageRunes))
		return
	}
	author := sess.actor()
	e, err := s.engine.AppendEvent(r.Context(), r.PathValue("id"), control.EventObserverNote, author,
		wire.ObserverNote{AuthorID: author, AuthorName: sess.Name, Tag: req.Tag, Text: req.Text})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeSeq(w, r, sess, r.PathValue("id"), e.Seq)
}

// confirmations lists what participants confirm in the room: the
// resolvedWhen.confirm of each fault injected so far, keyed by its place
// among the scenario's faults so that the key says nothing of the fault.
func confirmations(d *control.Drill) []wire.ConfirmationView {
	var out []wire.ConfirmationView
	for i, sf := range d.Scenario.Faults {
		f := d.Faults[i]
		if sf.ResolvedWhen.Confirm == "" || f.InjectedAt == nil {
			continue
		}
		out = append(out, wire.ConfirmationView{Key: confirmationKey(i), Label: sf.ResolvedWhen.Confirm, ConfirmedBy: f.ConfirmedBy,
			Open: d.Running() && f.ConfirmedAt == nil && f.Phase == control.FaultInEffect})
	}
	return out
}

func confirmationKey(i int) string { return "c" + strconv.Itoa(i+1) }

// apiConfirm is a participant confirming, in the room, what a fault's
// resolution needs besides its probes.
func (s *Server) apiConfirm(w http.ResponseWriter, r *http.Request, sess *Session) {
	id, key := r.PathValue("id"), r.PathValue("key")
	var faultID string
	if err := s.engine.View(r.Context(), id, func(d *control.Drill) error {
		for i := range d.Scenario.Faults {
			if confirmationKey(i) == key && d.Scenario.Faults[i].ResolvedWhen.Confirm != "" {
				faultID = d.Scenario.Faults[i].ID
			}
		}
		return nil
	}); err != nil {
		s.writeError(w, r, err)
		return
	}
	if faultID == "" {
		s.writeError(w, r, injectors.Errorf(injectors.ENOTFOUND, "There is nothing to confirm called %q in this drill.", key))
		return
	}
	if err := s.engine.ConfirmFault(r.Context(), id, faultID, sess.PersonID); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"confirmed": key})
}

// recursView is what the facilitator follows of a cascade that comes back
// while its cause persists, or nil for a fault without recurs.
func recursView(sc *scenarios.Scenario, f control.FaultState) *wire.RecursView {
	for _, sf := range sc.Faults {
		if sf.ID != f.ID || sf.Recurs == nil {
			continue
		}
		r := sf.Recurs
		v := &wire.RecursView{Cause: r.While.FaultActive, While: r.While.Describe(), AfterMS: r.After.D().Milliseconds(),
			Times: r.Times, Count: f.Recurrences, StaysFixed: f.StaysFixed}
		if f.ResolvedAt != nil && f.RecurAt == nil && !f.StaysFixed && f.Recurrences < r.Times {
			due := (*f.ResolvedAt + r.After.D()).Milliseconds()
			v.DueMS = &due
		}
		return v
	}
	return nil
}
