package scenarios_test

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/firedrill/firedrill/scenarios"
)

func TestForDifficulty(t *testing.T) {
	s := mustLoad(t, "examples/chained-order-api.yaml")
	base, _ := s.Fault("order-api-down")
	baseTitle := base.Title
	tests := []struct {
		name       string
		difficulty scenarios.Difficulty
		injector   string
		title      string
		target     string
		params     map[string]any
	}{
		{"hard replaces injector, target and params", scenarios.Hard, "kubernetes/secret-key",
			"order-api crashes on start (missing database password)", "Secret/order-api-db",
			map[string]any{"key": "DB_PASSWORD", "remove": true, "restart": "deployment/order-api"}},
		{"medium keeps injector and params and overrides the title", scenarios.Medium, "kubernetes/bad-image",
			"order-api rolled out with an image tag that does not exist", "Deployment/order-api",
			map[string]any{"container": "order-api", "image": "registry.shop.internal/order-api:2024-11-31"}},
		{"easy replaces injector and params", scenarios.Easy, "kubernetes/scale",
			"order-api scaled to zero", "Deployment/order-api", map[string]any{"replicas": int64(0)}},
		{"empty means the scenario's difficulty", "", "kubernetes/bad-image",
			"order-api rolled out with an image tag that does not exist", "Deployment/order-api",
			map[string]any{"container": "order-api", "image": "registry.shop.internal/order-api:2024-11-31"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.ForDifficulty(tt.difficulty)
			if err != nil {
				t.Fatal(err)
			}
			f, _ := got.Fault("order-api-down")
			if f.Injector.String() != tt.injector || f.Title != tt.title || f.Target.Kind+"/"+f.Target.Name != tt.target {
				t.Errorf("got %s %q %s/%s", f.Injector, f.Title, f.Target.Kind, f.Target.Name)
			}
			if !reflect.DeepEqual(f.Params, tt.params) {
				t.Errorf("params = %#v, want %#v", f.Params, tt.params)
			}
			for _, g := range got.Faults {
				if g.Variants != nil {
					t.Errorf("fault %s still has variants", g.ID)
				}
			}
			if tt.difficulty != "" && got.Difficulty != tt.difficulty {
				t.Errorf("Difficulty = %q", got.Difficulty)
			}
		})
	}
	if base.Title != baseTitle || len(base.Variants) != 3 {
		t.Errorf("ForDifficulty changed the original scenario")
	}
}

func TestForDifficulty_mergesParamsKeyByKey(t *testing.T) {
	s, err := scenarios.Parse("m.yaml", []byte(strings.Replace(string(mustRead(t, "testdata/valid-minimal.yaml")),
		"    params: {key: DB_HOST, value: nowhere}\n",
		"    params: {key: DB_HOST, value: nowhere, restart: {kind: Deployment, name: order-api}}\n"+
			"    variants:\n      hard:\n        params: {value: db-replica-9, restart: {name: web}}\n        target: {namespace: shop, kind: ConfigMap, name: web-config}\n", 1)))
	if err != nil {
		t.Fatal(err)
	}
	if s.Difficulty != scenarios.Medium {
		t.Errorf("default difficulty = %q, want medium when variants exist", s.Difficulty)
	}
	if got := s.Difficulties(); !reflect.DeepEqual(got, []scenarios.Difficulty{scenarios.Hard}) {
		t.Errorf("Difficulties = %v", got)
	}
	hard, err := s.ForDifficulty(scenarios.Hard)
	if err != nil {
		t.Fatal(err)
	}
	f, _ := hard.Fault("db-config")
	want := map[string]any{"key": "DB_HOST", "value": "db-replica-9", "restart": map[string]any{"kind": "Deployment", "name": "web"}}
	if !reflect.DeepEqual(f.Params, want) {
		t.Errorf("params = %#v, want %#v", f.Params, want)
	}
	if f.Target.Name != "web-config" {
		t.Errorf("target = %+v", f.Target)
	}
	f.Params["key"] = "changed"
	orig, _ := s.Fault("db-config")
	if orig.Params["key"] != "DB_HOST" {
		t.Errorf("the copy shares params with the original")
	}
	medium, _ := s.ForDifficulty(scenarios.Medium)
	if f, _ := medium.Fault("db-config"); f.Params["value"] != "nowhere" {
		t.Errorf("a fault without a variant for the difficulty changed: %v", f.Params)
	}
}

func TestForDifficulty_nullParamDropsTheFaultsParam(t *testing.T) {
	s, err := scenarios.Parse("m.yaml", []byte(strings.Replace(string(mustRead(t, "testdata/valid-minimal.yaml")),
		"    params: {key: DB_HOST, value: nowhere}\n",
		"    params: {key: DB_HOST, value: nowhere, restart: {kind: Deployment, name: order-api}}\n"+
			"    variants:\n      hard:\n        params: {value: null, remove: true, restart: {name: null}}\n", 1)))
	if err != nil {
		t.Fatal(err)
	}
	hard, err := s.ForDifficulty(scenarios.Hard)
	if err != nil {
		t.Fatal(err)
	}
	f, _ := hard.Fault("db-config")
	want := map[string]any{"key": "DB_HOST", "remove": true, "restart": map[string]any{"kind": "Deployment"}}
	if !reflect.DeepEqual(f.Params, want) {
		t.Errorf("params = %#v, want %#v", f.Params, want)
	}
}

func TestForDifficulty_refusesUnknownDifficulty(t *testing.T) {
	s := mustLoad(t, "examples/chained-order-api.yaml")
	_, err := s.ForDifficulty("extreme")
	if err == nil || !strings.Contains(err.Error(), `unknown difficulty "extreme", expected one of: hard, medium, easy`) {
		t.Fatalf("got %v", err)
	}
}

func TestClone_isDeep(t *testing.T) {
	s := mustLoad(t, "examples/layered-payment-outage.yaml")
	c := s.Clone()
	if !reflect.DeepEqual(s, c) {
		t.Fatal("clone differs from the original")
	}
	c.Faults[0].ResolvedWhen.Probes[1].Params["path"] = "/x"
	*c.Injects[0].At = 0
	c.Personas[0].QuickReplies[0] = "x"
	c.Notices.Incident.Fields[0].Label = "x"
	if reflect.DeepEqual(s, c) {
		t.Fatal("changing the clone changed the original")
	}
}

func TestPlayableDifficulties(t *testing.T) {
	withVariants := func(def scenarios.Difficulty, levels ...scenarios.Difficulty) *scenarios.Scenario {
		f := scenarios.Fault{ID: "f", Variants: map[scenarios.Difficulty]scenarios.FaultVariant{}}
		for _, l := range levels {
			f.Variants[l] = scenarios.FaultVariant{Title: string(l)}
		}
		return &scenarios.Scenario{Difficulty: def, Faults: []scenarios.Fault{f}}
	}
	tests := []struct {
		name string
		s    *scenarios.Scenario
		want []scenarios.Difficulty
	}{
		{"no variants and no default play the base settings", withVariants(""), []scenarios.Difficulty{""}},
		{"a default without a variant of its own is playable", withVariants(scenarios.Medium, scenarios.Hard, scenarios.Easy), []scenarios.Difficulty{scenarios.Hard, scenarios.Medium, scenarios.Easy}},
		{"a default with its variant is listed once", withVariants(scenarios.Hard, scenarios.Hard), []scenarios.Difficulty{scenarios.Hard}},
		{"variants without a default also play the base settings", withVariants("", scenarios.Easy), []scenarios.Difficulty{scenarios.Easy, ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.s.PlayableDifficulties(); !slices.Equal(got, tt.want) {
				t.Fatalf("PlayableDifficulties() = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestForDifficulty_changesMoreThanParams plays testdata/plan-cases/levels.yaml at each
// level: timing, resolution checks, impact and whether a fault is played at
// all change per difficulty, and alerts, injects and hints limited to some
// levels are left out at the others.
func TestForDifficulty_changesMoreThanParams(t *testing.T) {
	s := mustLoad(t, "testdata/plan-cases/levels.yaml")
	tests := []struct {
		name    string
		d       scenarios.Difficulty
		trigger string
		stable  string
		manual  bool
		impact  string
		faults  []string
		alerts  []string
		injects []string
		hints   []string
	}{
		{"hard starts at once, needs a hand and leaves the cache fault out", scenarios.Hard, "at 0m", "5m", true,
			"Some customers cannot order, and nobody can tell which.", []string{"db-config"}, nil, []string{"only-hard"}, nil},
		{"medium plays the faults as written", scenarios.Medium, "at 5m", "3m", false,
			"Customers cannot order.", []string{"db-config", "cache"}, []string{"order-api-down"}, []string{"cache-noticed"}, []string{"hint-cache"}},
		{"easy chains the DB fault after the cache fault", scenarios.Easy, "after cache injected +2m", "3m", false,
			"Customers cannot order.", []string{"db-config", "cache"}, []string{"order-api-down"}, []string{"cache-noticed"}, []string{"hint-cache", "hint-easy"}},
	}
	ids := func(n int, id func(int) string) []string {
		var out []string
		for i := 0; i < n; i++ {
			out = append(out, id(i))
		}
		return out
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sd, err := s.ForDifficulty(tt.d)
			if err != nil {
				t.Fatal(err)
			}
			f, ok := sd.Fault("db-config")
			if !ok {
				t.Fatal("db-config missing")
			}
			trigger := ""
			if f.After != nil {
				trigger = "after " + f.After.Fault + " " + string(f.After.Event) + " +" + f.After.Delay.String()
			} else {
				trigger = "at " + f.At.String()
			}
			if trigger != tt.trigger || f.ResolvedWhen.StableFor.String() != tt.stable || f.ResolvedWhen.Manual != tt.manual || f.Impact != tt.impact {
				t.Errorf("db-config: %s, stableFor %s, manual %v, impact %q", trigger, f.ResolvedWhen.StableFor, f.ResolvedWhen.Manual, f.Impact)
			}
			if got := ids(len(sd.Faults), func(i int) string { return sd.Faults[i].ID }); !slices.Equal(got, tt.faults) {
				t.Errorf("faults %v, want %v", got, tt.faults)
			}
			if got := ids(len(sd.Alerts), func(i int) string { return sd.Alerts[i].ID }); !slices.Equal(got, tt.alerts) {
				t.Errorf("alerts %v, want %v", got, tt.alerts)
			}
			if got := ids(len(sd.Injects), func(i int) string { return sd.Injects[i].ID }); !slices.Equal(got, tt.injects) {
				t.Errorf("injects %v, want %v", got, tt.injects)
			}
			if got := ids(len(sd.Hints), func(i int) string { return sd.Hints[i].ID }); !slices.Equal(got, tt.hints) {
				t.Errorf("hints %v, want %v", got, tt.hints)
			}
			if err := sd.Validate(); err != nil {
				t.Errorf("the scenario at %s is not valid: %v", tt.d, err)
			}
		})
	}
}

// TestForDifficulty_dropsWhatWaitsOnALeftOutAlertOrHint plays
// testdata/left-out-chains.yaml where its fault worker-down is left out (at
// easy, and by the candidate db-only): the alert armed on it and the hint
// only about it go, and so do the injects and alerts waiting on their
// events, and those waiting on them in turn — rehearsal robot steps too.
// The file is valid at every level and for every candidate.
func TestForDifficulty_dropsWhatWaitsOnALeftOutAlertOrHint(t *testing.T) {
	s := mustLoad(t, "testdata/left-out-chains.yaml")
	type played struct{ alerts, injects, hints, steps []string }
	everything := played{
		[]string{"worker-storm", "storm-echo", "db-errors"},
		[]string{"storm-over", "after-storm-over", "after-hint", "any-hint", "cs-first"},
		[]string{"hint-worker", "hint-db"},
		[]string{
			"on hint.given hint-worker", "on alert.firing worker-storm", "on inject.posted storm-over",
			"answer after-storm-over", "on hint.given", "on alert.firing db-errors",
			"fix worker-down", "fix db-config", "resolve db-config", "resolve worker-down",
		},
	}
	withoutWorker := played{
		nil, // db-errors resolves on the left-out hint: it goes, as an alert whose until names a left-out fault does
		[]string{"any-hint", "cs-first"},
		[]string{"hint-db"},
		// The steps waiting on the left-out hint, alert (worker-storm, and
		// db-errors that went with the hint) and inject, answering the
		// inject that went, or fixing the left-out fault go; the one on
		// any hint stays, as the inject any-hint does.
		[]string{"on hint.given", "fix db-config", "resolve db-config"},
	}
	tests := []struct {
		name      string
		candidate string
		d         scenarios.Difficulty
		want      played
		// candidateSteps are the robot steps the candidate plays before
		// the difficulty applies.
		candidateSteps []string
	}{
		{"medium keeps the worker's alert, hint and what waits on them", "both", scenarios.Medium, everything, everything.steps},
		{"easy drops what waits on the worker's alert and hint", "both", scenarios.Easy, withoutWorker, everything.steps},
		{"the candidate without the worker drops the same", "db-only", scenarios.Hard, withoutWorker, withoutWorker.steps},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc, err := s.ForCandidate(tt.candidate)
			if err != nil {
				t.Fatal(err)
			}
			if got := robotSteps(sc); !slices.Equal(got, tt.candidateSteps) {
				t.Errorf("robot steps of candidate %s %q, want %q", tt.candidate, got, tt.candidateSteps)
			}
			sd, err := sc.ForDifficulty(tt.d)
			if err != nil {
				t.Fatal(err)
			}
			var alerts, injects, hints []string
			for _, a := range sd.Alerts {
				alerts = append(alerts, a.ID)
			}
			for _, in := range sd.Injects {
				injects = append(injects, in.ID)
			}
			for _, h := range sd.Hints {
				hints = append(hints, h.ID)
			}
			if !slices.Equal(alerts, tt.want.alerts) || !slices.Equal(injects, tt.want.injects) || !slices.Equal(hints, tt.want.hints) {
				t.Errorf("alerts %v, injects %v, hints %v; want %v, %v, %v", alerts, injects, hints, tt.want.alerts, tt.want.injects, tt.want.hints)
			}
			if got := robotSteps(sd); !slices.Equal(got, tt.want.steps) {
				t.Errorf("robot steps %q, want %q", got, tt.want.steps)
			}
			if err := sd.Validate(); err != nil {
				t.Errorf("not valid as played: %v", err)
			}
		})
	}
}

// robotSteps describes the rehearsal robot steps of s by what they wait on
// (on EVENT [ID]) or do (answer, fix, resolve), in file order.
func robotSteps(s *scenarios.Scenario) []string {
	var out []string
	if s.Rehearsal == nil {
		return nil
	}
	for _, rb := range s.Rehearsal.Robots {
		for _, st := range rb.Steps {
			switch {
			case st.Answer != "":
				out = append(out, "answer "+st.Answer)
			case st.Fix != "":
				out = append(out, "fix "+st.Fix)
			case st.Resolve != "":
				out = append(out, "resolve "+st.Resolve)
			case st.On != nil:
				out = append(out, strings.TrimSpace(fmt.Sprintf("on %s %s%s%s", st.On.Event, st.On.Alert, st.On.Hint, st.On.Inject)))
			}
		}
	}
	return out
}
