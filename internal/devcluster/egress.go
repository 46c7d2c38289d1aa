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
	"runtime"
	"sort"
	"sync"
	"time"

	"k8s.io/utils/clock"
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

	mu      sync.Mutex
	next    int
	dialers map[int]PodDialer
	// conns are the open connections of the tunnels, both ends, by the
	// route that connected them (notRouted while the CONNECT is read):
	// unroute closes a route's kept-alive tunnels, close all of them.
	conns    map[net.Conn]int
	closed   bool
	handlers sync.WaitGroup
}

const notRouted = -1

// maxSocketPath is the longest path of a Unix socket: sun_path holds 108
// bytes on Linux, 104 on macOS and the BSDs, with the closing NUL.
func maxSocketPath() int {
	if runtime.GOOS == "linux" {
		return 107
	}
	return 103
}

// socketDir makes a temporary directory for the egress socket under the
// first of bases (os.TempDir(), then /tmp) where the socket's path fits.
func socketDir(bases ...string) (string, error) {
	var errs []error
	for _, base := range bases {
		dir, err := os.MkdirTemp(base, "firedrill-egress-")
		if err != nil {
			errs = append(errs, err)
			continue
		}
		sock := filepath.Join(dir, "egress.sock")
		if len(sock) <= maxSocketPath() {
			return dir, nil
		}
		_ = os.RemoveAll(dir)
		errs = append(errs, fmt.Errorf("the socket path %s is %d bytes, longer than %d, the limit of a Unix socket's path", sock, len(sock), maxSocketPath()))
	}
	return "", fmt.Errorf("no directory for its socket (set TMPDIR to a shorter directory): %w", errors.Join(errs...))
}

// startEgress listens on a Unix socket and serves CONNECT requests until
// close. kube-apiserver speaks HTTP CONNECT over TCP only with TLS client
// certificates, over a Unix socket without.
func startEgress() (*egress, error) {
	dir, err := socketDir(os.TempDir(), "/tmp")
	if err != nil {
		return nil, fmt.Errorf("devcluster: egress proxy: %w", err)
	}
	ln, err := net.Listen("unix", filepath.Join(dir, "egress.sock"))
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("devcluster: egress proxy: %w", err)
	}
	e := &egress{ln: ln, dir: dir, dialers: map[int]PodDialer{}, conns: map[net.Conn]int{}}
	go e.serve()
	return e, nil
}

// close stops listening, closes every tunnel and waits for their handlers.
func (e *egress) close() error {
	e.mu.Lock()
	e.closed = true
	open := make([]net.Conn, 0, len(e.conns))
	for c := range e.conns {
		open = append(open, c)
	}
	e.mu.Unlock()
	err := e.ln.Close()
	for _, c := range open {
		_ = c.Close()
	}
	e.handlers.Wait()
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
	// %q: a YAML double-quoted scalar, whatever TMPDIR holds (": ", " #").
	cfg := fmt.Sprintf(`apiVersion: apiserver.k8s.io/v1beta1
kind: EgressSelectorConfiguration
egressSelections:
- name: cluster
  connection:
    proxyProtocol: HTTPConnect
    transport:
      uds:
        udsName: %q
`, e.ln.Addr().String())
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
		delete(e.dialers, id)
		var open []net.Conn
		for c, r := range e.conns {
			if r == id {
				open = append(open, c)
			}
		}
		e.mu.Unlock()
		// A kept-alive tunnel would still reach the old route.
		for _, c := range open {
			_ = c.Close()
		}
	}
}

// dial asks the routes, oldest first, for addr, and returns the route that
// connected.
func (e *egress) dial(ctx context.Context, addr string) (net.Conn, int, error) {
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
	for i, d := range ds {
		conn, err := d(ctx, addr)
		if err == nil {
			return conn, ids[i], nil
		}
		errs = append(errs, err)
	}
	return nil, 0, errors.Join(errs...)
}

func (e *egress) serve() {
	for {
		conn, err := e.ln.Accept()
		if err != nil {
			return
		}
		e.mu.Lock()
		if e.closed {
			e.mu.Unlock()
			_ = conn.Close()
			return
		}
		e.conns[conn] = notRouted
		e.handlers.Add(1)
		e.mu.Unlock()
		go e.handle(conn)
	}
}

// track files the tunnel conn–up under route id; it reports false when the
// route (or the proxy) is gone meanwhile.
func (e *egress) track(conn, up net.Conn, id int) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, ok := e.dialers[id]; !ok || e.closed {
		return false
	}
	e.conns[conn], e.conns[up] = id, id
	return true
}

func (e *egress) untrack(conns ...net.Conn) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, c := range conns {
		delete(e.conns, c)
	}
}

// handle answers one CONNECT and then copies both ways until either side
// closes (or the route is removed).
func (e *egress) handle(conn net.Conn) {
	defer e.handlers.Done()
	defer e.untrack(conn)
	defer conn.Close()
	// The runtime compares a socket deadline with the wall clock: the real
	// clock, never the cluster's injected one (as ui.Config.NetClock).
	_ = conn.SetReadDeadline(clock.RealClock{}.Now().Add(30 * time.Second))
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
	up, id, err := e.dial(ctx, req.Host)
	cancel()
	if err == nil && !e.track(conn, up, id) {
		_ = up.Close()
		err = fmt.Errorf("the route to %s was removed", req.Host)
	}
	if err != nil {
		fmt.Fprintf(conn, "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nX-Devcluster-Error: %q\r\n\r\n", err.Error())
		return
	}
	defer e.untrack(up)
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
// node proxies) through d, until unroute is called, which also closes the
// connections d made. Routes are asked oldest first; the first that
// connects wins. Without a route that serves the pod, the API server's
// proxy answers 503 (the egress proxy's 502).
func (c *Cluster) RoutePods(d PodDialer) (unroute func()) { return c.egress.route(d) }
