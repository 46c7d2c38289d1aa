package kubernetes

import (
	"context"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/firedrill/firedrill/injectors/kubernetes/catalog"
)

// replicaSetGVR is the ReplicaSets' resource. ReplicaSets are never a fault
// target, but they carry copies of a Deployment's marks.
var replicaSetGVR = gvrOf(catalog.ReplicaSet)

// replicaSetSettle bounds how long a revert waits for the deployment
// controller to see the reverted Deployment before it looks at the
// ReplicaSets a second time.
const replicaSetSettle = 2 * time.Second

// unmarkReplicaSets takes the fault's marks off the ReplicaSets of a
// reverted Deployment. The deployment controller copies a Deployment's
// annotations onto its current ReplicaSet and never takes them off, so every
// ReplicaSet that was current while the fault was in effect carries them.
// It looks twice: right after the revert, and once the controller has
// observed the reverted Deployment, in case a sync that started from the
// marked Deployment copied them again in between.
func (in *Injector) unmarkReplicaSets(ctx context.Context, rec *record, o objRecord) error {
	if err := in.unmarkReplicaSetsOnce(ctx, rec, o); err != nil {
		return err
	}
	deployments := in.dyn.Resource(kinds["Deployment"].gvr).Namespace(o.Namespace)
	deadline := in.clk.Now().Add(replicaSetSettle)
	for {
		d, err := deployments.Get(ctx, o.Name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			break
		} else if err != nil {
			return err
		}
		observed, _, _ := unstructured.NestedInt64(d.Object, "status", "observedGeneration")
		if observed >= d.GetGeneration() || !in.clk.Now().Before(deadline) {
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-in.clk.After(50 * time.Millisecond):
		}
	}
	return in.unmarkReplicaSetsOnce(ctx, rec, o)
}

func (in *Injector) unmarkReplicaSetsOnce(ctx context.Context, rec *record, o objRecord) error {
	rss := in.dyn.Resource(replicaSetGVR).Namespace(o.Namespace)
	var list *unstructured.UnstructuredList
	err := in.retry(ctx, func() error {
		var err error
		list, err = rss.List(ctx, metav1.ListOptions{})
		return err
	})
	if err != nil {
		return fmt.Errorf("list the ReplicaSets of %s: %w", objName(o), err)
	}
	for i := range list.Items {
		rs := &list.Items[i]
		if !ownedBy(rs, o) {
			continue
		}
		for {
			if rs.GetAnnotations()[DrillIDAnnotation] != rec.DrillID || !removeMarks(rs, rec.FaultID) {
				break
			}
			_, err := rss.Update(ctx, rs, metav1.UpdateOptions{FieldManager: "firedrill"})
			if apierrors.IsNotFound(err) {
				break
			}
			if !apierrors.IsConflict(err) {
				if err != nil {
					return fmt.Errorf("take the marks of fault %s off ReplicaSet %s: %w", rec.FaultID, nsName(rs.GetNamespace(), rs.GetName()), err)
				}
				break
			}
			if rs, err = rss.Get(ctx, rs.GetName(), metav1.GetOptions{}); err != nil {
				if apierrors.IsNotFound(err) {
					break
				}
				return err
			}
		}
	}
	return nil
}

// ownedBy says whether the ReplicaSet's controller is the recorded
// Deployment (by UID when the record has it, else by name).
func ownedBy(rs *unstructured.Unstructured, o objRecord) bool {
	for _, ref := range rs.GetOwnerReferences() {
		if ref.Kind != "Deployment" || ref.Controller == nil || !*ref.Controller {
			continue
		}
		if o.UID != "" {
			return string(ref.UID) == o.UID
		}
		return ref.Name == o.Name
	}
	return false
}
