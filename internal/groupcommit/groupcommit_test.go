package groupcommit_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	testingclock "k8s.io/utils/clock/testing"

	"github.com/firedrill/firedrill/internal/groupcommit"
)

func TestQueue(t *testing.T) {
	t.Run("writes waiting while a group commits share the next group and each gets its own answer", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			release := make(chan struct{})
			var groups []int
			q := groupcommit.Start(8, func(items []groupcommit.Item[int]) []error {
				<-release
				groups = append(groups, len(items)) // only the writer goroutine appends
				errs := make([]error, len(items))
				for i, it := range items {
					if it.Req%2 == 1 {
						errs[i] = errors.New("odd")
					}
				}
				return errs
			})
			defer q.Close()
			var wg sync.WaitGroup
			answers := make([]error, 20)
			submit := func(i int) {
				wg.Add(1)
				go func() { defer wg.Done(); answers[i] = q.Submit(context.Background(), i) }()
			}
			submit(0)
			synctest.Wait() // the writer holds write 0 and waits for release
			for i := 1; i < len(answers); i++ {
				submit(i)
			}
			synctest.Wait() // writes 1-19 wait for the writer
			close(release)
			wg.Wait()
			for i, err := range answers {
				if (err != nil) != (i%2 == 1) {
					t.Fatalf("write %d answered %v", i, err)
				}
			}
			if fmt.Sprint(groups) != "[1 8 8 3]" {
				t.Fatalf("groups %v, want [1 8 8 3]: write 0 alone, then the waiting ones 8 at a time", groups)
			}
		})
	})
	t.Run("a write after close is refused", func(t *testing.T) {
		q := groupcommit.Start(8, func(items []groupcommit.Item[int]) []error { return make([]error, len(items)) })
		q.Close()
		if err := q.Submit(context.Background(), 1); !errors.Is(err, groupcommit.ErrClosed) {
			t.Fatalf("Submit after Close = %v, want ErrClosed", err)
		}
	})
	t.Run("writes the writer has not taken when it closes are refused, not left waiting", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			release := make(chan struct{})
			q := groupcommit.Start(8, func(items []groupcommit.Item[int]) []error { <-release; return make([]error, len(items)) })
			answers := make([]error, 4)
			var wg sync.WaitGroup
			submit := func(i int) {
				wg.Add(1)
				go func() { defer wg.Done(); answers[i] = q.Submit(context.Background(), i) }()
			}
			submit(0)
			synctest.Wait() // the writer holds write 0
			for i := 1; i < len(answers); i++ {
				submit(i)
			}
			synctest.Wait() // writes 1-3 are handed over and wait
			go q.Close()
			synctest.Wait() // Close waits for the group
			close(release)
			wg.Wait()
			if answers[0] != nil {
				t.Fatalf("write 0, committing when Close was called, answered %v", answers[0])
			}
			for i := 1; i < len(answers); i++ {
				if !errors.Is(answers[i], groupcommit.ErrClosed) {
					t.Fatalf("write %d, waiting when Close was called, answered %v, want ErrClosed", i, answers[i])
				}
			}
		})
	})
	t.Run("a cancelled caller is refused before the hand-over", func(t *testing.T) {
		block := make(chan struct{})
		q := groupcommit.Start(1, func(items []groupcommit.Item[int]) []error { <-block; return make([]error, len(items)) })
		defer q.Close()
		defer close(block)
		go q.Submit(context.Background(), 1) // keeps the writer busy
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := q.Submit(ctx, 2); !errors.Is(err, context.Canceled) {
			t.Fatalf("Submit with a cancelled context = %v, want context.Canceled", err)
		}
	})
	t.Run("a caller whose context ends while its write waits behind a group is answered at once and its write is never committed", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			release := make(chan struct{})
			var committed []int
			q := groupcommit.Start(8, func(items []groupcommit.Item[int]) []error {
				<-release
				for _, it := range items {
					committed = append(committed, it.Req) // only the writer goroutine appends
				}
				return make([]error, len(items))
			})
			defer q.Close()
			go q.Submit(context.Background(), 0)
			synctest.Wait() // the writer holds write 0 and waits for release
			ctx, cancel := context.WithCancel(context.Background())
			answer := make(chan error, 1)
			go func() { answer <- q.Submit(ctx, 1) }()
			synctest.Wait() // write 1 waits behind the group
			cancel()
			synctest.Wait()
			select {
			case err := <-answer:
				if !errors.Is(err, context.Canceled) {
					t.Fatalf("Submit whose context ended while waiting = %v, want context.Canceled", err)
				}
			default:
				t.Fatal("Submit whose context ended while its write waited is still waiting for the group before it")
			}
			close(release)
			if err := q.Submit(context.Background(), 2); err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(committed) != "[0 2]" {
				t.Fatalf("committed %v, want [0 2]: the cancelled write 1 left the queue", committed)
			}
		})
	})
	t.Run("a group size below one commits one write at a time instead of none", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			q := groupcommit.Start(0, func(items []groupcommit.Item[int]) []error { return make([]error, len(items)) })
			defer q.Close()
			answer := make(chan error, 1)
			go func() { answer <- q.Submit(context.Background(), 1) }()
			synctest.Wait()
			select {
			case err := <-answer:
				if err != nil {
					t.Fatal(err)
				}
			default:
				t.Fatal("a queue started with max 0 never answers a write")
			}
		})
	})
	t.Run("then runs on the writer after its write is committed, before the answer, and not for a refused write", func(t *testing.T) {
		committed := map[int]bool{}
		q := groupcommit.Start(8, func(items []groupcommit.Item[int]) []error {
			errs := make([]error, len(items))
			for i, it := range items {
				if it.Req%2 == 1 {
					errs[i] = errors.New("odd")
				} else {
					committed[it.Req] = true // only the writer goroutine writes
				}
			}
			return errs
		})
		defer q.Close()
		for i := range 4 {
			ran := false
			err := q.DoThen(context.Background(), "write", i, func() {
				if !committed[i] {
					t.Errorf("then of write %d ran before its commit", i)
				}
				ran = true
			})
			if (err != nil) != (i%2 == 1) || ran != (err == nil) {
				t.Fatalf("write %d answered %v with then run %v: want then run exactly when committed, before the answer", i, err, ran)
			}
		}
	})
}

func TestQueueGathering(t *testing.T) {
	t.Run("patient writes wait for the window and share one commit", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			g := startGathering(nil)
			defer g.q.Close()
			g.do(1, true)
			synctest.Wait()
			g.do(2, true)
			g.fc.Step(999 * time.Microsecond)
			g.do(3, true)
			synctest.Wait()
			if got := g.groups(); got != "[]" {
				t.Fatalf("groups %s before the window ended, want none", got)
			}
			g.fc.Step(time.Microsecond)
			g.answered(t)
			if got := g.groups(); got != "[3]" {
				t.Fatalf("groups %s, want [3]: the three patient writes in one commit", got)
			}
		})
	})
	t.Run("a write that is not patient ends the wait at once", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			g := startGathering(nil)
			defer g.q.Close()
			g.do(1, true)
			synctest.Wait()
			g.do(2, false)
			g.answered(t) // the fake clock never moves
			if got := g.groups(); got != "[2]" {
				t.Fatalf("groups %s, want [2]", got)
			}
		})
	})
	t.Run("a write that is not patient is not held", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			g := startGathering(nil)
			defer g.q.Close()
			g.do(1, false)
			g.answered(t)
			if got := g.groups(); got != "[1]" {
				t.Fatalf("groups %s, want [1]", got)
			}
		})
	})
	t.Run("patient writes that came while a group committed are not held again", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			release := make(chan struct{})
			g := startGathering(release)
			defer g.q.Close()
			g.do(1, true)
			synctest.Wait()
			g.fc.Step(time.Millisecond)
			synctest.Wait() // the writer commits write 1 and waits for release
			g.do(2, true)
			g.do(3, true)
			synctest.Wait()
			close(release)
			g.answered(t) // without the clock moving again
			if got := g.groups(); got != "[1 2]" {
				t.Fatalf("groups %s, want [1 2]", got)
			}
		})
	})
	t.Run("hurry ends the wait at once", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			g := startGathering(nil)
			defer g.q.Close()
			g.do(1, true)
			synctest.Wait()
			g.q.Hurry()
			g.answered(t) // the fake clock never moves
			if got := g.groups(); got != "[1]" {
				t.Fatalf("groups %s, want [1]", got)
			}
		})
	})
	t.Run("a hurry that came before the wait ends it", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			g := startGathering(nil)
			defer g.q.Close()
			g.q.Hurry() // the caller's lock is busy before the writer even woke
			g.do(1, true)
			g.answered(t)
			if got := g.groups(); got != "[1]" {
				t.Fatalf("groups %s, want [1]", got)
			}
		})
	})
	t.Run("close during the wait commits what was gathered", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			g := startGathering(nil)
			g.do(1, true)
			synctest.Wait()
			g.q.Close()
			g.answered(t)
			if got := g.groups(); got != "[1]" {
				t.Fatalf("groups %s, want [1]: handed over before Close, so committed", got)
			}
		})
	})
}

func TestQueuePacing(t *testing.T) {
	const pace = 5 * time.Millisecond
	t.Run("patient writes after a commit wait for the pace since it started", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			g := startPaced(nil, pace, 1)
			defer g.q.Close()
			g.do(1, true)
			synctest.Wait()
			g.fc.Step(time.Millisecond) // the first group starts after the gather
			synctest.Wait()
			g.held(2)
			g.fc.Step(pace - time.Microsecond)
			g.held(3)
			g.want(t, "[1]", "writes 2 and 3 held until the pace")
			g.fc.Step(time.Microsecond)
			g.answered(t)
			g.want(t, "[1 2]", "writes 2 and 3 in one commit a pace after the first")
		})
	})
	t.Run("patient writes that came while a group committed wait for the pace", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			release := make(chan struct{})
			g := startPaced(release, pace, 1)
			defer g.q.Close()
			g.do(1, true)
			synctest.Wait()
			g.fc.Step(time.Millisecond)
			synctest.Wait() // the writer commits write 1 and waits for release
			g.held(2)
			close(release)
			synctest.Wait()
			g.want(t, "[1]", "write 2 held after the first commit")
			g.fc.Step(pace)
			g.answered(t)
			g.want(t, "[1 1]", "a group each")
		})
	})
	t.Run("an idle writer waits only the gather once the pace has passed", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			g := startPaced(nil, pace, 1)
			defer g.q.Close()
			g.gathered(1)
			g.fc.Step(time.Second) // idle, long after the first group
			g.held(2)
			g.fc.Step(time.Millisecond)
			g.answered(t)
			g.want(t, "[1 1]", "a group each")
		})
	})
	t.Run("a write that is not patient is never paced", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			g := startPaced(nil, pace, 1)
			defer g.q.Close()
			g.gathered(1)
			g.held(2)
			g.do(3, false)
			g.answered(t) // the fake clock does not move again
			g.want(t, "[1 2]", "the held write goes with the urgent one")
		})
	})
	t.Run("after a quiet spell a burst of groups goes at the gather, then one per pace", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			g := startPaced(nil, pace, 3)
			defer g.q.Close()
			for i := range 3 { // three groups, each after the gather only
				g.gathered(i)
			}
			g.want(t, "[1 1 1]", "three groups after the gather alone: the burst")
			g.held(3)
			g.fc.Step(time.Millisecond)
			synctest.Wait()
			g.want(t, "[1 1 1]", "the fourth held: the burst is spent")
			// Three groups started at 1, 2 and 3 ms would have started at
			// 1, 6 and 11 ms at a pace of 5 ms, so a fourth is due at 16
			// ms; a burst of 3 lets it start two paces early, at 6 ms.
			g.fc.Step(time.Millisecond)
			synctest.Wait()
			g.want(t, "[1 1 1]", "the fourth still held at 5 ms")
			g.fc.Step(time.Millisecond)
			g.answered(t)
			g.want(t, "[1 1 1 1]", "the fourth at 6 ms")
		})
	})
	t.Run("a burst of writes that are not patient holds the next patient one a pace at most", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			g := startPaced(nil, pace, 1)
			defer g.q.Close()
			for i := range 5 { // five commits at once, as a kill switch's reverts
				g.do(i, false)
				synctest.Wait()
			}
			g.held(5)
			g.fc.Step(pace)
			g.answered(t)
			g.want(t, "[1 1 1 1 1 1]", "the patient write committed a pace after the burst")
		})
	})
	t.Run("hurry ends the pace", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			g := startPaced(nil, pace, 1)
			defer g.q.Close()
			g.gathered(1)
			g.held(2)
			g.q.Hurry()
			g.answered(t)
			g.want(t, "[1 1]", "a group each")
		})
	})
	t.Run("a hurry that ended a wait does not end the next one", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			g := startPaced(nil, pace, 1)
			defer g.q.Close()
			g.gathered(1)
			g.held(2)
			g.q.Hurry()
			synctest.Wait()
			g.held(3)
			g.want(t, "[1 1]", "write 3 waits for the pace: the hurry was spent on write 2's wait")
			g.fc.Step(pace)
			g.answered(t)
			g.want(t, "[1 1 1]", "a group each")
		})
	})
}

// gathering is a queue that gathers patient writes for a millisecond of
// fake time (and, when paced, starts their groups at least pace apart),
// with the writes a test handed it.
type gathering struct {
	q    *groupcommit.Queue[int]
	fc   *testingclock.FakeClock
	wg   sync.WaitGroup
	mu   sync.Mutex
	errs []error
	// sizes are the sizes of the groups committed so far.
	sizes []int
}

// startGathering starts a gathering queue whose commits, when release is
// set, wait for it to be closed.
func startGathering(release chan struct{}) *gathering {
	return startPaced(release, 0, 1)
}

// startPaced is startGathering for a queue that paces its groups of
// patient writes, burst of them back to back at most.
func startPaced(release chan struct{}, pace time.Duration, burst int) *gathering {
	g := &gathering{fc: testingclock.NewFakeClock(time.Unix(0, 0))}
	g.q = groupcommit.StartPaced(8, time.Millisecond, pace, burst, g.fc, func(items []groupcommit.Item[int]) []error {
		if release != nil {
			<-release
		}
		g.mu.Lock()
		g.sizes = append(g.sizes, len(items))
		g.mu.Unlock()
		return make([]error, len(items))
	})
	return g
}

// do hands write i to the queue from a goroutine of its own.
func (g *gathering) do(i int, patient bool) {
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		var err error
		if patient {
			err = g.q.DoThenPatient(context.Background(), "write", i, nil)
		} else {
			err = g.q.DoThen(context.Background(), "write", i, nil)
		}
		g.mu.Lock()
		g.errs = append(g.errs, err)
		g.mu.Unlock()
	}()
}

// held hands patient write i to the queue and waits until the writer
// waits too (for company, or for its pace).
func (g *gathering) held(i int) {
	g.do(i, true)
	synctest.Wait()
}

// gathered hands patient write i to an idle queue and lets the gather's
// millisecond pass.
func (g *gathering) gathered(i int) {
	g.held(i)
	g.fc.Step(time.Millisecond)
	synctest.Wait()
}

// want fails unless the groups committed so far are want; why says what
// that means.
func (g *gathering) want(t *testing.T, want, why string) {
	t.Helper()
	if got := g.groups(); got != want {
		t.Fatalf("groups %s, want %s: %s", got, want, why)
	}
}

// answered waits for every write's answer and fails on a refusal.
func (g *gathering) answered(t *testing.T) {
	t.Helper()
	g.wg.Wait()
	for _, err := range g.errs {
		if err != nil {
			t.Fatalf("a write was refused: %v", err)
		}
	}
}

// groups returns the sizes of the groups committed so far.
func (g *gathering) groups() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return fmt.Sprint(g.sizes)
}
