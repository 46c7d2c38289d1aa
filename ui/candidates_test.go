package ui_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/ui"
)

// The start form's routes with candidate scenarios, for every role: the
// library offers the candidates (titles and descriptions, never their
// solutions) to whoever may create drills, a drill is created with the
// candidate picked, none or an unknown one is refused naming them, and a
// participant's view of the drill says nothing of the candidate.
func TestCreateDrill_candidates(t *testing.T) {
	e := newEnv(t)
	d := e.newDrill(false) // the people of every role, on another drill
	roles := map[string]*client{roleAnonymous: e.client(), roleParticipant: d.participant, roleObserver: d.observer, roleDesigner: d.designer, roleFacilitator: d.admin}
	body := map[string]any{"scenario": "candidates-test", "candidate": "address"}
	for _, role := range []string{roleAnonymous, roleParticipant, roleObserver, roleDesigner, roleFacilitator} {
		c := roles[role]
		st, b := c.do("GET", "/api/scenarios", nil)
		if role != roleFacilitator {
			want := 403
			if role == roleAnonymous {
				want = 401
			}
			if st != want || strings.Contains(string(b), "For a seasoned team") {
				t.Errorf("%s: GET /api/scenarios %d %s, want %d without the candidates", role, st, b, want)
			}
			if st, b := c.do("POST", "/api/drills", body); st != want {
				t.Errorf("%s: POST /api/drills %d %s, want %d", role, st, b, want)
			}
			continue
		}
		var lib []ui.LibraryEntry
		if err := json.Unmarshal(b, &lib); st != 200 || err != nil {
			t.Fatalf("facilitator: GET /api/scenarios %d %v", st, err)
		}
		i := slices.IndexFunc(lib, func(l ui.LibraryEntry) bool { return l.Name == "candidates-test" })
		if i < 0 || len(lib[i].Candidates) != 2 || lib[i].Candidates[1] != (ui.CandidateEntry{ID: "address", Title: "Database address changed", Description: "Orders fail; a port change follows the fix. For a seasoned team."}) {
			t.Fatalf("library entry %+v, want both candidates with their descriptions", lib[i])
		}
		if strings.Contains(string(b), "DB_POOL_MAX") {
			t.Errorf("the library shows a candidate's solution")
		}
		var sum control.DrillSummary
		c.must(201, "POST", "/api/drills", body, &sum)
		var view struct {
			Staff struct {
				Scenario struct {
					Candidate struct{ ID, Title string } `json:"candidate"`
					Faults    []struct{ ID string }      `json:"faults"`
				} `json:"scenario"`
			} `json:"staff"`
		}
		c.must(200, "GET", "/api/drills/"+sum.ID, nil, &view)
		if sc := view.Staff.Scenario; sc.Candidate.ID != "address" || len(sc.Faults) != 1 || sc.Faults[0].ID != "db-address" {
			t.Fatalf("created drill plays %+v, want the address candidate alone", sc)
		}
		// A participant of that drill sees nothing of the candidate.
		var l struct{ URL string }
		c.must(201, "POST", "/api/drills/"+sum.ID+"/people", map[string]any{"name": "Kim", "role": control.RoleParticipant}, &l)
		if _, pb := e.join(l.URL).do("GET", "/api/drills/"+sum.ID, nil); strings.Contains(string(pb), "seasoned") || strings.Contains(string(pb), `"candidate"`) {
			t.Errorf("the participant's view names the candidate: %s", pb)
		}
		for _, bad := range []struct{ candidate, want string }{
			{"", `expected one of them to be chosen: pool (\"Connection pool shrunk to one\"), address (\"Database address changed\")`},
			{"network", `unknown candidate \"network\"`},
		} {
			st, b := c.do("POST", "/api/drills", map[string]any{"scenario": "candidates-test", "candidate": bad.candidate})
			if st != 400 || !strings.Contains(string(b), bad.want) {
				t.Errorf("candidate %q: %d %s, want 400 saying %s", bad.candidate, st, b, bad.want)
			}
		}
	}
}
