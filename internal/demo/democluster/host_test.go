package democluster_test

import (
	"testing"

	"github.com/firedrill/firedrill/internal/demo"
	"github.com/firedrill/firedrill/internal/devcluster"
	"github.com/firedrill/firedrill/internal/shop"
)

// TestNames_areTheClusterAndTheShops: the names the demo writes into its
// configuration and demo.json without linking the cluster are the cluster's
// and the shop's own.
func TestNames_areTheClusterAndTheShops(t *testing.T) {
	if demo.ContextName != devcluster.ContextName {
		t.Errorf("demo.ContextName %q, the local cluster's context %q", demo.ContextName, devcluster.ContextName)
	}
	if demo.Namespace != shop.Namespace {
		t.Errorf("demo.Namespace %q, the shop's namespace %q", demo.Namespace, shop.Namespace)
	}
}
