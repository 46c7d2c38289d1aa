package devcluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"k8s.io/utils/clock"
)

// Versions of the control-plane components the dev cluster runs. They match
// the client-go version firedrill is built with.
const (
	KubernetesVersion = "v1.34.4"
	StagingVersion    = "v0.34.4" // the k8s.io/* staging modules of KubernetesVersion
	EtcdVersion       = "v3.5.21"
	KwokVersion       = "v0.8.0"
)

// stagingModules are the k8s.io modules that k8s.io/kubernetes requires at
// v0.0.0 and resolves through replace directives in its own go.mod. A module
// that requires k8s.io/kubernetes must repeat those replaces.
var stagingModules = []string{
	"api", "apiextensions-apiserver", "apimachinery", "apiserver", "cli-runtime",
	"client-go", "cloud-provider", "cluster-bootstrap", "code-generator",
	"component-base", "component-helpers", "controller-manager", "cri-api",
	"cri-client", "csi-translation-lib", "dynamic-resource-allocation",
	"endpointslice", "externaljwt", "kms", "kube-aggregator",
	"kube-controller-manager", "kube-proxy", "kube-scheduler", "kubectl",
	"kubelet", "metrics", "mount-utils", "pod-security-admission",
	"sample-apiserver", "sample-cli-plugin", "sample-controller",
}

// binary is one executable of the dev cluster and how to build it.
type binary struct {
	name    string        // file name in the bin directory
	pkg     string        // Go package path
	install string        // "module/path@version" for go install; empty to build in a throwaway module
	module  string        // which throwaway module builds pkg: "src" (Kubernetes) or "etcdsrc"
	cold    time.Duration // rough cold build time on 2 cores, for the progress message
}

var binaries = []binary{
	{name: "kube-apiserver", module: "src", pkg: "k8s.io/kubernetes/cmd/kube-apiserver", cold: 7 * time.Minute},
	{name: "kube-controller-manager", module: "src", pkg: "k8s.io/kubernetes/cmd/kube-controller-manager", cold: 2 * time.Minute},
	{name: "kube-scheduler", module: "src", pkg: "k8s.io/kubernetes/cmd/kube-scheduler", cold: 2 * time.Minute},
	// go install refuses go.etcd.io/etcd/server/v3@version because its
	// go.mod has replace directives, so it is built in a module of its own.
	{name: "etcd", module: "etcdsrc", pkg: "go.etcd.io/etcd/server/v3", cold: time.Minute},
	{name: "kwok", install: "sigs.k8s.io/kwok/cmd/kwok@" + KwokVersion, cold: 150 * time.Second},
}

// DefaultCacheDir returns the directory the control-plane binaries are built
// into: $XDG_CACHE_HOME/firedrill/k8s-v1.34.4, or ~/.cache/... when
// XDG_CACHE_HOME is unset. It lies outside any checkout so that every clone
// and every CI run on the machine reuses one build.
func DefaultCacheDir(getenv func(string) string) (string, error) {
	base := getenv("XDG_CACHE_HOME")
	if base == "" {
		home := getenv("HOME")
		if home == "" {
			return "", errors.New("neither XDG_CACHE_HOME nor HOME is set; cannot place the Kubernetes binary cache")
		}
		base = filepath.Join(home, ".cache")
	}
	return filepath.Join(base, "firedrill", "k8s-"+KubernetesVersion), nil
}

// BinDir returns the directory holding the binaries inside cacheDir.
func BinDir(cacheDir string) string { return filepath.Join(cacheDir, "bin") }

// Missing returns the names of the control-plane binaries not yet built in
// cacheDir.
func Missing(cacheDir string) []string {
	var out []string
	for _, b := range binaries {
		if fi, err := os.Stat(filepath.Join(BinDir(cacheDir), b.name)); err != nil || fi.Mode()&0o111 == 0 {
			out = append(out, b.name)
		}
	}
	return out
}

// EnsureBinaries builds whatever control-plane binary is missing from
// cacheDir, with the go command found on PATH (or $GOROOT/bin), and reports
// progress to log. It holds an exclusive lock on cacheDir while it checks and
// builds, so concurrent test binaries and CI jobs build once and wait for each
// other. A cold build takes about 15 minutes on 2 cores; a warm one returns at
// once.
func EnsureBinaries(ctx context.Context, cacheDir string, log io.Writer, clk clock.Clock) error {
	if log == nil {
		log = io.Discard
	}
	if clk == nil {
		clk = clock.RealClock{}
	}
	if len(Missing(cacheDir)) == 0 {
		return nil
	}
	if err := os.MkdirAll(BinDir(cacheDir), 0o755); err != nil {
		return fmt.Errorf("create binary cache: %w", err)
	}
	unlock, err := lockDir(ctx, cacheDir, log, clk)
	if err != nil {
		return err
	}
	defer unlock()

	gobin, err := goCommand()
	if err != nil {
		return err
	}
	for _, b := range binaries {
		dst := filepath.Join(BinDir(cacheDir), b.name)
		if fi, err := os.Stat(dst); err == nil && fi.Mode()&0o111 != 0 {
			continue // built by us earlier or by the process we waited for
		}
		if err := buildBinary(ctx, gobin, cacheDir, b, log, clk); err != nil {
			return err
		}
	}
	return nil
}

// lockDir takes an exclusive flock on cacheDir/.lock, telling log when it has
// to wait for another build.
func lockDir(ctx context.Context, cacheDir string, log io.Writer, clk clock.Clock) (func(), error) {
	f, err := os.OpenFile(filepath.Join(cacheDir, ".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open build lock: %w", err)
	}
	told := false
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN); _ = f.Close() }, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", cacheDir, err)
		}
		if !told {
			fmt.Fprintf(log, "devcluster: another process is building the Kubernetes binaries in %s; waiting for it\n", cacheDir)
			told = true
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("wait for build lock: %w", ctx.Err())
		case <-clk.After(time.Second):
		}
	}
}

func goCommand() (string, error) {
	if p, err := exec.LookPath("go"); err == nil {
		return p, nil
	}
	if root := os.Getenv("GOROOT"); root != "" {
		p := filepath.Join(root, "bin", "go")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", errors.New("the go command is needed to build the Kubernetes binaries and is not on PATH")
}

// throwawayModules are the modules, written into the cache directory, that
// build the commands which cannot be go-installed: each has a go.mod and a
// tools.go that imports the commands so that "go mod tidy" resolves them.
var throwawayModules = map[string]struct{ goMod, tools string }{
	"src": {goMod: kubernetesGoMod(), tools: toolsFile(
		"k8s.io/kubernetes/cmd/kube-apiserver",
		"k8s.io/kubernetes/cmd/kube-controller-manager",
		"k8s.io/kubernetes/cmd/kube-scheduler")},
	"etcdsrc": {goMod: "module firedrill.local/etcdbuild\n\ngo 1.24.0\n\nrequire go.etcd.io/etcd/server/v3 " + EtcdVersion + "\n",
		tools: toolsFile("go.etcd.io/etcd/server/v3")},
}

// kubernetesGoMod requires k8s.io/kubernetes and repeats its staging
// replaces.
func kubernetesGoMod() string {
	var b strings.Builder
	b.WriteString("module firedrill.local/k8sbuild\n\ngo 1.24.0\n\nrequire k8s.io/kubernetes " + KubernetesVersion + "\n\n")
	for _, m := range stagingModules {
		fmt.Fprintf(&b, "replace k8s.io/%s => k8s.io/%s %s\n\n", m, m, StagingVersion)
	}
	return b.String()
}

func toolsFile(pkgs ...string) string {
	var b strings.Builder
	b.WriteString("//go:build tools\n\npackage tools\n\nimport (\n")
	for _, p := range pkgs {
		fmt.Fprintf(&b, "\t_ %q\n", p)
	}
	b.WriteString(")\n")
	return b.String()
}

// prepareModule writes the throwaway module name into cacheDir/name and
// resolves its dependencies, unless a resolved one is already there.
func prepareModule(ctx context.Context, gobin, cacheDir, name string, log io.Writer) (string, error) {
	mod := throwawayModules[name]
	src := filepath.Join(cacheDir, name)
	if _, err := os.Stat(filepath.Join(src, "go.sum")); err == nil {
		return src, nil
	}
	if err := os.MkdirAll(src, 0o755); err != nil {
		return "", fmt.Errorf("create build module: %w", err)
	}
	if err := os.WriteFile(filepath.Join(src, "go.mod"), []byte(mod.goMod), 0o644); err != nil {
		return "", fmt.Errorf("write build module: %w", err)
	}
	if err := os.WriteFile(filepath.Join(src, "tools.go"), []byte(mod.tools), 0o644); err != nil {
		return "", fmt.Errorf("write build module: %w", err)
	}
	fmt.Fprintf(log, "devcluster: resolving the dependencies of %s\n", src)
	if err := runGo(ctx, gobin, src, []string{"GOFLAGS=-mod=mod"}, log, "mod", "tidy", "-e"); err != nil {
		os.Remove(filepath.Join(src, "go.sum"))
		return "", fmt.Errorf("resolve build module: %w", err)
	}
	return src, nil
}

func buildBinary(ctx context.Context, gobin, cacheDir string, b binary, log io.Writer, clk clock.Clock) error {
	dst := filepath.Join(BinDir(cacheDir), b.name)
	tmp := dst + ".partial"
	var dir string
	var args []string
	var env []string
	if b.install == "" {
		src, err := prepareModule(ctx, gobin, cacheDir, b.module, log)
		if err != nil {
			return err
		}
		// Stamp the version the way the Kubernetes release build does, so
		// that /version reports it.
		ldflags := fmt.Sprintf("-X k8s.io/component-base/version.gitVersion=%s -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=%s -X k8s.io/component-base/version.gitTreeState=clean",
			KubernetesVersion, strings.Split(KubernetesVersion, ".")[1])
		if b.module != "src" {
			ldflags = ""
		}
		dir, args = src, []string{"build", "-ldflags", ldflags, "-o", tmp, b.pkg}
		env = []string{"GOFLAGS=-mod=mod"}
	} else {
		// go install into a private GOBIN, then move into place, so that a
		// half-written binary never has the final name.
		dir = filepath.Join(cacheDir, "installsrc")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("build %s: %w", b.name, err)
		}
		gobinDir := filepath.Join(cacheDir, "gobin-"+b.name)
		if err := os.MkdirAll(gobinDir, 0o755); err != nil {
			return fmt.Errorf("build %s: %w", b.name, err)
		}
		args = []string{"install", b.install}
		env = []string{"GOBIN=" + gobinDir}
		tmp = filepath.Join(gobinDir, b.name)
	}
	fmt.Fprintf(log, "devcluster: building %s (about %s cold on 2 cores; cached afterwards in %s)\n", b.name, b.cold, BinDir(cacheDir))
	start := clk.Now()
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-done:
				return
			case <-clk.After(30 * time.Second):
				fmt.Fprintf(log, "devcluster: still building %s, %s so far\n", b.name, clk.Since(start).Round(time.Second))
			}
		}
	}()
	err := runGo(ctx, gobin, dir, env, log, args...)
	close(done)
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("build %s: %w", b.name, err)
	}
	if err := os.Rename(tmp, dst); err != nil {
		return fmt.Errorf("build %s: %w", b.name, err)
	}
	fmt.Fprintf(log, "devcluster: built %s in %s\n", b.name, clk.Since(start).Round(time.Second))
	return nil
}

func runGo(ctx context.Context, gobin, dir string, env []string, log io.Writer, args ...string) error {
	cmd := exec.CommandContext(ctx, gobin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off")
	cmd.Env = append(cmd.Env, env...)
	var tail bytes.Buffer
	w := io.MultiWriter(log, &tail)
	cmd.Stdout, cmd.Stderr = w, w
	if err := cmd.Run(); err != nil {
		out := tail.String()
		if len(out) > 2000 {
			out = out[len(out)-2000:]
		}
		return fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return nil
}

// kubectlBinary is built only on demand (EnsureKubectl): the cluster does not
// need it, the benchmarks compare against it.
var kubectlBinary = binary{name: "kubectl", module: "src", pkg: "k8s.io/kubernetes/cmd/kubectl", cold: 3 * time.Minute}

// EnsureKubectl builds kubectl of KubernetesVersion into the cache if it is
// missing, under the same lock as EnsureBinaries, and returns its path.
func EnsureKubectl(ctx context.Context, cacheDir string, log io.Writer, clk clock.Clock) (string, error) {
	if log == nil {
		log = io.Discard
	}
	if clk == nil {
		clk = clock.RealClock{}
	}
	dst := filepath.Join(BinDir(cacheDir), kubectlBinary.name)
	if fi, err := os.Stat(dst); err == nil && fi.Mode()&0o111 != 0 {
		return dst, nil
	}
	if err := os.MkdirAll(BinDir(cacheDir), 0o755); err != nil {
		return "", fmt.Errorf("create binary cache: %w", err)
	}
	unlock, err := lockDir(ctx, cacheDir, log, clk)
	if err != nil {
		return "", err
	}
	defer unlock()
	if fi, err := os.Stat(dst); err == nil && fi.Mode()&0o111 != 0 {
		return dst, nil
	}
	gobin, err := goCommand()
	if err != nil {
		return "", err
	}
	if err := buildBinary(ctx, gobin, cacheDir, kubectlBinary, log, clk); err != nil {
		return "", err
	}
	return dst, nil
}
