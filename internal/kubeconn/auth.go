package kubeconn

import (
	"bytes"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"k8s.io/utils/clock"
)

// newClient returns a client whose requests carry auth's credentials.
func newClient(tc *tls.Config, proxy func(*http.Request) (*url.URL, error), noCompression bool, auth *authenticator, userAgent string) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSClientConfig = tc
	t.Proxy = proxy
	t.DisableCompression = noCompression
	t.MaxIdleConnsPerHost = 25 // client-go's default
	t.ForceAttemptHTTP2 = true
	auth.next, auth.userAgent = t, userAgent
	return &http.Client{Transport: auth}
}

// tokenFileTTL is how long a token file's content is used before it is
// read again (client-go's cachingTokenSource: bound service account tokens
// rotate).
const tokenFileTTL = time.Minute

// authenticator is a RoundTripper that adds a context's credentials and
// impersonation to each request, as client-go's transport wrappers do.
type authenticator struct {
	clk       clock.PassiveClock
	next      http.RoundTripper
	userAgent string

	username, password string
	token, tokenFile   string
	exec               *execAuth

	impersonate, impersonateUID string
	impersonateGroups           []string
	impersonateExtra            map[string][]string

	mu        sync.Mutex
	fileToken string
	readAt    time.Time
}

// RoundTrip sends r with the credentials.
func (a *authenticator) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	if a.userAgent != "" {
		r.Header.Set("User-Agent", a.userAgent)
	}
	if a.impersonate != "" {
		r.Header.Set("Impersonate-User", a.impersonate)
		if a.impersonateUID != "" {
			r.Header.Set("Impersonate-Uid", a.impersonateUID)
		}
		for _, g := range a.impersonateGroups {
			r.Header.Add("Impersonate-Group", g)
		}
		for k, vs := range a.impersonateExtra {
			for _, v := range vs {
				r.Header.Add("Impersonate-Extra-"+url.PathEscape(k), v)
			}
		}
	}
	if r.Header.Get("Authorization") == "" {
		token, err := a.bearer()
		if err != nil {
			return nil, err
		}
		switch {
		case token != "":
			r.Header.Set("Authorization", "Bearer "+token)
		case a.username != "" || a.password != "":
			r.SetBasicAuth(a.username, a.password)
		}
	}
	resp, err := a.next.RoundTrip(r)
	if err == nil && resp.StatusCode == http.StatusUnauthorized && a.exec != nil {
		a.exec.stale() // the next request runs the plugin again
	}
	return resp, err
}

// bearer returns the bearer token of the request, "" for none.
func (a *authenticator) bearer() (string, error) {
	switch {
	case a.exec != nil:
		c, err := a.exec.credential()
		if err != nil {
			return "", err
		}
		return c.Status.Token, nil
	case a.tokenFile != "":
		a.mu.Lock()
		defer a.mu.Unlock()
		if a.fileToken == "" || a.clk.Since(a.readAt) > tokenFileTTL {
			b, err := os.ReadFile(a.tokenFile)
			if err != nil {
				if a.fileToken != "" {
					return a.fileToken, nil // keep the last token, as client-go does
				}
				return "", fmt.Errorf("read token file: %w", err)
			}
			a.fileToken, a.readAt = strings.TrimSpace(string(b)), a.clk.Now()
		}
		return a.fileToken, nil
	}
	return a.token, nil
}

// execCredential is client.authentication.k8s.io's ExecCredential.
type execCredential struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Spec       struct {
		Interactive bool           `json:"interactive"`
		Cluster     map[string]any `json:"cluster,omitempty"`
	} `json:"spec"`
	Status *struct {
		Token                 string     `json:"token"`
		ClientCertificateData string     `json:"clientCertificateData"`
		ClientKeyData         string     `json:"clientKeyData"`
		ExpirationTimestamp   *time.Time `json:"expirationTimestamp"`
	} `json:"status,omitempty"`
}

// execAuth runs a kubeconfig's exec credential plugin, as client-go's
// exec authenticator: non-interactively, with KUBERNETES_EXEC_INFO, and
// again when the credential expires or the API server answers 401.
type execAuth struct {
	cfg *execConfig
	clk clock.PassiveClock

	mu   sync.Mutex
	cred *execCredential
	cert *tls.Certificate
}

var execAPIVersions = map[string]bool{"client.authentication.k8s.io/v1": true, "client.authentication.k8s.io/v1beta1": true}

func newExecAuth(cfg *execConfig, clk clock.PassiveClock) (*execAuth, error) {
	if !execAPIVersions[cfg.APIVersion] {
		return nil, fmt.Errorf("exec plugin: invalid apiVersion %q, expected client.authentication.k8s.io/v1 or v1beta1", cfg.APIVersion)
	}
	if cfg.APIVersion == "client.authentication.k8s.io/v1" && cfg.InteractiveMode == "" {
		return nil, errors.New("exec plugin: interactiveMode must be specified for " + cfg.APIVersion)
	}
	if cfg.InteractiveMode == "Always" {
		return nil, errors.New("exec plugin: interactiveMode Always needs a terminal, which firedrill does not have")
	}
	return &execAuth{cfg: cfg, clk: clk}, nil
}

func (e *execAuth) stale() {
	e.mu.Lock()
	e.cred, e.cert = nil, nil
	e.mu.Unlock()
}

// credential returns the cached credential, running the plugin when there
// is none or it expired.
func (e *execAuth) credential() (*execCredential, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if c := e.cred; c != nil && (c.Status.ExpirationTimestamp == nil || e.clk.Now().Before(*c.Status.ExpirationTimestamp)) {
		return c, nil
	}
	c, err := e.run()
	if err != nil {
		return nil, err
	}
	e.cred, e.cert = c, nil
	if c.Status.ClientCertificateData != "" || c.Status.ClientKeyData != "" {
		cert, err := tls.X509KeyPair([]byte(c.Status.ClientCertificateData), []byte(c.Status.ClientKeyData))
		if err != nil {
			return nil, fmt.Errorf("exec plugin: client certificate: %w", err)
		}
		e.cert = &cert
	}
	return c, nil
}

// clientCertificate is the TLS client certificate the plugin gave, if any.
func (e *execAuth) clientCertificate(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
	if _, err := e.credential(); err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.cert == nil {
		return &tls.Certificate{}, nil
	}
	return e.cert, nil
}

func (e *execAuth) run() (*execCredential, error) {
	in := execCredential{APIVersion: e.cfg.APIVersion, Kind: "ExecCredential"}
	if e.cfg.ProvideClusterInfo && e.cfg.cluster != nil {
		cl := e.cfg.cluster
		in.Spec.Cluster = map[string]any{"server": cl.Server, "tls-server-name": cl.TLSServerName,
			"insecure-skip-tls-verify": cl.InsecureSkipTLSVerify, "proxy-url": cl.ProxyURL, "disable-compression": cl.DisableCompression}
		if len(cl.CertificateAuthorityData) > 0 {
			in.Spec.Cluster["certificate-authority-data"] = base64.StdEncoding.EncodeToString(cl.CertificateAuthorityData)
		}
	}
	info, err := json.Marshal(in)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(e.cfg.Command, e.cfg.Args...)
	cmd.Env = os.Environ()
	for _, v := range e.cfg.Env {
		cmd.Env = append(cmd.Env, v.Name+"="+v.Value)
	}
	cmd.Env = append(cmd.Env, "KUBERNETES_EXEC_INFO="+string(info))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		hint := ""
		if e.cfg.InstallHint != "" && errors.Is(err, exec.ErrNotFound) {
			hint = "\n" + e.cfg.InstallHint
		}
		return nil, fmt.Errorf("exec plugin %s: %w: %s%s", e.cfg.Command, err, strings.TrimSpace(stderr.String()), hint)
	}
	var out execCredential
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		return nil, fmt.Errorf("exec plugin %s: decoding stdout: %w", e.cfg.Command, err)
	}
	if out.APIVersion != e.cfg.APIVersion {
		return nil, fmt.Errorf("exec plugin %s: it answered apiVersion %q, configured %q", e.cfg.Command, out.APIVersion, e.cfg.APIVersion)
	}
	if out.Status == nil || (out.Status.Token == "" && out.Status.ClientCertificateData == "") {
		return nil, fmt.Errorf("exec plugin %s: it returned neither a token nor a client certificate", e.cfg.Command)
	}
	return &out, nil
}
