//go:build linux

package lowprio_test

import (
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/firedrill/firedrill/internal/lowprio"
)

// threads returns the process's threads' nice values by thread id.
func threads(t *testing.T) map[int]int {
	t.Helper()
	ts, err := lowprio.Threads()
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

// byNice counts the threads of ts by nice value, leaving out those in
// skip.
func byNice(ts map[int]int, skip map[int]int) map[int]int {
	out := map[int]int{}
	for tid, n := range ts {
		if _, ok := skip[tid]; !ok {
			out[n]++
		}
	}
	return out
}

func TestLower(t *testing.T) {
	base := threads(t)[syscall.Gettid()]
	want := min(base+lowprio.Nice, 19)
	if want == base {
		t.Skipf("the test runs at nice %d already: nothing lower to go to", base)
	}
	// Threads lowered before (by an earlier run of this test, on a
	// thread the runtime keeps, see below) are left out.
	before := map[int]int{}
	for tid, n := range threads(t) {
		if n == want {
			before[tid] = n
		}
	}
	lowered, release, ended := make(chan int), make(chan struct{}), make(chan struct{})
	go func() {
		defer close(ended)
		if err := lowprio.Lower(lowprio.Nice); err != nil {
			t.Errorf("Lower: %v", err)
		}
		lowered <- syscall.Gettid()
		// Goroutines started here, blocked in system calls, make the
		// runtime start threads while this one is lowered.
		var wg sync.WaitGroup
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ts := syscall.Timespec{Nsec: int64(50 * time.Millisecond)}
				_ = syscall.Nanosleep(&ts, nil)
			}()
		}
		wg.Wait()
		<-release
	}()
	tid := <-lowered
	if n := threads(t)[tid]; n != want {
		t.Fatalf("the lowered thread runs at nice %d, want %d", n, want)
	}
	time.Sleep(100 * time.Millisecond) // the sleepers' threads exist by now
	if got := byNice(threads(t), before); got[want] != 1 || got[base] < 2 {
		t.Errorf("threads by nice value %v: want one at %d (the lowered one) and the others at %d", got, want, base)
	}
	close(release)
	<-ended
	// The runtime ends a locked thread whose goroutine returned (or parks
	// it for good when it is the process's main thread): no goroutine
	// runs on it at the lower priority again.
	var mu sync.Mutex
	ran := map[int]int{}
	var wg sync.WaitGroup
	for range 8 * runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				// A sleep in a system call holds the thread, so the
				// others run on more threads.
				ts := syscall.Timespec{Nsec: int64(time.Millisecond)}
				_ = syscall.Nanosleep(&ts, nil)
				id := syscall.Gettid()
				mu.Lock()
				ran[id]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if ran[tid] != 0 {
		t.Errorf("goroutines ran %d times on the lowered thread %d after its goroutine returned", ran[tid], tid)
	}
	if len(ran) < 2 {
		t.Errorf("the goroutines ran on threads %v: too few to tell", ran)
	}
}
