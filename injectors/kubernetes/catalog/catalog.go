// Package catalog is the Kubernetes injector's catalog without its client:
// the fault and probe types with their descriptions, target kinds and
// params schemas, the kinds they act on, the namespaces it always refuses,
// the fields its faults change and the permissions each needs. The
// injector (injectors/kubernetes) acts on it; firedrill's scenario checks,
// the studio and `firedrill doctor` read it without linking a Kubernetes
// client (k8s.io/api, client-go), which costs the drill room's process
// megabytes of resident memory (issue 13).
package catalog

import (
	"embed"
	"encoding/json"
	"slices"

	"github.com/firedrill/firedrill/injectors"
)

// Name is the plugin name scenarios use: "kubernetes/<type>".
const Name = "kubernetes"

// Version is the version of the injector.
const Version = "0.1.0"

// Labels and annotations firedrill uses on objects.
const (
	// DrillTargetLabel opts a namespace (or a node) in to fault injection
	// when its value is "true".
	DrillTargetLabel = "firedrill.dev/drill-target"
	// DrillIDAnnotation and FaultIDAnnotation mark every object a fault
	// changed or created, until the fault is reverted. FaultIDAnnotation is
	// a comma-separated list when layered faults change the same object.
	DrillIDAnnotation = "firedrill.dev/drill-id"
	FaultIDAnnotation = "firedrill.dev/fault-id"
)

var alwaysProtected = []string{"kube-system", "kube-public", "kube-node-lease"}

// AlwaysProtected returns the namespaces the injector refuses whatever its
// configuration says: the cluster's own.
func AlwaysProtected() []string { return slices.Clone(alwaysProtected) }

// Type is a fault or probe type of the catalog.
type Type struct {
	Name        string
	Description string
	// Kinds are the target kinds it acts on.
	Kinds []string
}

// WorkloadKinds are the kinds that run pods from a template.
var WorkloadKinds = []string{"Deployment", "StatefulSet", "DaemonSet"}

// WorkloadKindNames maps the lower-case kinds of restart targets
// ("deployment/NAME") to their kinds.
var WorkloadKindNames = map[string]string{"deployment": "Deployment", "statefulset": "StatefulSet", "daemonset": "DaemonSet"}

func workloads(more ...string) []string { return append(slices.Clone(WorkloadKinds), more...) }

// Faults are the fault types, in the order Describe lists them.
var Faults = []Type{
	{"pod-delete", "Delete running pods (count or percent) matching a selector; their controller replaces them.", []string{"Pod"}},
	{"scale", "Scale a Deployment or StatefulSet to a number of replicas (e.g. 0).", []string{"Deployment", "StatefulSet"}},
	{"bad-image", "Roll out an image that cannot run to one container of a workload.", workloads()},
	{"configmap-key", "Change, add or remove one key of a ConfigMap, optionally restarting a workload that reads it.", []string{"ConfigMap"}},
	{"secret-key", "Change, add or remove one key of a Secret (e.g. a DB password or connection string), optionally restarting a workload that reads it.", []string{"Secret"}},
	{"env-var", "Set, add or remove an environment variable of a container of a workload.", workloads()},
	{"service-selector", "Break a Service's selector so that traffic reaches no pod.", []string{"Service"}},
	{"network-isolate", "Create a NetworkPolicy that denies ingress, egress or both of a workload's pods.", workloads("Pod")},
	{"resource-squeeze", "Lower the CPU and/or memory limits of a container of a workload.", workloads()},
	{"node-cordon", "Cordon a node (opted in with the label firedrill.dev/drill-target=true), optionally draining its pods.", []string{"Node"}},
	{"hpa-bounds", "Change the min/max replicas of a HorizontalPodAutoscaler.", []string{"HorizontalPodAutoscaler"}},
	{"cronjob-suspend", "Suspend a CronJob (or resume a suspended one).", []string{"CronJob"}},
	{"traffic-surge", "Multiply the request rate of a load generator (its RPS variable), as a promotion or a bot multiplies real traffic.", workloads()},
	{"pod-slow", "Make one pod matching a selector slow, as a sick instance is: its CPU limit is lowered in place, it stays in the Service and slows or fails its share of the requests until it is isolated (or replaced).", []string{"Pod"}},
}

// Probes are the probe types, in the order Describe lists them.
var Probes = []Type{
	{"deployment-available", "OK when a Deployment has enough available replicas.", []string{"Deployment"}},
	{"pod-status", "OK when the pods matching a selector are in the expected phase, ready, and not restarting.", []string{"Pod"}},
	{"endpoints", "OK when a Service has enough ready endpoints.", []string{"Service"}},
	{"deployment-state", "OK while a Deployment exists; its detail (replicas, images, last rollout restart, and with pods: true its pods) changes when someone scales, rolls back, restarts it or deletes a pod, for injects on cluster.changed.", []string{"Deployment"}},
	{"http-get", "OK when an HTTP GET answers with the expected status and body within the latency budget.", []string{"Service"}},
}

// Lookup returns the type named name of types (Faults or Probes).
func Lookup(types []Type, name string) (Type, bool) {
	for _, t := range types {
		if t.Name == name {
			return t, true
		}
	}
	return Type{}, false
}

// Names returns the names of types, in order.
func Names(types []Type) []string {
	out := make([]string, len(types))
	for i, t := range types {
		out[i] = t.Name
	}
	return out
}

// Kind is an object kind faults and probes act on: its API resource.
type Kind struct {
	Group, Version, Resource string
	Namespaced               bool
}

// Kinds maps the object kinds faults and probes act on to their resources.
var Kinds = map[string]Kind{
	"Deployment":              {"apps", "v1", "deployments", true},
	"StatefulSet":             {"apps", "v1", "statefulsets", true},
	"DaemonSet":               {"apps", "v1", "daemonsets", true},
	"ConfigMap":               {"", "v1", "configmaps", true},
	"Secret":                  {"", "v1", "secrets", true},
	"Service":                 {"", "v1", "services", true},
	"Pod":                     {"", "v1", "pods", true},
	"Node":                    {"", "v1", "nodes", false},
	"HorizontalPodAutoscaler": {"autoscaling", "v2", "horizontalpodautoscalers", true},
	"CronJob":                 {"batch", "v1", "cronjobs", true},
	"NetworkPolicy":           {"networking.k8s.io", "v1", "networkpolicies", true},
}

// ReplicaSet is the resource of ReplicaSets, which carry copies of a
// Deployment's marks.
var ReplicaSet = Kind{"apps", "v1", "replicasets", true}

// ResizeSubresource is the pods subresource pod-slow changes CPU through.
const ResizeSubresource = "resize"

// changedFields names, for each fault type that changes one field of its
// target and restores it on revert, the params that say which field.
var changedFields = map[string][]string{
	"scale":            {},
	"bad-image":        {"container"},
	"configmap-key":    {"key"},
	"secret-key":       {"key"},
	"env-var":          {"container", "name"},
	"service-selector": {},
	"resource-squeeze": {"container"},
	"node-cordon":      {},
	"hpa-bounds":       {},
	"cronjob-suspend":  {},
	"traffic-surge":    {"container", "variable"},
}

// ChangedField reports whether fault type typ changes one field of its
// target, and which params say which field (key for configmap-key): two
// faults of the type on the same target with equal values of those params
// change the same field.
func ChangedField(typ string) (params []string, ok bool) {
	p, ok := changedFields[typ]
	return slices.Clone(p), ok
}

// Schemas holds the params schema of every fault and probe type, as
// schemas/TYPE.json.
//
//go:embed schemas/*.json
var Schemas embed.FS

// SchemaJSON returns the params schema of a fault or probe type, nil when
// it has none.
func SchemaJSON(typ string) json.RawMessage {
	b, err := Schemas.ReadFile("schemas/" + typ + ".json")
	if err != nil {
		return nil
	}
	return json.RawMessage(b)
}

// Describe returns the injector's catalog — its fault and probe types, the
// kinds each acts on and their params schemas — without a cluster, for
// checking scenarios offline.
func Describe() injectors.Info {
	info := injectors.Info{Name: Name, Version: Version, APIVersions: []string{injectors.APIVersion}}
	for _, t := range Faults {
		info.FaultTypes = append(info.FaultTypes, injectors.TypeInfo{
			Name: t.Name, Description: t.Description, TargetKinds: slices.Clone(t.Kinds), ParamsSchema: SchemaJSON(t.Name),
		})
	}
	for _, t := range Probes {
		info.ProbeTypes = append(info.ProbeTypes, injectors.TypeInfo{
			Name: t.Name, Description: t.Description, TargetKinds: slices.Clone(t.Kinds), ParamsSchema: SchemaJSON(t.Name),
		})
	}
	return info
}
