package devcluster

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

func (c *Cluster) startProcess(name, bin string, args []string) error {
	logPath := filepath.Join(c.workDir, "logs", name+".log")
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("devcluster: %w", err)
	}
	cmd := exec.Command(c.bin(bin), args...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.Dir = c.workDir
	cmd.Env = append(os.Environ(), "HOME="+c.workDir) // kwok writes under ~/.kwok
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		f.Close()
		return fmt.Errorf("devcluster: start %s: %w", name, err)
	}
	p := &process{name: name, cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		f.Close()
		close(p.done)
	}()
	c.mu.Lock()
	c.procs[name] = p
	c.mu.Unlock()
	return nil
}

// stopProcess terminates a component's process group: SIGTERM, then SIGKILL
// after ten seconds.
func (c *Cluster) stopProcess(name string) error {
	c.mu.Lock()
	p := c.procs[name]
	delete(c.procs, name)
	c.mu.Unlock()
	if p == nil {
		return nil
	}
	pgid := p.cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-c.opts.Clock.After(10 * time.Second):
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-p.done
	}
	return nil
}

func (c *Cluster) logTail(name string) string {
	b, err := os.ReadFile(filepath.Join(c.workDir, "logs", name+".log"))
	if err != nil || len(b) == 0 {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > 15 {
		lines = lines[len(lines)-15:]
	}
	return fmt.Sprintf("\nlast lines of %s:\n%s", filepath.Join(c.workDir, "logs", name+".log"), strings.Join(lines, "\n"))
}

// waitHTTP polls url until it answers 200, the component exits, or timeout.
func (c *Cluster) waitHTTP(ctx context.Context, name, url string, timeout time.Duration) error {
	hc := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{
		// The components serve self-signed certificates on loopback; only
		// their health endpoints are read with this client.
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, //nolint:gosec
	}}
	defer hc.CloseIdleConnections()
	c.mu.Lock()
	p := c.procs[name]
	c.mu.Unlock()
	deadline := c.opts.Clock.After(timeout)
	var last string
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		if strings.Contains(url, fmt.Sprintf(":%d/", c.apiPort)) {
			req.Header.Set("Authorization", "Bearer "+c.pki.Token)
		}
		resp, err := hc.Do(req)
		if err == nil {
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = fmt.Sprintf("HTTP %d: %s", resp.StatusCode, bytes.TrimSpace(body))
		} else {
			last = err.Error()
		}
		var exited <-chan struct{}
		if p != nil {
			exited = p.done
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("devcluster: wait for %s: %w", name, ctx.Err())
		case <-exited:
			return fmt.Errorf("devcluster: %s exited during start-up: %v%s", name, p.err, c.logTail(name))
		case <-deadline:
			return fmt.Errorf("devcluster: %s not ready after %s (last answer: %s)%s", name, timeout, last, c.logTail(name))
		case <-c.opts.Clock.After(200 * time.Millisecond):
		}
	}
}

// freePorts reserves n distinct free loopback TCP ports and releases them for
// the components to bind.
func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	var out []int
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("find a free port: %w", err)
		}
		ls = append(ls, l)
		out = append(out, l.Addr().(*net.TCPAddr).Port)
	}
	return out, nil
}
