package ui_test

import (
	"testing"

	"github.com/firedrill/firedrill/control"
)

// TestClaimRefusedAfterTheEnd: response roles are claimed while the drill
// is played (from the draft to the end); once it ended, a claim or a
// release is refused with 409 and nothing reaches the journal — a role
// "claimed" in the retro would appear on the record's timeline after the
// drill ended.
func TestClaimRefusedAfterTheEnd(t *testing.T) {
	e := newEnv(t)
	d := e.newDrill(true)
	base := "/api/drills/" + d.id
	d.participant.must(201, "POST", base+"/claims", map[string]any{"role": "incident-commander"}, nil)
	d.admin.must(200, "POST", base+"/end", nil, nil)
	before := len(eventsOf(t, e, d.id, control.EventRoleClaim))
	for _, body := range []map[string]any{{"role": "propagation"}, {"role": "incident-commander", "release": true}} {
		if code, out := d.participant.do("POST", base+"/claims", body); code != 409 {
			t.Fatalf("claim %v after the end: HTTP %d %s, want 409", body, code, out)
		}
	}
	if after := len(eventsOf(t, e, d.id, control.EventRoleClaim)); after != before {
		t.Fatalf("%d role claims journaled after the end", after-before)
	}
}
