package record_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/control/controltest"
	"github.com/firedrill/firedrill/control/record"
	"github.com/firedrill/firedrill/scenarios"
)

// The record of a drill of a file that keeps candidates names the
// candidate played, in English and Korean, in every format that describes
// the scenario; a drill without candidates has no such row.
func TestRecord_namesTheCandidatePlayed(t *testing.T) {
	h := controltest.NewHarness(t)
	sc := controltest.PaymentScenario()
	sc.Candidates = []scenarios.Candidate{{ID: "pool", Title: "Pool size <1>"}, {ID: "coupon", Title: "Coupon flag"}}
	sc.Faults[1].Candidates = []string{"coupon"}
	if _, err := h.Engine.CreateDrill(h.Ctx, control.DrillRequest{ID: "drill-c", Scenario: sc, Candidate: "pool", Actor: "fiona"}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Engine.CreateDrill(h.Ctx, control.DrillRequest{ID: "drill-plain", Scenario: controltest.PaymentScenario(), Actor: "fiona"}); err != nil {
		t.Fatal(err)
	}
	r, err := record.Load(h.Ctx, h.DB, "drill-c")
	if err != nil {
		t.Fatal(err)
	}
	if r.Scenario.Candidate != "pool" || r.Scenario.CandidateTitle != "Pool size <1>" {
		t.Fatalf("scenario info %+v, want candidate pool", r.Scenario)
	}
	tests := []struct {
		format string
		lang   record.Lang
		want   string
	}{
		{record.FormatHTML, record.English, `<td>Candidate played</td><td>Pool size &lt;1&gt; (<span class="mono">pool</span>)</td>`},
		{record.FormatHTML, record.Korean, `<td>고른 후보 시나리오</td><td>Pool size &lt;1&gt; (<span class="mono">pool</span>)</td>`},
		{record.FormatMarkdown, record.English, "| Candidate played | Pool size &lt;1&gt; (`pool`) |"},
		{record.FormatMarkdown, record.Korean, "| 고른 후보 시나리오 | Pool size &lt;1&gt; (`pool`) |"},
		{record.FormatJSON, "", `"candidate": "pool"`},
	}
	plain, err := record.Load(h.Ctx, h.DB, "drill-plain")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.format+" "+string(tt.lang)+" names it", func(t *testing.T) {
			var b bytes.Buffer
			if err := record.Export(&b, r, tt.format, tt.lang); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(b.String(), tt.want) {
				t.Errorf("lacks %q:\n%s", tt.want, head(b.Bytes()))
			}
			b.Reset()
			if err := record.Export(&b, plain, tt.format, tt.lang); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(b.String(), "andidate") || strings.Contains(b.String(), "후보") {
				t.Errorf("a drill without candidates names one:\n%s", head(b.Bytes()))
			}
		})
	}
}
