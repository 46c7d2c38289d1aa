package ui_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/firedrill/firedrill/ui/wire"
)

// Once the drill is closed a participant keeps its retro: the retro page
// offers them only what they may still open (its two charts, which answer),
// never the record's exports, which are the facilitator's now; and the
// printable record refuses them with the refusal page, not a JSON error.
func TestClosedDrill_participantKeepsAWorkingRetro(t *testing.T) {
	e := newEnv(t)
	d := e.newDrill(true)
	endDrill(t, e, d)
	d.participant.must(200, "PUT", "/api/drills/"+d.id+"/retro/answers", map[string]any{"wentWell": "Roles early.", "before": 2, "after": 4}, nil)
	d.admin.must(200, "POST", "/api/drills/"+d.id+"/retro/close", nil, nil)

	var v wire.RetroView
	d.participant.must(200, "GET", "/api/drills/"+d.id+"/retro", nil, &v)
	var offered []string
	for k, href := range v.Exports {
		offered = append(offered, k)
		if st, b := d.participant.do("GET", href, nil); st != http.StatusOK {
			t.Errorf("the closed retro offers %s (%s), which answers %d %.200s", k, href, st, b)
		}
	}
	slices.Sort(offered)
	if !slices.Equal(offered, []string{"ratings", "timeline"}) {
		t.Errorf("exports offered to a participant of the closed drill = %v, want only the charts", offered)
	}
	var fac wire.RetroView
	d.admin.must(200, "GET", "/api/drills/"+d.id+"/retro", nil, &fac)
	if fac.Exports["md"] == "" || fac.Exports["json"] == "" {
		t.Errorf("the facilitator lost the record's exports: %v", fac.Exports)
	}
	st, b := d.participant.do("GET", "/room/"+d.id+"/record", nil)
	if st != http.StatusForbidden || !strings.Contains(string(b), "refused") || strings.HasPrefix(strings.TrimSpace(string(b)), "{") {
		t.Errorf("the closed drill's record page for a participant: %d %.300s, want the 403 refusal page", st, b)
	}
}

// Once the drill is closed, a participant who opens their drill room (a
// bookmark, the refusal page's "Back to my drill room", which goes to /) is
// sent to the retro, the one page they keep — not to a refusal whose only
// link leads back to the same refusal.
func TestClosedDrill_roomLeadsToTheRetro(t *testing.T) {
	e := newEnv(t)
	d := e.newDrill(true)
	endDrill(t, e, d)
	d.admin.must(200, "POST", "/api/drills/"+d.id+"/retro/close", nil, nil)
	retro := "/room/" + d.id + "/retro"
	for _, path := range []string{"/", "/room/" + d.id} {
		for hops := 0; ; hops++ {
			req, _ := http.NewRequest("GET", d.participant.base+path, nil)
			res, err := d.participant.hc.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			loc := res.Header.Get("Location")
			if res.StatusCode/100 != 3 || hops > 5 {
				if path != retro || res.StatusCode != http.StatusOK {
					t.Fatalf("a participant of the closed drill ends at %s with %d, want the retro %s with 200", path, res.StatusCode, retro)
				}
				break
			}
			path = loc
		}
	}
}
