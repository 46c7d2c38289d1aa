package ha

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/firedrill/firedrill/injectors"
)

// Client is firedrill's client for its own state in the cluster: the Lease
// and the records Secrets of ha.namespace. It speaks the API server's JSON
// itself, with the two small object types of objects.go, over an HTTP
// client that carries the context's TLS and credentials
// (internal/kubeconn): neither client-go nor k8s.io/api, whose code costs
// the controller's process megabytes of resident memory (issue 13).
type Client struct {
	http *http.Client
	host string
}

// New returns a client for the API server at host (its base URL), through
// hc, which carries the credentials of the configured, allowed context
// (kubeconn.Conn). A nil hc means no allowed context is configured: the
// error says so. The Lease's renewals and the records' writes are never
// rate limited: a renewal waiting behind a budget would lose the Lease.
func New(host string, hc *http.Client) (*Client, error) {
	if hc == nil {
		return nil, injectors.Errorf(injectors.EINVALID, "ha.namespace is set but no allowed Kubernetes context is configured: the Lease and the revert records live in the cluster")
	}
	if !strings.Contains(host, "://") {
		host = "https://" + host
	}
	u, err := url.Parse(host)
	if err != nil {
		return nil, fmt.Errorf("cluster client: host %q: %w", host, err)
	}
	return &Client{http: hc, host: strings.TrimRight(u.String(), "/")}, nil
}

// fieldManager names firedrill's writes of its records.
const fieldManager = "firedrill"

// path returns the URL path of a resource (name "" for the collection).
func path(group, resource, ns, name string) string {
	p := "/api/v1"
	if group != "" {
		p = "/apis/" + group + "/v1"
	}
	p += "/namespaces/" + url.PathEscape(ns) + "/" + resource
	if name != "" {
		p += "/" + url.PathEscape(name)
	}
	return p
}

// do sends one request with body in (nil for none) and decodes the answer
// into out (nil to drop it); an answer that is not 2xx is a *StatusError.
func (c *Client) do(ctx context.Context, method, p string, query url.Values, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	u := c.host + p
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("%s %s: read answer: %w", method, p, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return statusError(resp.StatusCode, b)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("%s %s: decode answer: %w", method, p, err)
	}
	return nil
}

func (c *Client) getSecret(ctx context.Context, ns, name string) (*secret, error) {
	s := &secret{}
	if err := c.do(ctx, http.MethodGet, path("", "secrets", ns, name), nil, nil, s); err != nil {
		return nil, err
	}
	return s, nil
}

func (c *Client) listSecrets(ctx context.Context, ns, selector string) (*secretList, error) {
	l := &secretList{}
	if err := c.do(ctx, http.MethodGet, path("", "secrets", ns, ""), url.Values{"labelSelector": {selector}}, nil, l); err != nil {
		return nil, err
	}
	return l, nil
}

func (c *Client) createSecret(ctx context.Context, s *secret) error {
	return c.do(ctx, http.MethodPost, path("", "secrets", s.Namespace, ""), url.Values{"fieldManager": {fieldManager}}, s, nil)
}

func (c *Client) updateSecret(ctx context.Context, s *secret) error {
	return c.do(ctx, http.MethodPut, path("", "secrets", s.Namespace, s.Name), url.Values{"fieldManager": {fieldManager}}, s, nil)
}

// deleteSecret deletes the Secret if it still has resourceVersion rv.
func (c *Client) deleteSecret(ctx context.Context, ns, name, rv string) error {
	opts := map[string]any{"kind": "DeleteOptions", "apiVersion": "v1", "preconditions": map[string]any{"resourceVersion": rv}}
	return c.do(ctx, http.MethodDelete, path("", "secrets", ns, name), nil, opts, nil)
}

const coordination = "coordination.k8s.io"

func (c *Client) getLease(ctx context.Context, ns, name string) (*lease, error) {
	l := &lease{}
	if err := c.do(ctx, http.MethodGet, path(coordination, "leases", ns, name), nil, nil, l); err != nil {
		return nil, err
	}
	return l, nil
}

func (c *Client) createLease(ctx context.Context, l *lease) (*lease, error) {
	out := &lease{}
	if err := c.do(ctx, http.MethodPost, path(coordination, "leases", l.Namespace, ""), nil, l, out); err != nil {
		return nil, err
	}
	return out, nil
}

func (c *Client) updateLease(ctx context.Context, l *lease) (*lease, error) {
	out := &lease{}
	if err := c.do(ctx, http.MethodPut, path(coordination, "leases", l.Namespace, l.Name), nil, l, out); err != nil {
		return nil, err
	}
	return out, nil
}
