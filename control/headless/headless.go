// Package headless runs one drill from a terminal: it prints the drill's
// timeline as it happens (text or JSON lines) and serves facilitator
// commands read as JSON lines, acknowledging each only once it is durable in
// the journal. `firedrill run` is this package wired to the real engine,
// stdin and stdout.
package headless

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/control/record"
)

// Actor is who the commands of a headless drill act as.
const Actor = "facilitator"

// Session is one headless drill being followed.
type Session struct {
	// Engine runs the drill.
	Engine *control.Engine
	// DrillID is the drill followed.
	DrillID string
	// Out receives the timeline, the acknowledgements and the summary,
	// one line each.
	Out io.Writer
	// Log receives problems reading the commands.
	Log io.Writer
	// JSON prints JSON lines instead of text.
	JSON bool

	mu    sync.Mutex // serializes lines on Out, guards names
	names map[string]string
}

// ErrNoOpenDrill is returned by PickOpen when no drill is left to resume.
var ErrNoOpenDrill = errors.New("no open drill to resume")

// ManyOpenError is returned by PickOpen when several drills could be
// resumed and none was named.
type ManyOpenError struct {
	IDs []string
}

func (e *ManyOpenError) Error() string {
	return fmt.Sprintf("%d open drills (%s); choose one with --drill-id", len(e.IDs), strings.Join(e.IDs, ", "))
}

// PickOpen returns the drill to resume: id when it is given and exists,
// otherwise the only open drill that is not in its retrospective.
func PickOpen(ctx context.Context, e *control.Engine, id string) (string, error) {
	if id != "" {
		if _, err := e.Drill(ctx, id); err != nil {
			return "", err
		}
		return id, nil
	}
	sums, err := e.Drills(ctx, control.DrillFilter{Open: true})
	if err != nil {
		return "", err
	}
	var live []string
	for _, s := range sums {
		if s.State != control.StateRetro {
			live = append(live, s.ID)
		}
	}
	switch len(live) {
	case 0:
		return "", ErrNoOpenDrill
	case 1:
		return live[0], nil
	}
	return "", &ManyOpenError{IDs: live}
}

// Follow prints the drill's timeline from its first event and serves the
// commands read from in, until the drill is over (ended or aborted, every
// fault reverted; the summary is printed then) or ctx is done. The drill
// goes on after in is exhausted.
func (s *Session) Follow(ctx context.Context, in io.Reader) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sub, err := s.Engine.Subscribe(ctx, s.DrillID, 0)
	if err != nil {
		return err
	}
	defer sub.Close()
	go s.Serve(ctx, in)
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-sub.C:
			if !ok {
				return sub.Err()
			}
			s.printEvent(ev)
			if done, err := s.over(ctx, ev); err != nil || done {
				return err
			}
		}
	}
}

// over reports whether the drill needs nothing more from this session: its
// end is on record and no fault of it is left to revert. It prints the
// summary then.
func (s *Session) over(ctx context.Context, ev control.Event) (bool, error) {
	d, err := s.Engine.Drill(ctx, s.DrillID)
	if err != nil {
		return false, err
	}
	if ev.Seq < d.Seq {
		return false, nil // more of the journal is still to be printed
	}
	switch d.State {
	case control.StateRetro, control.StateClosed:
	case control.StateAborted:
		for _, f := range d.Faults {
			switch f.Phase {
			case control.FaultInjecting, control.FaultInEffect, control.FaultResolved, control.FaultReverting:
				return false, nil
			}
		}
	default:
		return false, nil
	}
	mt, err := s.Engine.Metrics(ctx, s.DrillID)
	if err != nil {
		return false, err
	}
	s.printMetrics(d, mt)
	return true, nil
}

func (s *Session) line(text string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fmt.Fprintln(s.Out, text)
}

func (s *Session) printJSON(v any) {
	b, err := json.Marshal(v)
	if err != nil {
		b, _ = json.Marshal(map[string]string{"error": err.Error()})
	}
	s.line(string(b))
}

// clockText formats a drill time as +MM:SS.
func clockText(d time.Duration) string {
	d = d.Truncate(time.Second)
	return fmt.Sprintf("+%02d:%02d", int(d/time.Minute), int(d%time.Minute/time.Second))
}

// jsonEvent is an event as a JSON line of the timeline.
type jsonEvent struct {
	Event     string          `json:"event"`
	Seq       int64           `json:"seq"`
	Time      time.Time       `json:"time"`
	DrillTime time.Duration   `json:"drillTime"`
	Actor     string          `json:"actor"`
	Payload   json.RawMessage `json:"payload,omitempty"`
}

func (s *Session) printEvent(ev control.Event) {
	if s.JSON {
		s.printJSON(jsonEvent{ev.Type, ev.Seq, ev.Time, ev.DrillTime, ev.Actor, ev.Payload})
		return
	}
	s.line(fmt.Sprintf("%s #%d %-20s %s", clockText(ev.DrillTime), ev.Seq, ev.Type, s.describe(ev)))
}

// describe is the human line of an event: the drill record's timeline
// summary, with people named as they joined.
func (s *Session) describe(ev control.Event) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ev.Type == control.EventPersonAdded {
		var p control.Person
		if json.Unmarshal(ev.Payload, &p) == nil && p.ID != "" {
			if s.names == nil {
				s.names = map[string]string{}
			}
			s.names[p.ID] = p.Name
		}
	}
	_, summary := record.Describe(ev, s.names)
	return summary
}

func (s *Session) printMetrics(d *control.Drill, mt control.Metrics) {
	if s.JSON {
		s.printJSON(map[string]any{"drill": d.ID, "state": d.State, "metrics": mt})
		return
	}
	opt := func(p *time.Duration) string {
		if p == nil {
			return "—"
		}
		return clockText(*p)
	}
	s.line(fmt.Sprintf("drill %s %s (%s) after %s", d.ID, d.State, d.EndReason, clockText(mt.Duration)))
	s.line(fmt.Sprintf("  first ack %s, incident notice %s, resolution notice %s, hints %d, chained faults %d, cap reached %v",
		opt(mt.TimeToFirstAck), opt(mt.TimeToIncidentNotice), opt(mt.TimeToResolutionNotice), mt.HintsUsed, mt.FaultsChained, mt.CapReached))
	for _, f := range mt.Faults {
		s.line(fmt.Sprintf("  fault %-24s %-9s injected %s, resolved after %s", f.ID, f.Phase, opt(f.InjectedAt), opt(f.TimeToResolve)))
	}
}

// Start creates the drill as the facilitator, adds the facilitator to it and
// starts it, and returns its id (in.ID, or the one the engine chose).
func Start(ctx context.Context, e *control.Engine, in control.DrillRequest) (string, error) {
	in.Actor = Actor
	d, err := e.CreateDrill(ctx, in)
	if err != nil {
		return "", err
	}
	if _, err := e.AddPerson(ctx, d.ID, control.Person{ID: Actor, Name: "Facilitator", Role: control.RoleFacilitator}, Actor); err != nil {
		return "", err
	}
	if err := e.Start(ctx, d.ID, Actor); err != nil {
		return "", err
	}
	return d.ID, nil
}
