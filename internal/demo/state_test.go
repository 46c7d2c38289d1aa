package demo_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/firedrill/firedrill/internal/demo"
)

// Scripts and tests poll for demo.json and read it as soon as it is there:
// a reader never sees it half written, however often it is written, and
// only its owner can read it (it holds the admin token).
func TestWriteState_aReaderNeverSeesAHalfWrittenFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, demo.StateFile)
	st := demo.State{AdminToken: "t", URL: "http://127.0.0.1:1", Namespace: strings.Repeat("shop", 64<<10)}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	var partial []string
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			b, err := os.ReadFile(path)
			if err == nil && !json.Valid(b) {
				partial = append(partial, string(b[:min(len(b), 40)]))
			}
		}
	}()
	for i := 0; i < 200; i++ {
		if err := demo.WriteState(dir, st); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	if len(partial) > 0 {
		t.Fatalf("a reader saw demo.json half written %d times, e.g. %q", len(partial), partial[0])
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("demo.json has mode %v; want 0600", fi.Mode().Perm())
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".demo.json-*")); len(left) > 0 {
		t.Fatalf("temporary files left behind: %v", left)
	}
}
