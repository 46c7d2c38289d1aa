package kubernetes

import (
	"encoding/json"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Change, Plan, ApplyAfter and RevertChanges expose the field-change core to
// the external unit tests.
type Change = change

// Plan exposes plan.
func Plan(obj map[string]any, path []string, v any, remove bool) Change {
	return plan(obj, path, v, remove)
}

// ApplyAfter exposes applyAfter.
func ApplyAfter(obj map[string]any, cs []Change) error {
	return applyAfter(&unstructured.Unstructured{Object: obj}, cs)
}

// RevertChanges exposes revertChanges.
func RevertChanges(obj map[string]any, cs []Change) (bool, error) {
	return revertChanges(&unstructured.Unstructured{Object: obj}, cs)
}

// DecodeRecord exposes decodeRecord's validation.
func DecodeRecord(b []byte) error { _, err := decodeRecord(b); return err }

// PolicyName exposes policyName.
var PolicyName = policyName

var _ = json.Marshal

// ValidateParams exposes the params schema check.
var ValidateParams = validateSchema

// TypeNames exposes the names of the injector's fault and probe tables.
func TypeNames() (faults, probes []string) {
	for _, ft := range faultTypes {
		faults = append(faults, ft.name)
	}
	for _, pt := range probeTypes {
		probes = append(probes, pt.name)
	}
	return faults, probes
}

// DeploymentAvailability exposes the deployment-available probe's judgement
// of a Deployment's status.
var DeploymentAvailability = deploymentAvailability
