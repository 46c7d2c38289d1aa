package control

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/firedrill/firedrill/injectors"
)

// Defaults of the kill switch.
const (
	// DefaultRevertConcurrency bounds how many reverts are in flight at
	// once when a drill stops.
	DefaultRevertConcurrency = 64
	// DefaultRevertAttemptTimeout bounds one attempt to revert one fault;
	// a fault whose attempt times out is recorded as failing and retried
	// with backoff.
	DefaultRevertAttemptTimeout = 10 * time.Second
)

// PendingRevert is a fault a stop could not revert yet: its latest failure
// is recorded in the journal and it is retried with backoff until it is
// reverted.
type PendingRevert struct {
	FaultID string `json:"faultId"`
	// Error is the latest failure.
	Error string `json:"error"`
	// NextAttempt is the wall time of the next attempt.
	NextAttempt time.Time `json:"nextAttempt"`
}

// StopReport says what ending or aborting a drill did to its faults.
type StopReport struct {
	// Reverted are the faults whose revert is recorded.
	Reverted []string `json:"reverted"`
	// Pending are the faults not reverted yet; the engine keeps retrying
	// them (and a restarted engine picks them up from the journal).
	Pending []PendingRevert `json:"pending"`
}

// KillSwitchEvent reports whether events of type typ are what stopping a
// drill and reverting its faults writes. A store short of space keeps
// taking appends made only of these, so that firedrill refuses new work but
// keeps reverting (see sqlite.DB.MaxBytes).
func KillSwitchEvent(typ string) bool {
	switch typ {
	case EventDrillAborted, EventDrillEnded, EventFaultSkipped, EventFaultRevertIntent, EventFaultReverted, EventFaultRevertFailed:
		return true
	}
	return false
}

// revertJob is one fault to revert in a pass.
type revertJob struct {
	idx    int
	id     string
	plugin string
	record []byte
}

// revertResult is the outcome of one revertJob.
type revertResult struct {
	job revertJob
	err error
}

// objectKey names what a fault acts on, for ordering reverts: faults on the
// same object of the same plugin revert one after another, newest first, so
// that each restores the value the one before it found. The engine does not
// know which fields a plugin's fault touches, so it orders every pair of
// faults on the same object (a superset of "the same field").
// A fault without a named target (the plugin finds what it changes from
// its params) is ordered with nothing.
func objectKey(s FaultSpec) string {
	t := s.Target
	if t.Name == "" && len(t.Selector) == 0 {
		return "\x00fault\x00" + s.FaultID
	}
	key := s.Plugin + "\x00" + t.Kind + "\x00" + t.Namespace + "\x00" + t.Name
	if len(t.Selector) > 0 {
		for _, k := range slices.Sorted(maps.Keys(t.Selector)) {
			key += "\x00" + k + "=" + t.Selector[k]
		}
	}
	return key
}

// revertChains returns the faults of the drill that must be reverted, in
// chains: the faults of one chain act on the same object and are listed
// newest first; different chains are independent. A chain whose newest
// fault waits for its backoff is left out whole (its older faults must not
// overtake it). The caller holds r.mu.
func (e *Engine) revertChains(r *drillRun, now time.Time) [][]revertJob {
	d := r.d
	byKey := map[string][]int{}
	var keys []string
	for i := range d.Faults {
		f := &d.Faults[i]
		if !f.holdsRecord() || !e.revertWanted(d, f) {
			continue
		}
		k := objectKey(f.Spec)
		if _, ok := byKey[k]; !ok {
			keys = append(keys, k)
		}
		byKey[k] = append(byKey[k], i)
	}
	var chains [][]revertJob
	for _, k := range keys {
		idx := byKey[k]
		sort.SliceStable(idx, func(a, b int) bool { return newer(&d.Faults[idx[a]], idx[a], &d.Faults[idx[b]], idx[b]) })
		if b := r.rt.revertRetry[d.Faults[idx[0]].ID]; b != nil && b.next.After(now) {
			continue
		}
		chain := make([]revertJob, len(idx))
		for j, i := range idx {
			f := &d.Faults[i]
			chain[j] = revertJob{idx: i, id: f.ID, plugin: f.Spec.Plugin, record: f.Record}
		}
		chains = append(chains, chain)
	}
	return chains
}

// revertDueAt returns when the next revert pass is due: the earliest
// retry time of the newest fault of each chain. The caller holds r.mu.
func (e *Engine) revertDueAt(r *drillRun, now time.Time) (time.Time, bool) {
	d := r.d
	heads := map[string]int{}
	for i := range d.Faults {
		f := &d.Faults[i]
		if !f.holdsRecord() || !e.revertWanted(d, f) {
			continue
		}
		k := objectKey(f.Spec)
		if h, ok := heads[k]; !ok || newer(f, i, &d.Faults[h], h) {
			heads[k] = i
		}
	}
	var at time.Time
	found := false
	for _, i := range heads {
		t := now
		if b := r.rt.revertRetry[d.Faults[i].ID]; b != nil && b.next.After(now) {
			t = b.next
		}
		if !found || t.Before(at) {
			at, found = t, true
		}
	}
	return at, found
}

// newer reports whether fault a (at index i) was injected after fault b
// (at index j): by intent time, then by position in the scenario.
func newer(a *FaultState, i int, b *FaultState, j int) bool {
	ta, tb := intentTime(a), intentTime(b)
	if ta != tb {
		return ta > tb
	}
	return i > j
}

func intentTime(f *FaultState) time.Duration {
	if f.IntentAt != nil {
		return *f.IntentAt
	}
	return -1
}

// revertAll is the kill switch: it reverts every fault that must be
// reverted now, concurrently (at most RevertConcurrency in flight), with
// the journal written ahead and committed in groups: one append records
// the intent of every revert, and the results are appended as they arrive,
// all results waiting at that moment in one append, so that 50 reverts
// cost a few fsyncs. A failing fault is recorded with its error and retried
// with its own backoff; the faults after it on the same object wait for it.
// It returns an error only when the journal cannot be written.
func (e *Engine) revertAll(ctx context.Context, r *drillRun) error {
	e.lockUrgent(r)
	chains := e.revertChains(r, e.clock.Now())
	var intents []pending
	for _, c := range chains {
		for _, j := range c {
			if r.d.Faults[j.idx].Phase != FaultReverting {
				intents = append(intents, pending{Type: EventFaultRevertIntent, Actor: ActorEngine, Payload: FaultEvent{FaultID: j.id}})
			}
		}
	}
	if len(intents) > 0 {
		if _, err := e.appendLocked(ctx, r, intents...); err != nil {
			// The revert records are in the journal already and Revert is
			// idempotent: revert anyway (a journal that refuses writes must
			// not keep a fault in effect); the results are recorded when
			// the journal takes them, and a restart reverts again.
			e.logf("drill %s: journal refused the revert intents, reverting anyway: %v", r.d.ID, err)
		}
	}
	r.mu.Unlock()
	if len(chains) == 0 {
		return nil
	}

	limit := e.RevertConcurrency
	if limit <= 0 {
		limit = DefaultRevertConcurrency
	}
	timeout := e.RevertAttemptTimeout
	if timeout <= 0 {
		timeout = DefaultRevertAttemptTimeout
	}
	results := make(chan revertResult, limit)
	sem := make(chan struct{}, limit)
	total := 0
	for _, c := range chains {
		total += len(c)
	}
	for _, c := range chains {
		go func() {
			for k, j := range c {
				sem <- struct{}{}
				actx, cancel := context.WithTimeout(ctx, timeout)
				err := e.injector.Revert(actx, j.plugin, j.record)
				cancel()
				<-sem
				results <- revertResult{job: j, err: err}
				if err != nil {
					// The older faults on this object wait for this one.
					for _, rest := range c[k+1:] {
						results <- revertResult{job: rest, err: errWaiting}
					}
					return
				}
			}
		}()
	}
	return e.commitReverts(ctx, r, results, total)
}

// errWaiting marks a fault not attempted because a newer fault on the same
// object failed to revert.
var errWaiting = fmt.Errorf("waiting for a newer fault on the same object to revert first")

// commitReverts appends the revert results as they arrive: everything
// waiting at one moment goes into one append (group commit). It returns
// after all n results are recorded, or at the first journal failure. A
// manual engine (tests stepping a fake clock) waits for every result and
// appends them in fault order, so that its journals are reproducible.
func (e *Engine) commitReverts(ctx context.Context, r *drillRun, results <-chan revertResult, n int) error {
	var firstErr error
	for done := 0; done < n; {
		batch := []revertResult{<-results}
	drain:
		for done+len(batch) < n {
			if e.Manual {
				batch = append(batch, <-results)
				continue
			}
			select {
			case res := <-results:
				batch = append(batch, res)
			default:
				break drain
			}
		}
		done += len(batch)
		if firstErr != nil {
			continue // keep draining so no worker blocks
		}
		sort.Slice(batch, func(a, b int) bool { return batch[a].job.idx < batch[b].job.idx })
		now := e.clock.Now()
		evs := make([]pending, 0, len(batch))
		for _, res := range batch {
			if res.err == nil {
				delete(r.rt.revertRetry, res.job.id)
				evs = append(evs, pending{Type: EventFaultReverted, Actor: ActorEngine, Payload: FaultEvent{FaultID: res.job.id}})
				continue
			}
			msg := fmt.Sprintf("revert %s: %v", res.job.id, res.err)
			if res.err != errWaiting {
				b := e.backoffFor(r, res.job.id)
				b.fail(now)
				e.logf("drill %s: %s (retry in %s)", r.d.ID, msg, b.delay)
			}
			evs = append(evs, pending{Type: EventFaultRevertFailed, Actor: ActorEngine, Payload: FaultEvent{FaultID: res.job.id, Error: msg}})
		}
		e.lockUrgent(r)
		_, err := e.appendLocked(ctx, r, evs...)
		r.mu.Unlock()
		if err != nil {
			firstErr = err
		}
	}
	return firstErr
}

// stopReport lists what the stop left: reverted faults and the faults
// still being retried. The caller holds r.mu.
func (e *Engine) stopReport(r *drillRun) StopReport {
	rep := StopReport{Reverted: []string{}, Pending: []PendingRevert{}}
	for i := range r.d.Faults {
		f := &r.d.Faults[i]
		switch {
		case f.Phase == FaultReverted:
			rep.Reverted = append(rep.Reverted, f.ID)
		case f.holdsRecord() && e.revertWanted(r.d, f):
			p := PendingRevert{FaultID: f.ID, Error: f.LastError}
			if b := r.rt.revertRetry[f.ID]; b != nil {
				p.NextAttempt = b.next
			}
			if p.Error == "" {
				p.Error = "not attempted yet"
			}
			rep.Pending = append(rep.Pending, p)
		}
	}
	return rep
}

// pendingError is the error of a stop that left faults to revert.
func pendingError(id string, rep StopReport) error {
	left := make([]string, len(rep.Pending))
	for i, p := range rep.Pending {
		left[i] = fmt.Sprintf("%s (%s)", p.FaultID, p.Error)
	}
	return injectors.Errorf(injectors.EINTERNAL, "drill %s stopped but faults are not reverted yet (retrying): %s", id, strings.Join(left, ", "))
}
