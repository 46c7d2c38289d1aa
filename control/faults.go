package control

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/scenarios"
)

// FaultSpec is one fault as the engine hands it to the injector layer: the
// plugin that handles it and the contract's fault (ids, type, target, and the
// params after the drill's difficulty variant has been applied). In JSON the
// fault's fields sit beside "plugin", as they always have in stored events.
type FaultSpec struct {
	Plugin string `json:"plugin"`
	injectors.Fault
}

// ProbeSpec is one check the engine asks the injector layer to evaluate, for a
// fault's resolvedWhen condition or for an alert: the plugin that evaluates it
// and the contract's probe.
type ProbeSpec struct {
	Plugin string `json:"plugin"`
	injectors.Probe
}

// Injector is what the engine needs from the fault-injection layer. It is
// implemented by injectors/host, which routes each call to the plugin named in
// the spec and speaks the plugin contract (injectors.Injector) to it.
//
// Injection is written ahead in three steps so that a crash can never leave a
// fault behind without a way to undo it: Prepare snapshots the current state
// and returns a revert record without changing anything; the engine persists
// that record; Inject applies the fault and returns the (possibly refined)
// record, which the engine persists again. Revert must be idempotent and safe
// to call with a record whose Inject never ran or never finished.
type Injector interface {
	Prepare(ctx context.Context, f FaultSpec) (record []byte, err error)
	Inject(ctx context.Context, f FaultSpec, record []byte) (newRecord []byte, err error)
	Status(ctx context.Context, f FaultSpec, record []byte) (injectors.Status, error)
	Revert(ctx context.Context, plugin string, record []byte) error
	Probe(ctx context.Context, p ProbeSpec) (injectors.ProbeResult, error)
}

// NewFaultSpec returns the spec the engine hands the injector layer for
// fault f of drill drillID. Tools that check faults outside a drill (the
// server-side dry run of `firedrill validate --against`) use it so that they
// check exactly what a drill would inject. It fails only when f's params
// cannot be written as JSON.
func NewFaultSpec(drillID string, f scenarios.Fault) (FaultSpec, error) {
	params, err := paramsJSON(f.Params)
	if err != nil {
		return FaultSpec{}, injectors.Errorf(injectors.EINVALID, "fault %s: %v", f.ID, err)
	}
	return FaultSpec{Plugin: f.Injector.Plugin, Fault: injectors.Fault{
		DrillID: drillID, FaultID: f.ID, Type: f.Injector.Type,
		Target: contractTarget(f.Target), Params: params,
	}}, nil
}

// NewProbeSpec returns the spec the engine hands the injector layer for
// probe p. It fails only when p's params cannot be written as JSON.
func NewProbeSpec(p scenarios.Probe) (ProbeSpec, error) {
	params, err := paramsJSON(p.Params)
	if err != nil {
		return ProbeSpec{}, injectors.Errorf(injectors.EINVALID, "probe %s: %v", p.Probe, err)
	}
	return ProbeSpec{Plugin: p.Probe.Plugin, Probe: injectors.Probe{
		Type: p.Probe.Type, Target: contractTarget(p.Target), Params: params,
	}}, nil
}

// contractTarget is the one conversion of a scenario's target to the plugin
// contract's. The scenario language keeps its own type so that it imports
// nothing of firedrill's; the two have the same fields.
func contractTarget(t scenarios.Target) injectors.Target { return injectors.Target(t) }

// paramsJSON encodes a scenario's params for the injector layer; no params
// is nil rather than "{}" or "null".
func paramsJSON(params map[string]any) (json.RawMessage, error) {
	if len(params) == 0 {
		return nil, nil
	}
	b, err := json.Marshal(params)
	if err != nil {
		return nil, fmt.Errorf("params cannot be written as JSON: %w", err)
	}
	return b, nil
}
