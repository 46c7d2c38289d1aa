package ha

// Permission is one API permission firedrill's own state needs in its
// namespace (ha.namespace).
type Permission struct {
	Group    string
	Resource string
	Verb     string
	// Why says which code calls it.
	Why string
}

// ControllerPermissions are what a controller (serve with ha.namespace)
// calls in its namespace: the Lease of the election (get, create, update,
// as client-go's LeaseLock) and the records book.
func ControllerPermissions() []Permission {
	return []Permission{
		{"coordination.k8s.io", "leases", "get", "leader election: read the Lease"},
		{"coordination.k8s.io", "leases", "create", "leader election: the first controller creates the Lease"},
		{"coordination.k8s.io", "leases", "update", "leader election: acquire, renew, release"},
		{"", "secrets", "get", "records: read a drill's Secret before changing it"},
		{"", "secrets", "list", "records: find a failed-over leader's record"},
		{"", "secrets", "create", "records: the first fault of a drill"},
		{"", "secrets", "update", "records: keep or forget a fault's record"},
		{"", "secrets", "delete", "records: the last fault of a drill reverted"},
	}
}

// SweepPermissions are what `firedrill sweep` calls in the namespace,
// besides the injector's reverts.
func SweepPermissions() []Permission {
	return []Permission{
		{"coordination.k8s.io", "leases", "get", "is the drill's controller alive?"},
		{"", "secrets", "list", "read every drill's records"},
		{"", "secrets", "get", "read a drill's Secret before removing a record"},
		{"", "secrets", "update", "remove a reverted fault's record"},
		{"", "secrets", "delete", "remove a drill's Secret with its last record"},
	}
}
