package main_test

import (
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/firedrill/firedrill/control/program"
	"github.com/firedrill/firedrill/control/retro/retrotest"
)

// programDataDir returns a data directory whose drill database holds a plan
// of season 2026H2 (payments and search) and one played drill of payments;
// search's planned month has passed.
func programDataDir(t *testing.T) string {
	t.Helper()
	dir, h := harnessDataDir(t)
	svc := &program.Service{Store: h.DB, Drills: h.Engine, Clock: h.Clock}
	if _, err := svc.CreateSeason(h.Ctx, "2026H2", "Priya", "https://wiki.example.com/ir", "", "facilitator"); err != nil {
		t.Fatal(err)
	}
	for _, in := range []program.TeamInput{{Name: "payments", TargetMonth: "2026-11"}, {Name: "search", TargetMonth: "2026-09"}} {
		if _, err := svc.AddTeam(h.Ctx, "2026H2", in, "facilitator"); err != nil {
			t.Fatal(err)
		}
	}
	retrotest.PlayDrill(t, h, "drill-1")
	h.Close()
	return dir
}

func TestReportCmd(t *testing.T) {
	dir := programDataDir(t)

	t.Run("csv lists the drilled team with its head and the overdue one", func(t *testing.T) {
		code, stdout, stderr := runScenarioCmd(t, "--data-dir", dir, "report", "--year", "2026", "--format", "csv")
		if code != 0 {
			t.Fatalf("exit %d\nstderr: %s", code, stderr)
		}
		rows, err := csv.NewReader(strings.NewReader(stdout)).ReadAll()
		if err != nil || len(rows) != 3 {
			t.Fatalf("csv %q: %v", stdout, err)
		}
		pay, search := rows[1], rows[2]
		if pay[1] != "payments" || pay[2] != "drilled" || pay[9] != "drill-1" || len(pay[10]) != 64 || pay[11] != "yes" || pay[16] != "no" {
			t.Fatalf("payments row %v, want drilled with drill-1's 64-hex head, verified, not overdue", pay)
		}
		if search[1] != "search" || search[2] != "planned" || search[16] != "yes" {
			t.Fatalf("search row %v, want planned and overdue", search)
		}
	})

	t.Run("json is the report document", func(t *testing.T) {
		code, stdout, stderr := runScenarioCmd(t, "--data-dir", dir, "report", "--season", "2026H2", "--format", "json")
		var rep program.Report
		if code != 0 || json.Unmarshal([]byte(stdout), &rep) != nil || rep.Drilled != 1 || strings.Join(rep.Overdue, ",") != "search" {
			t.Fatalf("exit %d, report %+v\nstderr: %s", code, rep, stderr)
		}
	})

	t.Run("html is written to a file", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "report.html")
		code, _, stderr := runScenarioCmd(t, "--data-dir", dir, "report", "--year", "2026", "-o", out)
		b, _ := os.ReadFile(out)
		if code != 0 || !strings.Contains(string(b), "compliance report: 2026") || !strings.Contains(string(b), "/room/drill-1/record") {
			t.Fatalf("exit %d\nstderr: %s\nfile: %s", code, stderr, b)
		}
	})

	t.Run("a bad format or a missing period exits 2", func(t *testing.T) {
		for _, args := range [][]string{{"report", "--year", "2026", "--format", "pdf"}, {"report"}, {"report", "--season", "autumn"}} {
			code, _, stderr := runScenarioCmd(t, append([]string{"--data-dir", dir}, args...)...)
			if code != 2 || stderr == "" {
				t.Fatalf("%v: exit %d, stderr %q; want 2 with a message", args, code, stderr)
			}
		}
	})

	t.Run("a kept journal that was edited is flagged", func(t *testing.T) {
		raw, err := sql.Open("sqlite", filepath.Join(dir, "firedrill.db"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := raw.Exec(`UPDATE events SET payload = replace(payload, 'users can''t pay', 'nobody noticed') WHERE drill_id = 'drill-1' AND type = 'notice.posted'`); err != nil {
			t.Fatal(err)
		}
		raw.Close()
		code, stdout, stderr := runScenarioCmd(t, "--data-dir", dir, "report", "--year", "2026", "--format", "json")
		var rep program.Report
		if code != 0 || json.Unmarshal([]byte(stdout), &rep) != nil {
			t.Fatalf("exit %d\nstderr: %s", code, stderr)
		}
		if rep.Unverified != 1 || rep.Rows[0].Verified || rep.Rows[0].VerifyError == "" {
			t.Fatalf("rows %+v, want drill-1's record flagged", rep.Rows)
		}
	})
}
