package ui_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/ui"
	"github.com/firedrill/firedrill/ui/wire"
)

const (
	kimBrief = "Private briefing: yesterday's commit to order-api-config was yours."
	leeBrief = "Private briefing for recovery: the DB host moved last night."
)

// chatTexts returns the chat texts among the events.
func chatTexts(t *testing.T, evs []wire.Event) []string {
	t.Helper()
	var out []string
	for _, ev := range evs {
		if ev.Type == control.EventChatMessage {
			out = append(out, chatOf(t, ev).Text)
		}
	}
	return out
}

// TestPrivateBriefings: a private briefing reaches its participant and
// staff, marked with its recipient, and no other participant: not on their
// live stream, not in their replay, not as a gap in their numbers. The
// recipient numbers it among their own events, replies to it by that
// number, and resumes past it with nothing lost or repeated.
func TestPrivateBriefings(t *testing.T) {
	// The private scenario lives apart from the shared test library: the
	// studio offers every library scenario as a spreadsheet, which cannot
	// hold a private recipient.
	e := newEnv(t, func(c *ui.Config, _ *control.Engine) {
		lib, err := ui.LoadLibrary([]string{"testdata/scenarios", "testdata/private"})
		if err != nil {
			t.Fatal(err)
		}
		c.Library = lib
	})
	d := e.newDrillOf("private-test", true)
	kimID, leeID := d.people["Kim"], d.people["Lee"]

	kim := d.participant.ws(d.id, 0)
	kimSeen := kim.untilText(kimBrief)
	kimLast := consecutive(t, "Kim's stream", 1, kimSeen)
	if m := chatOf(t, kimSeen[len(kimSeen)-1]); !slices.Equal(m.To, []string{kimID}) || m.Source != "" {
		t.Fatalf("Kim's briefing is to %v with source %q, want to Kim only and no source", m.To, m.Source)
	}
	staff := map[string]*stream{"observer": d.observer.ws(d.id, 0), "designer": d.designer.ws(d.id, 0), "facilitator": d.admin.ws(d.id, 0)}
	for role, s := range staff {
		evs := s.untilText(kimBrief)
		if m := chatOf(t, evs[len(evs)-1]); !slices.Equal(m.To, []string{kimID}) {
			t.Errorf("the %s sees Kim's briefing to %v, want it marked private to Kim", role, m.To)
		}
	}

	// Lee claims recovery: the briefing for recovery goes to Lee alone.
	lee := d.second.ws(d.id, 0)
	leeHistory := lee.untilReady()
	leeLast := consecutive(t, "Lee's replay", 1, leeHistory)
	d.second.must(201, "POST", "/api/drills/"+d.id+"/claims", map[string]any{"role": "recovery"}, nil)
	leeSeen := lee.untilText(leeBrief)
	leeLast = consecutive(t, "Lee's stream", leeLast+1, leeSeen)
	for role, s := range staff {
		s.untilText(leeBrief)
		_ = role
	}
	post(d.admin, d.id, "incident", "everyone: status in 5")
	kimLive := kim.untilText("everyone: status in 5")
	kimLast = consecutive(t, "Kim's stream after Lee's briefing", kimLast+1, kimLive)
	leeLive := lee.untilText("everyone: status in 5")
	leeLast = consecutive(t, "Lee's stream after the briefing", leeLast+1, leeLive)
	if got := append(chatTexts(t, kimSeen), chatTexts(t, kimLive)...); slices.Contains(got, leeBrief) {
		t.Fatalf("Kim received Lee's private briefing: %q", got)
	}
	if got := append(append(chatTexts(t, leeHistory), chatTexts(t, leeSeen)...), chatTexts(t, leeLive)...); slices.Contains(got, kimBrief) {
		t.Fatalf("Lee received Kim's private briefing: %q", got)
	}

	// Kim replies to her briefing by her number for it; staff see the
	// reply point at the briefing in the journal's numbers.
	briefN := kimSeen[len(kimSeen)-1].Seq
	var out struct {
		Seq int64 `json:"seq"`
	}
	d.participant.must(201, "POST", "/api/drills/"+d.id+"/messages", wire.PostMessageRequest{Channel: "incident", Text: "It was me; reverting now.", ReplyTo: briefN}, &out)
	reply := kim.untilText("It was me; reverting now.")
	kimLast = consecutive(t, "Kim's stream after her reply", kimLast+1, reply)
	if out.Seq != kimLast || chatOf(t, reply[len(reply)-1]).ReplyTo != briefN {
		t.Errorf("Kim's reply answered #%d and refers to #%d; her stream numbers it #%d, the briefing #%d", out.Seq, chatOf(t, reply[len(reply)-1]).ReplyTo, kimLast, briefN)
	}
	leeReply := lee.untilText("It was me; reverting now.")
	leeLast = consecutive(t, "Lee's stream with Kim's reply", leeLast+1, leeReply)
	if got := chatOf(t, leeReply[len(leeReply)-1]).ReplyTo; got != 0 {
		t.Errorf("Lee sees Kim's reply refer to #%d, a message Lee never saw; want no reference", got)
	}

	// Both resume from scratch: the same events under the same numbers.
	for _, tt := range []struct {
		who    string
		c      *client
		last   int64
		mine   string
		theirs string
	}{
		{"Kim", d.participant, kimLast, kimBrief, leeBrief},
		{"Lee", d.second, leeLast, leeBrief, kimBrief},
	} {
		t.Run(tt.who+" resumes with their own briefing and never the other's", func(t *testing.T) {
			replay := tt.c.ws(d.id, 0).untilReady()
			if end := consecutive(t, tt.who+"'s full replay", 1, replay); end != tt.last {
				t.Fatalf("%s's replay ends at #%d, the live stream at #%d", tt.who, end, tt.last)
			}
			got := chatTexts(t, replay)
			if !slices.Contains(got, tt.mine) || slices.Contains(got, tt.theirs) {
				t.Fatalf("%s's replay has %q", tt.who, got)
			}
			if rest := tt.c.ws(d.id, tt.last-2).untilReady(); len(rest) != 2 || rest[1].Seq != tt.last {
				t.Fatalf("%s resuming after #%d got %d events, want the last 2", tt.who, tt.last-2, len(rest))
			}
		})
	}
	var v wire.DrillView
	d.second.must(200, "GET", "/api/drills/"+d.id, nil, &v)
	if v.Seq != leeLast {
		t.Errorf("Lee's view of the drill is at #%d, their stream at #%d", v.Seq, leeLast)
	}
	if strings.Contains(fmt.Sprint(v), kimBrief) {
		t.Error("Lee's view of the drill carries Kim's briefing")
	}
	_ = leeID
}

// TestBrowserConfirmInTheRoom: a fault whose resolution needs a participant's
// confirmation shows the scenario's words to participants with a Confirm
// button; a participant clicks it, the fault is resolved "confirmed", the
// room says who confirmed, and participants never learn which fault it was.
func TestBrowserConfirmInTheRoom(t *testing.T) {
	e := newEnv(t)
	r := newRoomOf(t, e, "confirm-test", [2]string{"Kim", "participant"}, [2]string{"Park", "observer"})
	r.start()
	waitFor(t, "db-config injected", func() bool { return len(r.events(t, control.EventFaultInjected)) > 0 })
	kim := r.join("Kim")
	park := r.join("Park")
	kim.waitJS("the confirmation is offered", `document.querySelector('[data-confirmation="c1"]') !== null && document.querySelector('[data-confirmation="c1"]').textContent.includes("re-processed")`)
	if eval[bool](park, `document.querySelector("[data-confirm]") !== null`) {
		t.Error("the observer is offered a Confirm button; only participants confirm")
	}
	kim.click("confirm the orders are re-processed", `[data-confirm="c1"]`)
	kim.waitJS("shown as confirmed by Kim", `(() => { const d = document.querySelector('[data-confirmation="c1"] [data-confirmed]'); return d && d.textContent.includes("Kim"); })()`)
	park.waitJS("the observer reads who confirmed", `document.querySelector("#messages") && document.querySelector("#messages").textContent.includes("Kim") && document.querySelector("#messages").textContent.includes("re-processed")`)
	resolved := r.events(t, control.EventFaultResolved)
	if len(resolved) != 1 || !strings.Contains(string(resolved[0].Payload), `"by":"confirmed"`) || resolved[0].Actor != r.ids["Kim"] {
		t.Fatalf("resolutions %v, want db-config resolved by Kim's confirmation", resolved)
	}
	if eval[bool](kim, `document.body.textContent.includes("db-config")`) {
		t.Error("Kim's room names the fault db-config")
	}
	if st, _ := r.e.client().do("POST", "/api/drills/"+r.id+"/confirmations/c1", nil); st != 401 {
		t.Errorf("an anonymous confirmation answered %d, want 401", st)
	}
}
