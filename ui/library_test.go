package ui_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/ui"
)

func TestLoadLibrary(t *testing.T) {
	good, err := os.ReadFile("testdata/scenarios/room.yaml")
	if err != nil {
		t.Fatal(err)
	}
	t.Run("loads the scenarios and names the broken file with its position", func(t *testing.T) {
		dir := t.TempDir()
		_ = os.WriteFile(filepath.Join(dir, "room.yaml"), good, 0o644)
		_ = os.WriteFile(filepath.Join(dir, "broken.yaml"), []byte("apiVersion: firedrill/v1\nkind: Scenario\nmetadata:\n  name: [oops\n"), 0o644)
		_ = os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("not a scenario"), 0o644)
		lib, err := ui.LoadLibrary([]string{dir})
		if err == nil || !strings.Contains(err.Error(), "broken.yaml:") {
			t.Fatalf("err %v, want one naming broken.yaml with a position", err)
		}
		if got := lib.Scenarios(); len(got) != 1 || got[0].Name != "room-test" {
			t.Fatalf("library %v, want only room-test", got)
		}
		if _, err := lib.Scenario("nope"); injectors.ErrorCode(err) != injectors.ENOTFOUND {
			t.Fatalf("unknown scenario: %v, want ENOTFOUND", err)
		}
	})
	t.Run("a name used twice is an error", func(t *testing.T) {
		dir := t.TempDir()
		_ = os.WriteFile(filepath.Join(dir, "a.yaml"), good, 0o644)
		_ = os.WriteFile(filepath.Join(dir, "b.yml"), good, 0o644)
		if _, err := ui.LoadLibrary([]string{dir}); err == nil || !strings.Contains(err.Error(), "already used") {
			t.Fatalf("err %v, want a duplicate-name error", err)
		}
	})
	t.Run("a missing directory is an error", func(t *testing.T) {
		if _, err := ui.LoadLibrary([]string{filepath.Join(t.TempDir(), "missing")}); err == nil || !strings.Contains(err.Error(), "scenarios.dirs") {
			t.Fatalf("err %v, want one naming scenarios.dirs", err)
		}
	})
}
