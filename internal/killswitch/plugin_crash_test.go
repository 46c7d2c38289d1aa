package killswitch_test

import (
	"syscall"
	"testing"
	"time"

	"github.com/firedrill/firedrill/control"
)

// The plugin process is SIGKILLed while an abort's reverts are in flight:
// the host relaunches it, the calls that died are retried on the new
// process (Revert is idempotent), and every revert completes.
func TestAbort_pluginKilledMidRevert(t *testing.T) {
	const n = 100
	// The kill must land while reverts are in flight. Unthrottled, the 100
	// reverts are done 0.4-1 s after their intents are journaled, and a
	// test goroutine woken that late on a loaded machine killed a plugin
	// that had nothing left to do: nothing relaunched it, and the test
	// failed (a 1 s delay before the kill fails it every time). A revert
	// budget of 25 requests a second keeps them in flight for seconds.
	t.Setenv(revertQPSEnv, "25")
	t.Setenv(revertBurstEnv, "1")
	r := newRig(t, n)
	id := r.injected(n)
	pid, ok := r.host.Pid("kubernetes")
	if !ok {
		t.Fatal("the plugin process is not running")
	}
	sub, err := r.engine.Subscribe(r.ctx, id, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()

	type result struct {
		rep control.StopReport
		err error
	}
	done := make(chan result, 1)
	go func() {
		rep, err := r.engine.AbortReport(r.ctx, id, "facilitator", "real incident")
		done <- result{rep, err}
	}()
	// The intents of every revert are journaled in one append right before
	// the reverts start: kill the plugin then.
	for ev := range sub.C {
		if ev.Type == control.EventFaultRevertIntent {
			break
		}
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	res := <-done
	if res.err != nil {
		t.Fatal(res.err)
	}
	deadline := time.Now().Add(time.Minute)
	for {
		d, err := r.engine.Drill(r.ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		left := 0
		for _, f := range d.Faults {
			if f.Phase != control.FaultReverted {
				left++
			}
		}
		if left == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d faults not reverted a minute after the plugin was killed (abort reported %d pending)", left, len(res.rep.Pending))
		}
		time.Sleep(100 * time.Millisecond)
	}
	r.allReverted(n)
	if now, ok := r.host.Pid("kubernetes"); !ok || now == pid {
		t.Fatalf("plugin pid %d (running %v) after the kill of %d, expected a relaunched process", now, ok, pid)
	}
}
