package kubernetes

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/util/retry"

	"github.com/firedrill/firedrill/injectors"
)

// Participant is what a person does with kubectl during a drill, for robot
// participants (firedrill rehearse): it knows how the fault targets looked
// before the drill, as a person knows them from the manifests in git, and
// fixes a fault by putting its target back through the cluster API — a
// ConfigMap or Secret key, a workload's spec (scale, rollout undo, set
// resources), a CronJob's suspend — and by deleting the NetworkPolicies the
// manifests do not have. It never reads a revert record: firedrill learns
// of the fix only from the fault's probes.
type Participant struct {
	in *Injector

	mu   sync.Mutex
	base map[string]*unstructured.Unstructured // kind/ns/name → object before the drill
	// policies are the NetworkPolicies of each namespace before the drill.
	policies map[string]map[string]bool
}

// Participant returns a participant working on the injector's cluster.
func (in *Injector) Participant() (*Participant, error) {
	if err := in.ready(); err != nil {
		return nil, err
	}
	return &Participant{in: in, base: map[string]*unstructured.Unstructured{}, policies: map[string]map[string]bool{}}, nil
}

func objKey(kind, ns, name string) string { return kind + "/" + ns + "/" + name }

// Baseline notes the targets as they are now, before the drill: each
// object a target names (or its selector matches), and the NetworkPolicies
// of its namespace.
func (p *Participant) Baseline(ctx context.Context, targets []injectors.Target) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, t := range targets {
		objs, err := p.objects(ctx, t)
		if err != nil {
			return fmt.Errorf("baseline %s %s/%s: %w", t.Kind, t.Namespace, t.Name, err)
		}
		for _, o := range objs {
			p.base[objKey(t.Kind, o.GetNamespace(), o.GetName())] = o.DeepCopy()
		}
		if t.Namespace == "" || p.policies[t.Namespace] != nil {
			continue
		}
		names, err := p.policyNames(ctx, t.Namespace)
		if err != nil {
			return fmt.Errorf("baseline network policies of %s: %w", t.Namespace, err)
		}
		p.policies[t.Namespace] = names
	}
	return nil
}

// objects returns the objects a target names or selects.
func (p *Participant) objects(ctx context.Context, t injectors.Target) ([]*unstructured.Unstructured, error) {
	if t.Kind == "" {
		return nil, nil
	}
	res, err := p.in.resource(t.Kind, t.Namespace)
	if err != nil {
		return nil, err
	}
	if t.Name != "" {
		o, err := res.Get(ctx, t.Name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		return []*unstructured.Unstructured{o}, nil
	}
	l, err := res.List(ctx, metav1.ListOptions{LabelSelector: labels.SelectorFromSet(t.Selector).String()})
	if err != nil {
		return nil, err
	}
	out := make([]*unstructured.Unstructured, len(l.Items))
	for i := range l.Items {
		out[i] = &l.Items[i]
	}
	return out, nil
}

func (p *Participant) policyNames(ctx context.Context, ns string) (map[string]bool, error) {
	res, err := p.in.resource("NetworkPolicy", ns)
	if err != nil {
		return nil, err
	}
	l, err := res.List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	names := map[string]bool{}
	for _, o := range l.Items {
		names[o.GetName()] = true
	}
	return names, nil
}

// Fix puts the target back as the baseline has it: for a ConfigMap or
// Secret, the key when one is given (every key otherwise); for any other
// kind, its spec. With strayPolicies (a network fault), the NetworkPolicies
// of the namespace that were not there before the drill are deleted too.
// It returns what it did, in kubectl's words.
func (p *Participant) Fix(ctx context.Context, t injectors.Target, key string, strayPolicies bool) ([]string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var did []string
	objs, err := p.objects(ctx, t)
	if err != nil {
		return nil, err
	}
	for _, o := range objs {
		b, ok := p.base[objKey(t.Kind, o.GetNamespace(), o.GetName())]
		if !ok {
			continue // made during the drill: not in the manifests
		}
		what, err := p.restore(ctx, t.Kind, b, key)
		if err != nil {
			return did, err
		}
		did = append(did, what)
	}
	if strayPolicies && t.Namespace != "" {
		gone, err := p.deleteStrayPolicies(ctx, t.Namespace)
		if err != nil {
			return did, err
		}
		did = append(did, gone...)
	}
	if len(did) == 0 {
		return nil, injectors.Errorf(injectors.ENOTFOUND, "nothing to fix: %s %s/%s was not in the baseline", t.Kind, t.Namespace, t.Name)
	}
	return did, nil
}

// restore writes the baseline's fields back into the live object, with
// conflict retries, as `kubectl edit` does.
func (p *Participant) restore(ctx context.Context, kind string, base *unstructured.Unstructured, key string) (string, error) {
	res, err := p.in.resource(kind, base.GetNamespace())
	if err != nil {
		return "", err
	}
	what := fmt.Sprintf("kubectl edit %s %s/%s", strings.ToLower(kind), base.GetNamespace(), base.GetName())
	err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
		live, err := res.Get(ctx, base.GetName(), metav1.GetOptions{})
		if err != nil {
			return err
		}
		switch kind {
		case "ConfigMap", "Secret":
			for _, field := range []string{"data", "binaryData"} {
				restoreMap(live.Object, base.Object, field, key)
			}
		default:
			spec, ok := base.Object["spec"]
			if !ok {
				return nil
			}
			live.Object["spec"] = runtimeCopy(spec)
		}
		_, err = res.Update(ctx, live, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		return "", fmt.Errorf("%s: %w", what, err)
	}
	return what, nil
}

// restoreMap puts field (data) of base back into live: only key when it is
// given, the whole map otherwise.
func restoreMap(live, base map[string]any, field, key string) {
	bm, _ := base[field].(map[string]any)
	if key == "" {
		if bm == nil {
			delete(live, field)
			return
		}
		live[field] = runtimeCopy(bm)
		return
	}
	lm, _ := live[field].(map[string]any)
	v, had := bm[key]
	switch {
	case had && lm == nil:
		live[field] = map[string]any{key: v}
	case had:
		lm[key] = v
	case lm != nil:
		delete(lm, key)
	}
}

func runtimeCopy(v any) any { return runtime.DeepCopyJSONValue(v) }

// deleteStrayPolicies deletes the NetworkPolicies of ns the baseline does
// not have (`kubectl delete networkpolicy`).
func (p *Participant) deleteStrayPolicies(ctx context.Context, ns string) ([]string, error) {
	before, ok := p.policies[ns]
	if !ok {
		return nil, nil
	}
	now, err := p.policyNames(ctx, ns)
	if err != nil {
		return nil, err
	}
	res, err := p.in.resource("NetworkPolicy", ns)
	if err != nil {
		return nil, err
	}
	var names []string
	for n := range now {
		if !before[n] {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	var did []string
	for _, n := range names {
		if err := res.Delete(ctx, n, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			return did, fmt.Errorf("kubectl delete networkpolicy %s/%s: %w", ns, n, err)
		}
		did = append(did, fmt.Sprintf("kubectl delete networkpolicy %s/%s", ns, n))
	}
	return did, nil
}
