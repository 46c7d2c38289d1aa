package shop

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// The order API's duplicate check. Clients retry an order request whose
// answer they did not get (a mobile network dropping, a double tap); the
// order API recognises the retry (same customer, same items, within a
// minute) and answers with the order it already created. With
// ORDER_DEDUP_CHECK "off" in order-api-config every retry creates a second
// order: every request still succeeds, nothing alerts, and stores receive
// the order twice. The business report /internal/orders/duplicates counts
// them, as the order team's daily reconciliation would.
const (
	// orderShare is the part of the traffic that places orders.
	orderShare = 0.05
	// retryShare is the part of the orders that clients send twice.
	retryShare = 0.02
)

// dedupOff reports whether order-api-config switches the duplicate check
// off, and since when: the last time the key was written.
func dedupOff(cm *corev1.ConfigMap) (bool, time.Time) {
	switch strings.ToLower(strings.TrimSpace(cm.Data["ORDER_DEDUP_CHECK"])) {
	case "off", "false", "0", "no", "disabled":
	default:
		return false, time.Time{}
	}
	since := cm.CreationTimestamp.Time
	for _, mf := range cm.ManagedFields {
		if mf.Time != nil && mf.FieldsV1 != nil && strings.Contains(string(mf.FieldsV1.Raw), `"f:ORDER_DEDUP_CHECK"`) && mf.Time.After(since) {
			since = mf.Time.Time
		}
	}
	return true, since
}

// checkDuplicates answers the duplicate-order report: how many orders were
// created twice since the check went off, from the load model's order rate.
func (s *Simulator) checkDuplicates(ctx context.Context) []Problem {
	cm, err := s.configMap(ctx, "order-api-config")
	if err != nil {
		return []Problem{{"order-api", "500 Internal Server Error", "config unavailable: " + err.Error()}}
	}
	off, since := dedupOff(cm)
	if !off {
		return nil
	}
	n := s.duplicates(ctx, since)
	return []Problem{{"orders", fmt.Sprintf("%d orders created twice since %s (same customer, same items, within 60s); the stores received both, the customers were charged once",
		n, since.UTC().Format("15:04 UTC")), "ORDER_DEDUP_CHECK is off"}}
}

// duplicates is the number of orders created twice since t: every retried
// order since then.
func (s *Simulator) duplicates(ctx context.Context, since time.Time) int {
	elapsed := s.now().Sub(since).Seconds()
	if elapsed < 0 {
		elapsed = 0
	}
	return int(math.Ceil(s.trafficRate(ctx) * orderShare * retryShare * elapsed))
}
