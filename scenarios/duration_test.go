package scenarios_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/firedrill/firedrill/scenarios"
)

func TestDurationStringRoundTrips(t *testing.T) {
	tests := []struct {
		in   time.Duration
		want string
	}{
		{0, "0m"},
		{10 * time.Second, "10s"},
		{90 * time.Second, "1m30s"},
		{time.Minute, "1m"},
		{70 * time.Minute, "1h10m"},
		{90 * time.Minute, "1h30m"},
		{2 * time.Hour, "2h"},
		{1500 * time.Millisecond, "1.5s"},
		{20 * time.Second, "20s"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			d := scenarios.Duration(tt.in)
			if got := d.String(); got != tt.want {
				t.Fatalf("String() = %q, want %q", got, tt.want)
			}
			back, err := scenarios.ParseDuration(d.String())
			if err != nil || back != d {
				t.Fatalf("ParseDuration(%q) = %v, %v; want %v", d.String(), back, err, d)
			}
			b, _ := json.Marshal(d)
			var fromJSON scenarios.Duration
			if err := json.Unmarshal(b, &fromJSON); err != nil || fromJSON != d {
				t.Fatalf("JSON round trip of %s: %v, %v", b, fromJSON, err)
			}
		})
	}
}
