package shop_test

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/firedrill/firedrill/internal/shop"
)

// TestDedupOff reads the duplicate check's switch and when it was last
// written, from the ConfigMap's managed fields.
func TestDedupOff(t *testing.T) {
	created := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	changed := created.Add(3 * time.Hour)
	mf := []metav1.ManagedFieldsEntry{
		{Manager: "kubectl", Time: &metav1.Time{Time: created.Add(time.Hour)}, FieldsV1: &metav1.FieldsV1{Raw: []byte(`{"f:data":{"f:DB_HOST":{}}}`)}},
		{Manager: "firedrill", Time: &metav1.Time{Time: changed}, FieldsV1: &metav1.FieldsV1{Raw: []byte(`{"f:data":{"f:ORDER_DEDUP_CHECK":{}}}`)}},
	}
	for _, tt := range []struct {
		value string
		off   bool
	}{{"on", false}, {"", false}, {"off", true}, {"OFF", true}, {"false", true}, {"0", true}, {"true", false}} {
		t.Run(tt.value, func(t *testing.T) {
			cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{CreationTimestamp: metav1.Time{Time: created}, ManagedFields: mf},
				Data: map[string]string{"ORDER_DEDUP_CHECK": tt.value}}
			off, since := shop.DedupOff(cm)
			if off != tt.off {
				t.Fatalf("off = %v, want %v", off, tt.off)
			}
			if off && !since.Equal(changed) {
				t.Fatalf("since = %s, want the key's last write %s", since, changed)
			}
		})
	}
}
