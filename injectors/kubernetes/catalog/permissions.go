package catalog

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/firedrill/firedrill/injectors"
)

// Scope says where a permission is needed.
type Scope string

// Scopes of permissions.
const (
	// ScopeCluster is a cluster-scoped resource (namespaces, nodes, access
	// reviews).
	ScopeCluster Scope = "cluster"
	// ScopeTarget is the target namespace of the fault or probe.
	ScopeTarget Scope = "namespace"
	// ScopeAllNamespaces is a namespaced resource read across all
	// namespaces at once (the pods of a node, the leftover scan): only a
	// ClusterRole grants it.
	ScopeAllNamespaces Scope = "all-namespaces"
	// ScopeOptedIn is every namespace opted in to drills (the pods a node
	// drain evicts may be in any of them).
	ScopeOptedIn Scope = "opted-in-namespaces"
)

// Permission is one Kubernetes API permission: a verb on a resource (and
// subresource) of an API group, in a scope. It is what a
// SelfSubjectAccessReview asks and what an RBAC rule grants.
type Permission struct {
	Group       string `json:"group"`
	Resource    string `json:"resource"`
	Subresource string `json:"subresource,omitempty"`
	Verb        string `json:"verb"`
	Scope       Scope  `json:"scope"`
}

// ResourceName returns the resource as kubectl and RBAC messages spell it:
// "deployments.apps", "pods/eviction", "services/proxy".
func (p Permission) ResourceName() string {
	s := p.Resource
	if p.Subresource != "" {
		s += "/" + p.Subresource
	}
	if p.Group != "" {
		s += "." + p.Group
	}
	return s
}

// String returns the permission as "verb resource", e.g.
// "update deployments.apps".
func (p Permission) String() string { return p.Verb + " " + p.ResourceName() }

// Need is one row of the permission table: a permission that a fault type,
// a probe type, the leftover scan or the doctor itself needs, and when.
type Need struct {
	// User is what needs the permission: "fault", "probe", "leftovers" or
	// "doctor".
	User string `json:"user"`
	// Type is the fault or probe type ("scale", "http-get"); empty for the
	// leftover scan and the doctor.
	Type string `json:"type,omitempty"`
	// TargetKind, when set, limits the row to faults and probes whose target
	// (or, for When "params.restart", whose restarted workload) is of this
	// kind.
	TargetKind string `json:"targetKind,omitempty"`
	// When, when set, limits the row to faults and probes that use a
	// feature: "params.restart" (configmap-key, secret-key restart a
	// workload), "params.drain" (node-cordon drains the node), "target.name"
	// (network-isolate reads the named workload's selector), "proxy"
	// (http-get through the API server's service proxy, no params.url and
	// no kubernetes.serviceURLs entry), "proxy, no params.port" (the same,
	// reading the Service's first port).
	When string `json:"when,omitempty"`
	// Why says what the permission is used for.
	Why string `json:"why"`
	Permission
}

// Users of permissions.
const (
	UserFault     = "fault"
	UserProbe     = "probe"
	UserLeftovers = "leftovers"
	UserDoctor    = "doctor"
)

// Conditions of Need rows.
const (
	WhenRestart    = "params.restart"
	WhenDrain      = "params.drain"
	WhenTargetName = "target.name"
	WhenProxy      = "proxy"
	WhenProxyPort  = "proxy, no params.port"
)

func perm(group, resource, sub, verb string, scope Scope) Permission {
	return Permission{Group: group, Resource: resource, Subresource: sub, Verb: verb, Scope: scope}
}

// rw is the get (plan, status, revert) and update (inject, revert, dry
// run) of an object a fault changes in place.
func rw(typ, kind, when, why string) []Need {
	k := Kinds[kind]
	out := []Need{
		{User: UserFault, Type: typ, TargetKind: kind, When: when, Why: "read " + why + " to plan, check and revert the fault",
			Permission: perm(k.Group, k.Resource, "", "get", scopeOf(kind))},
		{User: UserFault, Type: typ, TargetKind: kind, When: when, Why: "change " + why + " and put it back",
			Permission: perm(k.Group, k.Resource, "", "update", scopeOf(kind))},
	}
	if kind == "Deployment" {
		// The deployment controller copies the Deployment's marks onto its
		// ReplicaSets; revert takes them off there too.
		out = append(out,
			Need{User: UserFault, Type: typ, TargetKind: kind, When: when, Why: "find the Deployment's ReplicaSets that carry copies of the fault's marks",
				Permission: perm(ReplicaSet.Group, ReplicaSet.Resource, "", "list", ScopeTarget)},
			Need{User: UserFault, Type: typ, TargetKind: kind, When: when, Why: "take the fault's marks off the Deployment's ReplicaSets on revert",
				Permission: perm(ReplicaSet.Group, ReplicaSet.Resource, "", "update", ScopeTarget)},
			Need{User: UserFault, Type: typ, TargetKind: kind, When: when, Why: "read a ReplicaSet again when its update conflicts",
				Permission: perm(ReplicaSet.Group, ReplicaSet.Resource, "", "get", ScopeTarget)})
	}
	return out
}

func scopeOf(kind string) Scope {
	if Kinds[kind].Namespaced {
		return ScopeTarget
	}
	return ScopeCluster
}

func rwEach(typ string, kindList []string, when, why string) []Need {
	var out []Need
	for _, k := range kindList {
		out = append(out, rw(typ, k, when, why)...)
	}
	return out
}

// Permissions is the table of every permission the catalog's faults and
// probes, the leftover scan and `firedrill doctor` need: exactly the calls
// lifecycle.go, catalog.go, probes.go and leftovers.go make (reads before
// planning, updates to inject and revert, server-side dry runs use the same
// verbs). deploy/base/rbac.yaml grants exactly these; a test keeps the two in
// step.
var Permissions = buildPermissions()

func buildPermissions() []Need {
	ns := func(typ string) Need {
		return Need{User: UserFault, Type: typ, Why: "check the target namespace's opt-in label",
			Permission: perm("", "namespaces", "", "get", ScopeCluster)}
	}
	var t []Need
	for _, ft := range Faults {
		if ft.Name != "node-cordon" {
			t = append(t, ns(ft.Name))
		}
		switch ft.Name {
		case "pod-delete":
			t = append(t,
				Need{User: UserFault, Type: ft.Name, Why: "list the pods matching the selector (plan and status)", Permission: perm("", "pods", "", "list", ScopeTarget)},
				Need{User: UserFault, Type: ft.Name, Why: "delete the chosen pods", Permission: perm("", "pods", "", "delete", ScopeTarget)})
		case "scale":
			t = append(t, rwEach(ft.Name, []string{"Deployment", "StatefulSet"}, "", "the workload's replicas")...)
		case "bad-image":
			t = append(t, rwEach(ft.Name, WorkloadKinds, "", "the workload's pod template")...)
		case "env-var":
			t = append(t, rwEach(ft.Name, WorkloadKinds, "", "the workload's pod template")...)
		case "resource-squeeze":
			t = append(t, rwEach(ft.Name, WorkloadKinds, "", "the workload's container resources")...)
		case "configmap-key":
			t = append(t, rw(ft.Name, "ConfigMap", "", "the ConfigMap")...)
			t = append(t, rwEach(ft.Name, WorkloadKinds, WhenRestart, "the restarted workload")...)
		case "secret-key":
			t = append(t, rw(ft.Name, "Secret", "", "the Secret")...)
			t = append(t, rwEach(ft.Name, WorkloadKinds, WhenRestart, "the restarted workload")...)
		case "service-selector":
			t = append(t, rw(ft.Name, "Service", "", "the Service's selector")...)
		case "network-isolate":
			np := Kinds["NetworkPolicy"]
			t = append(t,
				Need{User: UserFault, Type: ft.Name, Why: "create the isolating NetworkPolicy", Permission: perm(np.Group, np.Resource, "", "create", ScopeTarget)},
				Need{User: UserFault, Type: ft.Name, Why: "read the NetworkPolicy (status, retried inject, revert)", Permission: perm(np.Group, np.Resource, "", "get", ScopeTarget)},
				Need{User: UserFault, Type: ft.Name, Why: "delete the NetworkPolicy on revert", Permission: perm(np.Group, np.Resource, "", "delete", ScopeTarget)})
			for _, k := range WorkloadKinds {
				g := Kinds[k]
				t = append(t, Need{User: UserFault, Type: ft.Name, TargetKind: k, When: WhenTargetName, Why: "read the workload's pod selector",
					Permission: perm(g.Group, g.Resource, "", "get", ScopeTarget)})
			}
		case "node-cordon":
			t = append(t, rw(ft.Name, "Node", "", "the node's unschedulable flag and opt-in label")...)
			t = append(t,
				Need{User: UserFault, Type: ft.Name, When: WhenDrain, Why: "list the pods on the node", Permission: perm("", "pods", "", "list", ScopeAllNamespaces)},
				Need{User: UserFault, Type: ft.Name, When: WhenDrain, Why: "check the opt-in label of the drained pods' namespaces", Permission: perm("", "namespaces", "", "get", ScopeCluster)},
				Need{User: UserFault, Type: ft.Name, When: WhenDrain, Why: "evict the node's pods in opted-in namespaces", Permission: perm("", "pods", "eviction", "create", ScopeOptedIn)})
		case "hpa-bounds":
			t = append(t, rw(ft.Name, "HorizontalPodAutoscaler", "", "the HorizontalPodAutoscaler's bounds")...)
		case "cronjob-suspend":
			t = append(t, rw(ft.Name, "CronJob", "", "the CronJob's suspend flag")...)
		case "traffic-surge":
			t = append(t, rwEach(ft.Name, WorkloadKinds, "", "the load generator's rate")...)
		case "pod-slow":
			t = append(t,
				Need{User: UserFault, Type: ft.Name, Why: "list the pods matching the selector to pick the slow one", Permission: perm("", "pods", "", "list", ScopeTarget)},
				Need{User: UserFault, Type: ft.Name, Why: "read the slow pod to plan, check and revert the fault", Permission: perm("", "pods", "", "get", ScopeTarget)},
				Need{User: UserFault, Type: ft.Name, Why: "lower the slow pod's CPU in place and put it back", Permission: perm("", "pods", ResizeSubresource, "update", ScopeTarget)},
				Need{User: UserFault, Type: ft.Name, Why: "lower the slow pod's CPU in place in one call", Permission: perm("", "pods", ResizeSubresource, "patch", ScopeTarget)},
				Need{User: UserFault, Type: ft.Name, Why: "remove the slow pod participants isolated, once the drill is over", Permission: perm("", "pods", "", "delete", ScopeTarget)})
		default:
			panic("kubernetes: permission table: fault type " + ft.Name + " has no permissions")
		}
	}
	for _, pt := range Probes {
		switch pt.Name {
		case "deployment-available":
			t = append(t, Need{User: UserProbe, Type: pt.Name, Why: "read the Deployment's status", Permission: perm("apps", "deployments", "", "get", ScopeTarget)})
		case "deployment-state":
			t = append(t, Need{User: UserProbe, Type: pt.Name, Why: "read the Deployment's spec", Permission: perm("apps", "deployments", "", "get", ScopeTarget)},
				Need{User: UserProbe, Type: pt.Name, Why: "list the Deployment's pods (pods: true)", Permission: perm("", "pods", "", "list", ScopeTarget)})
		case "pod-status":
			t = append(t, Need{User: UserProbe, Type: pt.Name, Why: "list the pods matching the selector", Permission: perm("", "pods", "", "list", ScopeTarget)})
		case "endpoints":
			t = append(t, Need{User: UserProbe, Type: pt.Name, Why: "list the Service's EndpointSlices", Permission: perm("discovery.k8s.io", "endpointslices", "", "list", ScopeTarget)})
		case "http-get":
			t = append(t, Need{User: UserProbe, Type: pt.Name, When: WhenProxy, Why: "GET through the API server's service proxy", Permission: perm("", "services", "proxy", "get", ScopeTarget)})
			t = append(t, Need{User: UserProbe, Type: pt.Name, When: WhenProxyPort, Why: "read the Service's first port (without it, the probe sends no port, which reaches only an unnamed port)", Permission: perm("", "services", "", "get", ScopeTarget)})
		default:
			panic("kubernetes: permission table: probe type " + pt.Name + " has no permissions")
		}
	}
	for _, k := range LeftoverKinds() {
		g, scope := ReplicaSet, ScopeAllNamespaces
		if kd, ok := Kinds[k]; ok {
			g = kd
			if !kd.Namespaced {
				scope = ScopeCluster
			}
		}
		t = append(t, Need{User: UserLeftovers, TargetKind: k, Why: "find " + k + " objects still carrying firedrill's annotations",
			Permission: perm(g.Group, g.Resource, "", "list", scope)})
	}
	t = append(t, Need{User: UserDoctor, Why: "ask the API server which of these permissions firedrill has",
		Permission: perm("authorization.k8s.io", "selfsubjectaccessreviews", "", "create", ScopeCluster)})
	return t
}

// LeftoverKinds are the kinds FindLeftovers lists, sorted.
func LeftoverKinds() []string {
	names := make([]string, 0, len(Kinds))
	for k := range Kinds {
		if k != "Pod" {
			names = append(names, k)
		}
	}
	names = append(names, "ReplicaSet") // copies of Deployments' marks
	sort.Strings(names)
	return names
}

// FaultPermissions returns the permissions the fault needs, given its type,
// target kind and params: the rows of Permissions that apply to it. Scope
// ScopeTarget means f.Target.Namespace.
func FaultPermissions(f injectors.Fault) ([]Need, error) {
	ft, ok := Lookup(Faults, f.Type)
	if !ok {
		return nil, injectors.Errorf(injectors.EINVALID, "fault type %q is not a kubernetes fault type, expected one of %s", f.Type, strings.Join(Names(Faults), ", "))
	}
	kind := f.Target.Kind
	if kind == "" && len(ft.Kinds) == 1 {
		kind = ft.Kinds[0] // configmap-key, secret-key: the kind is implied
	}
	var p struct {
		Restart string `json:"restart"`
		Drain   bool   `json:"drain"`
	}
	if len(f.Params) > 0 && string(f.Params) != "null" {
		if err := json.Unmarshal(f.Params, &p); err != nil {
			return nil, injectors.Errorf(injectors.EINVALID, "fault %s: params: %v", f.FaultID, err)
		}
	}
	restartKind := ""
	if p.Restart != "" {
		k, _, _ := strings.Cut(p.Restart, "/")
		restartKind = WorkloadKindNames[k]
		if restartKind == "" {
			return nil, injectors.Errorf(injectors.EINVALID, "fault %s: params.restart: %q is not deployment/NAME, statefulset/NAME or daemonset/NAME", f.FaultID, p.Restart)
		}
	}
	var out []Need
	for _, n := range Permissions {
		if n.User != UserFault || n.Type != f.Type {
			continue
		}
		switch n.When {
		case "":
			if n.TargetKind != "" && n.TargetKind != kind {
				continue
			}
		case WhenRestart:
			if n.TargetKind != restartKind {
				continue
			}
		case WhenDrain:
			if !p.Drain {
				continue
			}
		case WhenTargetName:
			if len(f.Target.Selector) > 0 || f.Target.Name == "" || n.TargetKind != kind {
				continue
			}
		default:
			return nil, fmt.Errorf("kubernetes: permission table: unknown condition %q", n.When)
		}
		out = append(out, n)
	}
	return out, nil
}

// ProbePermissions returns the permissions the probe needs. serviceURLs is
// kubernetes.serviceURLs: an http-get probe of a Service listed there (or
// with params.url) does not go through the API server and needs none.
func ProbePermissions(p injectors.Probe, serviceURLs map[string]string) ([]Need, error) {
	if _, found := Lookup(Probes, p.Type); !found {
		return nil, injectors.Errorf(injectors.EINVALID, "probe type %q is not a kubernetes probe type, expected one of %s", p.Type, strings.Join(Names(Probes), ", "))
	}
	proxied, portGiven := false, false
	if p.Type == "http-get" {
		var hp struct {
			URL  string `json:"url"`
			Port any    `json:"port"`
		}
		if len(p.Params) > 0 && string(p.Params) != "null" {
			if err := json.Unmarshal(p.Params, &hp); err != nil {
				return nil, injectors.Errorf(injectors.EINVALID, "probe %s: params: %v", p.Type, err)
			}
		}
		_, direct := serviceURLs[p.Target.Namespace+"/"+p.Target.Name]
		proxied = hp.URL == "" && !direct
		portGiven = hp.Port != nil
	}
	var out []Need
	for _, n := range Permissions {
		if n.User != UserProbe || n.Type != p.Type || (n.When == WhenProxy && !proxied) || (n.When == WhenProxyPort && (!proxied || portGiven)) {
			continue
		}
		out = append(out, n)
	}
	return out, nil
}

// LeftoverPermissions returns the permissions FindLeftovers needs: a list of
// every kind the catalog marks, across all namespaces.
func LeftoverPermissions() []Need {
	var out []Need
	for _, n := range Permissions {
		if n.User == UserLeftovers {
			out = append(out, n)
		}
	}
	return out
}
