// Package ha keeps a controller's state that must survive the controller in
// the Kubernetes cluster itself: the revert records of injected faults (one
// Secret per drill in firedrill's own namespace, readable only by
// firedrill's service accounts), the controller's Lease (leader election and
// the heartbeat the dead man's switch watches), and the sweep that reverts
// the faults of a controller that stopped renewing its Lease.
//
// It speaks the API server's JSON itself (see Client) over the HTTP client
// of internal/kubeconn, without client-go or k8s.io/api, so that the drill
// room's binary links neither (issue 13); the engine sees the records only
// through control/guard's Book interface.
package ha

// Labels and annotations on firedrill's own objects (never on the objects
// of the beta environment).
const (
	// RecordsLabel marks a Secret of revert records.
	RecordsLabel = "firedrill.dev/revert-records"
	// LeaseAnnotation names the Lease ("namespace/name") of the controller
	// that wrote a records Secret.
	LeaseAnnotation = "firedrill.dev/lease"
	// DrillAnnotation is the drill id of a records Secret.
	DrillAnnotation = "firedrill.dev/drill-id"
)
