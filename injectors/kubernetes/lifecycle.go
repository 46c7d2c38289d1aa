package kubernetes

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"

	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"

	"github.com/firedrill/firedrill/injectors"
)

// Validate checks the fault's type, target and params, that the safety
// rails allow it, and runs every write it would make as a server-side dry
// run. It changes nothing.
func (in *Injector) Validate(ctx context.Context, f injectors.Fault) error {
	rec, err := in.prepare(ctx, f)
	if err != nil {
		return err
	}
	dry := []string{metav1.DryRunAll}
	for _, o := range rec.Objects {
		res, err := in.resource(o.Kind, o.Namespace)
		if err != nil {
			return err
		}
		switch {
		case o.Create != nil:
			var u unstructured.Unstructured
			if err := json.Unmarshal(o.Create, &u.Object); err != nil {
				return err
			}
			_, err = res.Create(ctx, &u, metav1.CreateOptions{DryRun: dry})
			if apierrors.IsAlreadyExists(err) {
				err = nil
			}
		case o.Delete:
			err = res.Delete(ctx, o.Name, metav1.DeleteOptions{DryRun: dry})
		case o.Evict:
			err = in.cs.PolicyV1().Evictions(o.Namespace).Evict(ctx, &policyv1.Eviction{
				ObjectMeta: metav1.ObjectMeta{Name: o.Name, Namespace: o.Namespace}, DeleteOptions: &metav1.DeleteOptions{DryRun: dry}})
		default:
			// Controllers write status all the time: retry a conflicting
			// dry run on a fresh read.
			for attempt := 0; attempt < 5; attempt++ {
				var obj *unstructured.Unstructured
				if obj, err = res.Get(ctx, o.Name, metav1.GetOptions{}); err == nil {
					if err = applyAfter(obj, o.Changes); err == nil {
						in.mark(obj, f.DrillID, f.FaultID)
						_, err = res.Update(ctx, obj, metav1.UpdateOptions{DryRun: dry}, o.subresources()...)
					}
				}
				if !apierrors.IsConflict(err) {
					break
				}
			}
		}
		if err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("validate %s: dry run on %s: %w", f.FaultID, objName(o), explain(err))
		}
	}
	return nil
}

// Prepare plans the fault against the current state of the cluster and
// returns the revert record. It changes nothing.
func (in *Injector) Prepare(ctx context.Context, f injectors.Fault) ([]byte, error) {
	rec, err := in.prepare(ctx, f)
	if err != nil {
		return nil, err
	}
	return encodeRecord(rec)
}

// prepare checks the fault and plans it.
func (in *Injector) prepare(ctx context.Context, f injectors.Fault) (*record, error) {
	if err := in.ready(); err != nil {
		return nil, err
	}
	ft, ok := faultTypeByName(f.Type)
	if !ok {
		return nil, injectors.Errorf(injectors.EINVALID, "fault type %q is not a kubernetes fault type, expected one of %s", f.Type, strings.Join(faultTypeNames(), ", "))
	}
	if f.FaultID == "" || f.DrillID == "" {
		return nil, injectors.Errorf(injectors.EINVALID, "fault %q: drill id and fault id are required (they mark every touched object)", f.FaultID)
	}
	if kinds := ft.kinds(); len(kinds) > 0 && f.Target.Kind != "" && !slices.Contains(kinds, f.Target.Kind) {
		return nil, injectors.Errorf(injectors.EINVALID, "fault %s: target.kind %q is not supported by %s, expected one of %s", f.FaultID, f.Target.Kind, f.Type, strings.Join(kinds, ", "))
	}
	p := ft.params()
	if err := decodeParams(f.Type, f.Params, p); err != nil {
		return nil, fmt.Errorf("fault %s: %w", f.FaultID, err)
	}
	// The namespace check and the plan only read: they run side by side,
	// and a refused namespace wins over whatever the plan found.
	nsErr := make(chan error, 1)
	if f.Target.Kind != "Node" {
		go func() { nsErr <- in.checkNamespace(ctx, f.Target.Namespace, true) }()
	} else {
		nsErr <- nil
	}
	rec := &record{V: recordVersion, Context: in.context, DrillID: f.DrillID, FaultID: f.FaultID, Type: f.Type}
	err := ft.prepare(ctx, in, f, p, rec)
	if nerr := <-nsErr; nerr != nil {
		return nil, fmt.Errorf("fault %s: %w", f.FaultID, nerr)
	}
	if err != nil {
		return nil, fmt.Errorf("prepare %s: %w", f.FaultID, err)
	}
	return rec, nil
}

// planObject reads an object and plans changes on it with planFn, adding
// firedrill's annotations unless marker is false.
func (in *Injector) planObject(ctx context.Context, f injectors.Fault, kind, ns, name string, planFn func(obj map[string]any) ([]change, error)) (objRecord, error) {
	res, err := in.resource(kind, ns)
	if err != nil {
		return objRecord{}, err
	}
	var obj *unstructured.Unstructured
	err = in.retry(ctx, func() error {
		var err error
		obj, err = res.Get(ctx, name, metav1.GetOptions{})
		return err
	})
	if apierrors.IsNotFound(err) {
		return objRecord{}, injectors.Errorf(injectors.ENOTFOUND, "%s %s not found in context %q", kind, nsName(ns, name), in.context)
	} else if err != nil {
		return objRecord{}, fmt.Errorf("get %s %s: %w", kind, nsName(ns, name), err)
	}
	changes, err := planFn(obj.Object)
	if err != nil {
		return objRecord{}, err
	}
	a := obj.GetAnnotations()
	seen := &seenObject{ResourceVersion: obj.GetResourceVersion(), Annotated: a != nil, FaultIDs: a[FaultIDAnnotation]}
	return objRecord{Kind: kind, Namespace: ns, Name: name, UID: string(obj.GetUID()), Changes: changes, Seen: seen}, nil
}

// Inject applies the fault planned in record (Prepare's) and returns the
// refined record. It does not repeat Prepare's reads: each object is read
// once, right before it is written. An object that already carries this
// fault's annotation (Inject retried after a crash) keeps the values
// recorded before; any other object takes its "before" values from that
// read, so that changes made between Prepare and Inject are what Revert
// restores. When a write fails after others succeeded, Inject returns the
// error with the partial-inject record (every object of Prepare's record,
// the written ones as written), which the caller persists and reverts with.
func (in *Injector) Inject(ctx context.Context, f injectors.Fault, recBytes []byte) ([]byte, error) {
	if err := in.ready(); err != nil {
		return nil, err
	}
	old, err := decodeRecord(recBytes)
	if err != nil {
		return nil, err
	}
	if old.FaultID != f.FaultID || old.Type != f.Type {
		return nil, injectors.Errorf(injectors.EINVALID, "inject %s: the record is for fault %s (%s)", f.FaultID, old.FaultID, old.Type)
	}
	if err := in.checkContext(old); err != nil {
		return nil, err
	}
	// Prepare's plan is the plan: Inject does not read again what Prepare
	// read (the namespace, each object). Each object is read once right
	// before it is written, and its "before" values are taken from that
	// read, so a change made since Prepare is what Revert restores.
	fresh := *old
	fresh.Objects = slices.Clone(old.Objects)
	for i, o := range fresh.Objects {
		var err error
		switch {
		case o.Create != nil:
			// The created object's UID pins it for Revert and Status.
			fresh.Objects[i].UID, err = in.injectCreate(ctx, f.FaultID, o)
		case o.Delete:
			err = in.injectDelete(ctx, o)
		case o.Evict:
			err = in.injectEvict(ctx, o)
		default:
			var prev *objRecord
			for j := range old.Objects {
				if old.Objects[j].Kind == o.Kind && old.Objects[j].Namespace == o.Namespace && old.Objects[j].Name == o.Name {
					prev = &old.Objects[j]
				}
			}
			fresh.Objects[i], err = in.injectChanges(ctx, f, o, prev)
		}
		if err != nil {
			if i == 0 && injectors.ErrorCode(err) == injectors.ECONFLICT {
				// A stale record, found before anything was written.
				return nil, fmt.Errorf("inject %s: %w", f.FaultID, err)
			}
			// Return what is in place so far: the caller persists it and can
			// revert.
			b, _ := encodeRecord(mergeRecords(old, &fresh))
			return b, fmt.Errorf("inject %s: %s: %w", f.FaultID, objName(o), explain(err))
		}
	}
	if reflect.DeepEqual(fresh.Objects, old.Objects) {
		// Written as planned (the one-call path): the record is the one
		// the caller persisted, returned without encoding it again.
		return recBytes, nil
	}
	return encodeRecord(&fresh)
}

// mergeRecords keeps, for a failed Inject, every object of both records so
// that Revert undoes whatever was written.
func mergeRecords(old, fresh *record) *record {
	out := *fresh
	out.Objects = append([]objRecord(nil), fresh.Objects...)
	for _, o := range old.Objects {
		found := false
		for _, n := range fresh.Objects {
			if n.Kind == o.Kind && n.Namespace == o.Namespace && n.Name == o.Name {
				found = true
			}
		}
		if !found {
			out.Objects = append(out.Objects, o)
		}
	}
	return &out
}

func (in *Injector) injectChanges(ctx context.Context, f injectors.Fault, planned objRecord, prev *objRecord) (objRecord, error) {
	res, err := in.resource(planned.Kind, planned.Namespace)
	if err != nil {
		return planned, err
	}
	if done, err := in.injectInOneCall(ctx, f, planned); done || err != nil {
		return planned, err
	}
	for {
		var obj *unstructured.Unstructured
		err := in.retry(ctx, func() error {
			var err error
			obj, err = res.Get(ctx, planned.Name, metav1.GetOptions{})
			return err
		})
		if err != nil {
			return planned, err
		}
		rec := planned
		rec.UID = string(obj.GetUID())
		if prev != nil && prev.UID == rec.UID && (hasMark(obj, f.FaultID) || (in.cfg.HideMarks || planned.Subresource != "") && holdsInjected(obj, prev.Changes)) {
			rec.Changes = prev.Changes // already injected once: keep the true "before"
		} else if obj.GetResourceVersion() != "" {
			// Re-plan on exactly this version. The caller persisted the
			// planned record before this call: when the fields it changes
			// no longer hold the recorded "before" values, writing would
			// leave a persisted record that restores the wrong values, so
			// nothing is written and the caller prepares again (the
			// contract's stale-record rule).
			rec.Changes = replan(obj.Object, planned.Changes)
			if !sameBefore(rec.Changes, planned.Changes) {
				return planned, injectors.Errorf(injectors.ECONFLICT, "%s changed since the fault was prepared: prepare again", objName(planned))
			}
		}
		if err := applyAfter(obj, rec.Changes); err != nil {
			return rec, err
		}
		in.mark(obj, f.DrillID, f.FaultID)
		err = in.retry(ctx, func() error {
			_, err := res.Update(ctx, obj, metav1.UpdateOptions{FieldManager: "firedrill"}, planned.subresources()...)
			return err
		})
		if apierrors.IsConflict(err) {
			continue // someone wrote in between: read again
		}
		return rec, err
	}
}

// jsonPointer returns the JSON pointer of a change path, or false for a
// path through a list item selected by name.
func jsonPointer(path []string) (string, bool) {
	ptr := ""
	for _, seg := range path {
		if _, ok := listSelector(seg); ok {
			return "", false
		}
		ptr += "/" + pointerEscaper.Replace(seg)
	}
	return ptr, true
}

var pointerEscaper = strings.NewReplacer("~", "~0", "/", "~1")

// annotationPointer is the JSON pointer of the annotation k.
func annotationPointer(k string) string { return "/metadata/annotations/" + pointerEscaper.Replace(k) }

// jsonValue decodes a recorded value for a JSON patch operation.
func jsonValue(raw json.RawMessage) (any, bool) {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, false
	}
	return v, true
}

// sameBefore reports whether two plans of the same changes record the same
// "before" values.
func sameBefore(a, b []change) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].BeforeAbsent != b[i].BeforeAbsent || !a[i].BeforeAbsent && !jsonEqual(a[i].Before, b[i].Before) {
			return false
		}
	}
	return true
}

// jsonEqual compares two JSON values by meaning, not spelling.
func jsonEqual(a, b json.RawMessage) bool {
	va, oka := jsonValue(a)
	vb, okb := jsonValue(b)
	return oka && okb && reflect.DeepEqual(va, vb)
}

// replan recomputes the Before side of changes against obj.
func replan(obj map[string]any, changes []change) []change {
	out := make([]change, len(changes))
	for i, c := range changes {
		n := c
		n.Before, n.BeforeAbsent = nil, false
		if cur, ok := getPath(obj, c.Path); ok {
			n.Before = valueJSON(cur)
		} else {
			n.BeforeAbsent = true
		}
		out[i] = n
	}
	return out
}

// injectCreate creates the object and returns its UID.
func (in *Injector) injectCreate(ctx context.Context, faultID string, o objRecord) (string, error) {
	res, err := in.resource(o.Kind, o.Namespace)
	if err != nil {
		return "", err
	}
	var u unstructured.Unstructured
	if err := json.Unmarshal(o.Create, &u.Object); err != nil {
		return "", err
	}
	if in.cfg.HideMarks {
		u.SetAnnotations(nil) // a record made with marks on, injected with them off
	}
	var uid string
	err = in.retry(ctx, func() error {
		made, err := res.Create(ctx, &u, metav1.CreateOptions{FieldManager: "firedrill"})
		if err == nil {
			uid = string(made.GetUID())
			return nil
		}
		if apierrors.IsAlreadyExists(err) {
			cur, gerr := res.Get(ctx, o.Name, metav1.GetOptions{})
			if gerr != nil {
				return gerr
			}
			if createdBy(cur, o, faultID) {
				uid = string(cur.GetUID())
				return nil // created by an earlier attempt
			}
			return injectors.Errorf(injectors.ECONFLICT, "%s already exists and is not firedrill's", objName(o))
		}
		return err
	})
	return uid, err
}

// createdBy reports whether cur is the object fault faultID created from
// o: it carries the fault's mark, or it is the object whose UID the record
// pinned, or (created without marks, before the UID was recorded) it has
// exactly the spec the fault creates.
func createdBy(cur *unstructured.Unstructured, o objRecord, faultID string) bool {
	if _, marked := cur.GetAnnotations()[FaultIDAnnotation]; marked {
		return cur.GetAnnotations()[FaultIDAnnotation] == faultID
	}
	if o.UID != "" {
		return string(cur.GetUID()) == o.UID
	}
	var want map[string]any
	if err := json.Unmarshal(o.Create, &want); err != nil {
		return false
	}
	return string(valueJSON(want["spec"])) == string(valueJSON(cur.Object["spec"]))
}

func (in *Injector) injectDelete(ctx context.Context, o objRecord) error {
	res, err := in.resource(o.Kind, o.Namespace)
	if err != nil {
		return err
	}
	uid := types.UID(o.UID)
	err = in.retry(ctx, func() error {
		return res.Delete(ctx, o.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid}})
	})
	if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
		return nil // already gone or replaced
	}
	return err
}

func (in *Injector) injectEvict(ctx context.Context, o objRecord) error {
	err := in.retry(ctx, func() error {
		return in.cs.PolicyV1().Evictions(o.Namespace).Evict(ctx, &policyv1.Eviction{
			ObjectMeta: metav1.ObjectMeta{Name: o.Name, Namespace: o.Namespace}})
	})
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

// Revert undoes the fault recorded in recBytes. Each changed field is put
// back only while it still holds the injected value; objects that were
// deleted or replaced since are left alone; created objects are deleted
// while they carry this fault's annotation. Reverting twice, or a record
// whose Inject never ran, changes nothing. Transient API errors (the API
// server down or restarting) are retried until ctx ends.
// Reverts go through their own API client and rate limit (RevertQPS).
func (in *Injector) Revert(ctx context.Context, recBytes []byte) error {
	return in.reverter().revert(ctx, recBytes)
}

// revert is Revert on the revert client.
func (in *Injector) revert(ctx context.Context, recBytes []byte) error {
	if err := in.ready(); err != nil {
		return err
	}
	rec, err := decodeRecord(recBytes)
	if err != nil {
		return err
	}
	if err := in.checkContext(rec); err != nil {
		return err
	}
	for _, o := range rec.Objects {
		if o.Kind != "Node" {
			if err := in.checkNamespace(ctx, o.Namespace, false); err != nil {
				return fmt.Errorf("revert %s: %w", rec.FaultID, err)
			}
		}
		var err error
		switch {
		case o.Create != nil:
			err = in.revertCreate(ctx, rec, o)
		case o.Delete, o.Evict:
			// Deleted and evicted pods are recreated by their controllers.
		default:
			err = in.revertChanges(ctx, rec.FaultID, o)
			if err == nil && o.Kind == "Deployment" {
				err = in.unmarkReplicaSets(ctx, rec, o)
			}
			if err == nil && o.Controlled {
				err = in.removeIsolatedPod(ctx, o)
			}
		}
		if err != nil {
			return fmt.Errorf("revert %s: %s: %w", rec.FaultID, objName(o), explain(err))
		}
	}
	return nil
}

func (in *Injector) checkContext(rec *record) error {
	if rec.Context != in.context {
		return injectors.Errorf(injectors.EFORBIDDEN, "the record of fault %s was made against context %q, but this injector acts on %q", rec.FaultID, rec.Context, in.context)
	}
	return nil
}

func (in *Injector) revertChanges(ctx context.Context, faultID string, o objRecord) error {
	res, err := in.resource(o.Kind, o.Namespace)
	if err != nil {
		return err
	}
	if done, err := in.revertInOneCall(ctx, res, faultID, o); done || err != nil {
		return err
	}
	for {
		var obj *unstructured.Unstructured
		err := in.retry(ctx, func() error {
			var err error
			obj, err = res.Get(ctx, o.Name, metav1.GetOptions{})
			return err
		})
		if apierrors.IsNotFound(err) {
			return nil // deleted since: nothing of ours left
		} else if err != nil {
			return err
		}
		if o.UID != "" && string(obj.GetUID()) != o.UID {
			return nil // a different object of the same name
		}
		changed, err := revertChanges(obj, o.Changes)
		if err != nil {
			return err
		}
		if removeMarks(obj, faultID) {
			changed = true
		}
		if !changed {
			return nil
		}
		err = in.retry(ctx, func() error {
			_, err := res.Update(ctx, obj, metav1.UpdateOptions{FieldManager: "firedrill"}, o.subresources()...)
			return err
		})
		if apierrors.IsConflict(err) {
			continue
		}
		if apierrors.IsNotFound(err) {
			return nil
		}
		return err
	}
}

// revertInOneCall reverts the common case in one API call instead of a
// read and a write: a JSON patch whose test operations check that the
// object is the one injected, that every changed field still holds its
// injected value and that only this fault marks it, and whose other
// operations put the fields back and remove the marks. The API server
// applies it atomically or not at all. done is false when the record does
// not fit (list items, side changes, an absent injected value) or a test
// fails (healed, edited, layered): the caller then reads and decides field
// by field.
func (in *Injector) revertInOneCall(ctx context.Context, res dynamic.ResourceInterface, faultID string, o objRecord) (done bool, err error) {
	if o.UID == "" || len(o.Changes) == 0 {
		return false, nil
	}
	ops := []map[string]any{{"op": "test", "path": "/metadata/uid", "value": o.UID}}
	var restore []map[string]any
	for _, c := range o.Changes {
		if c.Marker || c.AfterAbsent {
			return false, nil
		}
		ptr, ok := jsonPointer(c.Path)
		if !ok {
			return false, nil
		}
		after, ok := jsonValue(c.After)
		if !ok {
			return false, nil
		}
		ops = append(ops, map[string]any{"op": "test", "path": ptr, "value": after})
		if c.BeforeAbsent {
			restore = append(restore, map[string]any{"op": "remove", "path": ptr})
			continue
		}
		before, ok := jsonValue(c.Before)
		if !ok {
			return false, nil
		}
		restore = append(restore, map[string]any{"op": "replace", "path": ptr, "value": before})
	}
	if !in.cfg.HideMarks && o.Subresource == "" {
		esc := annotationPointer
		ops = append(ops, map[string]any{"op": "test", "path": esc(FaultIDAnnotation), "value": faultID})
		ops = append(ops, restore...)
		ops = append(ops, map[string]any{"op": "remove", "path": esc(FaultIDAnnotation)}, map[string]any{"op": "remove", "path": esc(DrillIDAnnotation)})
	} else {
		ops = append(ops, restore...)
	}
	body, err := json.Marshal(ops)
	if err != nil {
		return false, nil
	}
	err = in.retry(ctx, func() error {
		_, err := res.Patch(ctx, o.Name, types.JSONPatchType, body, metav1.PatchOptions{FieldManager: "firedrill"}, o.subresources()...)
		return err
	})
	switch {
	case err == nil:
		return true, nil
	case apierrors.IsNotFound(err):
		return true, nil // deleted since: nothing of ours left
	case ctx.Err() != nil:
		return false, err
	}
	// A test failed (422), or the server refused the patch otherwise: the
	// read-and-decide path is the authority.
	return false, nil
}

func (in *Injector) revertCreate(ctx context.Context, rec *record, o objRecord) error {
	return in.deleteIf(ctx, o, func(obj *unstructured.Unstructured) bool { return createdBy(obj, o, rec.FaultID) })
}

// deleteIf deletes the object of o when it exists and gone says it should
// go, pinned by the UID it was read with: an object gone or replaced since
// is left alone.
func (in *Injector) deleteIf(ctx context.Context, o objRecord, gone func(*unstructured.Unstructured) bool) error {
	res, err := in.resource(o.Kind, o.Namespace)
	if err != nil {
		return err
	}
	var obj *unstructured.Unstructured
	err = in.retry(ctx, func() error {
		var err error
		obj, err = res.Get(ctx, o.Name, metav1.GetOptions{})
		return err
	})
	if apierrors.IsNotFound(err) {
		return nil
	} else if err != nil {
		return err
	}
	if !gone(obj) {
		return nil // not ours (any more)
	}
	uid := obj.GetUID()
	err = in.retry(ctx, func() error {
		return res.Delete(ctx, o.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid}})
	})
	if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
		return nil
	}
	return err
}

// Status reports whether the fault is still in effect, was healed (all
// fields back as before: reverted), or was changed otherwise (drifted).
func (in *Injector) Status(ctx context.Context, f injectors.Fault, recBytes []byte) (injectors.Status, error) {
	if err := in.ready(); err != nil {
		return injectors.Status{}, err
	}
	rec, err := decodeRecord(recBytes)
	if err != nil {
		return injectors.Status{}, err
	}
	if err := in.checkContext(rec); err != nil {
		return injectors.Status{}, err
	}
	if rec.Type == "pod-delete" {
		return in.podDeleteStatus(ctx, rec)
	}
	var inEffect, reverted, drifted []string
	for _, o := range rec.Objects {
		if o.Delete || o.Evict {
			continue
		}
		res, err := in.resource(o.Kind, o.Namespace)
		if err != nil {
			return injectors.Status{}, err
		}
		var obj *unstructured.Unstructured
		err = in.retry(ctx, func() error {
			var err error
			obj, err = res.Get(ctx, o.Name, metav1.GetOptions{})
			return err
		})
		if o.Create != nil {
			switch {
			case apierrors.IsNotFound(err):
				reverted = append(reverted, objName(o)+" is gone")
			case err != nil:
				return injectors.Status{}, fmt.Errorf("status %s: %w", rec.FaultID, err)
			case createdBy(obj, o, rec.FaultID):
				inEffect = append(inEffect, objName(o)+" exists")
			default:
				drifted = append(drifted, objName(o)+" was replaced")
			}
			continue
		}
		if apierrors.IsNotFound(err) {
			drifted = append(drifted, objName(o)+" was deleted")
			continue
		} else if err != nil {
			return injectors.Status{}, fmt.Errorf("status %s: %w", rec.FaultID, err)
		}
		if o.UID != "" && string(obj.GetUID()) != o.UID {
			drifted = append(drifted, objName(o)+" was replaced")
			continue
		}
		for _, c := range o.Changes {
			if c.Marker {
				continue
			}
			switch {
			case matches(obj.Object, c.Path, c.After, c.AfterAbsent):
				inEffect = append(inEffect, objName(o)+" "+c.pathString())
			case matches(obj.Object, c.Path, c.Before, c.BeforeAbsent):
				reverted = append(reverted, objName(o)+" "+c.pathString())
			default:
				drifted = append(drifted, objName(o)+" "+c.pathString()+" changed")
			}
		}
	}
	switch {
	case len(drifted) == 0 && len(reverted) == 0:
		return injectors.Status{Effect: injectors.InEffect, Detail: "in effect: " + strings.Join(inEffect, ", ")}, nil
	case len(drifted) == 0 && len(inEffect) == 0:
		return injectors.Status{Effect: injectors.Reverted, Detail: "back as before: " + strings.Join(reverted, ", ")}, nil
	default:
		parts := append(drifted, prefixAll("still injected: ", inEffect)...)
		parts = append(parts, prefixAll("back as before: ", reverted)...)
		return injectors.Status{Effect: injectors.Drifted, Detail: strings.Join(parts, "; ")}, nil
	}
}

func prefixAll(p string, xs []string) []string {
	if len(xs) == 0 {
		return nil
	}
	return []string{p + strings.Join(xs, ", ")}
}

func objName(o objRecord) string { return o.Kind + " " + nsName(o.Namespace, o.Name) }

func nsName(ns, name string) string {
	if ns == "" {
		return name
	}
	return ns + "/" + name
}

// explain turns API errors into firedrill errors with the server's message.
func explain(err error) error {
	var status apierrors.APIStatus
	if se, ok := err.(apierrors.APIStatus); ok {
		status = se
	}
	switch {
	case status == nil:
		return err
	case apierrors.IsInvalid(err), apierrors.IsBadRequest(err):
		return injectors.Errorf(injectors.EINVALID, "the API server refused the change: %s", status.Status().Message)
	case apierrors.IsForbidden(err):
		return injectors.Errorf(injectors.EFORBIDDEN, "the API server forbade the change: %s", status.Status().Message)
	case apierrors.IsNotFound(err):
		return injectors.Errorf(injectors.ENOTFOUND, "%s", status.Status().Message)
	}
	return err
}
