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
	"github.com/firedrill/firedrill/internal/testbin"
	"github.com/firedrill/firedrill/ui/client"
)

// BenchmarkServeRSS measures the resident memory of `firedrill serve` plus
// its built-in Kubernetes plugin process (the real binary, on the dev
// cluster): idle after start-up, and after a light load (20 drills created
// and briefed, 5 chat messages in each through the HTTP API). Target: idle
// at most 60 MiB for both processes together. Under load the journal's
// fsync helper (internal/fsyncd) is a third process of the tree, counted
// in the loaded line; it stops 30-60 s after the last commit.
//
// It prints three views, because they differ by a factor of two here: the
// sum of VmRSS (the target's measure), which counts the pages of the one
// binary both processes map twice; the sum of PSS, which shares those pages
// between them (what the pair costs the machine); and the anonymous memory
// (heaps, stacks: what each process holds of its own). Measured on the
// 2-core machine: about 75% of the VmRSS is file-backed, the pages of each
// binary's code and read-only data that its start touches (the kernel maps
// the neighbours of every touched page too, so a process's file-backed RSS
// follows the size of the code it links: firedrill links no Kubernetes
// client, the plugin no typed clientset); the rest is the heaps.
func BenchmarkServeRSS(b *testing.B) {
	c := clustertest.Cluster(b)
	dir := b.TempDir()
	// Built as shipped (make build): what users run is what is measured.
	bin, err := testbin.Build(b.TempDir(), testbin.Options{Shipped: true})
	if err != nil {
		b.Fatal(err)
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
		idle := memTree(cmd.Process.Pid)
		idleServe := memOf(cmd.Process.Pid)
		load(b, base, token)
		time.Sleep(time.Second)
		loaded := memTree(cmd.Process.Pid)
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
		if idle.procs != 2 {
			b.Fatalf("measured %d processes, expected serve and its plugin", idle.procs)
		}
		fmt.Fprintf(os.Stdout, "\nmemory of serve + plugin (2 processes)   %-12s %-12s %-24s %s\n", "VmRSS sum", "PSS sum", "file-backed (of VmRSS)", "anonymous")
		for _, m := range []struct {
			name string
			m    mem
		}{{"idle", idle}, {"  of which serve alone", idleServe}, {"  of which the plugin", idle.minus(idleServe)}, {fmt.Sprintf("after 20 drills x 5 messages (%d proc.)", loaded.procs), loaded}} {
			fmt.Fprintf(os.Stdout, "%-40s %-12s %-12s %-24s %s\n", m.name, mibs(m.m.rss), mibs(m.m.pss), mibs(m.m.file), mibs(m.m.anon))
		}
		fmt.Fprintf(os.Stdout, "idle VmRSS / 60 MiB target: %.2fx; idle PSS / 60 MiB: %.2fx\n", mib(idle.rss)/60, mib(idle.pss)/60)
		b.ReportMetric(mib(idle.rss), "MiB-idle")
		b.ReportMetric(mib(idle.pss), "MiB-idle-pss")
		b.ReportMetric(mib(idleServe.rss), "MiB-idle-serve")
		b.ReportMetric(mib(loaded.rss), "MiB-loaded")
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

// mem is the memory of a process tree, in bytes.
type mem struct {
	rss, pss, file, anon int64
	procs                int
}

// minus is m without o (one process of the tree).
func (m mem) minus(o mem) mem {
	return mem{rss: m.rss - o.rss, pss: m.pss - o.pss, file: m.file - o.file, anon: m.anon - o.anon, procs: m.procs - o.procs}
}

// memTree returns the memory of pid and its child processes.
func memTree(pid int) mem {
	total := memOf(pid)
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
			m := memOf(child)
			total.rss += m.rss
			total.pss += m.pss
			total.file += m.file
			total.anon += m.anon
			total.procs += m.procs
		}
	}
	return total
}

// memOf reads one process's VmRSS, RssFile and RssAnon (status) and Pss
// (smaps_rollup).
func memOf(pid int) mem {
	var m mem
	fields := map[string]*int64{"VmRSS:": &m.rss, "RssFile:": &m.file, "RssAnon:": &m.anon, "Pss:": &m.pss}
	for _, name := range []string{"status", "smaps_rollup"} {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/%s", pid, name))
		if err != nil {
			return mem{}
		}
		for _, line := range strings.Split(string(b), "\n") {
			f := strings.Fields(line)
			if len(f) >= 2 {
				if p, ok := fields[f[0]]; ok {
					kb, _ := strconv.ParseInt(f[1], 10, 64)
					*p = kb << 10
				}
			}
		}
	}
	m.procs = 1
	return m
}

func mib(n int64) float64 { return float64(n) / (1 << 20) }

func mibs(n int64) string { return fmt.Sprintf("%.1f MiB", mib(n)) }
