package control

import (
	"slices"
	"strings"
	"time"

	"github.com/firedrill/firedrill/scenarios"
)

// injectDue returns the drill time a scripted message is posted.
func (d *Drill) injectDue(i int, el time.Duration) (time.Duration, bool) {
	st := d.Injects[i]
	if st.PostedAt != nil {
		return 0, false
	}
	in := d.Scenario.Injects[i]
	if in.To != nil && len(d.recipients(in.To)) == 0 {
		return 0, false // a private briefing waits for its participant
	}
	if in.At != nil {
		return in.At.D(), true
	}
	if in.On == nil {
		return 0, false
	}
	return d.eventAt(in.On, st.TriggeredAt)
}

// eventAt returns the drill time trigger on fires (its event's time plus
// its delay), once the event happened; triggered is when what the
// projection cannot see happened (chat.matched, cluster.changed).
func (d *Drill) eventAt(on *scenarios.EventTrigger, triggered *time.Duration) (time.Duration, bool) {
	var t *time.Duration
	switch on.Event {
	case scenarios.OnDrillStarted:
		zero := time.Duration(0)
		t = &zero
	case scenarios.OnFaultRecurred:
		if f, ok := d.Fault(on.Fault); ok {
			t = f.FirstRecurAt
		}
	case scenarios.OnFaultInjected, scenarios.OnFaultResolved:
		for _, f := range d.Faults {
			if on.Fault != "" && f.ID != on.Fault {
				continue
			}
			ft := f.InjectedAt
			if on.Event == scenarios.OnFaultResolved {
				ft = f.ResolvedAt
			}
			if ft != nil && (t == nil || *ft < *t) {
				t = ft
			}
		}
	case scenarios.OnNoticePosted:
		if n := d.firstNoticeWith(on.Notice, on.Field, on.Value); n != nil {
			t = &n.At
		}
	case scenarios.OnNoticeMissing:
		if on.By == nil {
			return 0, false
		}
		by := on.By.D()
		if n := d.firstNoticeFrom(on.Notice, 0); n != nil && n.At <= by {
			return 0, false
		}
		t = &by
	case scenarios.OnHintGiven:
		for _, h := range d.Hints {
			if (on.Hint == "" || h.ID == on.Hint) && h.GivenAt != nil && (t == nil || *h.GivenAt < *t) {
				t = h.GivenAt
			}
		}
	case scenarios.OnAlertFiring, scenarios.OnAlertResolved:
		for _, a := range d.Alerts {
			at := a.FirstFired
			if on.Event == scenarios.OnAlertResolved {
				at = a.FirstClear
			}
			if (on.Alert == "" || a.ID == on.Alert) && at != nil && (t == nil || *at < *t) {
				t = at
			}
		}
	case scenarios.OnInjectPosted:
		if j := d.injectIndex(on.Inject); j >= 0 {
			t = d.Injects[j].PostedAt
		}
	case scenarios.OnChatMatched, scenarios.OnClusterChanged:
		t = triggered
	}
	if t == nil {
		return 0, false
	}
	return *t + on.Delay.D(), true
}

// firstNoticeWith returns the first notice of the kind whose field has the
// value (without case); with no field, the first notice of the kind.
func (d *Drill) firstNoticeWith(kind scenarios.NoticeKind, field, value string) *Notice {
	for i := range d.Notices {
		n := &d.Notices[i]
		if n.Kind == kind && (field == "" || strings.EqualFold(strings.TrimSpace(n.Fields[field]), strings.TrimSpace(value))) {
			return n
		}
	}
	return nil
}

// followUpDue returns the drill time the next step of a posted inject's
// follow-ups is due: its wait after the message before it (the inject, or
// the previous step), unless a participant answered the inject.
func (d *Drill) followUpDue(i int) (time.Duration, bool) {
	st := d.Injects[i]
	ladder := d.Scenario.Injects[i].Ladder()
	if st.PostedAt == nil || st.AnsweredAt != nil || st.Steps >= len(ladder) {
		return 0, false
	}
	base := *st.PostedAt
	if st.Steps > 0 && st.FollowedAt != nil {
		base = *st.FollowedAt
	}
	return base + ladder[st.Steps].After.D(), true
}

// heard folds a participant's chat message at drill time at into the
// injects: it answers the posted ones in its channel (stopping their
// follow-ups) and triggers the ones waiting for such a message
// (chat.matched). Only messages of a running drill trigger.
func (d *Drill) heard(m Message, at time.Duration) (changed bool) {
	for i := range d.Injects {
		st := &d.Injects[i]
		in := &d.Scenario.Injects[i]
		if st.PostedAt != nil && st.AnsweredAt == nil && m.Channel == in.Channel && len(in.Ladder()) > 0 && in.AnsweredWhen.Matches(m.Text) {
			t := at
			st.AnsweredAt, changed = &t, true
		}
		on := in.On
		if on == nil || on.Event != scenarios.OnChatMatched || st.TriggeredAt != nil || d.State != StateRunning {
			continue
		}
		if (on.Channel == "" || on.Channel == m.Channel) && on.Match.Matches(m.Text) {
			t := at
			st.TriggeredAt, changed = &t, true
		}
	}
	return changed
}

// roleClaim is the part of a room.claim payload (the room's event) the
// engine reads: who holds which response role.
type roleClaim struct {
	PersonID     string `json:"personId"`
	Role         string `json:"role"`
	Release      bool   `json:"release"`
	TakeOverFrom string `json:"takeOverFrom"`
}

// claim folds a role claim into d.Claims, as the room does.
func (d *Drill) claim(c roleClaim) {
	if d.Claims == nil {
		d.Claims = map[string][]string{}
	}
	drop := func(person, role string) {
		d.Claims[person] = slices.DeleteFunc(d.Claims[person], func(r string) bool { return r == role })
	}
	if c.TakeOverFrom != "" {
		drop(c.TakeOverFrom, c.Role)
	}
	drop(c.PersonID, c.Role)
	if !c.Release {
		d.Claims[c.PersonID] = append(d.Claims[c.PersonID], c.Role)
	}
}

// recipients returns the people a private briefing goes to now: the
// participant who joined in that slot, or those holding that role; none
// while there is nobody.
func (d *Drill) recipients(to *scenarios.Recipient) []string {
	var out []string
	slot := 0
	for _, p := range d.People {
		if p.Role != RoleParticipant || p.Removed {
			continue
		}
		slot++
		switch {
		case to.Slot > 0 && slot == to.Slot:
			return []string{p.ID}
		case to.Claim != "" && slices.Contains(d.Claims[p.ID], to.Claim):
			out = append(out, p.ID)
		}
	}
	return out
}
