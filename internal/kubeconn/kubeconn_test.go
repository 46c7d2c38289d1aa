package kubeconn_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/internal/kubeconn"
)

// seen is what the API server saw of one request.
type seen struct {
	auth, impUser, impGroups, ua string
	clientCert                   string
}

// server is a TLS server that records its requests.
type server struct {
	*httptest.Server
	mu   sync.Mutex
	last seen
}

func newServer(t *testing.T) *server {
	t.Helper()
	s := &server{}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sn := seen{auth: r.Header.Get("Authorization"), impUser: r.Header.Get("Impersonate-User"),
			impGroups: strings.Join(r.Header.Values("Impersonate-Group"), ","), ua: r.Header.Get("User-Agent")}
		if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
			sn.clientCert = r.TLS.PeerCertificates[0].Subject.CommonName
		}
		s.mu.Lock()
		s.last = sn
		s.mu.Unlock()
		_, _ = w.Write([]byte(`{}`))
	}))
	s.TLS = &tls.Config{ClientAuth: tls.RequestClientCert}
	s.StartTLS()
	t.Cleanup(s.Close)
	return s
}

func (s *server) get(t *testing.T, c *http.Client, host string) seen {
	t.Helper()
	resp, err := c.Get(host + "/api")
	if err != nil {
		t.Fatalf("GET %s/api: %v", host, err)
	}
	resp.Body.Close()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last
}

func (s *server) caPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.Certificate().Raw})
}

// clientCert returns a self-signed client certificate and key, PEM.
func clientCert(t *testing.T, cn string) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Unix(0, 0), NotAfter: time.Unix(1<<33, 0), ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb})
}

func write(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o700); err != nil {
		t.Fatal(err)
	}
	return p
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// viaClientGo is what client-go's clientcmd and rest make of the same
// kubeconfig and context.
func viaClientGo(t *testing.T, kubeconfig, ctxName string) (*http.Client, string) {
	t.Helper()
	rules := &clientcmd.ClientConfigLoadingRules{ExplicitPath: kubeconfig}
	rc, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: ctxName}).ClientConfig()
	if err != nil {
		t.Fatalf("clientcmd: %v", err)
	}
	rc.UserAgent = "firedrill-test"
	hc, err := rest.HTTPClientFor(rc)
	if err != nil {
		t.Fatalf("rest: %v", err)
	}
	return hc, rc.Host
}

// Every way a kubeconfig user authenticates reaches the API server as it
// does through client-go: the same Authorization, impersonation and client
// certificate.
func TestACredentialReachesTheServerAsThroughClientGo(t *testing.T) {
	srv := newServer(t)
	certPEM, keyPEM := clientCert(t, "robot")
	dir := t.TempDir()
	write(t, dir, "ca.crt", string(srv.caPEM()))
	write(t, dir, "client.crt", string(certPEM))
	write(t, dir, "client.key", string(keyPEM))
	write(t, dir, "token", "file-token\n")
	cred := `{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"exec-token"}}`
	write(t, dir, "plugin.sh", "#!/bin/sh\ncase \"$KUBERNETES_EXEC_INFO\" in *ExecCredential*) ;; *) exit 3;; esac\necho '"+cred+"'\n")
	users := []struct{ name, user string }{
		{"client certificate data", fmt.Sprintf("client-certificate-data: %s\n    client-key-data: %s", b64(certPEM), b64(keyPEM))},
		{"client certificate files, relative to the kubeconfig", "client-certificate: client.crt\n    client-key: client.key"},
		{"token", "token: static-token"},
		{"token file", "tokenFile: token"},
		{"basic auth", "username: kim\n    password: s3cret"},
		{"impersonation", "token: t\n    as: alice\n    as-groups: [devs, ops]"},
		{"exec plugin", "exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: ./plugin.sh\n      interactiveMode: Never"},
	}
	for _, caLine := range []string{"certificate-authority: ca.crt", "certificate-authority-data: " + b64(srv.caPEM())} {
		for _, u := range users {
			t.Run(u.name+" with "+strings.Split(caLine, ":")[0], func(t *testing.T) {
				kc := write(t, dir, "config", fmt.Sprintf("apiVersion: v1\nkind: Config\ncurrent-context: beta\nclusters:\n- name: c\n  cluster:\n    server: %s\n    %s\nusers:\n- name: u\n  user:\n    %s\ncontexts:\n- name: beta\n  context: {cluster: c, user: u}\n", srv.URL, caLine, u.user))
				hc, host := viaClientGo(t, kc, "")
				want := srv.get(t, hc, host)
				if want.auth == "" && want.clientCert == "" {
					t.Fatalf("through client-go the server saw no credential: %+v", want)
				}
				c, err := kubeconn.Open(kubeconn.Config{Kubeconfig: kc, AllowedContexts: []string{"beta"}, UserAgent: "firedrill-test"})
				if err != nil {
					t.Fatal(err)
				}
				if c.Context != "beta" || c.Host != srv.URL {
					t.Errorf("context %q host %q, want beta %s", c.Context, c.Host, srv.URL)
				}
				if got := srv.get(t, c.Client, c.Host); got != want {
					t.Errorf("the server saw %+v, through client-go %+v", got, want)
				}
			})
		}
	}
}

// $KUBECONFIG's files are merged as clientcmd merges them: the first file
// naming a context (and the first current-context) wins.
func TestKubeconfigFilesMergeFirstWins(t *testing.T) {
	srv := newServer(t)
	dir := t.TempDir()
	ca := b64(srv.caPEM())
	a := write(t, dir, "a", fmt.Sprintf("current-context: beta\nclusters:\n- name: c\n  cluster: {server: %s, certificate-authority-data: %s}\nusers:\n- name: u\n  user: {token: from-a}\ncontexts:\n- name: beta\n  context: {cluster: c, user: u}\n", srv.URL, ca))
	b := write(t, dir, "b", "current-context: other\nusers:\n- name: u\n  user: {token: from-b}\n")
	env := map[string]string{"KUBECONFIG": a + string(os.PathListSeparator) + filepath.Join(dir, "missing") + string(os.PathListSeparator) + b}
	c, err := kubeconn.Open(kubeconn.Config{AllowedContexts: []string{"beta"}, Getenv: func(k string) string { return env[k] }})
	if err != nil {
		t.Fatal(err)
	}
	if got := srv.get(t, c.Client, c.Host); c.Context != "beta" || got.auth != "Bearer from-a" {
		t.Errorf("context %q, Authorization %q; want beta and the first file's token", c.Context, got.auth)
	}
}

// The context rules are the injector's: a context must be configured,
// exist and be allowed.
func TestAContextMustExistAndBeAllowed(t *testing.T) {
	dir := t.TempDir()
	kc := write(t, dir, "config", "clusters:\n- name: c\n  cluster: {server: https://127.0.0.1:1}\ncontexts:\n- name: beta\n  context: {cluster: c}\n- name: broken\n  context: {cluster: nowhere}\n")
	tests := []struct {
		name, ctx           string
		allowed             []string
		wantErr, wantRefuse string
	}{
		{name: "no context anywhere: refused as invalid", allowed: []string{"beta"}, wantRefuse: injectors.EINVALID},
		{name: "a context that is not allowed: refused as forbidden", ctx: "beta", allowed: []string{"prod"}, wantRefuse: injectors.EFORBIDDEN},
		{name: "a context the kubeconfig lacks: an error naming it", ctx: "gamma", allowed: []string{"gamma"}, wantErr: `context "gamma" is not in the kubeconfig`},
		{name: "a context whose cluster is missing: an error naming it", ctx: "broken", allowed: []string{"broken"}, wantErr: `cluster "nowhere" was not found`},
		{name: "in-cluster outside a pod: an error saying so", ctx: kubeconn.InClusterContext, allowed: []string{kubeconn.InClusterContext}, wantErr: "needs firedrill to run in a pod"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := kubeconn.Config{Kubeconfig: kc, Context: tt.ctx, AllowedContexts: tt.allowed, Getenv: func(string) string { return "" }}
			if tt.ctx == kubeconn.InClusterContext {
				cfg.Kubeconfig = ""
			}
			c, err := kubeconn.Open(cfg)
			switch {
			case tt.wantErr != "":
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
			case err != nil:
				t.Fatal(err)
			case injectors.ErrorCode(c.Refused) != tt.wantRefuse || c.Client != nil:
				t.Errorf("refused %v (client %v), want code %s", c.Refused, c.Client, tt.wantRefuse)
			}
		})
	}
}

// Inside a pod, the service account's token file and CA are used.
func TestInClusterUsesTheServiceAccount(t *testing.T) {
	srv := newServer(t)
	dir := t.TempDir()
	write(t, dir, "token", "sa-token")
	write(t, dir, "ca.crt", string(srv.caPEM()))
	host, port, _ := strings.Cut(strings.TrimPrefix(srv.URL, "https://"), ":")
	env := map[string]string{"KUBERNETES_SERVICE_HOST": host, "KUBERNETES_SERVICE_PORT": port}
	c, err := kubeconn.Open(kubeconn.Config{Context: kubeconn.InClusterContext, AllowedContexts: []string{kubeconn.InClusterContext},
		Getenv: func(k string) string { return env[k] }, InClusterDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if got := srv.get(t, c.Client, c.Host); got.auth != "Bearer sa-token" {
		t.Errorf("Authorization %q, want the service account's token", got.auth)
	}
}
