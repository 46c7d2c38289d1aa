package rehearse_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/firedrill/firedrill/control/controltest"
	"github.com/firedrill/firedrill/control/rehearse"
	"github.com/firedrill/firedrill/scenarios"
)

// Three levels on one target whose web takes 3 minutes to come back after
// its revert, with a 2-minute settle timeout: the first is played, the
// second is skipped (web still down), and the third waits for the target
// to recover from the first — the last level played, from its last
// revert — not from the skipped one, which injected nothing.
func TestPlayLevels_eachLevelWaitsForTheLastOnePlayed(t *testing.T) {
	s := chained(t)
	h := controltest.NewHarness(t)
	h.Injector.Bind(s)
	h.Injector.Lingers("web-down", 3*time.Minute)
	r := &rehearse.Runner{Engine: h.Engine, Clock: h.Clock, Fixer: &fakeFixer{h: h}}
	var asked []rehearse.Options
	play := func(ctx context.Context, o rehearse.Options) (*rehearse.Report, error) {
		o.DrillID = fmt.Sprintf("level-%d", len(asked)+1)
		so := *o.Settle
		o.Settle = &so
		asked = append(asked, o)
		reh, err := startSettled(t, r, h, o)
		var ns *rehearse.NotSettledError
		if errors.As(err, &ns) {
			return ns.Report, nil
		}
		if err != nil {
			return nil, err
		}
		return playLevel(t, h, reh), nil
	}
	levels := []rehearse.Level{{Scenario: s, Difficulty: scenarios.Hard}, {Scenario: s, Difficulty: scenarios.Easy}, {Scenario: s, Difficulty: scenarios.Medium}}
	var each []*rehearse.Report
	reps, err := rehearse.PlayLevels(h.Ctx, levels, 60, rehearse.SettleOptions{Timeout: 2 * time.Minute, Stable: 5 * time.Second}, play,
		func(rep *rehearse.Report) error { each = append(each, rep); return nil })
	if err != nil {
		t.Fatal(err)
	}
	if len(reps) != 3 || len(each) != 3 {
		t.Fatalf("%d reports, %d given as they came; want 3", len(reps), len(each))
	}
	if reps[0].Status != rehearse.StatusPassed || reps[1].Status != rehearse.StatusSkipped || reps[2].Status != rehearse.StatusPassed {
		t.Fatalf("statuses %s, %s, %s; want passed, skipped, passed\n%s", reps[0].Status, reps[1].Status, reps[2].Status, textOf(reps[2]))
	}
	if reps[0].LastRevertAt.IsZero() {
		t.Fatal("the first level reports no last revert")
	}
	for i, o := range asked {
		after, revert := o.Settle.After, o.Settle.AfterRevert
		afterName := "nothing"
		if after != nil {
			afterName = after.Metadata.Name + " at " + string(after.Difficulty)
		}
		switch {
		case o.Settle.Timeout != 2*time.Minute || o.Settle.Stable != 5*time.Second || o.TimeScale != 60:
			t.Errorf("level %d: settle %+v at ×%g, want the sequence's", i+1, o.Settle, o.TimeScale)
		case i == 0 && (after != nil || !revert.IsZero()):
			t.Errorf("level 1 waits after %s (revert %v), want nothing before it", afterName, revert)
		case i > 0 && (after == nil || after.Difficulty != scenarios.Hard || !revert.Equal(reps[0].LastRevertAt)):
			t.Errorf("level %d waits after %s (revert %v), want the first level, as played at hard, from its last revert %v", i+1, afterName, revert, reps[0].LastRevertAt)
		}
	}
	st := reps[2].Settle
	if st == nil || !st.Healthy || st.AfterLevel != "rehearsal-unit at hard" {
		t.Fatalf("third settle %+v, want healthy after rehearsal-unit at hard", st)
	}
	if rec := st.RecoveredAfterRevertMs; rec == nil || *rec < 180000 || *rec > 181000 {
		t.Fatalf("recovered %v ms after the first level's last revert, want 3m to 3m1s", rec)
	}
}
