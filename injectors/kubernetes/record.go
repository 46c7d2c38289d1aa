package kubernetes

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilnet "k8s.io/apimachinery/pkg/util/net"

	"github.com/firedrill/firedrill/injectors"
)

// recordVersion is the format version of revert records.
const recordVersion = 1

// record is the revert record: everything needed to revert a fault, with no
// other state. It is JSON so that a person can read it in the database.
type record struct {
	V       int    `json:"v"`
	Context string `json:"context"`
	DrillID string `json:"drillId"`
	FaultID string `json:"faultId"`
	Type    string `json:"type"`
	// Objects are the objects the fault changes, creates or deletes.
	Objects []objRecord `json:"objects,omitempty"`
	// ReadyBefore is the number of ready pods matching the selector when the
	// fault was prepared (pod-delete), for Status.
	ReadyBefore int               `json:"readyBefore,omitempty"`
	Selector    map[string]string `json:"selector,omitempty"`
	Namespace   string            `json:"namespace,omitempty"`
}

// objRecord is one object of a fault.
type objRecord struct {
	Kind      string `json:"kind"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
	// UID pins the object: a later object of the same name is a different
	// object and is never touched by Revert.
	UID string `json:"uid,omitempty"`
	// Changes are field changes (for changed objects).
	Changes []change `json:"changes,omitempty"`
	// Create is the manifest of an object the fault creates; Revert deletes
	// the object when it still carries this fault's annotation.
	Create json.RawMessage `json:"create,omitempty"`
	// Delete marks an object the fault deletes (pods); nothing to revert.
	Delete bool `json:"delete,omitempty"`
	// Evict marks a pod the fault evicts (node drain); nothing to revert.
	Evict bool `json:"evict,omitempty"`
	// Seen is the object as Prepare read it, for Inject's one-call path;
	// Revert does not use it.
	Seen *seenObject `json:"seen,omitempty"`
	// Subresource is where the changes are written when not the object
	// itself ("resize" for a running pod's resources). A subresource keeps
	// no annotations: such an object carries no marks.
	Subresource string `json:"subresource,omitempty"`
	// Controlled says the pod had a controller (its ReplicaSet) when the
	// fault was prepared (pod-slow): a pod its controller let go of since
	// was isolated by the participants, and Revert removes it.
	Controlled bool `json:"controlled,omitempty"`
}

// subresources is the subresource argument of the writes to o.
func (o objRecord) subresources() []string {
	if o.Subresource == "" {
		return nil
	}
	return []string{o.Subresource}
}

// seenObject is what Inject needs to apply a plan in one call when the
// object is still at the version Prepare read: that version, and
// firedrill's marks on it then.
type seenObject struct {
	ResourceVersion string `json:"resourceVersion"`
	// Annotated is whether the object had annotations at all.
	Annotated bool `json:"annotated,omitempty"`
	// FaultIDs is the fault-id annotation it carried (layered faults).
	FaultIDs string `json:"faultIds,omitempty"`
}

// change is one field change. A value is JSON; Absent means the field does
// not exist.
type change struct {
	Path         []string        `json:"path"`
	Before       json.RawMessage `json:"before,omitempty"`
	BeforeAbsent bool            `json:"beforeAbsent,omitempty"`
	After        json.RawMessage `json:"after,omitempty"`
	AfterAbsent  bool            `json:"afterAbsent,omitempty"`
	// Marker changes are side changes (the rollout restart of a workload
	// that reads a changed ConfigMap): reverted like the others but not part
	// of the fault's effect that Status reports.
	Marker bool `json:"marker,omitempty"`
}

func (c change) pathString() string { return strings.Join(c.Path, ".") }

func decodeRecord(b []byte) (*record, error) {
	if len(b) == 0 {
		return nil, injectors.Errorf(injectors.EINVALID, "revert record is empty")
	}
	var r record
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return nil, injectors.Errorf(injectors.EINVALID, "revert record is not a kubernetes record: %v", err)
	}
	if r.V != recordVersion {
		return nil, injectors.Errorf(injectors.EINVALID, "revert record version %d is not supported, expected %d", r.V, recordVersion)
	}
	return &r, nil
}

func encodeRecord(r *record) ([]byte, error) { return json.Marshal(r) }

// Field paths address values inside an object: map keys, and "[name=x]" for
// the element of a list of named objects (containers, env).

func listSelector(seg string) (string, bool) {
	if strings.HasPrefix(seg, "[name=") && strings.HasSuffix(seg, "]") {
		return seg[len("[name=") : len(seg)-1], true
	}
	return "", false
}

// getPath returns the value at path and whether it exists.
func getPath(obj map[string]any, path []string) (any, bool) {
	var cur any = obj
	for _, seg := range path {
		if name, ok := listSelector(seg); ok {
			list, ok := cur.([]any)
			if !ok {
				return nil, false
			}
			found := false
			for _, e := range list {
				if m, ok := e.(map[string]any); ok && m["name"] == name {
					cur, found = m, true
					break
				}
			}
			if !found {
				return nil, false
			}
			continue
		}
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[seg]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// setPath sets (or, when absent, removes) the value at path, creating maps
// and named list elements on the way when setting.
func setPath(obj map[string]any, path []string, v any, absent bool) error {
	if len(path) == 0 {
		return errors.New("empty path")
	}
	_, err := setIn(obj, path, v, absent)
	return err
}

func setIn(cur any, path []string, v any, absent bool) (any, error) {
	seg := path[0]
	if name, ok := listSelector(seg); ok {
		list, isList := cur.([]any)
		if cur != nil && !isList {
			return nil, fmt.Errorf("%s: not a list", seg)
		}
		idx := -1
		for j, e := range list {
			if m, ok := e.(map[string]any); ok && m["name"] == name {
				idx = j
				break
			}
		}
		if len(path) == 1 {
			switch {
			case absent && idx >= 0:
				return append(list[:idx:idx], list[idx+1:]...), nil
			case absent:
				return list, nil
			case idx >= 0:
				list[idx] = v
				return list, nil
			default:
				return append(list, v), nil
			}
		}
		if idx < 0 {
			if absent {
				return list, nil
			}
			list = append(list, map[string]any{"name": name})
			idx = len(list) - 1
		}
		ne, err := setIn(list[idx], path[1:], v, absent)
		if err != nil {
			return nil, err
		}
		list[idx] = ne
		return list, nil
	}
	m, isMap := cur.(map[string]any)
	if cur != nil && !isMap {
		return nil, fmt.Errorf("%s: parent is not an object", seg)
	}
	if m == nil {
		m = map[string]any{}
	}
	if len(path) == 1 {
		if absent {
			delete(m, seg)
		} else {
			m[seg] = v
		}
		return m, nil
	}
	child, ok := m[seg]
	if (!ok || child == nil) && absent {
		return m, nil
	}
	nc, err := setIn(child, path[1:], v, absent)
	if err != nil {
		return nil, err
	}
	m[seg] = nc
	return m, nil
}

// valueJSON encodes v canonically (map keys sorted) for comparison.
func valueJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		return json.RawMessage(fmt.Sprintf("%q", err.Error()))
	}
	return b
}

// matches says whether the field at path currently holds the given value.
func matches(obj map[string]any, path []string, want json.RawMessage, wantAbsent bool) bool {
	v, ok := getPath(obj, path)
	if wantAbsent {
		return !ok
	}
	if !ok {
		return false
	}
	var w any
	if err := json.Unmarshal(want, &w); err != nil {
		return false
	}
	return bytes.Equal(valueJSON(v), valueJSON(w))
}

// plan builds a change setting path to v (absent when remove) on obj. When
// parents of path are missing, the change is planned on the topmost missing
// one instead (e.g. a container's whole env list), so that Revert removes
// what the fault created rather than leaving empty lists and maps behind.
func plan(obj map[string]any, path []string, v any, remove bool) change {
	c := change{Path: path}
	if cur, ok := getPath(obj, path); ok {
		c.Before = valueJSON(cur)
	} else {
		c.BeforeAbsent = true
	}
	if remove {
		c.AfterAbsent = true
		return c
	}
	c.After = valueJSON(v)
	if !c.BeforeAbsent {
		return c
	}
	for i := 1; i < len(path); i++ {
		if _, ok := getPath(obj, path[:i]); ok {
			continue
		}
		var scratch map[string]any
		_ = json.Unmarshal(valueJSON(obj), &scratch)
		if err := setPath(scratch, path, v, false); err != nil {
			return c // the apply reports it
		}
		top, _ := getPath(scratch, path[:i])
		return change{Path: clone(path[:i]), BeforeAbsent: true, After: valueJSON(top)}
	}
	return c
}

// mark writes the marks on obj when the injector is configured to.
func (in *Injector) mark(obj *unstructured.Unstructured, drillID, faultID string) {
	if !in.cfg.HideMarks {
		addMarks(obj, drillID, faultID)
	}
}

// holdsInjected reports whether every change holds its injected value on
// obj: how Inject recognises an object it already injected when it wrote no
// marks.
func holdsInjected(obj *unstructured.Unstructured, changes []change) bool {
	for _, c := range changes {
		if !matches(obj.Object, c.Path, c.After, c.AfterAbsent) {
			return false
		}
	}
	return len(changes) > 0
}

// addMarks writes firedrill's annotations on a changed object: the drill id,
// and this fault's id added to the comma-separated list of the faults that
// changed it (layered faults can share an object).
func addMarks(obj *unstructured.Unstructured, drillID, faultID string) {
	a := obj.GetAnnotations()
	if a == nil {
		a = map[string]string{}
	}
	a[DrillIDAnnotation] = drillID
	ids := splitIDs(a[FaultIDAnnotation])
	if !slices.Contains(ids, faultID) {
		ids = append(ids, faultID)
	}
	a[FaultIDAnnotation] = strings.Join(ids, ",")
	obj.SetAnnotations(a)
}

// removeMarks takes this fault's id off the object, and both annotations
// when no other fault of the object is left. It reports whether it changed
// anything.
func removeMarks(obj *unstructured.Unstructured, faultID string) bool {
	a := obj.GetAnnotations()
	cur, ok := a[FaultIDAnnotation]
	if !ok {
		return false
	}
	ids := splitIDs(cur)
	i := slices.Index(ids, faultID)
	if i < 0 {
		return false
	}
	ids = slices.Delete(ids, i, i+1)
	if len(ids) == 0 {
		delete(a, FaultIDAnnotation)
		delete(a, DrillIDAnnotation)
	} else {
		a[FaultIDAnnotation] = strings.Join(ids, ",")
	}
	if len(a) == 0 {
		a = nil
	}
	obj.SetAnnotations(a)
	return true
}

// hasMark says whether faultID is among the faults marked on the object.
func hasMark(obj *unstructured.Unstructured, faultID string) bool {
	return slices.Contains(splitIDs(obj.GetAnnotations()[FaultIDAnnotation]), faultID)
}

func splitIDs(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func applyAfter(obj *unstructured.Unstructured, changes []change) error {
	for _, c := range changes {
		var v any
		if !c.AfterAbsent {
			if err := json.Unmarshal(c.After, &v); err != nil {
				return err
			}
		}
		if err := setPath(obj.Object, c.Path, v, c.AfterAbsent); err != nil {
			return fmt.Errorf("set %s: %w", c.pathString(), err)
		}
	}
	return nil
}

// revertChanges puts back, on obj, every field that still holds its injected
// value, and returns whether it changed anything.
func revertChanges(obj *unstructured.Unstructured, changes []change) (bool, error) {
	changed := false
	for _, c := range changes {
		if !matches(obj.Object, c.Path, c.After, c.AfterAbsent) {
			continue // healed or edited since: leave it alone
		}
		if matches(obj.Object, c.Path, c.Before, c.BeforeAbsent) {
			continue
		}
		var v any
		if !c.BeforeAbsent {
			if err := json.Unmarshal(c.Before, &v); err != nil {
				return false, err
			}
		}
		if err := setPath(obj.Object, c.Path, v, c.BeforeAbsent); err != nil {
			return false, fmt.Errorf("restore %s: %w", c.pathString(), err)
		}
		changed = true
	}
	// An emptied annotations map is dropped, as it was before.
	if ann, ok := getPath(obj.Object, []string{"metadata", "annotations"}); ok {
		if m, ok := ann.(map[string]any); ok && len(m) == 0 {
			delete(obj.Object["metadata"].(map[string]any), "annotations")
		}
	}
	return changed, nil
}

// retryable reports whether err is worth retrying: the API server is down,
// overloaded, or the connection broke.
func retryable(err error) bool {
	if err == nil {
		return false
	}
	if apierrors.IsServerTimeout(err) || apierrors.IsTimeout(err) || apierrors.IsTooManyRequests(err) ||
		apierrors.IsServiceUnavailable(err) || apierrors.IsInternalError(err) || apierrors.IsUnexpectedServerError(err) {
		return true
	}
	if utilnet.IsConnectionRefused(err) || utilnet.IsConnectionReset(err) || utilnet.IsProbableEOF(err) || utilnet.IsTimeout(err) {
		return true
	}
	msg := err.Error()
	return strings.Contains(msg, "connection refused") || strings.Contains(msg, "EOF") ||
		strings.Contains(msg, "http2: client connection lost") || strings.Contains(msg, "server is currently unable")
}

// retry runs fn until it succeeds, fails with a non-transient error, or ctx
// ends; transient failures back off from 50 ms to 1 s.
func (in *Injector) retry(ctx context.Context, fn func() error) error {
	delay := 50 * time.Millisecond
	for {
		err := fn()
		if !retryable(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (gave up: %v)", err, ctx.Err())
		case <-in.clk.After(delay):
		}
		if delay *= 2; delay > time.Second {
			delay = time.Second
		}
	}
}
