// Package devcluster runs a real, local Kubernetes control plane without
// Docker: etcd, kube-apiserver, kube-controller-manager, kube-scheduler and
// kwok (which plays the kubelets of fake nodes, so pods reach Running without
// containers). The binaries are built once from the Go module proxy into a
// cache directory outside the checkout (see EnsureBinaries); starting a
// cluster from the cache takes seconds.
//
// Tests use it through the clustertest subpackage; people use it through
// `firedrill cluster up` (make cluster) for demos, which leaves a State in
// its work directory for `cluster status` (State.Health) and `cluster down`.
//
// Beyond kwok's stock "fast" stages, the cluster simulates two symptoms that
// drills need: a pod whose image starts with "invalid/" waits in
// ErrImagePull, and a container with an env var whose value starts with
// "invalid" goes into CrashLoopBackOff (not ready, one restart).
//
// kwok's pods answer nothing at their IPs, so kube-apiserver reaches the
// cluster (its pod, service and node proxies) through an HTTP CONNECT proxy
// of the Cluster (egress.go), which connects a pod's address to whoever plays
// the pod (RoutePods): the sample shop's simulator in the demo and its tests.
package devcluster

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"k8s.io/utils/clock"
)

// ContextName is the kubeconfig context (and cluster and user) name the dev
// cluster's kubeconfig uses. Allow it in kubernetes.allowedContexts.
const ContextName = "firedrill-dev"

// DrillTargetLabel is the namespace label that opts a namespace in to
// fault injection.
const DrillTargetLabel = "firedrill.dev/drill-target"

//go:embed stages/*.yaml
var stageFiles embed.FS

// Options configure Start.
type Options struct {
	// CacheDir holds the binaries (CacheDir/bin); default DefaultCacheDir.
	CacheDir string
	// WorkDir holds the cluster's state: etcd data, certificates,
	// kubeconfig, logs. Default: a new temporary directory. Stop removes
	// what Start wrote there.
	WorkDir string
	// Log receives progress messages; the components' own output goes to
	// WorkDir/logs/<component>.log.
	Log io.Writer
	// Nodes is the number of fake nodes to create; default 2.
	Nodes int
	// Clock is used for waits and timeouts; default the real clock. Socket
	// deadlines use the real clock whatever Clock is.
	Clock clock.Clock
	// Getenv looks up XDG_CACHE_HOME and HOME; default os.Getenv.
	Getenv func(string) string
}

// Cluster is a running dev cluster.
type Cluster struct {
	opts       Options
	workDir    string
	ownWorkDir bool
	created    []string // paths Start created inside a given WorkDir
	pki        *pki
	kubeconfig string
	rest       *rest.Config
	client     kubernetes.Interface

	etcdPort, etcdPeerPort, apiPort, kcmPort, schedPort int

	mu    sync.Mutex
	procs map[string]*process

	egress       *egress
	egressConfig string
}

// process is one running component.
type process struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan struct{}
	err  error
}

// Start builds missing binaries, starts the five components on free
// loopback ports, creates the fake nodes, writes a kubeconfig with context
// firedrill-dev and returns once the control plane schedules and runs pods.
// On error everything started so far is stopped again.
func Start(ctx context.Context, opts Options) (*Cluster, error) {
	if opts.Log == nil {
		opts.Log = io.Discard
	}
	if opts.Clock == nil {
		opts.Clock = clock.RealClock{}
	}
	if opts.Getenv == nil {
		opts.Getenv = os.Getenv
	}
	if opts.Nodes == 0 {
		opts.Nodes = 2
	}
	if opts.Nodes < 0 {
		return nil, fmt.Errorf("devcluster: Nodes is %d, expected 1 or more", opts.Nodes)
	}
	if opts.CacheDir == "" {
		d, err := DefaultCacheDir(opts.Getenv)
		if err != nil {
			return nil, err
		}
		opts.CacheDir = d
	}
	if err := EnsureBinaries(ctx, opts.CacheDir, opts.Log, opts.Clock); err != nil {
		return nil, err
	}
	c := &Cluster{opts: opts, procs: map[string]*process{}}
	if opts.WorkDir == "" {
		d, err := os.MkdirTemp("", "firedrill-devcluster-")
		if err != nil {
			return nil, fmt.Errorf("devcluster: %w", err)
		}
		c.workDir, c.ownWorkDir = d, true
	} else {
		if err := os.MkdirAll(opts.WorkDir, 0o755); err != nil {
			return nil, fmt.Errorf("devcluster: %w", err)
		}
		c.workDir = opts.WorkDir
		for _, n := range []string{"etcd", "logs", "pki", "kubeconfig", "kwok.yaml", "egress.yaml"} {
			p := filepath.Join(c.workDir, n)
			if err := os.RemoveAll(p); err != nil {
				return nil, fmt.Errorf("devcluster: clean %s: %w", p, err)
			}
			c.created = append(c.created, p)
		}
	}
	eg, err := startEgress()
	if err != nil {
		_ = c.Stop()
		return nil, err
	}
	c.egress = eg
	// The free ports are released before the components bind them; another
	// process can take one in between. Start again on fresh ports then.
	for attempt := 1; ; attempt++ {
		err := c.start(ctx)
		if err == nil {
			return c, nil
		}
		c.stopAll()
		if attempt == 3 || !strings.Contains(err.Error(), "address already in use") {
			_ = c.Stop()
			return nil, err
		}
		fmt.Fprintf(c.opts.Log, "devcluster: a port was taken during start-up, starting again: %v\n", err)
		for _, d := range []string{"etcd", "logs"} {
			_ = os.RemoveAll(filepath.Join(c.workDir, d))
		}
	}
}

// stopAll stops every component.
func (c *Cluster) stopAll() []error {
	var errs []error
	for _, n := range []string{"kwok", "kube-scheduler", "kube-controller-manager", "kube-apiserver", "etcd"} {
		if err := c.stopProcess(n); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

func (c *Cluster) start(ctx context.Context) error {
	begin := c.opts.Clock.Now()
	for _, d := range []string{"logs", "pki", "etcd"} {
		if err := os.MkdirAll(filepath.Join(c.workDir, d), 0o700); err != nil {
			return fmt.Errorf("devcluster: %w", err)
		}
	}
	p, err := writePKI(filepath.Join(c.workDir, "pki"), c.opts.Clock.Now())
	if err != nil {
		return fmt.Errorf("devcluster: %w", err)
	}
	c.pki = p
	ports, err := freePorts(5)
	if err != nil {
		return fmt.Errorf("devcluster: %w", err)
	}
	c.etcdPort, c.etcdPeerPort, c.apiPort, c.kcmPort, c.schedPort = ports[0], ports[1], ports[2], ports[3], ports[4]
	if err := c.writeKubeconfig(); err != nil {
		return err
	}
	if err := c.writeKwokConfig(); err != nil {
		return err
	}
	if c.egressConfig, err = c.egress.writeConfig(c.workDir); err != nil {
		return err
	}

	fmt.Fprintf(c.opts.Log, "devcluster: starting etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok in %s\n", c.workDir)
	if err := c.startProcess("etcd", "etcd", c.etcdArgs()); err != nil {
		return err
	}
	if err := c.waitHTTP(ctx, "etcd", fmt.Sprintf("http://127.0.0.1:%d/health", c.etcdPort), 30*time.Second); err != nil {
		return err
	}
	if err := c.StartAPIServer(ctx); err != nil {
		return err
	}
	if err := c.startProcess("kube-controller-manager", "kube-controller-manager", c.kcmArgs()); err != nil {
		return err
	}
	if err := c.startProcess("kube-scheduler", "kube-scheduler", c.schedulerArgs()); err != nil {
		return err
	}
	if err := c.startProcess("kwok", "kwok", c.kwokArgs()); err != nil {
		return err
	}
	if err := c.createNodes(ctx); err != nil {
		return err
	}
	if err := c.waitHTTP(ctx, "kube-controller-manager", fmt.Sprintf("https://127.0.0.1:%d/healthz", c.kcmPort), 60*time.Second); err != nil {
		return err
	}
	if err := c.waitHTTP(ctx, "kube-scheduler", fmt.Sprintf("https://127.0.0.1:%d/healthz", c.schedPort), 60*time.Second); err != nil {
		return err
	}
	if err := c.waitNodesReady(ctx, 60*time.Second); err != nil {
		return err
	}
	if err := WaitServiceAccount(ctx, c.client, "default", c.opts.Clock); err != nil {
		return fmt.Errorf("devcluster: kube-controller-manager did not create the default service account: %w%s", err, c.logTail("kube-controller-manager"))
	}
	fmt.Fprintf(c.opts.Log, "devcluster: ready in %s: kubeconfig %s (context %s), API %s\n",
		c.opts.Clock.Since(begin).Round(100*time.Millisecond), c.kubeconfig, ContextName, c.Server())
	return nil
}

// Kubeconfig returns the path of the cluster's kubeconfig. Its only context
// is firedrill-dev, authenticated with an admin token.
func (c *Cluster) Kubeconfig() string { return c.kubeconfig }

// RESTConfig returns a copy of the admin client configuration.
func (c *Cluster) RESTConfig() *rest.Config { return rest.CopyConfig(c.rest) }

// Server returns the URL of kube-apiserver.
func (c *Cluster) Server() string { return fmt.Sprintf("https://127.0.0.1:%d", c.apiPort) }

// WorkDir returns the directory holding the cluster's state and logs.
func (c *Cluster) WorkDir() string { return c.workDir }

// Client returns an admin clientset.
func (c *Cluster) Client() kubernetes.Interface { return c.client }

// StopAPIServer stops kube-apiserver only, to test what clients do while the
// API is unavailable. StartAPIServer brings it back on the same port.
func (c *Cluster) StopAPIServer() error { return c.stopProcess("kube-apiserver") }

// StartAPIServer starts kube-apiserver (again) and waits until it is ready.
func (c *Cluster) StartAPIServer(ctx context.Context) error {
	if err := c.startProcess("kube-apiserver", "kube-apiserver", c.apiserverArgs()); err != nil {
		return err
	}
	return c.waitHTTP(ctx, "kube-apiserver", c.Server()+"/readyz", 90*time.Second)
}

// RestartAPIServer stops kube-apiserver, keeps it down for downtime, and
// starts it again, waiting until it is ready.
func (c *Cluster) RestartAPIServer(ctx context.Context, downtime time.Duration) error {
	if err := c.StopAPIServer(); err != nil {
		return err
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-c.opts.Clock.After(downtime):
	}
	return c.StartAPIServer(ctx)
}

// Stop kills every component (each with its process group) and removes what
// Start wrote. It is safe to call more than once.
func (c *Cluster) Stop() error {
	errs := c.stopAll()
	if c.egress != nil {
		_ = c.egress.close()
	}
	if c.ownWorkDir {
		if err := os.RemoveAll(c.workDir); err != nil {
			errs = append(errs, err)
		}
	} else {
		for _, p := range c.created {
			if err := os.RemoveAll(p); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// writeKwokConfig concatenates the embedded Stage files into one kwok config,
// dropping empty YAML documents (kwok fails on them with "a resource must be
// present").
func (c *Cluster) writeKwokConfig() error {
	names, err := stageFiles.ReadDir("stages")
	if err != nil {
		return fmt.Errorf("devcluster: %w", err)
	}
	var docs []string
	for _, e := range names {
		b, err := stageFiles.ReadFile("stages/" + e.Name())
		if err != nil {
			return fmt.Errorf("devcluster: %w", err)
		}
		docs = append(docs, splitYAMLDocuments(string(b))...)
	}
	p := filepath.Join(c.workDir, "kwok.yaml")
	return os.WriteFile(p, []byte(strings.Join(docs, "\n---\n")+"\n"), 0o600)
}

// splitYAMLDocuments splits a multi-document YAML stream and drops documents
// that hold only comments or whitespace.
func splitYAMLDocuments(s string) []string {
	var out []string
	var cur []string
	flush := func() {
		doc := strings.Join(cur, "\n")
		cur = nil
		for _, l := range strings.Split(doc, "\n") {
			t := strings.TrimSpace(l)
			if t != "" && !strings.HasPrefix(t, "#") {
				out = append(out, strings.TrimRight(doc, "\n"))
				return
			}
		}
	}
	for _, l := range strings.Split(s, "\n") {
		if strings.TrimRight(l, " \t\r") == "---" {
			flush()
			continue
		}
		cur = append(cur, l)
	}
	flush()
	return out
}

func (c *Cluster) writeKubeconfig() error {
	c.kubeconfig = filepath.Join(c.workDir, "kubeconfig")
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters[ContextName] = &clientcmdapi.Cluster{Server: c.Server(), CertificateAuthorityData: c.pki.caPEM}
	cfg.AuthInfos[ContextName] = &clientcmdapi.AuthInfo{Token: c.pki.Token}
	cfg.Contexts[ContextName] = &clientcmdapi.Context{Cluster: ContextName, AuthInfo: ContextName, Namespace: "default"}
	cfg.CurrentContext = ContextName
	if err := clientcmd.WriteToFile(*cfg, c.kubeconfig); err != nil {
		return fmt.Errorf("devcluster: write kubeconfig: %w", err)
	}
	c.rest = &rest.Config{
		Host:            c.Server(),
		BearerToken:     c.pki.Token,
		TLSClientConfig: rest.TLSClientConfig{CAData: c.pki.caPEM},
		QPS:             200,
		Burst:           400,
	}
	cs, err := kubernetes.NewForConfig(c.rest)
	if err != nil {
		return fmt.Errorf("devcluster: %w", err)
	}
	c.client = cs
	return nil
}

func (c *Cluster) createNodes(ctx context.Context) error {
	for i := 0; i < c.opts.Nodes; i++ {
		name := fmt.Sprintf("kwok-node-%d", i)
		n := &corev1.Node{
			ObjectMeta: metav1.ObjectMeta{
				Name: name,
				Labels: map[string]string{
					"type":                   "kwok",
					"kubernetes.io/hostname": name,
					"kubernetes.io/os":       "linux",
					"kubernetes.io/arch":     "amd64",
				},
				Annotations: map[string]string{
					"kwok.x-k8s.io/node":           "fake",
					"node.alpha.kubernetes.io/ttl": "0",
				},
			},
			Status: corev1.NodeStatus{
				Capacity:    fakeNodeResources(),
				Allocatable: fakeNodeResources(),
				Phase:       corev1.NodeRunning,
				NodeInfo:    corev1.NodeSystemInfo{KubeletVersion: "fake", OperatingSystem: "linux", Architecture: "amd64"},
			},
		}
		if _, err := c.client.CoreV1().Nodes().Create(ctx, n, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("devcluster: create node %s: %w", name, err)
		}
	}
	return nil
}

func fakeNodeResources() corev1.ResourceList {
	return corev1.ResourceList{
		corev1.ResourceCPU:    resource.MustParse("32"),
		corev1.ResourceMemory: resource.MustParse("256Gi"),
		corev1.ResourcePods:   resource.MustParse("110"),
	}
}

func (c *Cluster) waitNodesReady(ctx context.Context, timeout time.Duration) error {
	deadline := c.opts.Clock.After(timeout)
	for {
		nodes, err := c.client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
		ready := 0
		var notReady []string
		if err == nil {
			for _, n := range nodes.Items {
				if nodeReady(&n) {
					ready++
				} else {
					notReady = append(notReady, n.Name)
				}
			}
			if ready >= c.opts.Nodes {
				return nil
			}
		}
		sort.Strings(notReady)
		select {
		case <-ctx.Done():
			return fmt.Errorf("devcluster: wait for nodes: %w", ctx.Err())
		case <-deadline:
			return fmt.Errorf("devcluster: nodes %v not Ready after %s (kwok should mark them)%s", notReady, timeout, c.logTail("kwok"))
		case <-c.opts.Clock.After(200 * time.Millisecond):
		}
	}
}

func nodeReady(n *corev1.Node) bool {
	for _, cond := range n.Status.Conditions {
		if cond.Type == corev1.NodeReady {
			return cond.Status == corev1.ConditionTrue
		}
	}
	return false
}

// WaitServiceAccount waits until the default service account of namespace
// exists; until then the ServiceAccount admission plugin refuses pods there.
func WaitServiceAccount(ctx context.Context, cs kubernetes.Interface, namespace string, clk clock.Clock) error {
	if clk == nil {
		clk = clock.RealClock{}
	}
	deadline := clk.After(60 * time.Second)
	for {
		_, err := cs.CoreV1().ServiceAccounts(namespace).Get(ctx, "default", metav1.GetOptions{})
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-deadline:
			return fmt.Errorf("service account %s/default not created within 60s: %w", namespace, err)
		case <-clk.After(100 * time.Millisecond):
		}
	}
}
