package doctor_test

import (
	"context"
	"testing"

	"github.com/firedrill/firedrill/internal/devcluster/clustertest"
	"github.com/firedrill/firedrill/internal/doctor"
)

// BenchmarkRun is one full doctor run on the dev cluster for a scenario with
// two faults at three difficulties and three probes: the configuration, the
// targets, about twenty access reviews and the leftover scan across the
// whole cluster.
func BenchmarkRun(b *testing.B) {
	ns := clustertest.Namespace(b)
	installApp(b, ns)
	opts := options(b, nil, writeScenario(b, "api-down.yaml", ns))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if r := doctor.Run(context.Background(), opts); r.Failed() {
			b.Fatalf("doctor failed on a healthy namespace:\n%s", dump(r))
		}
	}
}
