package record_test

import (
	"testing"
	"time"

	"github.com/firedrill/firedrill/control/record"
)

func TestTrendOf(t *testing.T) {
	// Two drills of one day are told apart by the time they started.
	sep, oct := time.Date(2026, 9, 1, 9, 0, 0, 0, time.UTC), time.Date(2026, 9, 1, 14, 0, 0, 0, time.UTC)
	two := func(b1, a1, b2, a2 int) []record.RatedDrill {
		return []record.RatedDrill{{DrillID: "d2", At: oct, Before: b2, After: a2}, {DrillID: "d1", At: sep, Before: b1, After: a1}}
	}
	for _, tc := range []struct {
		name     string
		byPerson map[string][]record.RatedDrill
		want     record.TeamTrend
	}{
		{
			name:     "three people with two drills each are shown, first before to latest after",
			byPerson: map[string][]record.RatedDrill{"a": two(2, 3, 3, 4), "b": two(1, 2, 2, 4), "c": two(3, 4, 4, 5)},
			want:     record.TeamTrend{Team: "t", MinPeople: 3, Shown: true, People: 3, Before: 2, After: 4.33, ChangePct: 117, Drills: 2},
		},
		{
			name:     "two people are too few: nothing is given away",
			byPerson: map[string][]record.RatedDrill{"a": two(2, 3, 3, 4), "b": two(1, 2, 2, 4)},
			want:     record.TeamTrend{Team: "t", MinPeople: 3},
		},
		{
			name: "a person with one rated drill has no trend and does not count",
			byPerson: map[string][]record.RatedDrill{"a": two(2, 3, 3, 4), "b": two(1, 2, 2, 4),
				"c": {{DrillID: "d1", At: sep, Before: 1, After: 5}}},
			want: record.TeamTrend{Team: "t", MinPeople: 3},
		},
		{
			name:     "nobody linked",
			byPerson: nil,
			want:     record.TeamTrend{Team: "t", MinPeople: 3},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := record.TrendOf("t", "", tc.byPerson); got != tc.want {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}
