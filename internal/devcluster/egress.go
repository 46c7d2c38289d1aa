package devcluster

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"
)

// PodDialer connects to addr ("IP:port" of a pod) for the API server's
// proxy. It returns an error for an address it does not serve.
type PodDialer func(ctx context.Context, addr string) (net.Conn, error)

// egress is the HTTP CONNECT proxy kube-apiserver reaches the cluster
// through (its egress selector's "cluster" selection): the pod, service and
// node proxies (`kubectl get --raw /api/v1/namespaces/NS/services/NAME:PORT/proxy/PATH`).
// kwok runs no containers, so a pod's IP answers nothing; the proxy
// connects a pod's address to whoever plays the pod (RoutePods), such as
// the sample shop's simulator, and refuses the others with 502.
type egress struct {
	ln  net.Listener
	dir string // holds the socket
	now func() time.Time

	mu      sync.Mutex
	next    int
	dialers map[int]PodDialer
}

// startEgress listens on a Unix socket and serves CONNECT requests until
// close. kube-apiserver speaks HTTP CONNECT over TCP only with TLS client
// certificates, over a Unix socket without; the socket lives in a short
// temporary directory because a socket path is limited to 107 bytes.
func startEgress(now func() time.Time) (*egress, error) {
	dir, err := os.MkdirTemp("", "firedrill-egress-")
	if err != nil {
		return nil, fmt.Errorf("devcluster: egress proxy: %w", err)
	}
	ln, err := net.Listen("unix", filepath.Join(dir, "egress.sock"))
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("devcluster: egress proxy: %w", err)
	}
	e := &egress{ln: ln, dir: dir, now: now, dialers: map[int]PodDialer{}}
	go e.serve()
	return e, nil
}

func (e *egress) close() error {
	err := e.ln.Close()
	if rerr := os.RemoveAll(e.dir); rerr != nil {
		return rerr
	}
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

// writeConfig writes the kube-apiserver EgressSelectorConfiguration that
// sends the "cluster" traffic through e, and returns its path.
func (e *egress) writeConfig(dir string) (string, error) {
	p := filepath.Join(dir, "egress.yaml")
	cfg := fmt.Sprintf(`apiVersion: apiserver.k8s.io/v1beta1
kind: EgressSelectorConfiguration
egressSelections:
- name: cluster
  connection:
    proxyProtocol: HTTPConnect
    transport:
      uds:
        udsName: %s
`, e.ln.Addr())
	if err := os.WriteFile(p, []byte(cfg), 0o600); err != nil {
		return "", fmt.Errorf("devcluster: %w", err)
	}
	return p, nil
}

func (e *egress) route(d PodDialer) (unroute func()) {
	e.mu.Lock()
	defer e.mu.Unlock()
	id := e.next
	e.next++
	e.dialers[id] = d
	return func() {
		e.mu.Lock()
		defer e.mu.Unlock()
		delete(e.dialers, id)
	}
}

// dial asks the routes, oldest first, for addr.
func (e *egress) dial(ctx context.Context, addr string) (net.Conn, error) {
	e.mu.Lock()
	ids := make([]int, 0, len(e.dialers))
	for id := range e.dialers {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	ds := make([]PodDialer, len(ids))
	for i, id := range ids {
		ds[i] = e.dialers[id]
	}
	e.mu.Unlock()
	errs := []error{fmt.Errorf("nothing plays the pod at %s (kwok runs no containers)", addr)}
	for _, d := range ds {
		conn, err := d(ctx, addr)
		if err == nil {
			return conn, nil
		}
		errs = append(errs, err)
	}
	return nil, errors.Join(errs...)
}

func (e *egress) serve() {
	for {
		conn, err := e.ln.Accept()
		if err != nil {
			return
		}
		go e.handle(conn)
	}
}

// handle answers one CONNECT and then copies both ways until either side
// closes.
func (e *egress) handle(conn net.Conn) {
	defer conn.Close()
	_ = conn.SetReadDeadline(e.now().Add(30 * time.Second))
	br := bufio.NewReader(conn)
	req, err := http.ReadRequest(br)
	if err != nil {
		return
	}
	if req.Method != http.MethodConnect {
		fmt.Fprint(conn, "HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	up, err := e.dial(ctx, req.Host)
	cancel()
	if err != nil {
		fmt.Fprintf(conn, "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nX-Devcluster-Error: %q\r\n\r\n", err.Error())
		return
	}
	defer up.Close()
	_ = conn.SetReadDeadline(time.Time{})
	if _, err := fmt.Fprint(conn, "HTTP/1.1 200 Connection established\r\n\r\n"); err != nil {
		return
	}
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(up, br); done <- struct{}{} }()
	go func() { _, _ = io.Copy(conn, up); done <- struct{}{} }()
	<-done
	conn.Close()
	up.Close()
	<-done
}

// RoutePods sends the API server's connections to pods (its pod, service and
// node proxies) through d, until unroute is called. Routes are asked oldest
// first; the first that connects wins. Without a route that serves the pod,
// the API server's proxy answers 503 (the egress proxy's 502).
func (c *Cluster) RoutePods(d PodDialer) (unroute func()) { return c.egress.route(d) }
