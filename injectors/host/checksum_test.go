package host_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/injectors/host"
)

func TestChecksums(t *testing.T) {
	sum, err := host.FileChecksum(filepath.Join(binDir, "flagfile"))
	if err != nil {
		t.Fatal(err)
	}
	other := strings.Repeat("0", 64)
	tests := []struct {
		name       string
		pins       map[string]string
		require    bool
		wantStatus string
		wantErr    string // empty when the plugin is usable
	}{
		{"matching pin runs", map[string]string{"flagfile": sum}, false, host.ChecksumPinned, ""},
		{"matching pin with prefix runs", map[string]string{"flagfile": "sha256:" + strings.ToUpper(sum)}, false, host.ChecksumPinned, ""},
		{"unpinned runs when pins are optional", nil, false, host.ChecksumUnpinned, ""},
		{"mismatched pin is refused", map[string]string{"flagfile": other}, false, host.ChecksumMismatch,
			"plugin flagfile refused: " + filepath.Join("DIR", host.ExecutablePrefix+"flagfile") + " has SHA-256 " + sum + " but plugins.checksums.flagfile pins " + other},
		{"unpinned is refused when pins are required", nil, true, host.ChecksumUnpinned,
			"plugin flagfile refused: no pin in plugins.checksums and plugins.requireChecksums is set"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := pluginDir(t, "flagfile")
			h, _ := openHost(t, host.Config{Dir: dir, Checksums: tt.pins, RequireChecksums: tt.require})
			st := h.Statuses()[0]
			if st.ChecksumStatus != tt.wantStatus || st.Checksum != sum {
				t.Errorf("checksum status %q (%s), want %q (%s)", st.ChecksumStatus, st.Checksum, tt.wantStatus, sum)
			}
			file := flagFile(t, map[string]any{"k": 1.0})
			_, err := h.Probe(context.Background(), flagEquals(t, file, "k", 1))
			wantErr := strings.ReplaceAll(tt.wantErr, "DIR", dir)
			switch {
			case wantErr == "" && err != nil:
				t.Fatalf("probe: %v", err)
			case wantErr != "" && (injectors.ErrorCode(err) != injectors.EFORBIDDEN || !strings.Contains(injectors.ErrorMessage(err), wantErr)):
				t.Fatalf("probe: got %v, want EFORBIDDEN containing %q", err, wantErr)
			}
		})
	}
}

func TestChecksums_BinaryReplacedAfterOpenIsRefusedOnRelaunch(t *testing.T) {
	sum, err := host.FileChecksum(filepath.Join(binDir, "flagfile"))
	if err != nil {
		t.Fatal(err)
	}
	dir := pluginDir(t, "flagfile")
	h, _ := openHost(t, host.Config{Dir: dir, Checksums: map[string]string{"flagfile": sum}})
	pid, ok := h.Pid("flagfile")
	if !ok {
		t.Fatal("flagfile is not running")
	}
	// Someone swaps the executable, and the running process dies.
	link := filepath.Join(dir, host.ExecutablePrefix+"flagfile")
	if err := os.Remove(link); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(binDir, "sleepy"), link); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}

	file := flagFile(t, map[string]any{"k": 1.0})
	_, err = h.Probe(context.Background(), flagEquals(t, file, "k", 1))
	if injectors.ErrorCode(err) != injectors.EFORBIDDEN || !strings.Contains(injectors.ErrorMessage(err), "no longer matches its pin in plugins.checksums.flagfile") {
		t.Fatalf("got %v, want the swapped executable refused", err)
	}
}
