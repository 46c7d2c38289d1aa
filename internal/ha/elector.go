package ha

import (
	"context"
	"errors"
	"sync"
	"time"

	"k8s.io/utils/clock"

	"github.com/firedrill/firedrill/injectors"
)

// Defaults of the election: a leader that cannot renew for RenewDeadline
// stops acting, LeaseDuration-RenewDeadline before anyone else may take
// the Lease over.
const (
	DefaultLeaseDuration = 10 * time.Second
	DefaultRenewDeadline = 7 * time.Second
	DefaultRetryPeriod   = 2 * time.Second
)

// ElectorConfig configures an Elector.
type ElectorConfig struct {
	Client    *Client
	Namespace string
	// Name is the Lease's name.
	Name string
	// Identity names this controller in the Lease; the drill room's
	// followers forward requests to the leader's identity when it is a URL.
	Identity      string
	LeaseDuration time.Duration
	RenewDeadline time.Duration
	RetryPeriod   time.Duration
	// Clock is read by the fence and for the Lease's times; its timers
	// pace the election when it is a clock.Clock. Default the real clock.
	Clock clock.PassiveClock
	// OnNewLeader is called when the leader changes (with "" before any is
	// known). Optional.
	OnNewLeader func(identity string)
}

// Elector runs a coordination.k8s.io Lease election with the algorithm and
// timings of client-go's leaderelection (acquire, renew within
// RenewDeadline, release on cancel), over the lean Client, and fences this
// controller: Fence fails unless this controller leads and renewed the
// Lease less than RenewDeadline ago.
type Elector struct {
	cfg    ElectorConfig
	timers clock.Clock

	// Only Run's goroutine touches these: the Lease last read or written
	// (its resourceVersion orders the writes), the record observed in it,
	// and when it was observed.
	lease        *lease
	observed     leaseRecord
	observedAt   time.Time
	reportedLead string

	mu        sync.Mutex
	leading   bool
	renewedAt time.Time
	leader    string
	started   chan struct{}
	startOnce sync.Once
}

// NewElector returns an elector; Run runs it.
func NewElector(cfg ElectorConfig) (*Elector, error) {
	if cfg.LeaseDuration == 0 {
		cfg.LeaseDuration = DefaultLeaseDuration
	}
	if cfg.RenewDeadline == 0 {
		cfg.RenewDeadline = DefaultRenewDeadline
	}
	if cfg.RetryPeriod == 0 {
		cfg.RetryPeriod = DefaultRetryPeriod
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.RealClock{}
	}
	if cfg.RenewDeadline >= cfg.LeaseDuration {
		return nil, injectors.Errorf(injectors.EINVALID, "ha.renewDeadline (%s) must be shorter than ha.leaseDuration (%s): a leader must stop acting before its Lease can be taken over", cfg.RenewDeadline, cfg.LeaseDuration)
	}
	if cfg.Identity == "" || cfg.Name == "" || cfg.Namespace == "" {
		return nil, injectors.Errorf(injectors.EINVALID, "leader election: namespace, lease name and identity are required")
	}
	if cfg.Client == nil {
		return nil, injectors.Errorf(injectors.EINVALID, "leader election: no cluster client")
	}
	e := &Elector{cfg: cfg, started: make(chan struct{})}
	if c, ok := cfg.Clock.(clock.Clock); ok {
		e.timers = c
	} else {
		e.timers = clock.RealClock{}
	}
	return e, nil
}

// Run takes part in the election until ctx is done or this controller,
// having led, loses the Lease; a Lease it holds is released when ctx ends.
func (e *Elector) Run(ctx context.Context) {
	defer e.setLeading(false)
	if !e.acquire(ctx) {
		return
	}
	e.setLeading(true)
	e.startOnce.Do(func() { close(e.started) })
	e.renew(ctx)
	e.release()
}

// Started is closed when this controller first leads.
func (e *Elector) Started() <-chan struct{} { return e.started }

// Identity is this controller's identity.
func (e *Elector) Identity() string { return e.cfg.Identity }

// Leader returns the identity of the current leader, "" when unknown.
func (e *Elector) Leader() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.leader
}

// Leading reports whether this controller leads now (its fence is open).
func (e *Elector) Leading() bool { return e.Fence() == nil }

// ErrNotLeader is wrapped by Fence's refusals.
var ErrNotLeader = errors.New("this controller does not hold the leader Lease")

// Fence returns nil when this controller may act on faults: it leads and
// renewed its Lease less than RenewDeadline ago, so no other controller
// can have taken the Lease over yet.
func (e *Elector) Fence() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.leading {
		return injectors.Errorf(injectors.ECONFLICT, "%v (leader: %q)", ErrNotLeader, e.leader)
	}
	if age := e.cfg.Clock.Since(e.renewedAt); age >= e.cfg.RenewDeadline {
		return injectors.Errorf(injectors.ECONFLICT, "%v: last renewed %s ago, past the renew deadline %s", ErrNotLeader, age.Round(time.Millisecond), e.cfg.RenewDeadline)
	}
	return nil
}
