package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/firedrill/firedrill/control/program"
	"github.com/firedrill/firedrill/injectors"
)

// TestProgram checks program.Store: plans with their journal survive
// reopening, a save over a newer version conflicts and changes nothing, and
// an imported plan keeps its version and journal as they were.
func TestProgram(t *testing.T, open Opener) {
	ctx := context.Background()
	reopen := open(t)
	db := reopen()
	at := time.Date(2027, 1, 5, 9, 0, 0, 987654321, time.UTC)
	p, err := program.NewPlan("2027H1", "Priya", "https://wiki.example.com/ir", "")
	if err != nil {
		t.Fatal(err)
	}
	e, err := p.AddTeam(program.TeamInput{Name: "Payments", TargetMonth: "2027-02"}, "facilitator", at)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SavePlan(ctx, p, []program.Entry{e}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db = reopen()

	t.Run("a saved plan survives reopening the database, with its journal", func(t *testing.T) {
		got, err := db.Plan(ctx, "2027H1")
		if err != nil {
			t.Fatal(err)
		}
		if got.Version != 1 || len(got.Teams) != 1 || got.Teams[0].Name != "Payments" || len(got.Journal) != 1 || got.Journal[0].Seq != 1 || !got.Journal[0].At.Equal(at) {
			t.Fatalf("plan %+v, want version 1 with Payments and one journal entry", got)
		}
		seasons, err := db.Seasons(ctx)
		if err != nil || len(seasons) != 1 || seasons[0] != "2027H1" {
			t.Fatalf("seasons %v %v, want [2027H1]", seasons, err)
		}
	})

	t.Run("a save over a newer version is a conflict and changes nothing", func(t *testing.T) {
		a, _ := db.Plan(ctx, "2027H1")
		b, _ := db.Plan(ctx, "2027H1")
		if _, err := a.AddTeam(program.TeamInput{Name: "Orders"}, "facilitator", at); err != nil {
			t.Fatal(err)
		}
		if err := db.SavePlan(ctx, a, []program.Entry{{At: at, Actor: "facilitator", Team: "Orders", Action: program.ActionPlanned}}); err != nil {
			t.Fatal(err)
		}
		if _, err := b.AddTeam(program.TeamInput{Name: "Search"}, "facilitator", at); err != nil {
			t.Fatal(err)
		}
		err := db.SavePlan(ctx, b, []program.Entry{{At: at, Actor: "facilitator", Team: "Search", Action: program.ActionPlanned}})
		if injectors.ErrorCode(err) != injectors.ECONFLICT {
			t.Fatalf("err %v, want ECONFLICT", err)
		}
		got, _ := db.Plan(ctx, "2027H1")
		if len(got.Teams) != 2 || len(got.Journal) != 2 || got.Version != 2 || got.Journal[1].Seq != 2 {
			t.Fatalf("plan has %d teams, %d entries, version %d; want 2, 2, 2", len(got.Teams), len(got.Journal), got.Version)
		}
	})

	t.Run("an unknown season is not found", func(t *testing.T) {
		if _, err := db.Plan(ctx, "2030H2"); injectors.ErrorCode(err) != injectors.ENOTFOUND {
			t.Fatalf("err %v, want ENOTFOUND", err)
		}
	})

	t.Run("a change without a journal entry is refused", func(t *testing.T) {
		got, _ := db.Plan(ctx, "2027H1")
		if err := db.SavePlan(ctx, got, nil); err == nil {
			t.Fatal("saved a change with no journal entry")
		}
	})

	t.Run("an imported plan keeps its version and journal", func(t *testing.T) {
		src, _ := db.Plan(ctx, "2027H1")
		src.Season = "2027H2"
		if err := db.ImportPlan(ctx, src); err != nil {
			t.Fatal(err)
		}
		got, err := db.Plan(ctx, "2027H2")
		if err != nil {
			t.Fatal(err)
		}
		if got.Version != src.Version || len(got.Teams) != len(src.Teams) || len(got.Journal) != len(src.Journal) {
			t.Fatalf("imported plan %+v, want %+v", got, src)
		}
		for i := range got.Journal {
			g, w := got.Journal[i], src.Journal[i]
			if !g.At.Equal(w.At) || g.Seq != w.Seq || g.Actor != w.Actor || g.Team != w.Team || g.Action != w.Action || g.Detail != w.Detail || g.Reason != w.Reason {
				t.Fatalf("journal entry %d: %+v, want %+v", i, got.Journal[i], src.Journal[i])
			}
		}
		if err := db.ImportPlan(ctx, src); injectors.ErrorCode(err) != injectors.ECONFLICT {
			t.Fatalf("second import: err %v, want ECONFLICT", err)
		}
	})
}
