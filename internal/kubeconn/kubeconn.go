// Package kubeconn connects to the API server of a kubeconfig context or of
// the in-cluster service account, with the rules the Kubernetes injector
// resolves its context by (injectors/kubernetes/kubeconfig): the context
// must be in kubernetes.allowedContexts. It gives an *http.Client with the
// context's TLS, credentials (client certificates, tokens, token files,
// basic auth, exec plugins) and impersonation, for firedrill's own state in
// the cluster (internal/ha). It reads kubeconfig files itself instead of
// through client-go's clientcmd and rest, whose API machinery costs the
// drill room's process megabytes of resident memory (issue 13); a test
// holds it to clientcmd.
package kubeconn

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"

	"k8s.io/utils/clock"

	"github.com/firedrill/firedrill/injectors"
)

// InClusterContext is the context name of the in-cluster configuration:
// with it (and no kubeconfig), firedrill uses the credentials of the pod's
// service account. Like any context, it must be allowed.
const InClusterContext = "in-cluster"

// Config says which cluster to connect to.
type Config struct {
	// Kubeconfig is the kubeconfig file; empty uses $KUBECONFIG (a list of
	// files, merged) or ~/.kube/config.
	Kubeconfig string
	// Context is the kubeconfig context; empty uses the current context.
	// Either way the context must be in AllowedContexts.
	Context string
	// AllowedContexts are the only contexts firedrill touches.
	AllowedContexts []string
	// UserAgent is sent with every request.
	UserAgent string
	// Getenv reads the environment (KUBECONFIG, HOME, the in-cluster
	// variables); default os.Getenv.
	Getenv func(string) string
	// InClusterDir is where the service account's token and CA are;
	// default /var/run/secrets/kubernetes.io/serviceaccount.
	InClusterDir string
	// Clock times the token file's and the exec credential's lifetimes;
	// default the real clock.
	Clock clock.PassiveClock
}

// Conn is a connection to the API server of a context.
type Conn struct {
	// Context is the context resolved, "" when none is configured.
	Context string
	// Refused, when set, is why the configuration does not allow touching
	// the cluster (no context: EINVALID; a context that is not allowed:
	// EFORBIDDEN); Host and Client are then unset.
	Refused error
	// Host is the API server's base URL, e.g. https://10.0.0.1:6443.
	Host string
	// Client sends requests to Host with the context's credentials.
	Client *http.Client
}

// Open resolves cfg and connects. A context that is not allowed is not an
// error: it is Conn.Refused. An unreadable kubeconfig, a context it does
// not have or whose credentials cannot be used, or an in-cluster
// configuration outside a pod is an error.
func Open(cfg Config) (*Conn, error) {
	if cfg.Getenv == nil {
		cfg.Getenv = os.Getenv
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.RealClock{}
	}
	ctxName := cfg.Context
	if ctxName == InClusterContext && cfg.Kubeconfig == "" {
		if !slices.Contains(cfg.AllowedContexts, ctxName) {
			return refused(ctxName, cfg), nil
		}
		c, err := inCluster(cfg)
		if err != nil {
			return nil, fmt.Errorf("kubernetes: context %q uses the in-cluster configuration, which needs firedrill to run in a pod with a service account (deploy/base/firedrill.yaml); outside the cluster set kubernetes.context to a kubeconfig context instead: %w", ctxName, err)
		}
		c.Context = ctxName
		return c, nil
	}
	kc, err := load(cfg.Kubeconfig, cfg.Getenv)
	if err != nil {
		return nil, fmt.Errorf("kubernetes: load kubeconfig: %w", err)
	}
	if ctxName == "" {
		ctxName = kc.CurrentContext
	}
	if ctxName == "" {
		return &Conn{Refused: NoContext()}, nil
	}
	ref, ok := kc.Contexts[ctxName]
	if !ok {
		name := cfg.Kubeconfig
		if name == "" {
			name = "(default loading rules)"
		}
		return nil, fmt.Errorf("kubernetes: context %q is not in the kubeconfig %s", ctxName, name)
	}
	cl, u, err := check(kc, ref)
	if err != nil {
		return nil, fmt.Errorf("kubernetes: context %q: %w", ctxName, err)
	}
	if !slices.Contains(cfg.AllowedContexts, ctxName) {
		return refused(ctxName, cfg), nil
	}
	c, err := connect(cl, u, cfg)
	if err != nil {
		return nil, fmt.Errorf("kubernetes: context %q: %w", ctxName, err)
	}
	c.Context = ctxName
	return c, nil
}

func refused(ctxName string, cfg Config) *Conn {
	return &Conn{Context: ctxName, Refused: NotAllowed(ctxName, cfg.AllowedContexts)}
}

// NoContext is the refusal of a configuration that names no context and
// whose kubeconfig has no current one (EINVALID).
func NoContext() error {
	return injectors.Errorf(injectors.EINVALID, "no Kubernetes context: set kubernetes.context (and list it in kubernetes.allowedContexts) or a current context in the kubeconfig; inside the cluster, use kubernetes.context: "+InClusterContext)
}

// NotAllowed is the refusal of a context that is not in allowed
// (EFORBIDDEN).
func NotAllowed(ctxName string, allowed []string) error {
	return injectors.Errorf(injectors.EFORBIDDEN,
		"Kubernetes context %q is not allowed: firedrill only touches contexts listed in kubernetes.allowedContexts (now %v)", ctxName, allowed)
}

// check returns the cluster and user of a context, or what is wrong with
// them.
func check(kc *kubeconfig, ref *contextRef) (*cluster, *user, error) {
	cl, ok := kc.Clusters[ref.Cluster]
	if !ok {
		return nil, nil, fmt.Errorf("cluster %q was not found in the kubeconfig", ref.Cluster)
	}
	if cl.Server == "" {
		return nil, nil, fmt.Errorf("cluster %q has no server defined", ref.Cluster)
	}
	u := kc.Users[ref.User]
	if u == nil {
		u = &user{}
	}
	if u.AuthProvider != nil {
		return nil, nil, fmt.Errorf("user %q uses the auth provider %q, which firedrill does not support: use an exec credential plugin", ref.User, u.AuthProvider.Name)
	}
	if u.Exec != nil && (u.Token != "" || u.TokenFile != "" || u.Username != "") {
		return nil, nil, fmt.Errorf("user %q: an exec plugin with another authentication method is not allowed", ref.User)
	}
	return cl, u, nil
}

// connect connects to a cluster as a user.
func connect(cl *cluster, u *user, cfg Config) (*Conn, error) {
	tc := &tls.Config{InsecureSkipVerify: cl.InsecureSkipTLSVerify, ServerName: cl.TLSServerName} //nolint:gosec // the kubeconfig asks for it
	ca := []byte(cl.CertificateAuthorityData)
	if len(ca) == 0 && cl.CertificateAuthority != "" {
		b, err := os.ReadFile(cl.CertificateAuthority)
		if err != nil {
			return nil, fmt.Errorf("certificate-authority: %w", err)
		}
		ca = b
	}
	if len(ca) > 0 {
		if cl.InsecureSkipTLSVerify {
			return nil, errors.New("specifying a root certificates file with the insecure flag is not allowed")
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(ca) {
			return nil, errors.New("certificate-authority: no PEM certificate found")
		}
		tc.RootCAs = pool
	}
	certPEM, keyPEM := []byte(u.ClientCertificateData), []byte(u.ClientKeyData)
	if len(certPEM) == 0 && u.ClientCertificate != "" {
		b, err := os.ReadFile(u.ClientCertificate)
		if err != nil {
			return nil, fmt.Errorf("client-certificate: %w", err)
		}
		certPEM = b
	}
	if len(keyPEM) == 0 && u.ClientKey != "" {
		b, err := os.ReadFile(u.ClientKey)
		if err != nil {
			return nil, fmt.Errorf("client-key: %w", err)
		}
		keyPEM = b
	}
	auth := &authenticator{clk: cfg.Clock, username: u.Username, password: u.Password, token: u.Token, tokenFile: u.TokenFile,
		impersonate: u.Impersonate, impersonateUID: u.ImpersonateUID, impersonateGroups: u.ImpersonateGroups, impersonateExtra: u.ImpersonateUserExtra}
	if len(certPEM) > 0 || len(keyPEM) > 0 {
		cert, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			return nil, fmt.Errorf("client certificate and key: %w", err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	if u.Exec != nil {
		e := *u.Exec
		e.cluster = cl
		ex, err := newExecAuth(&e, cfg.Clock)
		if err != nil {
			return nil, err
		}
		auth.exec = ex
		if len(tc.Certificates) == 0 {
			tc.GetClientCertificate = ex.clientCertificate
		}
	}
	var proxy func(*http.Request) (*url.URL, error) = http.ProxyFromEnvironment
	if cl.ProxyURL != "" {
		pu, err := url.Parse(cl.ProxyURL)
		if err != nil {
			return nil, fmt.Errorf("proxy-url: %w", err)
		}
		proxy = http.ProxyURL(pu)
	}
	host := cl.Server
	if !strings.Contains(host, "://") {
		host = "https://" + host
	}
	return &Conn{Host: strings.TrimRight(host, "/"), Client: newClient(tc, proxy, cl.DisableCompression, auth, cfg.UserAgent)}, nil
}

// inCluster connects with the pod's service account, as client-go's
// rest.InClusterConfig: the API server of KUBERNETES_SERVICE_HOST and
// _PORT, the account's CA, and its token file (read again as it rotates).
func inCluster(cfg Config) (*Conn, error) {
	host, port := cfg.Getenv("KUBERNETES_SERVICE_HOST"), cfg.Getenv("KUBERNETES_SERVICE_PORT")
	if host == "" || port == "" {
		return nil, errors.New("unable to load in-cluster configuration, KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be defined")
	}
	dir := cfg.InClusterDir
	if dir == "" {
		dir = "/var/run/secrets/kubernetes.io/serviceaccount"
	}
	tokenFile := dir + "/token"
	if _, err := os.ReadFile(tokenFile); err != nil {
		return nil, err
	}
	tc := &tls.Config{}
	if ca, err := os.ReadFile(dir + "/ca.crt"); err == nil {
		pool := x509.NewCertPool()
		if pool.AppendCertsFromPEM(ca) {
			tc.RootCAs = pool
		}
	}
	auth := &authenticator{clk: cfg.Clock, tokenFile: tokenFile}
	return &Conn{Host: "https://" + net.JoinHostPort(host, port), Client: newClient(tc, http.ProxyFromEnvironment, false, auth, cfg.UserAgent)}, nil
}
