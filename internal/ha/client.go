package ha

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"strings"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"

	"github.com/firedrill/firedrill/injectors"
)

// Client is firedrill's client for its own state in the cluster: the Lease
// and the records Secrets of ha.namespace. It speaks JSON over client-go's
// authenticated transport (rest.HTTPClientFor: the kubeconfig's TLS, tokens
// and exec plugins) with the API types of those two resources, and not
// through the typed clientset: the clientset's scheme of every API group
// costs the controller's process megabytes of resident memory (issue 13).
type Client struct {
	http      *http.Client
	base      *url.URL
	userAgent string
}

// Connect returns a client for the cluster of rc (the Kubernetes
// injector's RESTConfig, so that the same context and safety rails apply).
func Connect(rc *rest.Config) (*Client, error) {
	if rc == nil {
		return nil, injectors.Errorf(injectors.EINVALID, "ha.namespace is set but no allowed Kubernetes context is configured: the Lease and the revert records live in the cluster")
	}
	rc = rest.CopyConfig(rc)
	rc.UserAgent = "firedrill-ha"
	hc, err := rest.HTTPClientFor(rc)
	if err != nil {
		return nil, fmt.Errorf("cluster client: %w", err)
	}
	base, _, err := rest.DefaultServerUrlFor(rc)
	if err != nil {
		return nil, fmt.Errorf("cluster client: %w", err)
	}
	return &Client{http: hc, base: base, userAgent: rc.UserAgent}, nil
}

// resource is a namespaced resource's collection path.
func secretsPath(ns string) string { return "/api/v1/namespaces/" + url.PathEscape(ns) + "/secrets" }

func leasesPath(ns string) string {
	return "/apis/coordination.k8s.io/v1/namespaces/" + url.PathEscape(ns) + "/leases"
}

// do sends one request; in, when set, is the JSON body; out, when set,
// receives the JSON answer. An answer other than 2xx is an
// apierrors.StatusError, so that apierrors.IsNotFound and IsConflict work
// as with client-go.
func (c *Client) do(ctx context.Context, method, p string, query url.Values, in, out any) error {
	u := *c.base
	u.Path = path.Join("/", c.base.Path, p)
	u.RawQuery = query.Encode()
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("User-Agent", c.userAgent)
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return statusError(resp.StatusCode, method, p, b)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("%s %s: decode the answer: %w", method, p, err)
	}
	return nil
}

// statusError is the API server's refusal as client-go reports it.
func statusError(code int, method, p string, body []byte) error {
	var st metav1.Status
	if err := json.Unmarshal(body, &st); err == nil && st.Kind == "Status" {
		if st.Code == 0 {
			st.Code = int32(code)
		}
		return &apierrors.StatusError{ErrStatus: st}
	}
	reason := metav1.StatusReasonUnknown
	switch code {
	case http.StatusNotFound:
		reason = metav1.StatusReasonNotFound
	case http.StatusConflict:
		reason = metav1.StatusReasonConflict
	case http.StatusForbidden:
		reason = metav1.StatusReasonForbidden
	case http.StatusUnauthorized:
		reason = metav1.StatusReasonUnauthorized
	}
	msg := strings.TrimSpace(string(body))
	if len(msg) > 300 {
		msg = msg[:300] + "…"
	}
	return &apierrors.StatusError{ErrStatus: metav1.Status{
		Status: metav1.StatusFailure, Code: int32(code), Reason: reason,
		Message: fmt.Sprintf("%s %s: %d %s: %s", method, p, code, http.StatusText(code), msg),
	}}
}

func (c *Client) getSecret(ctx context.Context, ns, name string) (*corev1.Secret, error) {
	var s corev1.Secret
	if err := c.do(ctx, http.MethodGet, secretsPath(ns)+"/"+url.PathEscape(name), nil, nil, &s); err != nil {
		return nil, err
	}
	return &s, nil
}

func (c *Client) listSecrets(ctx context.Context, ns, selector string) (*corev1.SecretList, error) {
	var l corev1.SecretList
	if err := c.do(ctx, http.MethodGet, secretsPath(ns), url.Values{"labelSelector": {selector}}, nil, &l); err != nil {
		return nil, err
	}
	return &l, nil
}

func (c *Client) createSecret(ctx context.Context, s *corev1.Secret) error {
	s.APIVersion, s.Kind = "v1", "Secret"
	return c.do(ctx, http.MethodPost, secretsPath(s.Namespace), url.Values{"fieldManager": {"firedrill"}}, s, nil)
}

func (c *Client) updateSecret(ctx context.Context, s *corev1.Secret) error {
	s.APIVersion, s.Kind = "v1", "Secret"
	return c.do(ctx, http.MethodPut, secretsPath(s.Namespace)+"/"+url.PathEscape(s.Name), url.Values{"fieldManager": {"firedrill"}}, s, nil)
}

// deleteSecret deletes the Secret if it still has resourceVersion rv.
func (c *Client) deleteSecret(ctx context.Context, ns, name, rv string) error {
	opts := metav1.DeleteOptions{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "DeleteOptions"}, Preconditions: &metav1.Preconditions{ResourceVersion: &rv}}
	return c.do(ctx, http.MethodDelete, secretsPath(ns)+"/"+url.PathEscape(name), nil, opts, nil)
}

func (c *Client) getLease(ctx context.Context, ns, name string) (*coordinationv1.Lease, error) {
	var l coordinationv1.Lease
	if err := c.do(ctx, http.MethodGet, leasesPath(ns)+"/"+url.PathEscape(name), nil, nil, &l); err != nil {
		return nil, err
	}
	return &l, nil
}

func (c *Client) createLease(ctx context.Context, l *coordinationv1.Lease) (*coordinationv1.Lease, error) {
	l.APIVersion, l.Kind = "coordination.k8s.io/v1", "Lease"
	var out coordinationv1.Lease
	if err := c.do(ctx, http.MethodPost, leasesPath(l.Namespace), nil, l, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

func (c *Client) updateLease(ctx context.Context, l *coordinationv1.Lease) (*coordinationv1.Lease, error) {
	l.APIVersion, l.Kind = "coordination.k8s.io/v1", "Lease"
	var out coordinationv1.Lease
	if err := c.do(ctx, http.MethodPut, leasesPath(l.Namespace)+"/"+url.PathEscape(l.Name), nil, l, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
