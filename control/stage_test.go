package control_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/control/controltest"
	"github.com/firedrill/firedrill/injectors"
)

// staleInjector refuses the first Inject of each fault in stale as the
// contract's stale-record rule says: ECONFLICT, no record, nothing written.
type staleInjector struct {
	*loggedInjector
	mu    sync.Mutex
	stale map[string]bool
}

func (i *staleInjector) Inject(ctx context.Context, s control.FaultSpec, rec []byte) ([]byte, error) {
	i.mu.Lock()
	refuse := i.stale[s.FaultID]
	delete(i.stale, s.FaultID)
	i.mu.Unlock()
	if refuse {
		i.log.add("inject " + s.FaultID)
		return nil, injectors.Errorf(injectors.ECONFLICT, "ConfigMap changed since the fault was prepared: prepare again")
	}
	return i.loggedInjector.Inject(ctx, s, rec)
}

// With PrepareAhead, a running drill's loop prepares its pending faults
// ahead of their fire, so "fire now" is the journal write of the request,
// the intent and that record, then the inject: no Prepare on the way. A
// record the plugin finds stale is prepared again and journaled before the
// inject is retried.
func TestFireFaultNow_withARecordPreparedAhead(t *testing.T) {
	tests := []struct {
		name  string
		stale bool
		want  []string
	}{
		{name: "no Prepare when the fault fires", want: []string{
			"append fault.fire-requested/cache-evict fault.intent/cache-evict fault.prepared/cache-evict",
			"inject cache-evict",
			"append fault.injected/cache-evict",
		}},
		{name: "a stale record is prepared again and journaled before the retried inject", stale: true, want: []string{
			"append fault.fire-requested/cache-evict fault.intent/cache-evict fault.prepared/cache-evict",
			"inject cache-evict",
			"prepare cache-evict",
			"append fault.prepared/cache-evict",
			"inject cache-evict",
			"append fault.injected/cache-evict",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			log := &opLog{}
			inj := controltest.NewInjector()
			stale := &staleInjector{loggedInjector: &loggedInjector{Injector: inj, log: log}, stale: map[string]bool{"cache-evict": tt.stale}}
			h := loggedHarness(t, log, stale, inj, control.DefaultPrepareAhead)
			ctx, e := h.Ctx, h.Engine
			id := startDrill(t, h, controltest.PaymentScenario())
			waitFor(t, "cache-evict prepared ahead", func() bool { return slices.Contains(log.list(), "prepare cache-evict") })

			before := len(log.list())
			if err := e.FireFaultNow(ctx, id, "cache-evict", "fiona"); err != nil {
				t.Fatal(err)
			}
			waitFor(t, "cache-evict in effect", func() bool {
				d, err := e.Drill(ctx, id)
				f, _ := d.Fault("cache-evict")
				return err == nil && f.Phase == control.FaultInEffect
			})
			var got []string
			for _, op := range log.list()[before:] {
				if strings.Contains(op, "cache-evict") {
					got = append(got, op)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("fire now did %q, expected %q", got, tt.want)
			}
			if !inj.Broken("cache-evict") {
				t.Fatal("cache-evict is in effect in the journal but not injected")
			}
		})
	}
}

// waitFor polls cond for up to 10 seconds of wall time.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after 10s", what)
		}
	}
}
