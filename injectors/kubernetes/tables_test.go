package kubernetes_test

import (
	"slices"
	"testing"

	"github.com/firedrill/firedrill/injectors/kubernetes"
	"github.com/firedrill/firedrill/injectors/kubernetes/catalog"
)

// The injector acts on exactly the types the client-free catalog
// describes: a type in one table and not the other would be offered and
// then refused, or run and never offered.
func TestTheInjectorActsOnExactlyTheCatalogsTypes(t *testing.T) {
	faults, probes := kubernetes.TypeNames()
	if want := catalog.Names(catalog.Faults); !slices.Equal(faults, want) {
		t.Errorf("fault types: injector %v, catalog %v", faults, want)
	}
	if want := catalog.Names(catalog.Probes); !slices.Equal(probes, want) {
		t.Errorf("probe types: injector %v, catalog %v", probes, want)
	}
	for _, typ := range append(faults, probes...) {
		if catalog.SchemaJSON(typ) == nil {
			t.Errorf("type %s has no params schema in catalog/schemas", typ)
		}
	}
}
