package ui_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k8s.io/utils/clock"

	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/ui"
	usqlite "github.com/firedrill/firedrill/ui/sqlite"
)

func newCatalog(t *testing.T, dirs ...string) *ui.Catalog {
	t.Helper()
	db, err := usqlite.Open(filepath.Join(t.TempDir(), "room.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	c, err := ui.NewCatalog(context.Background(), dirs, db)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func names(c *ui.Catalog) string {
	var out []string
	for _, e := range c.Scenarios() {
		out = append(out, e.Name)
	}
	return strings.Join(out, ",")
}

func TestCatalogHotReload(t *testing.T) {
	dir := t.TempDir()
	write := func(file, text string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, file), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("a.yaml", renamed(roomYAML(), "alpha"))
	c := newCatalog(t, dir)
	if got := names(c); got != "alpha" {
		t.Fatalf("scenarios %q, want alpha", got)
	}
	t.Run("a new file is picked up by the watch, without a restart", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go c.Watch(ctx, clock.RealClock{}, 20*time.Millisecond)
		changed := c.Changed()
		write("b.yaml", renamed(roomYAML(), "beta"))
		select {
		case <-changed:
		case <-time.After(10 * time.Second):
			t.Fatal("the watch did not notice b.yaml")
		}
		if got := names(c); got != "alpha,beta" {
			t.Fatalf("scenarios %q, want alpha,beta", got)
		}
	})
	t.Run("a bad file is reported and hides none of the good ones", func(t *testing.T) {
		write("c.yaml", "apiVersion: firedrill/v1\nkind: Scenario\nmetadata: {name: gamma\n")
		if !c.Reload() {
			t.Fatal("Reload saw no change")
		}
		if got := names(c); got != "alpha,beta" {
			t.Fatalf("scenarios %q, want alpha,beta", got)
		}
		ps := strings.Join(c.Problems(), "\n")
		if !strings.Contains(ps, "c.yaml:") {
			t.Fatalf("problems %q, want c.yaml with its position", ps)
		}
	})
	t.Run("an unchanged directory is not read again", func(t *testing.T) {
		if c.Reload() {
			t.Fatal("Reload read an unchanged directory")
		}
	})
	t.Run("a changed file replaces its scenario", func(t *testing.T) {
		write("a.yaml", strings.Replace(renamed(roomYAML(), "alpha"), "Orders stall at checkout", "Orders stall (edited)", 1))
		c.Reload()
		sc, err := c.Scenario("alpha")
		if err != nil || sc.Metadata.Title != "Orders stall (edited)" {
			t.Fatalf("alpha: %v %v", sc, err)
		}
	})
	t.Run("a removed file's scenario is gone", func(t *testing.T) {
		os.Remove(filepath.Join(dir, "b.yaml"))
		c.Reload()
		if _, err := c.Scenario("beta"); injectors.ErrorCode(err) != injectors.ENOTFOUND {
			t.Fatalf("beta after removal: %v", err)
		}
	})
}

func TestCatalogSave(t *testing.T) {
	dir := lockableDir(t)
	file := filepath.Join(dir, "room.yaml")
	if err := os.WriteFile(file, []byte(roomYAML()), 0o644); err != nil {
		t.Fatal(err)
	}
	c := newCatalog(t, dir)
	now := time.Date(2026, 11, 30, 5, 0, 0, 0, time.UTC)
	t.Run("a file in a writable directory is saved back to its file, as a version too", func(t *testing.T) {
		text := strings.Replace(roomYAML(), "Orders stall at checkout", "Orders stall (saved)", 1)
		v, _, err := c.Save(context.Background(), []byte(text), 0, "Mina", now)
		if err != nil || v.Version != 1 {
			t.Fatalf("save: %+v %v", v, err)
		}
		b, _ := os.ReadFile(file)
		if string(b) != text {
			t.Fatalf("file not written: %q", b)
		}
		if sc, _ := c.Scenario("room-test"); sc.Metadata.Title != "Orders stall (saved)" {
			t.Fatalf("catalog title %q", sc.Metadata.Title)
		}
	})
	t.Run("a file in a directory firedrill may not write is read-only", func(t *testing.T) {
		readOnly(t, dir)
		_, _, err := c.Save(context.Background(), []byte(roomYAML()), 1, "Mina", now)
		if injectors.ErrorCode(err) != injectors.ECONFLICT || !strings.Contains(err.Error(), "may not write") {
			t.Fatalf("save into a read-only directory: %v, want ECONFLICT", err)
		}
	})
}

// readOnly makes dir unwritable for the rest of the test: 0555 for a
// normal user; root writes through that, so for root the directory is made
// immutable (chattr +i) where the file system allows it.
func readOnly(t *testing.T, dir string) {
	t.Helper()
	if os.Geteuid() != 0 {
		if err := os.Chmod(dir, 0o555); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Chmod(dir, 0o755) })
		return
	}
	if out, err := exec.Command("chattr", "+i", dir).CombinedOutput(); err != nil {
		t.Fatalf("chattr +i %s: %v: %s", dir, err, out)
	}
	t.Cleanup(func() { exec.Command("chattr", "-i", dir).Run() })
}

// lockableDir is a temporary directory readOnly can lock: for root it must
// take chattr +i, which a tmpfs /tmp refuses, so it falls back to one in
// the package directory (the checkout's file system). The test never skips.
func lockableDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if os.Geteuid() != 0 || exec.Command("chattr", "+i", dir).Run() == nil && exec.Command("chattr", "-i", dir).Run() == nil {
		return dir
	}
	dir, err := os.MkdirTemp(".", ".catalog-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { exec.Command("chattr", "-i", dir).Run(); os.RemoveAll(dir) })
	return dir
}
