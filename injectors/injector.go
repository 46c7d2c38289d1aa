package injectors

import (
	"context"
	"encoding/json"
)

// APIVersion is the version of this contract. Plugins list the API versions
// they support in Info; the host refuses a plugin that does not support it.
const APIVersion = "v1"

// Info describes a plugin.
type Info struct {
	Name        string     `json:"name"`
	Version     string     `json:"version"`
	APIVersions []string   `json:"apiVersions"`
	FaultTypes  []TypeInfo `json:"faultTypes"`
	ProbeTypes  []TypeInfo `json:"probeTypes"`
}

// TypeInfo describes one fault or probe type a plugin offers.
type TypeInfo struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	// TargetKinds are the object kinds the type acts on, e.g. Deployment.
	TargetKinds []string `json:"targetKinds,omitempty"`
	// ParamsSchema is a JSON Schema (draft 2020-12) for the type's params.
	ParamsSchema json.RawMessage `json:"paramsSchema,omitempty"`
}

// Target names the object or objects a fault or probe acts on.
type Target struct {
	Namespace string            `json:"namespace,omitempty"`
	Kind      string            `json:"kind,omitempty"`
	Name      string            `json:"name,omitempty"`
	Selector  map[string]string `json:"selector,omitempty"`
}

// Fault is one fault to validate, prepare, inject or check. DrillID and
// FaultID are written onto every object the fault touches (annotations) so
// that leftovers can be found.
type Fault struct {
	DrillID string          `json:"drillId"`
	FaultID string          `json:"faultId"`
	Type    string          `json:"type"`
	Target  Target          `json:"target"`
	Params  json.RawMessage `json:"params,omitempty"`
}

// Probe is one check to evaluate.
type Probe struct {
	Type   string          `json:"type"`
	Target Target          `json:"target"`
	Params json.RawMessage `json:"params,omitempty"`
}

// ProbeResult is the outcome of a probe.
type ProbeResult struct {
	OK     bool   `json:"ok"`
	Detail string `json:"detail,omitempty"`
}

// Effect says whether an injected fault is still in effect.
type Effect string

// Effects reported by Status.
const (
	InEffect Effect = "in-effect"
	Drifted  Effect = "drifted"
	Reverted Effect = "reverted"
)

// Status is what a plugin observes about an injected fault.
type Status struct {
	Effect Effect `json:"effect"`
	Detail string `json:"detail,omitempty"`
}

// Injector is the interface every injector plugin implements.
//
// Plugins are stateless about reverts: everything needed to undo a fault is
// in the revert record, so a restarted controller or a restarted plugin can
// revert. The controller persists the record returned by Prepare before it
// calls Inject, and the refined record returned by Inject after it.
type Injector interface {
	// Info describes the plugin and its fault and probe types.
	Info(ctx context.Context) (Info, error)
	// Validate checks a fault's type, target and params without touching
	// anything (a plugin may use a server-side dry run).
	Validate(ctx context.Context, f Fault) error
	// Prepare snapshots what the fault will change and returns the revert
	// record. It must not change anything.
	Prepare(ctx context.Context, f Fault) (record []byte, err error)
	// Inject applies the fault and returns the revert record to keep, which
	// may refine the one from Prepare.
	//
	// The partial-inject rule: when Inject fails after it changed
	// something, it returns the error together with a record covering
	// everything it changed (and everything Prepare's record covers); the
	// host carries it across the wire (gRPC status details), the engine
	// persists it as the fault's revert record (event fault.partial) before
	// reverting with it, and retries that revert until it succeeds. When
	// Inject fails before changing anything it returns a nil record, and
	// the engine reverts with Prepare's record, which must then be a no-op.
	//
	// The stale-record rule: the caller persisted record before the call,
	// so Inject must not write a change whose "before" the record does not
	// hold. When the target changed since Prepare in a way that makes the
	// record wrong, Inject changes nothing and fails with ECONFLICT and a
	// nil record; the caller prepares again, persists the new record and
	// retries. (The engine prepares faults ahead of their fire, so a record
	// may be minutes old when it is used.)
	Inject(ctx context.Context, f Fault, record []byte) ([]byte, error)
	// Status reports whether the fault is in effect, drifted or reverted.
	Status(ctx context.Context, f Fault, record []byte) (Status, error)
	// Revert undoes the fault. It is idempotent: reverting twice, reverting a
	// fault whose Inject never ran, or one already healed by participants,
	// succeeds and changes nothing that is not the fault's own doing.
	Revert(ctx context.Context, record []byte) error
	// Probe evaluates a check, for resolvedWhen conditions and alerts.
	Probe(ctx context.Context, p Probe) (ProbeResult, error)
}
