package demo

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"syscall"
)

// ContextName is the kubeconfig context of the demo's local cluster
// (devcluster.ContextName, which this package does not import: it links the
// Kubernetes client).
const ContextName = "firedrill-dev"

// Namespace is the opted-in namespace of the sample shop (shop.Namespace).
const Namespace = "shop"

// HostCommand is the firedrill-dev command that runs the demo's cluster
// for `firedrill demo` (see Host).
const HostCommand = "demo-cluster"

// The host protocol. `firedrill demo` starts `firedrill-dev demo-cluster`
// in its own process group with a pipe as its stdin and another as its
// file descriptor 3. The host builds and starts the cluster and the shop
// (saying its steps on stdout) and sends a Message of type MsgReady on fd 3;
// later MsgKubectl once kubectl is built. Each line "leftovers" on its stdin
// makes it look for objects still marked by a fault and answer with
// MsgLeftovers. At the end of its stdin (the demo closed it, or died) it
// stops the shop's simulator and the cluster and exits.
const (
	MsgReady     = "ready"
	MsgKubectl   = "kubectl"
	MsgLeftovers = "leftovers"
)

// Message is one line the host sends on fd 3.
type Message struct {
	Type string `json:"type"`
	// MsgReady: the cluster's kubeconfig, its logs' directory and the shop
	// simulator's URLs by namespace/service.
	Kubeconfig  string            `json:"kubeconfig,omitempty"`
	Logs        string            `json:"logs,omitempty"`
	ServiceURLs map[string]string `json:"serviceURLs,omitempty"`
	// MsgKubectl: where kubectl is.
	Path string `json:"path,omitempty"`
	// MsgLeftovers: how many objects still carry a firedrill annotation
	// (each is said on the host's stderr), or why they could not be listed.
	Count int    `json:"count,omitempty"`
	Error string `json:"error,omitempty"`
}

// Host is the demo's cluster, run by `firedrill-dev demo-cluster`.
type Host struct {
	Kubeconfig  string
	Logs        string
	ServiceURLs map[string]string
	// Kubectl receives where kubectl is, when the host finds or builds it.
	Kubectl <-chan string

	cmd       *exec.Cmd
	stdin     io.WriteCloser
	leftovers chan Message
	exited    chan struct{}
	waitErr   error
	closeOnce sync.Once
	closeErr  error
}

// StartHost runs exe (firedrill-dev) with args, its stdout and stderr going
// to out and errOut, and returns once its cluster is ready. When ctx ends
// first, or the host exits before it is ready, the host is stopped and the
// error says why (the host said the details on errOut).
func StartHost(ctx context.Context, exe string, args []string, out, errOut io.Writer) (*Host, error) {
	msgR, msgW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe, args...)
	cmd.Stdout, cmd.Stderr = out, errOut
	cmd.ExtraFiles = []*os.File{msgW}
	// Its own process group: Ctrl-C reaches the demo only, which aborts its
	// drills (reverting their faults in the cluster) before it closes the
	// host's stdin.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		msgR.Close()
		msgW.Close()
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		msgR.Close()
		msgW.Close()
		return nil, fmt.Errorf("demo: start %s: %w", exe, err)
	}
	msgW.Close()
	kubectl := make(chan string, 1)
	h := &Host{Kubectl: kubectl, cmd: cmd, stdin: stdin, leftovers: make(chan Message, 1), exited: make(chan struct{})}
	go func() {
		h.waitErr = cmd.Wait()
		close(h.exited)
	}()
	// Read the messages; the reader ends with the host.
	ready := make(chan Message, 1)
	go func() {
		defer msgR.Close()
		s := bufio.NewScanner(msgR)
		for s.Scan() {
			var m Message
			if json.Unmarshal(s.Bytes(), &m) != nil {
				continue
			}
			switch m.Type {
			case MsgReady:
				ready <- m
			case MsgKubectl:
				kubectl <- m.Path
			case MsgLeftovers:
				h.leftovers <- m
			}
		}
	}()
	select {
	case m := <-ready:
		h.Kubeconfig, h.Logs, h.ServiceURLs = m.Kubeconfig, m.Logs, m.ServiceURLs
		return h, nil
	case <-h.exited:
		return nil, fmt.Errorf("demo: the local cluster did not start (%s: %v)", exe, h.waitErr)
	case <-ctx.Done():
		return nil, errors.Join(ctx.Err(), h.Close())
	}
}

// CheckLeftovers asks the host for objects in the cluster that still carry
// a firedrill annotation; it says each on its stderr, or that there is none
// on its stdout. It is an error when there is one, or the host cannot tell.
func (h *Host) CheckLeftovers(ctx context.Context) error {
	if _, err := io.WriteString(h.stdin, "leftovers\n"); err != nil {
		return fmt.Errorf("demo: check for leftovers: %w", err)
	}
	select {
	case m := <-h.leftovers:
		switch {
		case m.Error != "":
			return fmt.Errorf("demo: check for leftovers: %s", m.Error)
		case m.Count > 0:
			return fmt.Errorf("demo: %d object(s) in the cluster still carry firedrill annotations", m.Count)
		}
		return nil
	case <-h.exited:
		return fmt.Errorf("demo: check for leftovers: the local cluster's host exited: %v", h.waitErr)
	case <-ctx.Done():
		return fmt.Errorf("demo: check for leftovers: %w", ctx.Err())
	}
}

// Close tells the host to stop the shop and the cluster, and waits for it.
func (h *Host) Close() error {
	h.closeOnce.Do(func() {
		h.stdin.Close()
		<-h.exited
		if h.waitErr != nil {
			h.closeErr = fmt.Errorf("demo: stop the local cluster: %w", h.waitErr)
		}
	})
	return h.closeErr
}
