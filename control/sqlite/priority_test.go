//go:build linux

package sqlite_test

import (
	"context"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/control/sqlite"
	"github.com/firedrill/firedrill/internal/lowprio"
	"github.com/firedrill/firedrill/internal/storetest"
)

// niceOfThread is the nice value of the calling goroutine's thread.
func niceOfThread(t *testing.T) int {
	ts, err := lowprio.Threads()
	if err != nil {
		t.Error(err)
	}
	return ts[syscall.Gettid()]
}

// niceOfProcess is a process's nice value.
func niceOfProcess(t *testing.T, pid int) int {
	t.Helper()
	n, err := lowprio.ProcessNice(pid)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// With LowPriority, the groups of chat messages the room shows already
// commit on a thread of their own at nice +lowprio.Nice, and the
// checkpointer runs on another; every other group commits at the
// process's priority, the callbacks that hand committed events on run
// there too, and so does the fsync helper process. Without it nothing is
// lowered.
func TestLowPriority(t *testing.T) {
	base := niceOfThread(t)
	low := min(base+lowprio.Nice, 19)
	if low == base {
		t.Skipf("the test runs at nice %d already: nothing lower to go to", base)
	}
	for _, tc := range []struct {
		name             string
		lowPriority      bool
		shownAt, otherAt int
		lowThreads       int
		shownFirst       bool
	}{
		{name: "shown chat commits lowered, everything else at the process's priority", lowPriority: true, shownAt: low, otherAt: base, lowThreads: 2},
		{name: "the fsync helper started by a lowered commit is not lowered", lowPriority: true, shownAt: low, otherAt: base, lowThreads: 2, shownFirst: true},
		{name: "without LowPriority nothing is lowered", shownAt: base, otherAt: base},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Threads lowered before (by an earlier store, on a thread the
			// runtime keeps parked) are left out.
			before := map[int]bool{}
			ts, err := lowprio.Threads()
			if err != nil {
				t.Fatal(err)
			}
			for tid, n := range ts {
				before[tid] = n == low
			}
			lowered := func() int {
				ts, err := lowprio.Threads()
				if err != nil {
					t.Fatal(err)
				}
				n := 0
				for tid, nice := range ts {
					if nice == low && !before[tid] {
						n++
					}
				}
				return n
			}
			ctx := context.Background()
			db := sqlite.NewDB(filepath.Join(t.TempDir(), "firedrill.db"))
			db.LowPriority = tc.lowPriority
			var mu sync.Mutex
			var commits []int
			db.OnCommit(func() {
				n := niceOfThread(t)
				mu.Lock()
				commits = append(commits, n)
				mu.Unlock()
			})
			if err := db.Open(ctx); err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			evs := storetest.Sealed(t, "d1", 0, "", 3)
			shown := func() {
				var thenAt int
				if err := db.AppendThen(control.WithShown(ctx), storetest.Summary("d1", evs[:3], control.StateRunning), evs[2:3], func() { thenAt = niceOfThread(t) }); err != nil {
					t.Fatal(err)
				}
				if thenAt != base {
					t.Errorf("the callback of a shown chat message's commit ran at nice %d, want %d", thenAt, base)
				}
			}
			if tc.shownFirst {
				// The first commit (a shown one) starts the fsync helper.
				if err := db.Append(control.WithShown(ctx), storetest.Summary("d1", evs[:1], control.StateRunning), evs[:1]); err != nil {
					t.Fatal(err)
				}
			}
			first := len(evs[:0])
			if tc.shownFirst {
				first = 1
			}
			if err := db.Append(ctx, storetest.Summary("d1", evs[:2], control.StateRunning), evs[first:2]); err != nil {
				t.Fatal(err)
			}
			shown()
			mu.Lock()
			got := append([]int(nil), commits...)
			mu.Unlock()
			want := []int{tc.otherAt, tc.shownAt}
			if tc.shownFirst {
				want = []int{tc.shownAt, tc.otherAt, tc.shownAt}
			}
			if len(got) != len(want) {
				t.Fatalf("%d groups committed, want %d", len(got), len(want))
			}
			for i := range want {
				if got[i] != want[i] {
					t.Errorf("group %d committed at nice %d, want %d (all: %v)", i+1, got[i], want[i], got)
				}
			}
			if pid := db.SyncerPid(); pid == 0 {
				t.Error("no fsync helper runs after three commits")
			} else if n := niceOfProcess(t, pid); n != base {
				t.Errorf("the fsync helper runs at nice %d, want the process's %d", n, base)
			}
			// The checkpointer lowers its thread as its goroutine starts.
			for deadline := time.Now().Add(5 * time.Second); lowered() < tc.lowThreads && time.Now().Before(deadline); {
				time.Sleep(10 * time.Millisecond)
			}
			time.Sleep(50 * time.Millisecond) // and none more comes
			if got := lowered(); got != tc.lowThreads {
				t.Fatalf("%d threads at nice %d, want %d", got, low, tc.lowThreads)
			}
		})
	}
}

// A group with anything but shown chat messages in it, a group somebody
// hurried (the drill's next message, its kill switch, a read of its
// state) and a backlog longer than the lowered thread takes commit at the
// process's priority.
func TestLowPriority_groupsSomebodyWaitsForCommitAtTheProcesssPriority(t *testing.T) {
	base := niceOfThread(t)
	low := min(base+lowprio.Nice, 19)
	if low == base {
		t.Skipf("the test runs at nice %d already: nothing lower to go to", base)
	}
	ctx := context.Background()
	shown := control.WithShown(ctx)
	db := sqlite.NewDB(filepath.Join(t.TempDir(), "firedrill.db"))
	db.LowPriority = true
	var at int
	db.OnCommit(func() { at = niceOfThread(t) })
	if err := db.Open(ctx); err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// group appends one event to each of n drills, the first k of them
	// shown.
	drill := 0
	group := func(n, k int) {
		t.Helper()
		ctxs := make([]context.Context, n)
		sums := make([]control.DrillSummary, n)
		evs := make([][]control.Event, n)
		for i := range n {
			drill++
			id := "d" + strconv.Itoa(drill)
			ctxs[i], evs[i] = ctx, storetest.Sealed(t, id, 0, "", 1)
			if i < k {
				ctxs[i] = shown
			}
			sums[i] = storetest.Summary(id, evs[i], control.StateRunning)
		}
		for i, err := range db.CommitItems(ctxs, sums, evs) {
			if err != nil {
				t.Fatalf("append %d of the group: %v", i+1, err)
			}
		}
	}
	for _, tc := range []struct {
		name   string
		hurry  bool
		n, k   int
		wantAt int
	}{
		{name: "shown chat messages only: lowered", n: 3, k: 3, wantAt: low},
		{name: "one of them not shown: the process's priority", n: 3, k: 2, wantAt: base},
		{name: "hurried: the process's priority", hurry: true, n: 3, k: 3, wantAt: base},
		{name: "the next one is lowered again", n: 1, k: 1, wantAt: low},
		{name: "a backlog of 33: the process's priority", n: 33, k: 33, wantAt: base},
	} {
		if tc.hurry {
			db.Hurry()
		}
		group(tc.n, tc.k)
		if at != tc.wantAt {
			t.Errorf("%s: committed at nice %d, want %d", tc.name, at, tc.wantAt)
		}
	}
}
