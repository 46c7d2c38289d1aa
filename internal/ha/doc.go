// Package ha keeps a controller's state that must survive the controller in
// the Kubernetes cluster itself: the revert records of injected faults (one
// Secret per drill in firedrill's own namespace, readable only by
// firedrill's service accounts), the controller's Lease (leader election and
// the heartbeat the dead man's switch watches), and the sweep that reverts
// the faults of a controller that stopped renewing its Lease.
//
// It is one of the cluster adapters allowed to use client-go; the engine
// sees the records only through control/guard's Book interface.
package ha

import (
	"fmt"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/firedrill/firedrill/injectors"
)

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

// Client is a Kubernetes clientset.
type Client = kubernetes.Interface

// Connect returns a client for the cluster of rc (the Kubernetes
// injector's RESTConfig, so that the same context and safety rails apply).
func Connect(rc *rest.Config) (kubernetes.Interface, error) {
	if rc == nil {
		return nil, injectors.Errorf(injectors.EINVALID, "ha.namespace is set but no allowed Kubernetes context is configured: the Lease and the revert records live in the cluster")
	}
	rc = rest.CopyConfig(rc)
	rc.UserAgent = "firedrill-ha"
	cs, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return nil, fmt.Errorf("cluster client: %w", err)
	}
	return cs, nil
}
