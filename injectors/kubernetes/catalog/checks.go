package catalog

// The answers of the injector's check API (the questions `firedrill
// doctor` asks the cluster, and the leftover scan), as plain data: doctor
// reads them without linking the injector's clients.

// ServerInfo is what the API server says about itself and the caller.
type ServerInfo struct {
	// Host is the URL of the API server.
	Host string
	// Version is the server's version, e.g. "v1.34.4".
	Version string
	// User is the user the injector acts as; empty when the server does not
	// say (no SelfSubjectReview).
	User string
}

// ObjectInfo is what the injector sees of a namespace or another object a
// fault may target.
type ObjectInfo struct {
	// Exists is false when the API server says there is no such object.
	Exists bool
	// Deleting is set while the object is being deleted.
	Deleting bool
	// DrillTarget is the value of the DrillTargetLabel on the object, ""
	// when it has none; "true" opts a namespace or a node in to drills.
	DrillTarget string
}

// Access is one permission in one namespace; Namespace "" asks cluster-wide
// or in all namespaces.
type Access struct {
	Permission Permission
	Namespace  string
}

// AccessReview is the API server's answer about one Access.
type AccessReview struct {
	Allowed bool
	// Reason is the authorizer's evaluation error, if it reported one.
	Reason string
}

// Leftover is an object that still carries firedrill's annotations: a fault
// that was not reverted (or an object a participant copied them onto).
type Leftover struct {
	Kind      string `json:"kind"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
	DrillID   string `json:"drillId"`
	FaultID   string `json:"faultId"`
}
