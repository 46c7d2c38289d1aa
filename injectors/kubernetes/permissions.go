package kubernetes

import (
	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/injectors/kubernetes/catalog"
)

// The permission table lives in the client-free catalog, so that `firedrill
// doctor` reads it without linking this package's clients; these names keep
// the injector's API.

// Scope says where a permission is needed (catalog.Scope).
type Scope = catalog.Scope

// Scopes of permissions.
const (
	ScopeCluster       = catalog.ScopeCluster
	ScopeTarget        = catalog.ScopeTarget
	ScopeAllNamespaces = catalog.ScopeAllNamespaces
	ScopeOptedIn       = catalog.ScopeOptedIn
)

// Permission is one Kubernetes API permission (catalog.Permission).
type Permission = catalog.Permission

// Need is one row of the permission table (catalog.Need).
type Need = catalog.Need

// Users of permissions.
const (
	UserFault     = catalog.UserFault
	UserProbe     = catalog.UserProbe
	UserLeftovers = catalog.UserLeftovers
	UserDoctor    = catalog.UserDoctor
)

// Conditions of Need rows.
const (
	WhenRestart    = catalog.WhenRestart
	WhenDrain      = catalog.WhenDrain
	WhenTargetName = catalog.WhenTargetName
	WhenProxy      = catalog.WhenProxy
	WhenProxyPort  = catalog.WhenProxyPort
)

// Permissions is the table of every permission the injector needs
// (catalog.Permissions).
var Permissions = catalog.Permissions

// FaultPermissions returns the permissions the fault needs
// (catalog.FaultPermissions).
func FaultPermissions(f injectors.Fault) ([]Need, error) { return catalog.FaultPermissions(f) }

// ProbePermissions returns the permissions the probe needs
// (catalog.ProbePermissions).
func ProbePermissions(p injectors.Probe, serviceURLs map[string]string) ([]Need, error) {
	return catalog.ProbePermissions(p, serviceURLs)
}

// LeftoverPermissions returns the permissions FindLeftovers needs
// (catalog.LeftoverPermissions).
func LeftoverPermissions() []Need { return catalog.LeftoverPermissions() }

// leftoverKinds are the kinds FindLeftovers lists, sorted.
func leftoverKinds() []string { return catalog.LeftoverKinds() }
