package doctor_test

import (
	"context"
	"strings"
	"testing"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/control/guard"
	"github.com/firedrill/firedrill/internal/devcluster/clustertest"
	"github.com/firedrill/firedrill/internal/doctor"
	"github.com/firedrill/firedrill/internal/ha"
)

// TestRevertRecordsInTheCluster: with the marks off, doctor finds the
// faults left in beta from the revert records in ha.namespace: a running
// drill's records are information, an ended or unknown drill's are a
// warning that names the sweep.
func TestRevertRecordsInTheCluster(t *testing.T) {
	ns := clustertest.Namespace(t)
	ctx := context.Background()
	cs, err := haClient(clustertest.Cluster(t).RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	book := ha.NewSecretBook(cs, ns, ns+"/firedrill-controller")
	db, path := openDB(t)
	journal(t, db, "d-running", control.StateRunning, "api-down", []byte("p"), []byte("i"))
	journal(t, db, "d-ended", control.StateEnded, "api-down", []byte("p"), []byte("i"))
	for _, d := range []string{"d-running", "d-ended", "d-elsewhere"} {
		if err := book.Keep(ctx, guard.Entry{DrillID: d, FaultID: "api-down", Plugin: "kubernetes", Type: "scale", Record: []byte("fdseal1:k1:xyz")}); err != nil {
			t.Fatal(err)
		}
	}
	opts := options(t, nil)
	opts.RecordsNamespace, opts.Drills, opts.DatabasePath = ns, db, path
	r := doctor.Run(ctx, opts)
	tests := []struct {
		name       string
		check      string
		wantStatus doctor.Status
		wantDetail string
		wantFix    string
	}{
		{"a running drill's records: info", "records d-running", doctor.Info, "the drill is running", ""},
		{"an ended drill's records: warn, revert them", "records d-ended", doctor.Warn, "the drill is ended, so these faults should have been reverted", "firedrill sweep"},
		{"an unknown drill's records: warn, sweep", "records d-elsewhere", doctor.Warn, "the drill is not in " + path, "firedrill sweep"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, c := range r.Checks {
				if c.Name != tc.check {
					continue
				}
				if c.Status != tc.wantStatus || !strings.Contains(c.Detail, tc.wantDetail) || !strings.Contains(c.Detail, "api-down (kubernetes/scale)") || !strings.Contains(c.Fix, tc.wantFix) {
					t.Fatalf("%s: %s %q fix %q, want %s containing %q and fix %q", tc.check, c.Status, c.Detail, c.Fix, tc.wantStatus, tc.wantDetail, tc.wantFix)
				}
				return
			}
			t.Fatalf("no check %q:\n%s", tc.check, dump(r))
		})
	}
}
