package control

import (
	"context"
	"encoding/json"
)

// FaultTarget names the object (or set of objects) a fault acts on.
type FaultTarget struct {
	Namespace string            `json:"namespace,omitempty"`
	Kind      string            `json:"kind,omitempty"`
	Name      string            `json:"name,omitempty"`
	Selector  map[string]string `json:"selector,omitempty"`
}

// FaultSpec is one fault as the engine hands it to the injector layer: which
// plugin and fault type, what to act on, and the parameters after the drill's
// difficulty variant has been applied.
type FaultSpec struct {
	DrillID string          `json:"drillId"`
	FaultID string          `json:"faultId"`
	Plugin  string          `json:"plugin"`
	Type    string          `json:"type"`
	Target  FaultTarget     `json:"target"`
	Params  json.RawMessage `json:"params,omitempty"`
}

// ProbeSpec is one check the engine asks the injector layer to evaluate, for a
// fault's resolvedWhen condition or for an alert.
type ProbeSpec struct {
	Plugin string          `json:"plugin"`
	Type   string          `json:"type"`
	Target FaultTarget     `json:"target"`
	Params json.RawMessage `json:"params,omitempty"`
}

// ProbeResult is the outcome of one probe evaluation.
type ProbeResult struct {
	OK     bool   `json:"ok"`
	Detail string `json:"detail,omitempty"`
}

// FaultEffect says whether an injected fault is still in effect.
type FaultEffect string

// Fault effects reported by Injector.Status.
const (
	EffectInEffect FaultEffect = "in-effect" // the injected change is in place
	EffectDrifted  FaultEffect = "drifted"   // someone changed the object since; partly healed or changed otherwise
	EffectReverted FaultEffect = "reverted"  // the object is back as it was before the fault
)

// FaultStatus is what the injector layer observes about one injected fault.
type FaultStatus struct {
	Effect FaultEffect `json:"effect"`
	Detail string      `json:"detail,omitempty"`
}

// Injector is what the engine needs from the fault-injection layer. It is
// implemented by injectors/host, which routes each call to the plugin named in
// the spec.
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
	Status(ctx context.Context, f FaultSpec, record []byte) (FaultStatus, error)
	Revert(ctx context.Context, plugin string, record []byte) error
	Probe(ctx context.Context, p ProbeSpec) (ProbeResult, error)
}
