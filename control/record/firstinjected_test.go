package record_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/firedrill/firedrill/control/record"
)

// TestFirstInjected_thisVersionCountsFromTheDrillsFirstInjection: the
// journal of sections-v2-first-came-back.json (db-config injected at 0 and
// again at 15m10s after it came back, coupon-flag at 5m, acknowledged at
// 3m, incident notice at 4m, resolution notice at 24m), derived by this
// version, counts every "time to" from the drill's first injection, at 0,
// where version 2 counted from 5m; its export verifies with its sections
// compared, and the kept version-2 export still says what version 2 said.
func TestFirstInjected_thisVersionCountsFromTheDrillsFirstInjection(t *testing.T) {
	kept := readKept(t, "sections-v2-first-came-back.json")
	r, err := record.Assemble(kept.Chain.Events)
	if err != nil {
		t.Fatal(err)
	}
	ms := func(p *int64) any {
		if p == nil {
			return nil
		}
		return *p
	}
	for _, tt := range []struct {
		name      string
		got, want any
	}{
		{"this version's first injection is the drill's first", ms(r.Metrics.FirstInjectedMs), int64(0)},
		{"this version's time to acknowledge", ms(r.Metrics.TimeToAckMs), int64(180000)},
		{"this version's time to the incident notice", ms(r.Metrics.TimeToIncidentNoticeMs), int64(240000)},
		{"this version's time to the resolution notice", ms(r.Metrics.TimeToResolutionNoticeMs), int64(1440000)},
		{"version 2's first injection was the earliest latest one", ms(kept.Metrics.FirstInjectedMs), int64(300000)},
		{"version 2's time to acknowledge was negative", ms(kept.Metrics.TimeToAckMs), int64(-120000)},
		{"version 2's time to the incident notice was negative", ms(kept.Metrics.TimeToIncidentNoticeMs), int64(-60000)},
	} {
		if tt.got != tt.want {
			t.Errorf("%s: %v, expected %v", tt.name, tt.got, tt.want)
		}
	}
	// The first injection is the earliest row of the faults' injections.
	var earliest *int64
	for _, fm := range r.Metrics.Faults {
		for _, in := range fm.Injections {
			if earliest == nil || in.InjectedAtMs < *earliest {
				earliest = &in.InjectedAtMs
			}
		}
	}
	if earliest == nil || r.Metrics.FirstInjectedMs == nil || *earliest != *r.Metrics.FirstInjectedMs {
		t.Errorf("firstInjectedMs %v, but the earliest injection row is at %v", ms(r.Metrics.FirstInjectedMs), ms(earliest))
	}
	for _, rs := range r.Responses {
		if rs.Kind == "notice" && rs.ID == "incident" && (rs.AtMs != 0 || rs.ResponseMs == nil || *rs.ResponseMs != 240000) {
			t.Errorf("incident notice answers %dms in %v ms, expected the first injection at 0 answered in 240000", rs.AtMs, ms(rs.ResponseMs))
		}
	}

	var buf bytes.Buffer
	if err := record.WriteJSON(&buf, r); err != nil {
		t.Fatal(err)
	}
	back, err := record.ReadJSON(&buf)
	if err != nil {
		t.Fatal(err)
	}
	v, err := record.Verify(back)
	if err != nil {
		t.Fatalf("this version's export of the drill: %v", err)
	}
	if len(v.Sections) == 0 || v.SectionsVersion != record.SectionsVersion {
		t.Fatalf("this version's export verified its sections %v as version %d, expected compared as %d (%s)", v.Sections, v.SectionsVersion, record.SectionsVersion, v.NotCompared)
	}
}

// readKept reads a record kept in testdata/verify.
func readKept(t *testing.T, name string) *record.Record {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "verify", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := record.ReadJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
