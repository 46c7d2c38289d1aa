package kubernetes

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/injectors/kubernetes/catalog"
)

// faultType is one entry of the catalog.
// Its description and target kinds are in the client-free catalog
// (injectors/kubernetes/catalog), under the same name.
type faultType struct {
	name   string
	params func() any
	// prepare fills rec.Objects with the plan of the fault; it reads the
	// cluster and changes nothing.
	prepare func(ctx context.Context, in *Injector, f injectors.Fault, p any, rec *record) error
}

var workloadKinds = catalog.WorkloadKinds

// podTemplate is where the pod spec of a workload lives.
var podTemplate = []string{"spec", "template", "spec"}

type (
	podDeleteParams struct {
		Count              int    `json:"count"`
		Percent            int    `json:"percent"`
		GracePeriodSeconds *int64 `json:"gracePeriodSeconds"`
	}
	scaleParams    struct{ Replicas int64 }
	badImageParams struct{ Container, Image string }
	keyParams      struct {
		Key     string  `json:"key"`
		Value   *string `json:"value"`
		Remove  bool    `json:"remove"`
		Restart string  `json:"restart"`
	}
	envVarParams struct {
		Container string  `json:"container"`
		Name      string  `json:"name"`
		Value     *string `json:"value"`
		Remove    bool    `json:"remove"`
	}
	serviceSelectorParams struct {
		Selector map[string]string `json:"selector"`
	}
	networkIsolateParams struct {
		Direction string `json:"direction"`
		AllowDNS  bool   `json:"allowDNS"`
		// Name is the policy's name, chosen by the designer so that it looks
		// like the team's own; empty is policyName's default.
		Name string `json:"name"`
	}
	resourceSqueezeParams struct {
		Container   string `json:"container"`
		CPULimit    string `json:"cpuLimit"`
		MemoryLimit string `json:"memoryLimit"`
	}
	nodeCordonParams struct {
		Drain bool `json:"drain"`
	}
	hpaBoundsParams struct {
		MinReplicas *int64 `json:"minReplicas"`
		MaxReplicas *int64 `json:"maxReplicas"`
	}
	cronJobSuspendParams struct {
		Suspend *bool `json:"suspend"`
	}
	trafficSurgeParams struct {
		Factor    float64 `json:"factor"`
		Container string  `json:"container"`
		Variable  string  `json:"variable"`
	}
)

var faultTypes = []faultType{
	{name: "pod-delete", params: func() any { return &podDeleteParams{} }, prepare: preparePodDelete},
	{name: "scale", params: func() any { return &scaleParams{} },
		prepare: changeTarget(func(f injectors.Fault, p any, obj map[string]any, _ *Injector) ([]change, error) {
			return []change{plan(obj, []string{"spec", "replicas"}, p.(*scaleParams).Replicas, false)}, nil
		})},
	{name: "bad-image", params: func() any { return &badImageParams{} },
		prepare: changeTarget(func(f injectors.Fault, p any, obj map[string]any, _ *Injector) ([]change, error) {
			bp := p.(*badImageParams)
			c, err := containerSegment(obj, bp.Container)
			if err != nil {
				return nil, err
			}
			return []change{plan(obj, append(clone(podTemplate), "containers", c, "image"), bp.Image, false)}, nil
		})},
	{name: "configmap-key", params: func() any { return &keyParams{} }, prepare: prepareKey("ConfigMap", false)},
	{name: "secret-key", params: func() any { return &keyParams{} }, prepare: prepareKey("Secret", true)},
	{name: "env-var", params: func() any { return &envVarParams{} },
		prepare: changeTarget(func(f injectors.Fault, p any, obj map[string]any, _ *Injector) ([]change, error) {
			ep := p.(*envVarParams)
			c, err := containerSegment(obj, ep.Container)
			if err != nil {
				return nil, err
			}
			path := append(clone(podTemplate), "containers", c, "env", "[name="+ep.Name+"]")
			if ep.Remove {
				return []change{plan(obj, path, nil, true)}, nil
			}
			return []change{plan(obj, path, map[string]any{"name": ep.Name, "value": *ep.Value}, false)}, nil
		})},
	{name: "service-selector", params: func() any { return &serviceSelectorParams{} },
		prepare: changeTarget(func(f injectors.Fault, p any, obj map[string]any, _ *Injector) ([]change, error) {
			sel := map[string]any{}
			if sp := p.(*serviceSelectorParams); sp.Selector != nil {
				for k, v := range sp.Selector {
					sel[k] = v
				}
			} else {
				cur, _ := getPath(obj, []string{"spec", "selector"})
				if m, ok := cur.(map[string]any); ok {
					for k, v := range m {
						sel[k] = v
					}
				}
				sel["firedrill.dev/broken"] = f.FaultID
			}
			return []change{plan(obj, []string{"spec", "selector"}, sel, false)}, nil
		})},
	{name: "network-isolate", params: func() any { return &networkIsolateParams{} }, prepare: prepareNetworkIsolate},
	{name: "resource-squeeze", params: func() any { return &resourceSqueezeParams{} },
		prepare: changeTarget(planResourceSqueeze)},
	{name: "node-cordon", params: func() any { return &nodeCordonParams{} }, prepare: prepareNodeCordon},
	{name: "hpa-bounds", params: func() any { return &hpaBoundsParams{} },
		prepare: changeTarget(planHPABounds)},
	{name: "cronjob-suspend", params: func() any { return &cronJobSuspendParams{} },
		prepare: changeTarget(func(f injectors.Fault, p any, obj map[string]any, _ *Injector) ([]change, error) {
			s := true
			if cp := p.(*cronJobSuspendParams); cp.Suspend != nil {
				s = *cp.Suspend
			}
			return []change{plan(obj, []string{"spec", "suspend"}, s, false)}, nil
		})},
	{name: "traffic-surge", params: func() any { return &trafficSurgeParams{} }, prepare: changeTarget(planTrafficSurge)},
	{name: "pod-slow", params: func() any { return &podSlowParams{} }, prepare: preparePodSlow},
}

func faultTypeByName(name string) (faultType, bool) {
	for _, ft := range faultTypes {
		if ft.name == name {
			return ft, true
		}
	}
	return faultType{}, false
}

func faultTypeNames() []string {
	var out []string
	for _, ft := range faultTypes {
		out = append(out, ft.name)
	}
	return out
}

// kinds are the target kinds the fault type acts on.
func (ft faultType) kinds() []string {
	t, _ := catalog.Lookup(catalog.Faults, ft.name)
	return t.Kinds
}

func clone(s []string) []string { return append([]string(nil), s...) }

// changeTarget makes the prepare function of a fault that changes fields of
// its named target.
func changeTarget(planFn func(f injectors.Fault, p any, obj map[string]any, in *Injector) ([]change, error)) func(context.Context, *Injector, injectors.Fault, any, *record) error {
	return func(ctx context.Context, in *Injector, f injectors.Fault, p any, rec *record) error {
		if f.Target.Kind == "" || f.Target.Name == "" {
			return injectors.Errorf(injectors.EINVALID, "target: kind and name are required for %s", f.Type)
		}
		o, err := in.planObject(ctx, f, f.Target.Kind, f.Target.Namespace, f.Target.Name, func(obj map[string]any) ([]change, error) {
			return planFn(f, p, obj, in)
		})
		if err != nil {
			return err
		}
		rec.Objects = append(rec.Objects, o)
		return nil
	}
}

// containerSegment names the container a fault acts on: the given one, or
// the only one.
func containerSegment(obj map[string]any, name string) (string, error) {
	list, _ := getPath(obj, append(clone(podTemplate), "containers"))
	items, _ := list.([]any)
	var names []string
	for _, it := range items {
		if m, ok := it.(map[string]any); ok {
			if n, ok := m["name"].(string); ok {
				names = append(names, n)
			}
		}
	}
	if name == "" {
		if len(names) != 1 {
			return "", injectors.Errorf(injectors.EINVALID, "params.container: required because the pod template has %d containers (%s)", len(names), strings.Join(names, ", "))
		}
		name = names[0]
	}
	for _, n := range names {
		if n == name {
			return "[name=" + name + "]", nil
		}
	}
	return "", injectors.Errorf(injectors.EINVALID, "params.container: no container %q in the pod template, expected one of %s", name, strings.Join(names, ", "))
}

func prepareKey(kind string, secret bool) func(context.Context, *Injector, injectors.Fault, any, *record) error {
	return func(ctx context.Context, in *Injector, f injectors.Fault, p any, rec *record) error {
		kp := p.(*keyParams)
		f.Target.Kind = kind
		err := changeTarget(func(f injectors.Fault, _ any, obj map[string]any, _ *Injector) ([]change, error) {
			path := []string{"data", kp.Key}
			if kp.Remove {
				return []change{plan(obj, path, nil, true)}, nil
			}
			v := *kp.Value
			if secret {
				v = base64.StdEncoding.EncodeToString([]byte(v))
			}
			return []change{plan(obj, path, v, false)}, nil
		})(ctx, in, f, p, rec)
		if err != nil || kp.Restart == "" {
			return err
		}
		return in.planRestart(ctx, f, kp.Restart, rec)
	}
}

// workloadKindNames maps the lower-case kinds of restart targets.
var workloadKindNames = catalog.WorkloadKindNames

// planRestart plans a rollout restart of kind/name (as kubectl rollout
// restart does: a pod-template annotation with the time). The change is a
// marker: it is reverted (one more restart, which picks up the restored
// configuration) but not part of the fault's effect.
func (in *Injector) planRestart(ctx context.Context, f injectors.Fault, ref string, rec *record) error {
	k, name, _ := strings.Cut(ref, "/")
	kind := workloadKindNames[k]
	o, err := in.planObject(ctx, f, kind, f.Target.Namespace, name, func(obj map[string]any) ([]change, error) {
		c := plan(obj, []string{"spec", "template", "metadata", "annotations", "kubectl.kubernetes.io/restartedAt"}, in.clk.Now().UTC().Format(time.RFC3339), false)
		c.Marker = true
		return []change{c}, nil
	})
	if err != nil {
		return fmt.Errorf("params.restart: %w", err)
	}
	rec.Objects = append(rec.Objects, o)
	return nil
}

func preparePodDelete(ctx context.Context, in *Injector, f injectors.Fault, p any, rec *record) error {
	pp := p.(*podDeleteParams)
	if len(f.Target.Selector) == 0 {
		return injectors.Errorf(injectors.EINVALID, "target.selector: required for pod-delete (the labels of the pods to delete)")
	}
	pods, err := in.selectedPods(ctx, f.Target)
	if err != nil {
		return err
	}
	var live []corev1.Pod
	for _, pod := range pods.Items {
		if pod.DeletionTimestamp == nil && pod.Status.Phase != corev1.PodSucceeded && pod.Status.Phase != corev1.PodFailed {
			live = append(live, pod)
		}
		if podReady(&pod) {
			rec.ReadyBefore++
		}
	}
	if len(live) == 0 {
		return injectors.Errorf(injectors.ENOTFOUND, "no running pods match %v in namespace %s", f.Target.Selector, f.Target.Namespace)
	}
	sort.Slice(live, func(i, j int) bool { return live[i].Name < live[j].Name })
	n := pp.Count
	if pp.Percent > 0 {
		n = int(math.Ceil(float64(len(live)) * float64(pp.Percent) / 100))
	}
	if n > len(live) {
		n = len(live)
	}
	rec.Selector, rec.Namespace = f.Target.Selector, f.Target.Namespace
	for _, pod := range live[:n] {
		rec.Objects = append(rec.Objects, objRecord{Kind: "Pod", Namespace: pod.Namespace, Name: pod.Name, UID: string(pod.UID), Delete: true})
	}
	return nil
}

func podReady(p *corev1.Pod) bool {
	if p.DeletionTimestamp != nil {
		return false
	}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func prepareNetworkIsolate(ctx context.Context, in *Injector, f injectors.Fault, p any, rec *record) error {
	np := p.(*networkIsolateParams)
	podSelector := map[string]any{}
	switch {
	case len(f.Target.Selector) > 0:
		for k, v := range f.Target.Selector {
			podSelector[k] = v
		}
	case f.Target.Kind != "" && f.Target.Kind != "Pod" && f.Target.Name != "":
		res, err := in.resource(f.Target.Kind, f.Target.Namespace)
		if err != nil {
			return err
		}
		obj, err := res.Get(ctx, f.Target.Name, metav1.GetOptions{})
		if err != nil {
			return fmt.Errorf("get %s %s: %w", f.Target.Kind, nsName(f.Target.Namespace, f.Target.Name), explain(err))
		}
		ml, _ := getPath(obj.Object, []string{"spec", "selector", "matchLabels"})
		m, _ := ml.(map[string]any)
		if len(m) == 0 {
			return injectors.Errorf(injectors.EINVALID, "%s %s has no spec.selector.matchLabels to isolate; give target.selector", f.Target.Kind, f.Target.Name)
		}
		podSelector = m
	default:
		return injectors.Errorf(injectors.EINVALID, "target: give a workload (kind and name) or a selector of the pods to isolate")
	}
	var types []any
	spec := map[string]any{"podSelector": map[string]any{"matchLabels": podSelector}}
	if np.Direction == "ingress" || np.Direction == "both" {
		types = append(types, "Ingress")
		spec["ingress"] = []any{}
	}
	if np.Direction == "egress" || np.Direction == "both" {
		types = append(types, "Egress")
		egress := []any{}
		if np.AllowDNS {
			egress = append(egress, map[string]any{"ports": []any{
				map[string]any{"protocol": "UDP", "port": 53}, map[string]any{"protocol": "TCP", "port": 53}}})
		}
		spec["egress"] = egress
	}
	spec["policyTypes"] = types
	name := policyName(np.Name, f.Target, np.Direction)
	meta := map[string]any{"name": name, "namespace": f.Target.Namespace}
	if !in.cfg.HideMarks {
		// The marks revert and the leftover search need; no label that
		// shows in a plain listing.
		meta["annotations"] = map[string]any{DrillIDAnnotation: f.DrillID, FaultIDAnnotation: f.FaultID}
	}
	manifest := map[string]any{"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": meta, "spec": spec}
	b, err := json.Marshal(manifest)
	if err != nil {
		return err
	}
	rec.Objects = append(rec.Objects, objRecord{Kind: "NetworkPolicy", Namespace: f.Target.Namespace, Name: name, Create: b})
	return nil
}

// policyName is the name of a fault's NetworkPolicy: the designer's choice,
// or a neutral one made from the target and the direction (what a team
// would call such a policy, never "firedrill-…": the drill must not give
// itself away). It is deterministic, so that a record from Prepare finds
// the policy even if Inject crashed.
func policyName(chosen string, t injectors.Target, direction string) string {
	if chosen != "" {
		return chosen
	}
	base := t.Name
	if base == "" || t.Kind == "Pod" {
		base = "default"
		if app := t.Selector["app"]; app != "" {
			base = app
		}
	}
	suffix := direction
	if direction == "both" || direction == "" {
		suffix = "policy"
	}
	n := strings.ToLower(base)
	var b strings.Builder
	for _, r := range n {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') || r == '-' {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	s := b.String()
	if max := 63 - len(suffix) - 1; len(s) > max {
		s = s[:max]
	}
	return strings.Trim(s, "-") + "-" + suffix
}

// planResourceSqueeze plans one change per quantity (limits.memory,
// requests.memory, …), not one for the whole resources block: a participant
// who puts back only the limit must not keep revert from putting back the
// request the fault lowered with it.
func planResourceSqueeze(f injectors.Fault, p any, obj map[string]any, _ *Injector) ([]change, error) {
	rp := p.(*resourceSqueezeParams)
	seg, err := containerSegment(obj, rp.Container)
	if err != nil {
		return nil, err
	}
	base := append(clone(podTemplate), "containers", seg, "resources")
	var out []change
	set := func(name corev1.ResourceName, v, field string) error {
		if v == "" {
			return nil
		}
		q, err := resource.ParseQuantity(v)
		if err != nil {
			return injectors.Errorf(injectors.EINVALID, "params.%s: %q is not a quantity: %v", field, v, err)
		}
		out = append(out, plan(obj, append(clone(base), "limits", string(name)), q.String(), false))
		// A request above the new limit is refused by the API server:
		// lower it to the limit as well.
		reqPath := append(clone(base), "requests", string(name))
		if cur, ok := getPath(obj, reqPath); ok {
			r, err := resource.ParseQuantity(fmt.Sprint(cur))
			if err != nil {
				return fmt.Errorf("read %s: %w", strings.Join(reqPath, "."), err)
			}
			if r.Cmp(q) > 0 {
				out = append(out, plan(obj, reqPath, q.String(), false))
			}
		}
		return nil
	}
	if err := set(corev1.ResourceCPU, rp.CPULimit, "cpuLimit"); err != nil {
		return nil, err
	}
	if err := set(corev1.ResourceMemory, rp.MemoryLimit, "memoryLimit"); err != nil {
		return nil, err
	}
	return out, nil
}

func planHPABounds(f injectors.Fault, p any, obj map[string]any, _ *Injector) ([]change, error) {
	hp := p.(*hpaBoundsParams)
	curMin, curMax := int64(1), int64(0)
	if v, ok := getPath(obj, []string{"spec", "minReplicas"}); ok {
		curMin = toInt64(v)
	}
	if v, ok := getPath(obj, []string{"spec", "maxReplicas"}); ok {
		curMax = toInt64(v)
	}
	newMin, newMax := curMin, curMax
	if hp.MinReplicas != nil {
		newMin = *hp.MinReplicas
	}
	if hp.MaxReplicas != nil {
		newMax = *hp.MaxReplicas
	}
	if newMin > newMax {
		return nil, injectors.Errorf(injectors.EINVALID, "params: minReplicas %d would exceed maxReplicas %d", newMin, newMax)
	}
	var out []change
	if hp.MinReplicas != nil {
		out = append(out, plan(obj, []string{"spec", "minReplicas"}, newMin, false))
	}
	if hp.MaxReplicas != nil {
		out = append(out, plan(obj, []string{"spec", "maxReplicas"}, newMax, false))
	}
	return out, nil
}

func toInt64(v any) int64 {
	switch n := v.(type) {
	case int64:
		return n
	case float64:
		return int64(n)
	case json.Number:
		i, _ := n.Int64()
		return i
	}
	return 0
}

func prepareNodeCordon(ctx context.Context, in *Injector, f injectors.Fault, p any, rec *record) error {
	np := p.(*nodeCordonParams)
	if f.Target.Name == "" {
		return injectors.Errorf(injectors.EINVALID, "target.name: the node to cordon is required")
	}
	f.Target.Kind = "Node"
	o, err := in.planObject(ctx, f, "Node", "", f.Target.Name, func(obj map[string]any) ([]change, error) {
		lbl, _ := getPath(obj, []string{"metadata", "labels", DrillTargetLabel})
		if lbl != "true" {
			return nil, injectors.Errorf(injectors.EFORBIDDEN, "node %q is not opted in to drills: label it %s=true to allow cordoning it", f.Target.Name, DrillTargetLabel)
		}
		return []change{plan(obj, []string{"spec", "unschedulable"}, true, false)}, nil
	})
	if err != nil {
		return err
	}
	rec.Objects = append(rec.Objects, o)
	if !np.Drain {
		return nil
	}
	pods, err := in.cs.CoreV1().Pods("").List(ctx, metav1.ListOptions{FieldSelector: "spec.nodeName=" + f.Target.Name})
	if err != nil {
		return fmt.Errorf("list pods on node %s: %w", f.Target.Name, err)
	}
	allowed := map[string]bool{}
	for _, pod := range pods.Items {
		if pod.DeletionTimestamp != nil || ownedByDaemonSet(&pod) {
			continue
		}
		ok, seen := allowed[pod.Namespace]
		if !seen {
			ok = in.checkNamespace(ctx, pod.Namespace, true) == nil
			allowed[pod.Namespace] = ok
		}
		if ok {
			rec.Objects = append(rec.Objects, objRecord{Kind: "Pod", Namespace: pod.Namespace, Name: pod.Name, UID: string(pod.UID), Evict: true})
		}
	}
	return nil
}

func ownedByDaemonSet(p *corev1.Pod) bool {
	for _, o := range p.OwnerReferences {
		if o.Kind == "DaemonSet" {
			return true
		}
	}
	return false
}

// planTrafficSurge multiplies the number in the load generator's rate
// variable by the factor, rounded to a whole number of requests.
func planTrafficSurge(f injectors.Fault, p any, obj map[string]any, _ *Injector) ([]change, error) {
	tp := p.(*trafficSurgeParams)
	seg, err := containerSegment(obj, tp.Container)
	if err != nil {
		return nil, err
	}
	name := tp.Variable
	if name == "" {
		name = "RPS"
	}
	path := append(clone(podTemplate), "containers", seg, "env", "[name="+name+"]")
	cur, _ := getPath(obj, path)
	entry, _ := cur.(map[string]any)
	v, _ := entry["value"].(string)
	rate, err := strconv.ParseFloat(v, 64)
	if err != nil || rate < 0 {
		return nil, injectors.Errorf(injectors.EINVALID, "params.variable: %s of %s has no variable %s holding a request rate (found %q); name the load generator's rate variable", f.Target.Kind, f.Target.Name, name, v)
	}
	surged := strconv.FormatFloat(math.Round(rate*tp.Factor), 'f', -1, 64)
	return []change{plan(obj, path, map[string]any{"name": name, "value": surged}, false)}, nil
}
