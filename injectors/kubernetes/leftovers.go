package kubernetes

import (
	"context"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/firedrill/firedrill/injectors/kubernetes/catalog"
)

// Leftover is an object that still carries firedrill's annotations
// (catalog.Leftover).
type Leftover = catalog.Leftover

// FindLeftovers lists, across all namespaces, the objects of every kind the
// catalog touches that carry firedrill's drill and fault annotations; with a
// drillID, only that drill's. `firedrill doctor` reports them.
func (in *Injector) FindLeftovers(ctx context.Context, drillID string) ([]Leftover, error) {
	if err := in.ready(); err != nil {
		return nil, err
	}
	names := leftoverKinds()
	var out []Leftover
	for _, kind := range names {
		gvr := replicaSetGVR
		if k, ok := kinds[kind]; ok {
			gvr = k.gvr
		}
		l, err := in.dyn.Resource(gvr).List(ctx, metav1.ListOptions{})
		if err != nil {
			return nil, fmt.Errorf("find leftovers: list %s: %w", kind, err)
		}
		for _, it := range l.Items {
			a := it.GetAnnotations()
			fault, ok := a[FaultIDAnnotation]
			if !ok || (drillID != "" && a[DrillIDAnnotation] != drillID) {
				continue
			}
			for _, id := range splitIDs(fault) {
				out = append(out, Leftover{Kind: kind, Namespace: it.GetNamespace(), Name: it.GetName(), DrillID: a[DrillIDAnnotation], FaultID: id})
			}
		}
	}
	return out, nil
}
