package control

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"k8s.io/utils/clock"

	"github.com/firedrill/firedrill/injectors"
)

// Restart policies for drills that were running when the engine stopped.
const (
	OnRestartResume = "resume"
	OnRestartAbort  = "abort"
)

// Engine runs drills. Every change is appended to the Store before it takes
// effect or is acknowledged; faults are applied only through the Injector;
// all time comes from Clock. Create it with NewEngine, set options, call
// Open to load the open drills, and Close when done.
type Engine struct {
	store    Store
	injector Injector
	clock    clock.WithTicker

	// TimeScale is the drill-time speed-up given to new drills (1 = real
	// time, 60 = a drill minute per wall second).
	TimeScale float64
	// OnRestart is what Open does with drills that were running: resume
	// them (OnRestartResume, the default) or abort them (OnRestartAbort).
	OnRestart string
	// Manual disables the background loop of each drill: nothing happens on
	// its own, and the caller drives scheduled work with RunDue. Tests use it
	// with a fake clock to run a drill step by step.
	Manual bool
	// RevertConcurrency bounds the reverts in flight when a drill stops
	// (abort, end, the cap); 0 means DefaultRevertConcurrency.
	RevertConcurrency int
	// RevertAttemptTimeout bounds one attempt to revert one fault; 0 means
	// DefaultRevertAttemptTimeout. A fault whose attempt fails or times out
	// is recorded and retried with its own backoff.
	RevertAttemptTimeout time.Duration
	// PrepareAhead, when above 0, has each running drill's loop prepare
	// its next pending faults (Prepare, which changes nothing) ahead of
	// their fire, and use such a record for this long. A fire then costs
	// the journal write of the intent with that record and the inject,
	// without a Prepare first; the record is still journaled before the
	// inject, and an inject that finds the target changed since makes the
	// engine prepare again. A manual engine never prepares ahead. The
	// wiring sets DefaultPrepareAhead; 0 prepares at fire time.
	PrepareAhead time.Duration
	// ProbeConcurrency bounds the probe calls in flight across the
	// engine's drills (resolution probes, alert checks, cluster watches,
	// which run off the drills' loops); 0 means DefaultProbeConcurrency.
	ProbeConcurrency int
	// ProbeTimeout bounds one probe call on the engine's clock; 0 means
	// DefaultProbeTimeout.
	ProbeTimeout time.Duration
	// Logf, when set, receives one line per failure the engine retries.
	Logf func(format string, args ...any)

	// probeSlots holds a token per probe call in flight (ProbeConcurrency).
	probeSlots chan struct{}

	// followers receive every drill's new events once durable (Follow),
	// or chat messages while committed (FollowStreamed).
	followers followers

	mu     sync.Mutex
	drills map[string]*drillRun
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// drillRun is a loaded drill: its projection, subscribers and runtime state.
type drillRun struct {
	// mu guards d and subs. It is held while appending, so the journal and
	// the projection change together.
	mu   sync.Mutex
	d    *Drill
	subs map[*Subscription]struct{}

	// op serializes the work that talks to the injector, so a fault is
	// never injected and reverted at the same time. It guards rt's polling
	// and retry state; rt.lastEvent is written by every append, under mu.
	op   sync.Mutex
	rt   runtimeState
	wake chan struct{}
	// stage holds the records of pending faults prepared ahead.
	stage stage
	// checks counts the check rounds in rt.rounds (ChecksInFlight).
	checks atomic.Int32
}

// NewEngine returns an engine over the store, the injector and the clock.
// Call Open before using it: drills run only after Open.
func NewEngine(store Store, injector Injector, clk clock.WithTicker) *Engine {
	return &Engine{store: store, injector: injector, clock: clk, TimeScale: 1, OnRestart: OnRestartResume, drills: map[string]*drillRun{}}
}

// Open loads every drill that is not closed, notes the restart of every
// running drill (it resumes or is aborted according to OnRestart) and
// starts the drills' loops, which reconcile their faults from the
// persisted drill clock: a drill that is not running any more has anything
// it still has injected reverted. Open makes no injector call, so a slow
// probe or plugin cannot keep a controller that just took over from
// serving: it returns once the journals are read and the restarts noted. A
// Manual engine has no loops; its Open runs each drill's first reconcile
// pass itself.
func (e *Engine) Open(ctx context.Context) error {
	if e.TimeScale <= 0 {
		return injectors.Errorf(injectors.EINVALID, "engine time scale %v must be above 0", e.TimeScale)
	}
	switch e.OnRestart {
	case "", OnRestartResume, OnRestartAbort:
	default:
		return injectors.Errorf(injectors.EINVALID, "drill.onRestart %q is not allowed, expected resume or abort", e.OnRestart)
	}
	e.ctx, e.cancel = context.WithCancel(context.Background())
	slots := e.ProbeConcurrency
	if slots <= 0 {
		slots = DefaultProbeConcurrency
	}
	e.probeSlots = make(chan struct{}, slots)
	sums, err := e.store.Drills(ctx, DrillFilter{Open: true})
	if err != nil {
		return fmt.Errorf("load open drills: %w", err)
	}
	runs := make([]*drillRun, len(sums))
	errs := make([]error, len(sums))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4)
	for i, s := range sums {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			runs[i], errs[i] = e.restore(ctx, s.ID)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	e.mu.Lock()
	for _, r := range runs {
		e.drills[r.d.ID] = r
	}
	e.mu.Unlock()
	for _, r := range runs {
		e.startLoop(r)
	}
	return nil
}

// restore loads one drill from its journal and notes the restart; a
// Manual engine's restore also runs the drill's first reconcile pass.
func (e *Engine) restore(ctx context.Context, id string) (*drillRun, error) {
	r, err := e.load(ctx, id)
	if err != nil {
		return nil, err
	}
	if r.d.State == StateRunning {
		r.mu.Lock()
		var evs []pending
		if e.OnRestart == OnRestartAbort {
			evs = e.stopEvents(r.d, EventDrillAborted, ActorEngine, StateChange{Why: "the controller restarted and drill.onRestart is abort"})
		} else {
			evs = []pending{{Type: EventDrillRestarted, Actor: ActorEngine, Payload: StateChange{Downtime: e.clock.Since(lastEventTime(r))}}}
		}
		_, err := e.appendLocked(ctx, r, evs...)
		r.mu.Unlock()
		if err != nil {
			return nil, fmt.Errorf("resume drill %s: %w", id, err)
		}
	}
	if e.Manual {
		if err := e.reconcile(ctx, r); err != nil {
			e.logf("drill %s: reconcile after restart: %v", id, err)
		}
	}
	return r, nil
}

func lastEventTime(r *drillRun) time.Time { return r.rt.lastEvent }

// load reads and verifies a drill's journal and folds it into a projection.
func (e *Engine) load(ctx context.Context, id string) (*drillRun, error) {
	evs, err := e.store.Events(ctx, id, 0, 0)
	if err != nil {
		return nil, fmt.Errorf("load drill %s: %w", id, err)
	}
	if len(evs) == 0 {
		return nil, injectors.Errorf(injectors.ENOTFOUND, "drill %s does not exist", id)
	}
	d, err := Replay(evs)
	if err != nil {
		return nil, fmt.Errorf("load drill %s: %w", id, err)
	}
	r := newRun(d)
	r.rt.lastEvent = evs[len(evs)-1].Time
	return r, nil
}

func newRun(d *Drill) *drillRun {
	return &drillRun{d: d, subs: map[*Subscription]struct{}{}, wake: make(chan struct{}, 1), rt: newRuntime()}
}

// Close stops the background loops and ends every subscription. It does not
// change any drill: a restarted engine picks them up.
func (e *Engine) Close() error {
	if e.cancel != nil {
		e.cancel()
	}
	e.wg.Wait()
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, r := range e.drills {
		r.mu.Lock()
		for s := range r.subs {
			s.end(ErrSubscriptionClosed)
		}
		r.subs = map[*Subscription]struct{}{}
		r.mu.Unlock()
	}
	return nil
}

func (e *Engine) logf(format string, args ...any) {
	if e.Logf != nil {
		e.Logf(format, args...)
	}
}

// startLoop starts the drill's background loop unless the engine is manual
// or the drill is closed.
func (e *Engine) startLoop(r *drillRun) {
	if e.Manual || r.d.State == StateClosed || e.ctx == nil {
		return
	}
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		e.loop(r)
	}()
}

func (e *Engine) loop(r *drillRun) {
	failures := 0
	for {
		err := e.reconcile(e.ctx, r)
		if err != nil && e.ctx.Err() == nil {
			failures++
			e.logf("drill %s: %v", r.d.ID, err)
		} else {
			failures = 0
		}
		r.mu.Lock()
		closed := r.d.State == StateClosed
		id := r.d.ID
		r.mu.Unlock()
		if closed {
			e.dropChecks(r)
			return
		}
		renew, renewing := e.prepareAhead(r)
		var timer clock.Timer
		var fire <-chan time.Time
		at, ok := e.NextWake(id)
		if renewing && (!ok || renew.Before(at)) {
			at, ok = renew, true
		}
		if ok {
			now := e.clock.Now()
			wait := at.Sub(now)
			if failures > 0 {
				// The journal refused a write: do not spin on it.
				wait = max(wait, min(time.Duration(failures)*time.Second, 30*time.Second))
			}
			timer = e.clock.NewTimer(wait)
			fire = timer.C()
			if !e.clock.Now().Before(now.Add(wait)) {
				// Due already, or the clock reached it while the next
				// wake was planned: a fake clock fires a timer made
				// after it moved only at its next move.
				timer.Stop()
				if e.ctx.Err() != nil {
					return
				}
				continue
			}
		}
		select {
		case <-e.ctx.Done():
			if timer != nil {
				timer.Stop()
			}
			return
		case <-r.wake:
		case <-fire:
		}
		if timer != nil {
			timer.Stop()
		}
	}
}

func (r *drillRun) poke() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// run returns the loaded drill, loading a closed one from the store on
// demand (read-only use: closed drills have no loop).
func (e *Engine) run(ctx context.Context, id string) (*drillRun, error) {
	e.mu.Lock()
	r, ok := e.drills[id]
	e.mu.Unlock()
	if ok {
		return r, nil
	}
	r, err := e.load(ctx, id)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if existing, ok := e.drills[id]; ok {
		return existing, nil
	}
	e.drills[id] = r
	return r, nil
}

// pending is an event before it is sealed.
type pending struct {
	Type    string
	Actor   string
	Payload any
}

// appendLocked seals the events after the drill's head, appends them to the
// store, and only then applies them to the projection and hands them to
// subscribers. The caller holds r.mu.
func (e *Engine) appendLocked(ctx context.Context, r *drillRun, ps ...pending) ([]Event, error) {
	d := r.d
	now := e.clock.Now().UTC()
	at := d.Elapsed(now)
	seq, head := d.Seq, d.Head
	evs := make([]Event, len(ps))
	for i, p := range ps {
		var payload json.RawMessage
		if p.Payload != nil {
			b, err := json.Marshal(p.Payload)
			if err != nil {
				return nil, injectors.Errorf(injectors.EINVALID, "event %s: payload does not encode as JSON: %v", p.Type, err)
			}
			payload = b
		}
		evs[i] = Event{DrillID: d.ID, Type: p.Type, Time: now, DrillTime: at, Actor: p.Actor, Payload: payload}
		if err := evs[i].Seal(seq, head); err != nil {
			return nil, err
		}
		seq, head = evs[i].Seq, evs[i].Hash
	}
	// Decode every event against the projection first, so that an event
	// the projection cannot take is refused before it is stored; after the
	// store has it, the decoded changes are folded in place. Nothing is
	// copied: an append costs the size of its events, not of the drill.
	next := d
	if evs[0].Type == EventDrillCreated {
		next = &Drill{}
	}
	folds := make([]fold, len(evs))
	for i := range evs {
		f, err := next.decodeEncoded(&evs[i], ps[i].Payload)
		if err != nil {
			return nil, injectors.Errorf(injectors.EINTERNAL, "%v", err)
		}
		if next != d {
			// A new drill: its later events may name what creation adds.
			f(next)
		}
		folds[i] = f
	}
	sum := next.summary(evs, now)
	if err := e.followers.append(ctx, e.store, sum, evs, !r.rt.unsure && quietChat(evs)); err != nil {
		r.rt.unsure = true
		return nil, fmt.Errorf("append %s to drill %s: %w", ps[0].Type, d.ID, err)
	}
	r.rt.unsure = false
	if next != d {
		r.d = next
	} else {
		for _, f := range folds {
			f(d)
		}
	}
	r.rt.lastEvent = now
	for s := range r.subs {
		for _, ev := range evs {
			if !s.send(ev) {
				delete(r.subs, s)
				break
			}
		}
	}
	return evs, nil
}

// summary returns the store's row for the drill once evs are applied. Only
// the state can change after creation; it is read off the events.
func (d *Drill) summary(evs []Event, now time.Time) DrillSummary {
	last := evs[len(evs)-1]
	sum := DrillSummary{ID: d.ID, Title: d.Title, State: d.State, Seq: last.Seq, Head: last.Hash, CreatedAt: d.CreatedAt, UpdatedAt: now}
	if d.Scenario != nil {
		sum.Scenario = d.Scenario.Metadata.Name
	}
	for _, ev := range evs {
		if s, ok := stateAfter[ev.Type]; ok {
			sum.State = s
		}
	}
	return sum
}

// stateAfter is the drill state each lifecycle event leads to.
var stateAfter = map[string]DrillState{
	EventDrillCreated: StateDraft, EventDrillScheduled: StateScheduled, EventDrillBriefing: StateBriefing,
	EventDrillStarted: StateRunning, EventDrillEnded: StateEnded, EventDrillAborted: StateAborted,
	EventDrillRetro: StateRetro, EventDrillClosed: StateClosed,
}

// mutate runs fn on the drill under its lock; fn validates and returns the
// events to append. The drill's loop is woken afterwards.
func (e *Engine) mutate(ctx context.Context, id string, fn func(d *Drill) ([]pending, error)) ([]Event, error) {
	r, err := e.run(ctx, id)
	if err != nil {
		return nil, err
	}
	e.lockUrgent(r)
	var ps []pending
	if r.d.State == StateClosed {
		// Closed is closed: the record is final and its hash chain must
		// not grow, whoever asks and whatever for.
		err = injectors.Errorf(injectors.ECONFLICT, "drill %s is closed; its record is final", r.d.ID)
	} else {
		ps, err = fn(r.d)
	}
	var evs []Event
	if err == nil && len(ps) > 0 {
		r.d.replan = false
		evs, err = e.appendLocked(ctx, r, ps...)
	}
	wake := err == nil && (r.d.replan || !quietChat(evs))
	r.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if wake {
		r.poke()
	}
	return evs, nil
}

// lockUrgent takes r's lock without waiting behind a held commit: the lock
// is held until an append is answered, and a store may hold the commit of
// a chat message a few milliseconds for company (see WithShown), so when
// the lock is busy the store is told to hurry first. Everything that takes
// a drill's lock for someone waiting takes it so — the drill's kill switch
// and faults, and its next message or a read of its state as well: the
// hold spares the disk, and must not cost anyone the window.
func (e *Engine) lockUrgent(r *drillRun) {
	if r.mu.TryLock() {
		return
	}
	if h, ok := e.store.(Hurrier); ok {
		h.Hurry()
	}
	r.mu.Lock()
}

// quietChat reports whether evs are chat messages only: those change
// nothing the drill's loop plans unless their fold says so (Drill.replan),
// so a busy chat does not wake the loop for each message.
func quietChat(evs []Event) bool {
	if len(evs) == 0 {
		return false
	}
	for _, ev := range evs {
		if ev.Type != EventChatMessage {
			return false
		}
	}
	return true
}

// newID returns a random identifier with the prefix.
func newID(prefix string) string {
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		panic("control: no randomness: " + err.Error())
	}
	return prefix + hex.EncodeToString(b)
}

// Drill returns a copy of the drill's current state.
func (e *Engine) Drill(ctx context.Context, id string) (*Drill, error) {
	r, err := e.run(ctx, id)
	if err != nil {
		return nil, err
	}
	e.lockUrgent(r)
	defer r.mu.Unlock()
	return r.d.Clone(), nil
}

// View runs fn on the drill's current state under the drill's lock, without
// copying it: hot paths that read a few fields (posting a chat message) use
// it instead of Drill. fn must not keep d or anything it points to, must not
// change it, and must not call the engine.
func (e *Engine) View(ctx context.Context, id string, fn func(d *Drill) error) error {
	r, err := e.run(ctx, id)
	if err != nil {
		return err
	}
	e.lockUrgent(r)
	defer r.mu.Unlock()
	return fn(r.d)
}

// Drills returns the summaries of the drills selected by f.
func (e *Engine) Drills(ctx context.Context, f DrillFilter) ([]DrillSummary, error) {
	return e.store.Drills(ctx, f)
}

// Elapsed returns the drill clock of the drill now.
func (e *Engine) Elapsed(ctx context.Context, id string) (time.Duration, error) {
	r, err := e.run(ctx, id)
	if err != nil {
		return 0, err
	}
	e.lockUrgent(r)
	defer r.mu.Unlock()
	return r.d.Elapsed(e.clock.Now()), nil
}

// Events returns the drill's journal after the sequence number.
func (e *Engine) Events(ctx context.Context, id string, afterSeq int64) ([]Event, error) {
	return e.store.Events(ctx, id, afterSeq, 0)
}

// AppendEvent appends an event of a type another package defines (an
// observer note, a retro answer, a role claim) to the drill's journal and
// streams it to subscribers. Types in the engine's namespaces (drill.,
// fault., hint., inject., alert., chat., notice., person.) are refused.
func (e *Engine) AppendEvent(ctx context.Context, id, typ, actor string, payload any) (Event, error) {
	return e.AppendEventIf(ctx, id, typ, actor, payload, nil)
}

// AppendEventIf appends an event as AppendEvent does, when allow, called
// with the drill under the same lock as the append, returns nil: no end,
// abort or other event can come between the check and the append. The
// error allow returns is returned as is and nothing is appended; a nil
// allow always allows.
func (e *Engine) AppendEventIf(ctx context.Context, id, typ, actor string, payload any, allow func(d *Drill) error) (Event, error) {
	if typ == "" || IsEngineEventType(typ) {
		return Event{}, injectors.Errorf(injectors.EINVALID, "event type %q is reserved or empty; use a namespace of your own, such as retro.answer", typ)
	}
	if actor == "" {
		return Event{}, injectors.Errorf(injectors.EINVALID, "event %s: actor is required", typ)
	}
	evs, err := e.mutate(ctx, id, func(d *Drill) ([]pending, error) {
		if allow != nil {
			if err := allow(d); err != nil {
				return nil, err
			}
		}
		return []pending{{Type: typ, Actor: actor, Payload: payload}}, nil
	})
	if err != nil {
		return Event{}, err
	}
	return evs[0], nil
}

// sortedIDs returns the ids of the loaded drills, for deterministic order.
func (e *Engine) sortedIDs() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	ids := make([]string, 0, len(e.drills))
	for id := range e.drills {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}
