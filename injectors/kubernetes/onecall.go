package kubernetes

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/firedrill/firedrill/injectors"
)

// injectInOneCall applies the plan in one API call instead of a read and a
// write when the object is still the version Prepare read: a patch that
// the API server applies only to that version (so Prepare's "before"
// values and marks are exactly what is there), which sets the fields and
// adds the marks, atomically or not at all. done is false when the plan
// does not fit (list items, no version seen) or the object changed since
// Prepare (or an earlier attempt wrote it): the caller then reads and
// re-plans.
func (in *Injector) injectInOneCall(ctx context.Context, f injectors.Fault, o objRecord) (done bool, err error) {
	k, known := kinds[o.Kind]
	if !known || o.UID == "" || o.Seen == nil || o.Seen.ResourceVersion == "" || len(o.Changes) == 0 {
		return false, nil
	}
	ns := ""
	if k.namespaced {
		ns = o.Namespace
	}
	var marks map[string]string
	if !in.cfg.HideMarks && o.Subresource == "" {
		ids := splitIDs(o.Seen.FaultIDs)
		if !slices.Contains(ids, f.FaultID) {
			ids = append(ids, f.FaultID)
		}
		marks = map[string]string{DrillIDAnnotation: f.DrillID, FaultIDAnnotation: strings.Join(ids, ",")}
	}
	pt, body, ok := mergePatchOnVersion(o, marks)
	if !ok {
		if pt, body, ok = jsonPatchOnVersion(o, marks); !ok {
			return false, nil
		}
	}
	// The answer (the whole object) is not decoded: nothing of it is used.
	err = in.retry(ctx, func() error {
		return in.cs.Patch(ctx, k.gvr, ns, o.Name, pt, body, metav1.PatchOptions{FieldManager: "firedrill"}, o.subresources()...)
	})
	if err == nil {
		return true, nil
	}
	if ctx.Err() != nil {
		return false, err
	}
	// The object changed (a conflict, or a failed test), is gone, or the
	// server refused the patch otherwise: the read-and-write path is the
	// authority.
	return false, nil
}

// mergePatchOnVersion returns the plan of o as a JSON merge patch (RFC
// 7386) that carries o's UID and the resourceVersion Prepare read: the API
// server refuses it when the object is another one (the UID is immutable)
// or another version (a conflict), and otherwise applies it to exactly
// what Prepare read. The API server applies a merge patch measurably
// cheaper than the JSON patch of the same change (~0.2 ms of a ~2 ms
// PATCH, issue 13). ok is false when a merge patch cannot say the plan: a
// subresource (it may not check the UID), a list item, a value that is an
// object (a merge patch merges into it instead of replacing it) or null (a
// merge patch deletes the field instead), or paths that overlap.
func mergePatchOnVersion(o objRecord, marks map[string]string) (types.PatchType, []byte, bool) {
	if o.Subresource != "" {
		return "", nil, false
	}
	meta := map[string]any{"uid": o.UID, "resourceVersion": o.Seen.ResourceVersion}
	patch := map[string]any{"metadata": meta}
	if len(marks) > 0 {
		annotations := make(map[string]any, len(marks))
		for k, v := range marks {
			annotations[k] = v
		}
		meta["annotations"] = annotations
	}
	for _, c := range o.Changes {
		var v any // nil: the field is removed
		switch {
		case c.AfterAbsent && c.BeforeAbsent:
			continue
		case !c.AfterAbsent:
			after := bytes.TrimSpace(c.After)
			if len(after) == 0 || after[0] == '{' || after[0] == 'n' || !json.Valid(after) {
				return "", nil, false
			}
			v = json.RawMessage(after)
		}
		if !setNew(patch, c.Path, v) {
			return "", nil, false
		}
	}
	body, err := json.Marshal(patch)
	if err != nil {
		return "", nil, false
	}
	return types.MergePatchType, body, true
}

// setNew sets path to v in the nested maps of m, creating them, unless a
// segment is a list selector, the path crosses a value that is not a map,
// or the field is set already (or is metadata's uid or resourceVersion).
func setNew(m map[string]any, path []string, v any) bool {
	if len(path) == 0 || len(path) == 2 && path[0] == "metadata" && (path[1] == "uid" || path[1] == "resourceVersion") {
		return false
	}
	for i, seg := range path {
		if _, ok := listSelector(seg); ok {
			return false
		}
		cur, exists := m[seg]
		if i == len(path)-1 {
			if exists {
				return false
			}
			m[seg] = v
			return true
		}
		if !exists {
			next := map[string]any{}
			m[seg] = next
			m = next
			continue
		}
		next, ok := cur.(map[string]any)
		if !ok {
			return false
		}
		m = next
	}
	return false
}

// jsonPatchOnVersion returns the plan of o as a JSON patch whose tests
// check the UID and resourceVersion Prepare read and whose other
// operations set the fields and add the marks; ok is false for a path
// through a list item.
func jsonPatchOnVersion(o objRecord, marks map[string]string) (types.PatchType, []byte, bool) {
	ops := []map[string]any{
		{"op": "test", "path": "/metadata/uid", "value": o.UID},
		{"op": "test", "path": "/metadata/resourceVersion", "value": o.Seen.ResourceVersion},
	}
	for _, c := range o.Changes {
		ptr, ok := jsonPointer(c.Path)
		if !ok {
			return "", nil, false
		}
		if c.AfterAbsent {
			if !c.BeforeAbsent {
				ops = append(ops, map[string]any{"op": "remove", "path": ptr})
			}
			continue
		}
		after, ok := jsonValue(c.After)
		if !ok {
			return "", nil, false
		}
		ops = append(ops, map[string]any{"op": "add", "path": ptr, "value": after})
	}
	if len(marks) > 0 {
		if !o.Seen.Annotated {
			ops = append(ops, map[string]any{"op": "add", "path": "/metadata/annotations", "value": marks})
		} else {
			for _, k := range []string{DrillIDAnnotation, FaultIDAnnotation} {
				ops = append(ops, map[string]any{"op": "add", "path": annotationPointer(k), "value": marks[k]})
			}
		}
	}
	body, err := json.Marshal(ops)
	if err != nil {
		return "", nil, false
	}
	return types.JSONPatchType, body, true
}
