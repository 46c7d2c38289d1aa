package ui_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/scenarios"
	"github.com/firedrill/firedrill/ui"
)

// roomYAML is the text of the room's test scenario (room-test).
func roomYAML() string {
	b, err := os.ReadFile(filepath.Join("testdata", "scenarios", "room.yaml"))
	if err != nil {
		panic(err)
	}
	return string(b)
}

var matrixN atomic.Int64

// matrixScenario is room-test under a new name each call, so that every
// save of the matrix is a new scenario.
func matrixScenario() string {
	return renamed(roomYAML(), fmt.Sprintf("matrix-%d", matrixN.Add(1)))
}

var nameLine = regexp.MustCompile(`(?m)^  name: room-test$`)

// renamed is a scenario text with metadata.name set to name.
func renamed(text, name string) string {
	return nameLine.ReplaceAllString(text, "  name: "+name)
}

func roomTestScenario(*env) map[string]string { return map[string]string{"name": "room-test"} }

// savedTwice saves a new scenario twice (as the facilitator) and names it.
func savedTwice(e *env) map[string]string {
	name := fmt.Sprintf("twice-%d", matrixN.Add(1))
	a := e.admin()
	text := renamed(roomYAML(), name)
	a.must(201, "POST", "/api/studio/scenarios", map[string]any{"yaml": text, "base": 0}, nil)
	a.must(201, "POST", "/api/studio/scenarios", map[string]any{"yaml": strings.Replace(text, "Orders stall at checkout", "Orders stall at checkout (v2)", 1), "base": 1}, nil)
	return map[string]string{"name": name}
}

type studioCheck struct {
	Valid    bool         `json:"valid"`
	Problems []ui.Problem `json:"problems"`
	Plans    []struct {
		Difficulty  string        `json:"difficulty"`
		TimeLimitMs int64         `json:"timeLimitMs"`
		Rows        []ui.GanttRow `json:"rows"`
	} `json:"plans"`
	Messages []ui.PreviewMessage `json:"messages"`
}

func TestStudioCheck(t *testing.T) {
	e := newEnv(t)
	a := e.admin()
	t.Run("a valid scenario is planned at every difficulty and its messages rendered", func(t *testing.T) {
		text, err := os.ReadFile(filepath.Join("..", "scenarios", "examples", "chained-order-api.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		var c studioCheck
		a.must(200, "POST", "/api/studio/check", map[string]any{"yaml": string(text)}, &c)
		if !c.Valid || len(c.Plans) != 3 {
			t.Fatalf("valid %v, %d plans (%+v), want valid at hard, medium, easy", c.Valid, len(c.Plans), c.Problems)
		}
		chained := false
		for _, r := range c.Plans[0].Rows {
			if r.Kind == "fault" && r.After != "" && r.StartMs != nil {
				chained = true
			}
		}
		if !chained {
			t.Errorf("no chained fault with an earliest start in %+v", c.Plans[0].Rows)
		}
		for _, m := range c.Messages {
			if strings.Contains(m.Text, "{{") {
				t.Errorf("message %s not rendered: %q", m.ID, m.Text)
			}
		}
		if len(c.Messages) == 0 {
			t.Error("no persona messages")
		}
	})
	t.Run("a problem is at its line and column", func(t *testing.T) {
		text := strings.Replace(roomYAML(), "    persona: cs\n    channel: cs-inquiries\n", "    persona: nobody\n    channel: cs-inquiries\n", 1)
		line := 0
		for i, l := range strings.Split(text, "\n") {
			if l == "    persona: nobody" {
				line = i + 1
			}
		}
		var c studioCheck
		a.must(200, "POST", "/api/studio/check", map[string]any{"yaml": text}, &c)
		if c.Valid || len(c.Problems) == 0 || c.Problems[0].Line != line || c.Problems[0].Column != 14 || c.Problems[0].Severity != "error" {
			t.Fatalf("problems %+v, want an error at %d:14", c.Problems, line)
		}
	})
	t.Run("hostile inputs the loader refuses are refused here too", func(t *testing.T) {
		bomb, err := os.ReadFile(filepath.Join("..", "scenarios", "testdata", "errors", "alias-bomb.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		deep := "apiVersion: firedrill/v1\nkind: Scenario\nmetadata: " + strings.Repeat("[", 100) + strings.Repeat("]", 100) + "\n"
		// The loader's template step budget: ranges nested under "with $".
		loop := strings.Replace(roomYAML(), `text: "Customers say they cannot order. Is something wrong?"`,
			`text: '`+strings.Repeat("{{range .Faults}}{{with $}}", 34)+"x"+strings.Repeat("{{end}}{{end}}", 34)+`'`, 1)
		cases := []struct{ name, text, want string }{
			{"nested 100 deep", deep, "nested deeper than 32"},
			{"an alias bomb", string(bomb), "more than 64 aliases"},
			{"a template that loops past the step budget", loop, "loops more than 10000 times"},
		}
		for _, tc := range cases {
			var c studioCheck
			a.must(200, "POST", "/api/studio/check", map[string]any{"yaml": tc.text}, &c)
			found := false
			for _, p := range c.Problems {
				found = found || p.Line >= 1 && strings.Contains(p.Message, tc.want)
			}
			if c.Valid || !found {
				t.Errorf("%s: valid %v, problems %+v; want refused at a line: %s", tc.name, c.Valid, c.Problems, tc.want)
			}
		}
		st, b := a.do("POST", "/api/studio/check", map[string]any{"yaml": strings.Repeat("# padding\n", scenarios.MaxFileSize/10*4)})
		if st != 400 || !strings.Contains(string(b), "larger than the limit") {
			t.Errorf("a 4 MB text: %d %s, want 400 larger than the limit", st, b)
		}
	})
}

func TestStudioCheckIsRateLimited(t *testing.T) {
	e := newEnv(t, func(c *ui.Config, _ *control.Engine) { c.StudioCheckLimit = ui.RateLimit{Burst: 3, Every: time.Hour} })
	a := e.admin()
	for i := range 4 {
		st, b := a.do("POST", "/api/studio/check", map[string]any{"yaml": "apiVersion: firedrill/v1\n"})
		switch {
		case i < 3 && st != 200:
			t.Fatalf("check %d: %d %s, want 200", i+1, st, b)
		case i == 3 && (st != 409 || !strings.Contains(string(b), "too fast")):
			t.Fatalf("check %d: %d %s, want 409 too fast", i+1, st, b)
		}
	}
}

func TestStudioSaveVersionsAndDrill(t *testing.T) {
	e := newEnv(t)
	a := e.admin()
	text := renamed(roomYAML(), "studio-orders")
	var v ui.ScenarioVersion
	a.must(201, "POST", "/api/studio/scenarios", map[string]any{"yaml": text, "base": 0}, &v)
	if v.Version != 1 || v.Hash != scenarios.ContentHash([]byte(text)) || v.Author == "" {
		t.Fatalf("saved %+v", v)
	}
	t.Run("a saved scenario is in the new-drill list at once", func(t *testing.T) {
		var list []ui.LibraryEntry
		a.must(200, "GET", "/api/scenarios", nil, &list)
		found := false
		for _, s := range list {
			found = found || s.Name == "studio-orders" && s.Version == 1 && s.Source == "studio"
		}
		if !found {
			t.Fatalf("studio-orders not in %+v", list)
		}
	})
	var d control.DrillSummary
	a.must(201, "POST", "/api/drills", map[string]string{"scenario": "studio-orders"}, &d)
	t.Run("saving over a stale version is refused", func(t *testing.T) {
		st, b := a.do("POST", "/api/studio/scenarios", map[string]any{"yaml": text + "# again\n", "base": 0})
		if st != 409 {
			t.Fatalf("%d %s, want 409", st, b)
		}
	})
	v2 := strings.Replace(text, "Orders stall at checkout", "주문이 결제 단계에서 멈춤", 1)
	a.must(201, "POST", "/api/studio/scenarios", map[string]any{"yaml": v2, "base": 1}, &v)
	t.Run("the drill pins the version it ran", func(t *testing.T) {
		dr, err := e.engine.Drill(context.Background(), d.ID)
		if err != nil {
			t.Fatal(err)
		}
		if dr.Scenario.ContentHash != scenarios.ContentHash([]byte(text)) || dr.Scenario.Metadata.Title != "Orders stall at checkout" {
			t.Fatalf("drill scenario hash %s title %q, want version 1's", dr.Scenario.ContentHash, dr.Scenario.Metadata.Title)
		}
	})
	t.Run("the diff shows what changed between versions", func(t *testing.T) {
		var diff struct {
			From, To int
			Lines    []ui.DiffLine
		}
		a.must(200, "GET", "/api/studio/scenarios/studio-orders/diff", nil, &diff)
		var changed []string
		for _, l := range diff.Lines {
			if l.Op != " " {
				changed = append(changed, l.Op+l.Text)
			}
		}
		want := []string{"-  title: Orders stall at checkout", "+  title: 주문이 결제 단계에서 멈춤"}
		if diff.From != 1 || diff.To != 2 || strings.Join(changed, "|") != strings.Join(want, "|") {
			t.Fatalf("diff %d→%d %q, want %q", diff.From, diff.To, changed, want)
		}
	})
	t.Run("every version is downloadable", func(t *testing.T) {
		for n, want := range map[string]string{"1": text, "2": v2} {
			res, body := a.raw("GET", "/api/studio/scenarios/studio-orders/yaml?version="+n)
			if res.StatusCode != 200 || body != want || !strings.Contains(res.Header.Get("Content-Disposition"), `filename=studio-orders.yaml`) {
				t.Fatalf("version %s: %d %q %q", n, res.StatusCode, res.Header.Get("Content-Disposition"), body)
			}
		}
	})
	t.Run("an invalid upload is refused with its line and column", func(t *testing.T) {
		bad := strings.Replace(text, "timeLimit: 90m", "timeLimit: 95m", 1)
		st, b := a.do("POST", "/api/studio/scenarios", map[string]any{"yaml": bad, "base": 2})
		if st != 400 || !strings.Contains(string(b), `"lines":[{"line":8,"column":12`) {
			t.Fatalf("%d %s, want 400 with the problem at 8:12", st, b)
		}
	})
	t.Run("a file scenario in a directory firedrill may not write is read-only", func(t *testing.T) {
		var sc struct {
			Writable bool   `json:"writable"`
			Source   string `json:"source"`
		}
		a.must(200, "GET", "/api/studio/scenarios/room-test", nil, &sc)
		// testdata is writable in a checkout; the refusal is covered by
		// TestCatalogHotReload's read-only directory.
		if sc.Source != "room.yaml" {
			t.Fatalf("source %q, want room.yaml", sc.Source)
		}
	})
}

func TestStudioInjectsCSVRoundTrip(t *testing.T) {
	e := newEnv(t)
	a := e.admin()
	res, csv := a.raw("GET", "/api/studio/scenarios/room-test/injects.csv")
	if res.StatusCode != 200 || !strings.HasPrefix(csv, "id,") {
		t.Fatalf("export: %d %q", res.StatusCode, csv)
	}
	var out struct {
		YAML string `json:"yaml"`
	}
	a.must(200, "POST", "/api/studio/injects", map[string]any{"yaml": roomYAML(), "csv": csv}, &out)
	before, err := scenarios.Parse("a.yaml", []byte(roomYAML()))
	if err != nil {
		t.Fatal(err)
	}
	after, err := scenarios.Parse("b.yaml", []byte(out.YAML))
	if err != nil {
		t.Fatalf("the round-tripped text does not load: %v", err)
	}
	if fmt.Sprint(before.Injects) != fmt.Sprint(after.Injects) {
		t.Fatalf("injects changed in the round trip:\n%+v\n%+v", before.Injects, after.Injects)
	}
	// A scenario whose injects a spreadsheet cannot hold (a private
	// briefing) is refused as the scenario's problem, naming the inject.
	private, err := os.ReadFile(filepath.Join("testdata", "private", "private.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	a.must(201, "POST", "/api/studio/scenarios", map[string]any{"yaml": strings.Replace(string(private), "  name: private-test", "  name: private-csv", 1), "base": 0}, nil)
	if res, body := a.raw("GET", "/api/studio/scenarios/private-csv/injects.csv"); res.StatusCode != 400 || !strings.Contains(body, "you-committed") {
		t.Fatalf("export of a private briefing: %d %s, want 400 naming the inject", res.StatusCode, body)
	}
	st, b := a.do("POST", "/api/studio/injects", map[string]any{"yaml": roomYAML(), "csv": "id,time,persona,channel,text\nx,soon,cs,incident,hi\n"})
	if st != 400 || !strings.Contains(string(b), `"line":2`) {
		t.Fatalf("a bad CSV: %d %s, want 400 at row 2", st, b)
	}
}

// raw sends a GET and returns the response and its body as text.
func (c *client) raw(method, path string) (*http.Response, string) {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	res, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return res, string(b)
}

// TestStudioTeams: staff from the identity provider reach the studio for
// the teams they design or facilitate for, see only those teams'
// scenarios, and cannot save into another team; an observer-only member
// has no studio.
func TestStudioTeams(t *testing.T) {
	e := newSSOEnv(t)
	alice, carol, dan := e.sso("alice"), e.sso("carol"), e.sso("dan")
	teamA, err := os.ReadFile(filepath.Join("testdata", "teams", "team-a.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	list := func(c *client) []string {
		var lib struct {
			Scenarios []ui.LibraryEntry `json:"scenarios"`
		}
		c.must(200, "GET", "/api/studio/scenarios", nil, &lib)
		var names []string
		for _, s := range lib.Scenarios {
			names = append(names, s.Team+"/"+s.Name)
		}
		return names
	}
	t.Run("a designer of team A sees only team A's scenarios", func(t *testing.T) {
		if got := strings.Join(list(dan), ","); got != "team-a/team-a-drill" {
			t.Fatalf("dan sees %s", got)
		}
		if st, _ := dan.do("GET", "/api/studio/scenarios/team-b-drill", nil); st != 404 {
			t.Fatalf("team B's scenario: %d, want 404", st)
		}
	})
	t.Run("a designer saves for their team, never for another", func(t *testing.T) {
		mine := strings.Replace(string(teamA), "name: team-a-drill", "name: team-a-studio", 1)
		dan.must(201, "POST", "/api/studio/scenarios", map[string]any{"yaml": mine, "base": 0}, nil)
		theirs := strings.Replace(mine, "team: team-a", "team: team-b", 1)
		theirs = strings.Replace(theirs, "name: team-a-studio", "name: team-b-studio", 1)
		if st, b := dan.do("POST", "/api/studio/scenarios", map[string]any{"yaml": theirs, "base": 0}); st != 403 {
			t.Fatalf("saving for team B: %d %s, want 403", st, b)
		}
		if slices.Contains(list(alice), "team-a/team-a-studio") == false {
			t.Fatalf("team A's facilitator does not see the scenario dan saved: %v", list(alice))
		}
	})
	t.Run("an observer has no studio", func(t *testing.T) {
		if st, _ := carol.do("GET", "/api/studio/scenarios", nil); st != 403 {
			t.Fatalf("carol: %d, want 403", st)
		}
	})
}
