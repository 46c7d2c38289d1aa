package ui

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/ui/wire"
)

// claimRoles lists the response roles in display order.
var claimRoles = []string{wire.ClaimCommander, wire.ClaimRecovery, wire.ClaimPropagation, wire.ClaimLiaison}

func validClaim(role string) bool {
	for _, r := range claimRoles {
		if r == role {
			return true
		}
	}
	return false
}

// roomState is the room's own projection of a drill's journal: what the
// engine does not keep.
type roomState struct {
	seq int64
	// claims maps a person id to the response roles they hold.
	claims map[string][]string
	notes  []wire.NoteView
	nudged map[string]bool
	// counts are the drill's entries per event type, for the type quotas.
	counts map[string]int64
}

func nudgeKey(n wire.Nudge) string { return fmt.Sprintf("%s/%d", n.Kind, n.Window) }

// roomCache keeps each drill's roomState, brought up to date from the journal
// on use.
type roomCache struct {
	journal Journal
	mu      sync.Mutex
	drills  map[string]*roomEntry
}

type roomEntry struct {
	mu sync.Mutex
	st roomState
}

func newRoomCache(j Journal) *roomCache {
	return &roomCache{journal: j, drills: make(map[string]*roomEntry)}
}

// state returns a copy of the drill's room state, caught up with the journal.
func (c *roomCache) state(ctx context.Context, drillID string) (roomState, error) {
	c.mu.Lock()
	e, ok := c.drills[drillID]
	if !ok {
		e = &roomEntry{st: roomState{claims: map[string][]string{}, nudged: map[string]bool{}, counts: map[string]int64{}}}
		c.drills[drillID] = e
	}
	c.mu.Unlock()

	e.mu.Lock()
	defer e.mu.Unlock()
	for {
		events, err := c.journal.Events(ctx, drillID, e.st.seq, replayBatch)
		if err != nil {
			return roomState{}, fmt.Errorf("room state of drill %s: %w", drillID, err)
		}
		for _, ev := range events {
			e.st.seq = ev.Seq
			e.st.counts[ev.Type]++
			switch ev.Type {
			case control.EventRoleClaim:
				var p wire.RoleClaim
				if json.Unmarshal(ev.Payload, &p) == nil {
					if p.TakeOverFrom != "" {
						e.st.claims[p.TakeOverFrom] = applyClaim(e.st.claims[p.TakeOverFrom], wire.RoleClaim{Role: p.Role, Release: true})
					}
					e.st.claims[p.PersonID] = applyClaim(e.st.claims[p.PersonID], p)
				}
			case control.EventObserverNote:
				var p wire.ObserverNote
				if json.Unmarshal(ev.Payload, &p) == nil {
					e.st.notes = append(e.st.notes, wire.NoteView{
						Seq: ev.Seq, AuthorID: p.AuthorID, AuthorName: p.AuthorName, Tag: p.Tag, Text: p.Text,
						DrillTimeMS: ev.DrillTime.Milliseconds(),
					})
				}
			case control.EventNudge:
				var p wire.Nudge
				if json.Unmarshal(ev.Payload, &p) == nil {
					e.st.nudged[nudgeKey(p)] = true
				}
			}
		}
		if len(events) < replayBatch {
			break
		}
	}
	return e.st.copy(), nil
}

func applyClaim(held []string, c wire.RoleClaim) []string {
	out := make([]string, 0, len(held)+1)
	for _, r := range held {
		if r != c.Role {
			out = append(out, r)
		}
	}
	if !c.Release {
		out = append(out, c.Role)
	}
	return out
}

func (st roomState) copy() roomState {
	c := roomState{seq: st.seq, claims: make(map[string][]string, len(st.claims)), nudged: make(map[string]bool, len(st.nudged)),
		counts: make(map[string]int64, len(st.counts))}
	for k, v := range st.counts {
		c.counts[k] = v
	}
	for k, v := range st.claims {
		c.claims[k] = append([]string(nil), v...)
	}
	for k, v := range st.nudged {
		c.nudged[k] = v
	}
	c.notes = append([]wire.NoteView(nil), st.notes...)
	return c
}

// holderOf returns who holds the response role, or "".
func (st roomState) holderOf(role string) string {
	for id, held := range st.claims {
		if slices.Contains(held, role) {
			return id
		}
	}
	return ""
}

// holder reports whether anybody holds the response role.
func (st roomState) holder(role string) bool {
	for _, held := range st.claims {
		for _, r := range held {
			if r == role {
				return true
			}
		}
	}
	return false
}

// msDuration is a helper for JSON views: a duration in milliseconds.
func ms(d time.Duration) int64 { return d.Milliseconds() }
