package devcluster_test

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
	"strings"
	"testing"
	"time"

	"k8s.io/utils/clock"
	"sigs.k8s.io/yaml"

	"github.com/firedrill/firedrill/internal/devcluster"
)

// echoPod is what plays a pod: it echoes every line it reads.
func echoPod(t *testing.T) (dial devcluster.PodDialer) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); _, _ = io.Copy(c, c) }()
		}
	}()
	return func(ctx context.Context, addr string) (net.Conn, error) {
		if addr != "10.0.0.1:80" {
			return nil, fmt.Errorf("not 10.0.0.1:80")
		}
		var d net.Dialer
		return d.DialContext(ctx, "tcp", ln.Addr().String())
	}
}

// tunnel CONNECTs to 10.0.0.1:80 through the egress proxy's socket, as
// kube-apiserver does, and checks that the tunnel echoes.
func tunnel(t *testing.T, socket string) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.Dial("unix", socket)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	fmt.Fprint(c, "CONNECT 10.0.0.1:80 HTTP/1.1\r\nHost: 10.0.0.1:80\r\n\r\n")
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("CONNECT: %v, %v", resp, err)
	}
	if line, err := echo(c, br); err != nil || line != "ping\n" {
		t.Fatalf("a new tunnel answered %q, %v; want the echo", line, err)
	}
	return c, br
}

func echo(c net.Conn, br *bufio.Reader) (string, error) {
	_ = c.SetDeadline(clock.RealClock{}.Now().Add(10 * time.Second))
	if _, err := fmt.Fprint(c, "ping\n"); err != nil {
		return "", err
	}
	return br.ReadString('\n')
}

// TestEgressTunnelsEndWithTheirRoute keeps a tunnel open through the egress
// proxy (as the API server's proxy keeps connections alive) and checks
// whether it still reaches the pod's player after a route is removed or the
// proxy closed.
func TestEgressTunnelsEndWithTheirRoute(t *testing.T) {
	tests := []struct {
		name     string
		end      func(e *devcluster.Egress, unrouteMine, unrouteOther func())
		wantOpen bool
	}{
		{name: "unroute closes the route's kept-alive tunnels", end: func(_ *devcluster.Egress, unrouteMine, _ func()) { unrouteMine() }},
		{name: "another route's unroute leaves the tunnel open", end: func(_ *devcluster.Egress, _, unrouteOther func()) { unrouteOther() }, wantOpen: true},
		{name: "close closes every tunnel", end: func(e *devcluster.Egress, _, _ func()) {
			if err := e.Close(); err != nil {
				t.Errorf("close: %v", err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := devcluster.StartEgress()
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close()
			unrouteOther := e.Route(func(context.Context, string) (net.Conn, error) { return nil, errors.New("not mine") })
			unrouteMine := e.Route(echoPod(t))
			c, br := tunnel(t, e.Socket())
			tt.end(e, unrouteMine, unrouteOther)
			line, err := echo(c, br)
			if tt.wantOpen {
				if err != nil || line != "ping\n" {
					t.Errorf("the tunnel answered %q, %v; want the echo", line, err)
				}
				return
			}
			var ne net.Error
			if err == nil || (errors.As(err, &ne) && ne.Timeout()) {
				t.Errorf("the kept-alive tunnel answered %q, %v; want it closed", line, err)
			}
		})
	}
}

// TestEgressSocketFitsAUnixSocketPath starts the egress proxy under several
// TMPDIRs: its socket must fit a Unix socket's path (else under /tmp), and
// the API server's configuration must name it exactly.
func TestEgressSocketFitsAUnixSocketPath(t *testing.T) {
	long := filepath.Join(t.TempDir(), strings.Repeat("d", 120))
	if err := os.Mkdir(long, 0o700); err != nil {
		t.Fatal(err)
	}
	odd, err := os.MkdirTemp("/tmp", "d #x: ")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(odd)
	tests := []struct {
		name      string
		tmpdir    string
		wantUnder string
	}{
		{name: "a TMPDIR too long for a socket falls back to /tmp", tmpdir: long, wantUnder: "/tmp/firedrill-egress-"},
		{name: "a TMPDIR YAML would misread is quoted in the configuration", tmpdir: odd, wantUnder: odd + "/firedrill-egress-"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("TMPDIR", tt.tmpdir)
			e, err := devcluster.StartEgress()
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close()
			if !strings.HasPrefix(e.Socket(), tt.wantUnder) || len(e.Socket()) > devcluster.MaxSocketPath() {
				t.Errorf("socket %s, want it under %s within %d bytes", e.Socket(), tt.wantUnder, devcluster.MaxSocketPath())
			}
			p, err := e.WriteConfig(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			var cfg struct {
				EgressSelections []struct {
					Connection struct {
						Transport struct {
							UDS struct {
								UDSName string `json:"udsName"`
							} `json:"uds"`
						} `json:"transport"`
					} `json:"connection"`
				} `json:"egressSelections"`
			}
			if err := yaml.Unmarshal(b, &cfg); err != nil || len(cfg.EgressSelections) != 1 {
				t.Fatalf("the configuration does not parse: %v\n%s", err, b)
			}
			if got := cfg.EgressSelections[0].Connection.Transport.UDS.UDSName; got != e.Socket() {
				t.Errorf("udsName = %q, want %q", got, e.Socket())
			}
		})
	}
	t.Run("too long everywhere is a clear error", func(t *testing.T) {
		_, err := devcluster.SocketDir(long)
		if err == nil || !strings.Contains(err.Error(), "set TMPDIR to a shorter directory") {
			t.Errorf("err = %v, want it to say the limit and what to do", err)
		}
	})
}
