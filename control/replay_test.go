package control_test

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/control/controltest"
	"github.com/firedrill/firedrill/injectors"
)

// Replaying a drill's journal gives exactly the drill the engine holds, but
// for the probe results it keeps in memory only.
func TestReplay_givesTheEnginesDrill(t *testing.T) {
	h := controltest.NewHarness(t)
	id := startDrill(t, h, controltest.PaymentScenario())
	h.AdvanceTo(id, 95*m)

	got := replayGivesEnginesDrill(t, h, id)
	if got.State != control.StateRetro || got.Seq != int64(len(h.Events(id))) {
		t.Fatalf("replayed drill is %s at #%d", got.State, got.Seq)
	}
}

// The engine folds a chat message it posts from the message itself, not
// from the JSON it journals (Drill.decodeEncoded): the drill it holds after
// participants' messages — one answering an inject, one that triggers a
// reaction, one whose text the engine cleans — is the drill its journal
// replays to.
func TestReplay_givesTheEnginesDrillAfterChat(t *testing.T) {
	h, id := reactionDrill(t)
	h.AdvanceTo(id, 2*m)
	post(t, h, id, "bob", "incident", "Looking at the payment errors")
	post(t, h, id, "bob", "incident", "ETA 10 minutes")
	post(t, h, id, "bob", "incident", "Should we roll back the config?")
	post(t, h, id, "bob", "incident", "bad \xff byte and a \x00 control")
	h.AdvanceTo(id, 8*m)

	// replan is the note a message's fold leaves for the engine's loop:
	// the engine clears it at the drill's next change, a replay never does.
	got := replayGivesEnginesDrill(t, h, id, "replan")
	if got.Messages < 4 || len(got.LastWrite) == 0 {
		t.Fatalf("replayed drill has %d messages, last writes %v: the participants' messages were not folded", got.Messages, got.LastWrite)
	}
}

// replayGivesEnginesDrill replays drill id's journal and returns the
// drill it gives, after failing t unless that is the drill the engine
// holds, field by field, unexported fields included, but for the probe
// results the engine keeps in memory only (Checks, not journaled) and the
// fields named in loopOnly: state of the engine's loop that no journal
// holds. It names each field that differs.
func replayGivesEnginesDrill(t *testing.T, h *controltest.Harness, id string, loopOnly ...string) *control.Drill {
	t.Helper()
	got, err := control.Replay(h.Events(id))
	if err != nil {
		t.Fatal(err)
	}
	want := h.Drill(id)
	for i := range want.Faults {
		want.Faults[i].Checks = nil // not journaled
	}
	gv, wv := reflect.ValueOf(got).Elem(), reflect.ValueOf(want).Elem()
	differs := false
	for i := range gv.NumField() {
		f, g, w := gv.Type().Field(i), gv.Field(i), wv.Field(i)
		if slices.Contains(loopOnly, f.Name) {
			continue
		}
		var equal bool
		switch {
		case f.IsExported():
			equal = reflect.DeepEqual(g.Interface(), w.Interface())
		case g.Comparable():
			equal = g.Equal(w) // reads an unexported field, as Interface may not
		default:
			t.Fatalf("the drill's unexported field %s is a %s, which this test cannot compare", f.Name, f.Type)
		}
		if !equal {
			t.Errorf("replayed drill's %s is %+v, the engine's %+v", f.Name, g, w)
			differs = true
		}
	}
	if differs {
		t.FailNow()
	}
	return got
}

// A journal the engine could not have written gives an error, never a
// panic: Replay's input may be an untrusted kept record.
func TestReplay_refusesJournalsTheEngineCouldNotWrite(t *testing.T) {
	h := controltest.NewHarness(t)
	id := startDrill(t, h, controltest.PaymentScenario())
	h.AdvanceTo(id, 5*m)
	events := h.Events(id)

	// reseal returns evs re-chained from #1 after edit changed them.
	reseal := func(evs []control.Event, edit func([]control.Event) []control.Event) []control.Event {
		evs = edit(append([]control.Event(nil), evs...))
		seq, head := int64(0), ""
		for i := range evs {
			if err := evs[i].Seal(seq, head); err != nil {
				t.Fatal(err)
			}
			seq, head = evs[i].Seq, evs[i].Hash
		}
		return evs
	}
	tests := []struct {
		name    string
		events  []control.Event
		code    string
		message string
	}{
		{"an empty journal is refused", nil, injectors.EINVALID, "the journal is empty"},
		{"a journal that does not start with drill.created is refused", reseal(events, func(evs []control.Event) []control.Event {
			return evs[1:]
		}), injectors.EINVALID, "expected drill.created"},
		{"events of another drill are refused", reseal(events, func(evs []control.Event) []control.Event {
			evs[2].DrillID = "other"
			return evs
		}), injectors.EINVALID, "belongs to drill other"},
		{"an altered event is refused", func() []control.Event {
			evs := append([]control.Event(nil), events...)
			evs[3].Actor = "mallory"
			return evs
		}(), injectors.EINTERNAL, ""},
		{"a drill.created without its scenario is refused", reseal(events, func(evs []control.Event) []control.Event {
			evs[0].Payload = json.RawMessage(`{"id":"` + id + `"}`)
			return evs
		}), injectors.EINVALID, "does not carry the drill's scenario"},
		{"a fault the scenario does not have is refused", reseal(events, func(evs []control.Event) []control.Event {
			return append(evs, control.Event{DrillID: id, Type: control.EventFaultInjected, Time: evs[0].Time, Payload: json.RawMessage(`{"faultId":"ghost"}`)})
		}), injectors.EINTERNAL, ""},
		{"a payload that is not the event's shape is refused", reseal(events, func(evs []control.Event) []control.Event {
			return append(evs, control.Event{DrillID: id, Type: control.EventChatMessage, Time: evs[0].Time, Payload: json.RawMessage(`[1]`)})
		}), injectors.EINTERNAL, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := control.Replay(tt.events)
			if err == nil {
				t.Fatalf("replay gave drill %s in state %s, expected an error", d.ID, d.State)
			}
			if injectors.ErrorCode(err) != tt.code || !strings.Contains(err.Error(), tt.message) {
				t.Fatalf("error %v (%s), expected %s containing %q", err, injectors.ErrorCode(err), tt.code, tt.message)
			}
		})
	}
}
