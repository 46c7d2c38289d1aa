package storetest

import (
	"context"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/scenarios"
	"github.com/firedrill/firedrill/ui"
)

// TestScenarioVersions checks the studio's scenario store: every version is
// kept whole and in order, a save over a stale version is a conflict, and
// everything survives reopening the store.
func TestScenarioVersions(t *testing.T, open RoomOpener) {
	ctx := context.Background()
	reopen := open(t)
	db := reopen()
	at := time.Date(2026, 11, 30, 5, 0, 0, 123456000, time.UTC) // microseconds: PostgreSQL's precision
	version := func(name string, n int, yaml, team string) ui.ScenarioVersion {
		return ui.ScenarioVersion{Name: name, Version: n, Hash: scenarios.ContentHash([]byte(yaml)), YAML: yaml,
			Author: "민아 Mina", Saved: at.Add(time.Duration(n) * time.Minute), Title: "결제 장애 " + name, Team: team}
	}
	v1 := version("payments", 1, "apiVersion: firedrill/v1\n# first\n", "payments")
	v2 := version("payments", 2, "apiVersion: firedrill/v1\n# second, <img src=x onerror=alert(1)>\n", "payments")
	other := version("orders", 1, "apiVersion: firedrill/v1\n", "")
	for _, v := range []ui.ScenarioVersion{v1, v2, other} {
		if err := db.PutScenarioVersion(ctx, v); err != nil {
			t.Fatalf("save %s v%d: %v", v.Name, v.Version, err)
		}
	}

	t.Run("every version reads back whole, oldest first", func(t *testing.T) {
		got, err := db.ScenarioVersions(ctx, "payments")
		if err != nil || !reflect.DeepEqual(got, []ui.ScenarioVersion{v1, v2}) {
			t.Fatalf("versions %+v, %v; want %+v", got, err, []ui.ScenarioVersion{v1, v2})
		}
	})
	t.Run("the latest version of each scenario is listed by name", func(t *testing.T) {
		got, err := db.LatestScenarios(ctx)
		if err != nil || !reflect.DeepEqual(got, []ui.ScenarioVersion{other, v2}) {
			t.Fatalf("latest %+v, %v; want orders v1 and payments v2", got, err)
		}
	})
	t.Run("saving over a stale version is a conflict and changes nothing", func(t *testing.T) {
		for _, n := range []int{1, 2, 4} {
			err := db.PutScenarioVersion(ctx, version("payments", n, "stale", "payments"))
			if injectors.ErrorCode(err) != injectors.ECONFLICT {
				t.Fatalf("save v%d over v2: %v, want ECONFLICT", n, err)
			}
		}
		if got, _ := db.ScenarioVersions(ctx, "payments"); len(got) != 2 {
			t.Fatalf("%d versions after refused saves, want 2", len(got))
		}
	})
	t.Run("two saves of the same next version: one wins, one conflicts", func(t *testing.T) {
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = db.PutScenarioVersion(ctx, version("payments", 3, "race", "payments"))
			}()
		}
		wg.Wait()
		won := 0
		for _, err := range errs {
			switch {
			case err == nil:
				won++
			case injectors.ErrorCode(err) != injectors.ECONFLICT:
				t.Fatalf("racing save: %v, want nil or ECONFLICT", err)
			}
		}
		if won != 1 {
			t.Fatalf("%d racing saves won, want 1 (%v)", won, errs)
		}
	})
	t.Run("an unknown scenario is not found", func(t *testing.T) {
		if _, err := db.ScenarioVersions(ctx, "nope"); injectors.ErrorCode(err) != injectors.ENOTFOUND {
			t.Fatalf("err %v, want ENOTFOUND", err)
		}
	})
	t.Run("versions survive reopening the store", func(t *testing.T) {
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		db = reopen()
		got, err := db.ScenarioVersions(ctx, "payments")
		if err != nil || len(got) != 3 || !reflect.DeepEqual(got[:2], []ui.ScenarioVersion{v1, v2}) {
			t.Fatalf("after reopening: %+v, %v", got, err)
		}
	})
}
