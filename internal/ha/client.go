package ha

import (
	"context"
	"fmt"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"

	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/internal/kubeclient"
)

// Client is firedrill's client for its own state in the cluster: the Lease
// and the records Secrets of ha.namespace. It goes through
// internal/kubeclient, the injector's small typed client, and not through
// client-go's clientset: the clientset's scheme of every API group costs
// the controller's process megabytes of resident memory (issue 13).
type Client struct {
	cs *kubeclient.Clientset
}

// Connect returns a client for the cluster of rc (the Kubernetes
// injector's RESTConfig, so that the same context and safety rails apply).
func Connect(rc *rest.Config) (*Client, error) {
	if rc == nil {
		return nil, injectors.Errorf(injectors.EINVALID, "ha.namespace is set but no allowed Kubernetes context is configured: the Lease and the revert records live in the cluster")
	}
	rc = rest.CopyConfig(rc)
	rc.UserAgent = "firedrill-ha"
	// The Lease's renewals and the records' writes are never rate limited:
	// a renewal waiting behind the injector's budget would lose the Lease.
	rc.RateLimiter, rc.QPS = nil, -1
	cs, err := kubeclient.NewForConfig(rc)
	if err != nil {
		return nil, fmt.Errorf("cluster client: %w", err)
	}
	return &Client{cs: cs}, nil
}

// fieldManager names firedrill's writes of its records.
const fieldManager = "firedrill"

func (c *Client) getSecret(ctx context.Context, ns, name string) (*corev1.Secret, error) {
	return c.cs.CoreV1().Secrets(ns).Get(ctx, name, metav1.GetOptions{})
}

func (c *Client) listSecrets(ctx context.Context, ns, selector string) (*corev1.SecretList, error) {
	return c.cs.CoreV1().Secrets(ns).List(ctx, metav1.ListOptions{LabelSelector: selector})
}

func (c *Client) createSecret(ctx context.Context, s *corev1.Secret) error {
	_, err := c.cs.CoreV1().Secrets(s.Namespace).Create(ctx, s, metav1.CreateOptions{FieldManager: fieldManager})
	return err
}

func (c *Client) updateSecret(ctx context.Context, s *corev1.Secret) error {
	_, err := c.cs.CoreV1().Secrets(s.Namespace).Update(ctx, s, metav1.UpdateOptions{FieldManager: fieldManager})
	return err
}

// deleteSecret deletes the Secret if it still has resourceVersion rv.
func (c *Client) deleteSecret(ctx context.Context, ns, name, rv string) error {
	return c.cs.CoreV1().Secrets(ns).Delete(ctx, name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{ResourceVersion: &rv}})
}

func (c *Client) getLease(ctx context.Context, ns, name string) (*coordinationv1.Lease, error) {
	return c.cs.CoordinationV1().Leases(ns).Get(ctx, name, metav1.GetOptions{})
}

func (c *Client) createLease(ctx context.Context, l *coordinationv1.Lease) (*coordinationv1.Lease, error) {
	return c.cs.CoordinationV1().Leases(l.Namespace).Create(ctx, l, metav1.CreateOptions{})
}

func (c *Client) updateLease(ctx context.Context, l *coordinationv1.Lease) (*coordinationv1.Lease, error) {
	return c.cs.CoordinationV1().Leases(l.Namespace).Update(ctx, l, metav1.UpdateOptions{})
}
