package ha

import (
	"context"
	"math/rand/v2"
	"time"
)

// The election follows client-go's leaderelection (v0.34) step by step, so
// that a firedrill controller and the Lease semantics operators know from
// every other Kubernetes controller agree: a candidate acquires the Lease
// when it is free or its holder has not renewed it for the holder's
// leaseDurationSeconds as this candidate observed it; the leader renews
// every RetryPeriod and stops leading when it cannot renew within
// RenewDeadline; on cancel it releases the Lease (holder "", duration 1s)
// so that a follower need not wait out the duration.

// leaseRecord is what the election reads and writes in the Lease's spec
// (client-go's LeaderElectionRecord).
type leaseRecord struct {
	holder          string
	durationSeconds int32
	acquire, renew  microTime
	transitions     int32
}

func recordOf(l *lease) leaseRecord {
	var r leaseRecord
	s := l.Spec
	if s.HolderIdentity != nil {
		r.holder = *s.HolderIdentity
	}
	if s.LeaseDurationSeconds != nil {
		r.durationSeconds = *s.LeaseDurationSeconds
	}
	if s.AcquireTime != nil {
		r.acquire = *s.AcquireTime
	}
	if s.RenewTime != nil {
		r.renew = *s.RenewTime
	}
	if s.LeaseTransitions != nil {
		r.transitions = *s.LeaseTransitions
	}
	return r
}

func (r leaseRecord) spec(s leaseSpec) leaseSpec {
	holder, dur, acq, ren, tr := r.holder, r.durationSeconds, r.acquire, r.renew, r.transitions
	s.HolderIdentity, s.LeaseDurationSeconds, s.AcquireTime, s.RenewTime, s.LeaseTransitions = &holder, &dur, &acq, &ren, &tr
	return s
}

// equal compares records by what they say (client-go compares the raw
// record's JSON): times to the microsecond the API keeps.
func (r leaseRecord) equal(o leaseRecord) bool {
	return r.holder == o.holder && r.durationSeconds == o.durationSeconds && r.transitions == o.transitions &&
		r.acquire.Equal(o.acquire.Time) && r.renew.Equal(o.renew.Time)
}

// acquire tries every RetryPeriod (jittered) until this controller holds
// the Lease (true) or ctx ends (false).
func (e *Elector) acquire(ctx context.Context) bool {
	for {
		ok := e.tryAcquireOrRenew(ctx)
		e.reportTransition()
		if ok {
			return true
		}
		// client-go's wait.JitterUntil(…, RetryPeriod, 1.2, sliding).
		d := e.cfg.RetryPeriod + time.Duration(rand.Float64()*1.2*float64(e.cfg.RetryPeriod))
		if left := e.expiresIn(); left > 0 && left < d {
			d = left
		}
		if !e.sleep(ctx, d) {
			return false
		}
	}
}

// renew renews the Lease every RetryPeriod until a renewal does not
// succeed within RenewDeadline (retried every RetryPeriod) or ctx ends.
func (e *Elector) renew(ctx context.Context) {
	for ctx.Err() == nil {
		if !e.renewWithin(ctx) {
			return
		}
		if !e.sleep(ctx, e.cfg.RetryPeriod) {
			return
		}
	}
}

// renewWithin tries to renew at once and then every RetryPeriod, for at
// most RenewDeadline; it says whether a renewal succeeded.
func (e *Elector) renewWithin(ctx context.Context) bool {
	tctx, cancel := context.WithTimeout(ctx, e.cfg.RenewDeadline)
	defer cancel()
	for {
		ok := e.tryAcquireOrRenew(tctx)
		e.reportTransition()
		if ok {
			return true
		}
		if !e.sleep(tctx, e.cfg.RetryPeriod) {
			return false
		}
	}
}

// release gives the Lease up when this controller still holds it in the
// record it observed, so that a follower takes over at once.
func (e *Elector) release() {
	if e.observed.holder != e.cfg.Identity || e.lease == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), e.cfg.RenewDeadline)
	defer cancel()
	now := microTime{e.cfg.Clock.Now()}
	r := leaseRecord{durationSeconds: 1, acquire: now, renew: now, transitions: e.observed.transitions}
	if e.write(ctx, r, false) == nil {
		e.observe(r)
	}
}

// tryAcquireOrRenew is client-go's step: renew at once while this
// controller leads a valid Lease; otherwise read the Lease (creating it
// when missing) and take it unless another holder's Lease is still valid.
func (e *Elector) tryAcquireOrRenew(ctx context.Context) bool {
	now := microTime{e.cfg.Clock.Now()}
	r := leaseRecord{holder: e.cfg.Identity, durationSeconds: int32(e.cfg.LeaseDuration / time.Second), acquire: now, renew: now}

	// Fast path: the leader renews the Lease it last wrote.
	if e.isLeader() && e.leaseValid(now.Time) && e.lease != nil {
		r.acquire, r.transitions = e.observed.acquire, e.observed.transitions
		if e.write(ctx, r, false) == nil {
			e.observe(r)
			return true
		}
	}

	l, err := e.cfg.Client.getLease(ctx, e.cfg.Namespace, e.cfg.Name)
	if err != nil {
		if !isNotFound(err) {
			return false
		}
		if e.write(ctx, r, true) != nil {
			return false
		}
		e.observe(r)
		return true
	}
	e.lease = l
	if old := recordOf(l); !old.equal(e.observed) || e.observedAt.IsZero() {
		e.observe(old)
	}
	if e.observed.holder != "" && e.leaseValid(now.Time) && !e.isLeader() {
		return false
	}
	if e.isLeader() {
		r.acquire, r.transitions = e.observed.acquire, e.observed.transitions
	} else {
		r.transitions = e.observed.transitions + 1
	}
	if e.write(ctx, r, false) != nil {
		return false
	}
	e.observe(r)
	return true
}

// write creates the Lease with r, or updates the one last read (its
// resourceVersion guards against another writer). A successful write that
// names this controller opens the fence from the moment the write started.
func (e *Elector) write(ctx context.Context, r leaseRecord, create bool) error {
	start := e.cfg.Clock.Now()
	var (
		l   *lease
		err error
	)
	if create {
		l, err = e.cfg.Client.createLease(ctx, &lease{
			objectMeta: objectMeta{Namespace: e.cfg.Namespace, Name: e.cfg.Name},
			Spec:       r.spec(leaseSpec{}),
		})
	} else {
		next := *e.lease
		next.Spec = r.spec(e.lease.Spec)
		l, err = e.cfg.Client.updateLease(ctx, &next)
	}
	if err != nil {
		return err
	}
	e.lease = l
	if r.holder == e.cfg.Identity {
		e.mu.Lock()
		e.renewedAt = start
		e.mu.Unlock()
	}
	return nil
}

func (e *Elector) observe(r leaseRecord) {
	e.observed = r
	e.observedAt = e.cfg.Clock.Now()
}

func (e *Elector) isLeader() bool { return e.observed.holder == e.cfg.Identity }

// expiresIn is how long the observed holder's Lease has left, as this
// controller observed it (0 when it has none or it ran out). A candidate
// tries again the moment it runs out instead of up to a jittered retry
// period (2-4.4 s with the defaults) after: client-go's candidate, which
// only wakes every jittered period, takes a dead leader's Lease up to
// LeaseDuration + 2 x 2.2 x RetryPeriod after its last renewal (18.8 s with
// the defaults; more than 15 s in about 1 of 20 failovers), this one up to
// LeaseDuration + 2.2 x RetryPeriod (14.4 s). Who may take the Lease, and
// when, is unchanged: only when the candidate looks.
func (e *Elector) expiresIn() time.Duration {
	if e.observed.holder == "" || e.observedAt.IsZero() {
		return 0
	}
	return max(0, e.observedAt.Add(time.Duration(e.observed.durationSeconds)*time.Second).Sub(e.cfg.Clock.Now()))
}

// leaseValid: the observed holder's Lease has not run out, by the
// duration it wrote, since this controller observed it.
func (e *Elector) leaseValid(now time.Time) bool {
	return e.observedAt.Add(time.Duration(e.observed.durationSeconds) * time.Second).After(now)
}

// reportTransition tells OnNewLeader when the observed holder changed.
func (e *Elector) reportTransition() {
	if e.observed.holder == e.reportedLead {
		return
	}
	e.reportedLead = e.observed.holder
	e.mu.Lock()
	e.leader = e.reportedLead
	e.mu.Unlock()
	if e.cfg.OnNewLeader != nil {
		go e.cfg.OnNewLeader(e.reportedLead)
	}
}

func (e *Elector) setLeading(v bool) {
	e.mu.Lock()
	e.leading = v
	e.mu.Unlock()
}

// sleep waits d on the elector's clock; false when ctx ended first.
func (e *Elector) sleep(ctx context.Context, d time.Duration) bool {
	t := e.timers.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C():
		return true
	}
}
