package scenarios_test

import (
	"strings"
	"testing"
	"time"

	"github.com/firedrill/firedrill/scenarios"
)

func TestRenderText(t *testing.T) {
	data := scenarios.TemplateData{
		Elapsed: scenarios.FormatElapsed(42*time.Minute + 30*time.Second), Remaining: scenarios.FormatElapsed(47*time.Minute + 30*time.Second),
		DrillTitle: "Payments stop", Team: "Orders", Now: "14:05",
		Faults: map[string]scenarios.FaultData{"db-config": {ID: "db-config", Title: "DB config changed", State: "resolved"}, "cache": {Title: "Cache"}},
		Fault:  &scenarios.FaultData{Title: "DB config changed", Impact: "cannot order"},
	}
	tests := []struct {
		name, text, want, wantErr string
	}{
		{"renders every value", "{{.DrillTitle}}/{{.Team}} {{.Elapsed}} in, {{.Remaining}} left at {{.Now}}: {{.Fault.Title}} ({{.Fault.Impact}})",
			"Payments stop/Orders 42m in, 47m left at 14:05: DB config changed (cannot order)", ""},
		{"looks faults up by id", `{{(fault "db-config").State}} {{.Faults.cache.Title}}`, "resolved Cache", ""},
		{"keeps UTF-8", "{{.Elapsed}}째입니다", "42m째입니다", ""},
		{"fails on an unknown field", "{{.Elapsd}}", "", "unknown value .Elapsd; expected one of: .Elapsed"},
		{"fails on an unknown fault", `{{(fault "nope").Title}}`, "", `unknown fault "nope", expected one of: cache, db-config`},
		{"fails on a missing map key", `{{.Faults.nope}}`, "", `map has no entry for key "nope"`},
		{"fails on bad syntax", "{{if}}", "", "missing value for if"},
		{"ranges over faults", `{{range .Faults}}[{{.Title}}]{{end}}`, "[Cache][DB config changed]", ""},
		{"refuses range over a number", "{{range 1000000000}}x{{end}}", "", "range over 1000000000 is not supported"},
		{"refuses range over a variable", "{{$n := 9}}{{range $n}}x{{end}}", "", "is not supported"},
		{"refuses recursive templates", `{{define "a"}}{{template "a"}}{{end}}{{template "a"}}`, "", "define and block are not supported"},
		{"refuses template calls", `{{template "x"}}`, "", "template calls are not supported"},
		{"refuses huge output", strings.Repeat("{{range .Faults}}{{with $}}", 9) + `{{printf "%200s" "x"}}` + strings.Repeat("{{end}}{{end}}", 9), "", "message longer than 65536 bytes"},
		{"stops ranges nested under with $ at the step budget", strings.Repeat("{{range .Faults}}{{with $}}", 34) + "x" + strings.Repeat("{{end}}{{end}}", 34), "",
			"the text loops more than 10000 times"},
		{"stops nested ranges that print nothing", strings.Repeat("{{range .Faults}}{{with $}}", 30) + strings.Repeat("{{end}}{{end}}", 30), "", "loops more than"},
		{"refuses a printf width that would allocate before the output limit", `{{printf "%01000000000d" 3}}`, "", "width 1000000000 is over 200"},
		{"refuses a printf precision that would allocate", `{{printf "%.999999f" 3.0}}`, "", "width 999999 is over 200"},
		{"refuses a printf width from the arguments", `{{printf "%*d" 1000000000 3}}`, "", "width from the arguments"},
		{"keeps small printf widths", `{{printf "%05d|%-4s|%.1f" 3 "ab" 2.25}}`, "00003|ab  |2.2", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := scenarios.RenderText(tt.text, data)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got %q, %v; want error containing %q", got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestFormatElapsed(t *testing.T) {
	for d, want := range map[time.Duration]string{0: "0m", 59 * time.Second: "0m", 42 * time.Minute: "42m", 65 * time.Minute: "1h5m", -time.Minute: "0m"} {
		if got := scenarios.FormatElapsed(d); got != want {
			t.Errorf("FormatElapsed(%v) = %q, want %q", d, got, want)
		}
	}
}
