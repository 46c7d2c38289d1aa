package control_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/scenarios"
)

func TestUpdatePromises(t *testing.T) {
	start := time.Date(2026, 11, 30, 14, 0, 0, 0, time.UTC)
	notice := func(seq int64, kind scenarios.NoticeKind, at time.Duration, next string) control.Notice {
		f := map[string]string{}
		if next != "" {
			f[control.NextUpdateField] = next
		}
		return control.Notice{Seq: seq, Kind: kind, At: at, Fields: f}
	}
	tests := []struct {
		name    string
		notices []control.Notice
		want    []string
	}{
		{name: "no promise, nothing tracked", notices: []control.Notice{notice(3, scenarios.NoticeIncident, 5*time.Minute, "")}},
		{name: "an open promise is due at its clock time",
			notices: []control.Notice{notice(3, scenarios.NoticeIncident, 5*time.Minute, "14:20")},
			want:    []string{"3 14:20 due 20m0s open"}},
		{name: "the next status update keeps it, and promises again",
			notices: []control.Notice{notice(3, scenarios.NoticeIncident, 5*time.Minute, "14:20"), notice(7, scenarios.NoticeStatus, 22*time.Minute, "14:40")},
			want:    []string{"3 14:20 due 20m0s kept 22m0s", "7 14:40 due 40m0s open"}},
		{name: "the resolution notice keeps the last one",
			notices: []control.Notice{notice(3, scenarios.NoticeStatus, 5*time.Minute, "14:20"), notice(9, scenarios.NoticeResolution, 15*time.Minute, "")},
			want:    []string{"3 14:20 due 20m0s kept 15m0s"}},
		{name: "a time past midnight is the next day",
			notices: []control.Notice{notice(3, scenarios.NoticeIncident, 9*time.Hour+50*time.Minute, "00:05")},
			want:    []string{"3 00:05 due 10h5m0s open"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := &control.Drill{StartedAt: start, Notices: tt.notices}
			var got []string
			for _, p := range control.UpdatePromises(d, time.UTC) {
				s := p.Promised + " due " + p.Due.String()
				if p.Kept() {
					s += " kept " + p.KeptAt.String()
				} else {
					s += " open"
				}
				got = append(got, strconv.FormatInt(p.Seq, 10)+" "+s)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("promises %q, want %q", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("promises %q, want %q", got, tt.want)
				}
			}
		})
	}
}
