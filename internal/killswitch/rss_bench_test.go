package killswitch_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/firedrill/firedrill/internal/devcluster"
	"github.com/firedrill/firedrill/internal/devcluster/clustertest"
	"github.com/firedrill/firedrill/ui/client"
)

// BenchmarkServeRSS measures the resident memory of `firedrill serve` plus
// its built-in Kubernetes plugin process (the real binary, on the dev
// cluster): idle after start-up, and after a light load (20 drills created
// and briefed, 5 chat messages in each through the HTTP API). Target: idle
// at most 60 MiB for both processes together.
func BenchmarkServeRSS(b *testing.B) {
	c := clustertest.Cluster(b)
	dir := b.TempDir()
	bin := filepath.Join(dir, "firedrill")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/firedrill/firedrill/cmd/firedrill").CombinedOutput(); err != nil {
		b.Fatalf("build firedrill: %v\n%s", err, out)
	}
	const token = "rss-bench-admin-token-123"
	root, _ := filepath.Abs("../../scenarios/examples")
	cfg := fmt.Sprintf("listen: 127.0.0.1:0\ndataDir: %s\nauth:\n  adminToken: %s\nkubernetes:\n  kubeconfig: %s\n  context: %s\n  allowedContexts: [%s]\nscenarios:\n  dirs: [%s]\n",
		filepath.Join(dir, "data"), token, c.Kubeconfig(), devcluster.ContextName, devcluster.ContextName, root)
	cfgPath := filepath.Join(dir, "firedrill.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		cmd := exec.Command(bin, "serve", "--config", cfgPath)
		cmd.Env = append(os.Environ(), "HOME="+dir, "XDG_CONFIG_HOME="+dir)
		out, err := cmd.StdoutPipe()
		if err != nil {
			b.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		base := waitURL(b, out)
		time.Sleep(3 * time.Second) // settle: plugin launched, GC run
		idle := rssTree(cmd.Process.Pid)
		load(b, base, token)
		time.Sleep(time.Second)
		loaded := rssTree(cmd.Process.Pid)
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
		fmt.Fprintf(os.Stdout, "\nRSS of serve + plugin: idle %.1f MiB, after 20 drills x 5 messages %.1f MiB\n", mib(idle), mib(loaded))
		b.ReportMetric(mib(idle), "MiB-idle")
		b.ReportMetric(mib(loaded), "MiB-loaded")
	}
}

func waitURL(b *testing.B, out interface{ Read([]byte) (int, error) }) string {
	re := regexp.MustCompile(`drill room on (http://\S+)`)
	found := make(chan string, 1)
	go func() {
		s := bufio.NewScanner(out)
		for s.Scan() {
			if m := re.FindStringSubmatch(s.Text()); m != nil {
				found <- m[1]
			}
		}
	}()
	select {
	case u := <-found:
		return u
	case <-time.After(60 * time.Second):
		b.Fatal("serve printed no URL within a minute")
	}
	return ""
}

func load(b *testing.B, base, token string) {
	ctx := context.Background()
	c, err := client.New(base)
	if err != nil {
		b.Fatal(err)
	}
	if err := c.Login(ctx, token); err != nil {
		b.Fatal(err)
	}
	for i := 0; i < 20; i++ {
		d, err := c.CreateDrill(ctx, "layered-payment-outage", fmt.Sprintf("rss %d", i), "")
		if err != nil {
			b.Fatal(err)
		}
		if err := c.Lifecycle(ctx, d.ID, "briefing", ""); err != nil {
			b.Fatal(err)
		}
		for j := 0; j < 5; j++ {
			if err := c.Say(ctx, d.ID, "backroom", fmt.Sprintf("message %d", j), ""); err != nil {
				b.Fatal(err)
			}
		}
	}

}

// rssTree returns the resident bytes of pid and its child processes.
func rssTree(pid int) int64 {
	total := rss(pid)
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		child, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", child))
		if err != nil {
			continue
		}
		f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
		if len(f) > 1 && f[1] == strconv.Itoa(pid) {
			total += rss(child)
		}
	}
	return total
}

func rss(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			kb, _ := strconv.ParseInt(strings.Fields(line)[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}

func mib(n int64) float64 { return float64(n) / (1 << 20) }
