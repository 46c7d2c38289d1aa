package main_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	main "github.com/firedrill/firedrill/cmd/firedrill-dev"
	"github.com/firedrill/firedrill/control/controltest"
)

// clusterOutput is a bytes.Buffer safe to read while a command writes it.
type clusterOutput = controltest.SyncBuffer

func runCluster(t *testing.T, ctx context.Context, args ...string) (int, string, string) {
	t.Helper()
	var out, errb clusterOutput
	m := main.NewMain()
	m.Stdout, m.Stderr = &out, &errb
	code := m.Run(ctx, args)
	return code, out.String(), errb.String()
}

// TestClusterUpStatusAndStop runs the real control plane through the CLI:
// up (in the foreground, stopped by cancelling its context as Ctrl-C does),
// status while it runs, and status after it stopped.
func TestClusterUpStatusAndStop(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var (
		upCode         int
		upOut, upErr   string
		wg             sync.WaitGroup
		statePath      = filepath.Join(dir, "state.json")
		kubeconfigPath string
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		upCode, upOut, upErr = runCluster(t, ctx, "cluster", "up", "--work-dir", dir, "--nodes", "1")
	}()
	// A cold machine builds the binaries first (about 15 minutes on 2 cores).
	deadline := time.Now().Add(30 * time.Minute)
	for {
		b, err := os.ReadFile(statePath)
		if err == nil {
			var st struct{ Kubeconfig string }
			if json.Unmarshal(b, &st) == nil && st.Kubeconfig != "" {
				kubeconfigPath = st.Kubeconfig
				break
			}
		}
		if time.Now().After(deadline) {
			cancel()
			wg.Wait()
			t.Fatalf("cluster up wrote no state within 30 minutes: code %d\n%s\n%s", upCode, upOut, upErr)
		}
		time.Sleep(100 * time.Millisecond)
	}

	code, out, errOut := runCluster(t, context.Background(), "cluster", "status", "--work-dir", dir)
	if code != 0 || !strings.Contains(out, "readyz=ok nodes=1") || !strings.Contains(out, kubeconfigPath) {
		t.Errorf("status while up: code %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	code, _, errOut = runCluster(t, context.Background(), "cluster", "up", "--work-dir", dir)
	if code == 0 || !strings.Contains(errOut, "already running") {
		t.Errorf("second up: code %d, stderr %s; want a refusal", code, errOut)
	}

	cancel() // Ctrl-C
	wg.Wait()
	if upCode != 0 || !strings.Contains(upOut, "export KUBECONFIG="+kubeconfigPath) || !strings.Contains(upOut, "stopping the cluster") {
		t.Errorf("up: code %d\nstdout: %s\nstderr: %s", upCode, upOut, upErr)
	}
	if _, err := os.Stat(statePath); !os.IsNotExist(err) {
		t.Errorf("state file left after stop: %v", err)
	}
	if _, err := os.Stat(kubeconfigPath); !os.IsNotExist(err) {
		t.Errorf("kubeconfig left after stop: %v", err)
	}
	code, _, errOut = runCluster(t, context.Background(), "cluster", "status", "--work-dir", dir)
	if code != 3 || !strings.Contains(errOut, "no cluster running") {
		t.Errorf("status after stop: code %d, stderr %s; want 3 and 'no cluster running'", code, errOut)
	}
}

func TestClusterDownWithoutARunningCluster(t *testing.T) {
	tests := []struct {
		name     string
		state    string // state.json content; empty for none
		wantCode int
		wantOut  string
		wantErr  string
	}{
		{name: "no state: refused", wantCode: 1, wantErr: "no cluster running"},
		{name: "stale state of a dead process: cleaned up", state: `{"pid": 2147483646, "kubeconfig": "/nowhere"}`, wantCode: 0, wantOut: "removed its stale state"},
		{name: "corrupt state: refused with the file name", state: `{"pid": "x"}`, wantCode: 1, wantErr: "state.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.state != "" {
				if err := os.WriteFile(filepath.Join(dir, "state.json"), []byte(tt.state), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			code, out, errOut := runCluster(t, context.Background(), "cluster", "down", "--work-dir", dir)
			if code != tt.wantCode || !strings.Contains(out, tt.wantOut) || !strings.Contains(errOut, tt.wantErr) {
				t.Errorf("code %d stdout %q stderr %q; want code %d, stdout with %q, stderr with %q", code, out, errOut, tt.wantCode, tt.wantOut, tt.wantErr)
			}
		})
	}
}

// TestClusterDownStopsARunningUp runs `firedrill cluster up` as its own
// process, the way a user does (firedrill runs firedrill-dev beside it), and
// stops it with `cluster down` from this one.
func TestClusterDownStopsARunningUp(t *testing.T) {
	dir := t.TempDir()
	bin := buildPair(t)
	var upOut clusterOutput
	up := exec.Command(bin, "cluster", "up", "--work-dir", dir, "--nodes", "1")
	up.Stdout, up.Stderr = &upOut, &upOut
	if err := up.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- up.Wait() }()
	t.Cleanup(func() {
		if up.ProcessState == nil {
			_ = up.Process.Kill()
		}
	})
	// A cold machine builds the binaries first (about 15 minutes on 2 cores).
	deadline := time.Now().Add(30 * time.Minute)
	for !strings.Contains(upOut.String(), "Press Ctrl-C") {
		select {
		case err := <-exited:
			t.Fatalf("cluster up exited early: %v\n%s", err, upOut.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("cluster up not ready in 30 minutes:\n%s", upOut.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	code, out, errOut := runCluster(t, context.Background(), "cluster", "down", "--work-dir", dir)
	if code != 0 || !strings.Contains(out, "cluster stopped") {
		t.Fatalf("down: code %d\nstdout %s\nstderr %s", code, out, errOut)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("cluster up exited with %v after down:\n%s", err, upOut.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("cluster up still running 30s after down")
	}
	if _, err := os.Stat(filepath.Join(dir, "state.json")); !os.IsNotExist(err) {
		t.Errorf("state file left: %v", err)
	}
}
