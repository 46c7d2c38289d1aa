package helper

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

	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/injectors/kubernetes/catalog"
)

// Client is a running helper process. Its methods may be called from any
// goroutine; they take turns. A helper that died fails every later call;
// Close stops it.
type Client struct {
	stdin   io.WriteCloser
	out     *bufio.Reader
	kill    func()
	context string
	refused *Error

	mu     sync.Mutex
	nextID int64
	broken error
	exited chan struct{}
}

// Start runs `exe helper args…` (args are pluginargs flags) and says
// hello. stderr receives the helper's log (nil: firedrill's stderr). When
// the helper cannot act on the cluster the configuration names, Start
// returns its error (with its code) and the helper is stopped.
func Start(ctx context.Context, exe string, args []string, stderr io.Writer) (*Client, error) {
	cmd := exec.Command(exe, append([]string{Subcommand}, args...)...)
	if stderr == nil {
		stderr = os.Stderr
	}
	cmd.Stderr = stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start the Kubernetes helper %s: %w", exe, err)
	}
	c := newClient(stdin, stdout, func() { _ = cmd.Process.Kill() })
	go func() { _ = cmd.Wait(); close(c.exited) }()
	if err := c.hello(ctx, exe); err != nil {
		return nil, err
	}
	return c, nil
}

// Pipe runs serve (kubernetes.ServeHelper in the caller's process) as the
// helper, over pipes, and says hello: tests and tools ask an injector in
// process exactly as firedrill asks the helper process.
func Pipe(ctx context.Context, serve func(r io.Reader, w io.Writer) error) (*Client, error) {
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	c := newClient(inW, outR, func() { _ = inR.Close(); _ = outW.Close() })
	go func() {
		err := serve(inR, outW)
		_ = outW.CloseWithError(err)
		_ = inR.Close()
		close(c.exited)
	}()
	if err := c.hello(ctx, "in process"); err != nil {
		return nil, err
	}
	return c, nil
}

func newClient(stdin io.WriteCloser, stdout io.Reader, kill func()) *Client {
	return &Client{stdin: stdin, out: bufio.NewReaderSize(stdout, 64<<10), kill: kill, exited: make(chan struct{})}
}

// hello asks the helper for its protocol version and context; on error
// the helper is stopped.
func (c *Client) hello(ctx context.Context, what string) error {
	var hello Response
	if err := c.call(ctx, Request{Method: MethodHello}, &hello); err != nil {
		_ = c.Close()
		return err
	}
	if hello.Version != Version {
		_ = c.Close()
		return fmt.Errorf("the Kubernetes helper %s speaks protocol version %d, firedrill %d: install the plugin executable of this firedrill (make build)", what, hello.Version, Version)
	}
	c.context, c.refused = hello.Context, hello.Refused
	return nil
}

// Context is the kubeconfig context the helper acts on, "" when none is
// configured.
func (c *Client) Context() string { return c.context }

// Refused is why the configuration does not allow touching the cluster,
// nil when it does.
func (c *Client) Refused() error {
	if c.refused == nil {
		return nil
	}
	return c.refused
}

// Err is why the helper can answer no more (it died, stopped answering or
// was closed), nil while it can.
func (c *Client) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.broken
}

// Close stops the helper: its stdin closes and it exits.
func (c *Client) Close() error {
	c.mu.Lock()
	if c.broken == nil {
		c.broken = errors.New("the Kubernetes helper is closed")
	}
	c.mu.Unlock()
	err := c.stdin.Close()
	<-c.exited
	return err
}

// call sends req and reads its response into resp. A response's Error is
// returned as the error (resp is filled either way).
func (c *Client) call(ctx context.Context, req Request, resp *Response) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.broken != nil {
		return c.broken
	}
	c.nextID++
	req.ID = c.nextID
	line, err := EncodeLine(req)
	if err != nil {
		return err
	}
	// The answer is decoded into a Response of the goroutine's own and
	// handed over: after a cancellation the goroutine may still be
	// decoding while the caller reads resp.
	type answer struct {
		resp Response
		err  error
	}
	done := make(chan answer, 1)
	go func() {
		if _, err := c.stdin.Write(line); err != nil {
			done <- answer{err: err}
			return
		}
		b, err := c.out.ReadBytes('\n')
		if err != nil {
			done <- answer{err: err}
			return
		}
		var a answer
		a.err = json.Unmarshal(b, &a.resp)
		done <- a
	}()
	select {
	case a := <-done:
		*resp, err = a.resp, a.err
	case <-ctx.Done():
		// The answer may still come: the helper is of no further use.
		c.kill()
		err = ctx.Err()
	}
	if err != nil {
		c.broken = fmt.Errorf("the Kubernetes helper stopped answering (%s %d): %w", req.Method, req.ID, err)
		return c.broken
	}
	if resp.ID != req.ID {
		c.broken = fmt.Errorf("the Kubernetes helper answered request %d to %s %d", resp.ID, req.Method, req.ID)
		return c.broken
	}
	if resp.Error != nil {
		return resp.Error
	}
	return nil
}

// Baseline notes the targets as they are now, before the drill (see
// kubernetes.Participant.Baseline).
func (c *Client) Baseline(ctx context.Context, targets []injectors.Target) error {
	var r Response
	return c.call(ctx, Request{Method: MethodBaseline, Targets: targets}, &r)
}

// Fix puts the target back as it was in the baseline (see
// kubernetes.Participant.Fix); it returns what it did, also on error.
func (c *Client) Fix(ctx context.Context, t injectors.Target, key string, strayPolicies bool) ([]string, error) {
	var r Response
	err := c.call(ctx, Request{Method: MethodFix, Target: t, Key: key, StrayPolicies: strayPolicies}, &r)
	return r.Did, err
}

// Isolate takes the sick pods the target selects out of service (see
// kubernetes.Participant.Isolate); it returns what it did, also on error.
func (c *Client) Isolate(ctx context.Context, t injectors.Target) ([]string, error) {
	var r Response
	err := c.call(ctx, Request{Method: MethodIsolate, Target: t}, &r)
	return r.Did, err
}

// FindLeftovers lists the objects that still carry firedrill's marks; with
// a drillID, only that drill's.
func (c *Client) FindLeftovers(ctx context.Context, drillID string) ([]catalog.Leftover, error) {
	var r Response
	err := c.call(ctx, Request{Method: MethodFindLeftovers, DrillID: drillID}, &r)
	return r.Leftovers, err
}

// ServerInfo asks the API server for its version and whom the helper acts
// as; on error Host is still set, for the message.
func (c *Client) ServerInfo(ctx context.Context) (catalog.ServerInfo, error) {
	var r Response
	err := c.call(ctx, Request{Method: MethodServerInfo}, &r)
	if r.Server == nil {
		return catalog.ServerInfo{}, err
	}
	return *r.Server, err
}

// Namespace looks up a namespace (Exists false when there is none).
func (c *Client) Namespace(ctx context.Context, ns string) (catalog.ObjectInfo, error) {
	var r Response
	err := c.call(ctx, Request{Method: MethodNamespace, Namespace: ns}, &r)
	return objectInfo(r), err
}

// Object looks up an object of a catalog kind (Exists false when there is
// none).
func (c *Client) Object(ctx context.Context, kind, namespace, name string) (catalog.ObjectInfo, error) {
	var r Response
	err := c.call(ctx, Request{Method: MethodObject, Kind: kind, Namespace: namespace, Name: name}, &r)
	return objectInfo(r), err
}

func objectInfo(r Response) catalog.ObjectInfo {
	if r.Object == nil {
		return catalog.ObjectInfo{}
	}
	return *r.Object
}

// CountPods returns how many pods in namespace match selector.
func (c *Client) CountPods(ctx context.Context, namespace string, selector map[string]string) (int, error) {
	var r Response
	err := c.call(ctx, Request{Method: MethodCountPods, Namespace: namespace, Selector: selector}, &r)
	return r.Count, err
}

// OptedInNamespaces lists the namespaces opted in to drills.
func (c *Client) OptedInNamespaces(ctx context.Context) ([]string, error) {
	var r Response
	err := c.call(ctx, Request{Method: MethodOptedInNamespaces}, &r)
	return r.Namespaces, err
}

// ReviewAccess asks the API server whether the helper's user may do each
// access; the answers are in the order of accesses.
func (c *Client) ReviewAccess(ctx context.Context, accesses []catalog.Access) ([]catalog.AccessReview, error) {
	var r Response
	err := c.call(ctx, Request{Method: MethodReviewAccess, Accesses: accesses}, &r)
	return r.Reviews, err
}
