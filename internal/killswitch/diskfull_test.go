package killswitch_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/injectors"
)

// The journal runs out of room in the middle of a drill (a size-limited
// SQLite file: sqlite.DB.MaxBytes sets max_page_count, so SQLite itself
// refuses to grow it with "database or disk is full", the error a full
// disk gives, without root or a loop device). firedrill refuses new work
// with a clear error, still aborts and reverts every fault, and loses no
// message it acknowledged.
func TestJournalFull_refusesNewWorkKeepsReverting(t *testing.T) {
	const n = 5
	r := newRig(t, n)
	r.close()
	r.maxBytes = 256 << 10
	r.open(nil)
	id := r.injected(n)
	if _, err := r.engine.AddPerson(r.ctx, id, control.Person{ID: "alice", Name: "Alice", Role: control.RoleParticipant}, "facilitator"); err != nil {
		t.Fatal(err)
	}

	text := strings.Repeat("payments are timing out, checking the pool ", 20)
	var acked []int64
	var refusal error
	for i := 0; i < 10000 && refusal == nil; i++ {
		m, err := r.engine.PostMessage(r.ctx, id, control.PostMessage{Channel: "incident", AuthorID: "alice", AuthorKind: control.AuthorPerson, Text: fmt.Sprintf("%d %s", i, text)})
		if err != nil {
			refusal = err
			break
		}
		acked = append(acked, m.Seq)
	}
	if refusal == nil {
		t.Fatal("10000 messages fit in a 256 KiB journal")
	}
	if !strings.Contains(injectors.ErrorMessage(refusal), "journal is full") {
		t.Fatalf("refusal %q, expected it to say the journal is full", injectors.ErrorMessage(refusal))
	}
	if _, err := r.engine.CreateDrill(r.ctx, control.DrillRequest{Scenario: r.scenario(1), Actor: "facilitator"}); err == nil || !strings.Contains(injectors.ErrorMessage(err), "journal is full") {
		t.Fatalf("a new drill on a full journal: %v, expected the journal-full refusal", err)
	}

	rep, err := r.engine.AbortReport(r.ctx, id, "facilitator", "the journal is full")
	if err != nil {
		t.Fatalf("abort on a full journal: %v", err)
	}
	if len(rep.Reverted) != n || len(rep.Pending) != 0 {
		t.Fatalf("abort on a full journal: %d reverted, pending %v", len(rep.Reverted), rep.Pending)
	}
	r.allReverted(n)

	// Nothing acknowledged is lost, nothing is duplicated, the chain holds,
	// also after a restart.
	r.close()
	r.open(nil)
	evs := events(t, r, id)
	if _, err := control.VerifyChain(0, "", evs); err != nil {
		t.Fatal(err)
	}
	seen := map[int64]int{}
	for _, ev := range evs {
		if ev.Type == control.EventChatMessage {
			seen[ev.Seq]++
		}
	}
	for _, s := range acked {
		if seen[s] != 1 {
			t.Fatalf("acknowledged message #%d is in the journal %d times", s, seen[s])
		}
	}
	if len(seen) != len(acked) {
		t.Fatalf("%d messages in the journal, %d acknowledged", len(seen), len(acked))
	}
}
