package devcluster_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/firedrill/firedrill/internal/devcluster"
	"github.com/firedrill/firedrill/internal/devcluster/clustertest"
)

func TestState_WriteReadRemove(t *testing.T) {
	dir := t.TempDir()
	want := devcluster.State{PID: os.Getpid(), Kubeconfig: "/x/kubeconfig", Context: devcluster.ContextName, Server: "https://127.0.0.1:6443"}
	if err := devcluster.WriteState(dir, want); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dir, devcluster.StateFile))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("state file: %v, mode %v; want 0600", err, fi.Mode().Perm())
	}
	got, err := devcluster.ReadState(dir)
	if err != nil || got != want {
		t.Fatalf("ReadState = %+v, %v; want %+v", got, err, want)
	}
	if !got.Alive() {
		t.Error("the state of this process is not alive")
	}
	if err := devcluster.RemoveState(dir); err != nil {
		t.Fatal(err)
	}
	if err := devcluster.RemoveState(dir); err != nil {
		t.Errorf("removing a removed state: %v, want nil", err)
	}
}

func TestReadState_Refusals(t *testing.T) {
	tests := []struct {
		name    string
		content string // "" writes no file
		wantErr string
	}{
		{name: "no file: says how to start one", wantErr: "no cluster running"},
		{name: "not JSON", content: "{pid", wantErr: devcluster.StateFile},
		{name: "no pid", content: `{"kubeconfig":"k"}`, wantErr: "pid 0 is not a process id"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if tc.content != "" {
				if err := os.WriteFile(filepath.Join(dir, devcluster.StateFile), []byte(tc.content), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			_, err := devcluster.ReadState(dir)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("ReadState: %v, want an error containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestState_AliveIsFalseForAnExitedProcess(t *testing.T) {
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	if (devcluster.State{PID: cmd.Process.Pid}).Alive() {
		t.Errorf("pid %d of an exited and reaped process is alive", cmd.Process.Pid)
	}
}

func TestState_HealthOfARunningCluster(t *testing.T) {
	c := clustertest.Cluster(t)
	h, err := c.State(os.Getpid()).Health(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if h.Ready != "ok" || h.Nodes == 0 {
		t.Errorf("Health = %+v, want readyz ok and some nodes", h)
	}
}

func TestState_HealthOfADeadServerIsNotReady(t *testing.T) {
	c := clustertest.Cluster(t)
	// The cluster's kubeconfig, pointed at a port nothing listens on.
	b, err := os.ReadFile(c.Kubeconfig())
	if err != nil {
		t.Fatal(err)
	}
	dead := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(dead, []byte(strings.ReplaceAll(string(b), c.Server(), "https://127.0.0.1:1")), 0o600); err != nil {
		t.Fatal(err)
	}
	st := devcluster.State{PID: os.Getpid(), Kubeconfig: dead, Context: devcluster.ContextName, Server: "https://127.0.0.1:1"}
	_, err = st.Health(context.Background())
	var nr *devcluster.NotReadyError
	if !errors.As(err, &nr) || !strings.Contains(err.Error(), "cluster at https://127.0.0.1:1 is not ready") {
		t.Errorf("Health of a dead server: %v, want a NotReadyError naming it", err)
	}
}
