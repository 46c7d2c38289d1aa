package ha

import (
	"context"
	"fmt"
	"strings"
	"time"

	"k8s.io/utils/clock"
)

// DefaultDeadManAfter is how long a controller's Lease may go unrenewed
// before the sweep reverts the faults of its drills.
const DefaultDeadManAfter = 5 * time.Minute

// Reverter reverts a fault from its (sealed) revert record; seal.Injector
// over the plugin host is one.
type Reverter interface {
	Revert(ctx context.Context, plugin string, record []byte) error
}

// SweepConfig configures Sweep.
type SweepConfig struct {
	Client    *Client
	Namespace string
	// DeadManAfter is how long a Lease may go unrenewed before its drills'
	// faults are reverted.
	DeadManAfter time.Duration
	Reverter     Reverter
	Clock        clock.PassiveClock
}

// SweptDrill is what the sweep found for one drill.
type SweptDrill struct {
	DrillID string `json:"drillId"`
	Lease   string `json:"lease"`
	// Alive is true when the drill's controller renewed its Lease within
	// DeadManAfter: nothing of it was touched.
	Alive bool `json:"alive"`
	// LastRenew is the Lease's last renewal, nil when it has none or is
	// gone.
	LastRenew *time.Time `json:"lastRenew,omitempty"`
	Reverted  []string   `json:"reverted"`
	Failed    []string   `json:"failed"`
}

// Sweep reverts every fault recorded in the namespace's records Secrets
// whose controller has not renewed its Lease for DeadManAfter, newest
// record first per drill, and removes each reverted entry. It needs
// nothing but the records and the plugins: not the controller, not its
// database. A fault that fails to revert stays recorded for the next
// sweep.
func Sweep(ctx context.Context, cfg SweepConfig) ([]SweptDrill, error) {
	if cfg.DeadManAfter <= 0 {
		cfg.DeadManAfter = DefaultDeadManAfter
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.RealClock{}
	}
	sets, err := ListRecords(ctx, cfg.Client, cfg.Namespace)
	if err != nil {
		return nil, err
	}
	var out []SweptDrill
	for _, s := range sets {
		sd := SweptDrill{DrillID: s.DrillID, Lease: s.Lease, Reverted: []string{}, Failed: []string{}}
		last, err := lastRenew(ctx, cfg.Client, s.Lease)
		if err != nil {
			return out, err
		}
		sd.LastRenew = last
		if last != nil && cfg.Clock.Since(*last) < cfg.DeadManAfter {
			sd.Alive = true
			out = append(out, sd)
			continue
		}
		book := NewSecretBook(cfg.Client, cfg.Namespace, s.Lease)
		// Layered faults on one object revert newest first, as the engine
		// does; the records do not say when each was injected, so the
		// entries are reverted in reverse fault order, and a revert only
		// restores fields that still hold its injected value.
		for i := len(s.Entries) - 1; i >= 0; i-- {
			e := s.Entries[i]
			if err := cfg.Reverter.Revert(ctx, e.Plugin, e.Record); err != nil {
				sd.Failed = append(sd.Failed, fmt.Sprintf("%s: %v", e.FaultID, err))
				continue
			}
			if err := book.Forget(ctx, e.DrillID, e.FaultID); err != nil {
				sd.Failed = append(sd.Failed, fmt.Sprintf("%s: reverted, record not removed: %v", e.FaultID, err))
				continue
			}
			sd.Reverted = append(sd.Reverted, e.FaultID)
		}
		for _, k := range s.Broken {
			sd.Failed = append(sd.Failed, fmt.Sprintf("%s: unreadable entry in secret %s", k, s.Secret))
		}
		out = append(out, sd)
	}
	return out, nil
}

// lastRenew returns the last renewal of the Lease "namespace/name", nil
// when it is gone or was never renewed.
func lastRenew(ctx context.Context, cs *Client, ref string) (*time.Time, error) {
	ns, name, ok := strings.Cut(ref, "/")
	if !ok || ns == "" || name == "" {
		return nil, nil // no Lease named: nobody can be alive for it
	}
	l, err := cs.getLease(ctx, ns, name)
	if isNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read lease %s: %w", ref, err)
	}
	var t *microTime
	switch {
	case l.Spec.RenewTime != nil:
		t = l.Spec.RenewTime
	case l.Spec.AcquireTime != nil:
		t = l.Spec.AcquireTime
	default:
		return nil, nil
	}
	tt := t.Time
	return &tt, nil
}
