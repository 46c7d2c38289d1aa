package guard_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/control/guard"
	"github.com/firedrill/firedrill/injectors"
)

// recorder is an injector that logs its calls.
type recorder struct {
	mu    sync.Mutex
	calls []string
	book  *memBook
}

func (r *recorder) log(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.book != nil {
		s += " (book holds " + r.book.summary() + ")"
	}
	r.calls = append(r.calls, s)
}

func (r *recorder) Prepare(_ context.Context, f control.FaultSpec) ([]byte, error) {
	r.log("prepare " + f.FaultID)
	return []byte("prepared-" + f.FaultID), nil
}

func (r *recorder) Inject(_ context.Context, f control.FaultSpec, rec []byte) ([]byte, error) {
	r.log("inject " + f.FaultID + " with " + string(rec))
	return []byte("injected-" + f.FaultID), nil
}

func (r *recorder) Status(context.Context, control.FaultSpec, []byte) (injectors.Status, error) {
	r.log("status")
	return injectors.Status{Effect: injectors.InEffect}, nil
}

func (r *recorder) Revert(_ context.Context, _ string, rec []byte) error {
	r.log("revert " + string(rec))
	return nil
}

func (r *recorder) Probe(context.Context, control.ProbeSpec) (injectors.ProbeResult, error) {
	r.log("probe")
	return injectors.ProbeResult{}, nil
}

// memBook is an in-memory guard.Book.
type memBook struct {
	mu sync.Mutex
	m  map[string]guard.Entry
}

func (b *memBook) Keep(_ context.Context, e guard.Entry) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.m[e.DrillID+"/"+e.FaultID] = e
	return nil
}

func (b *memBook) Forget(_ context.Context, drill, fault string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.m, drill+"/"+fault)
	return nil
}

func (b *memBook) Entries(context.Context) ([]guard.Entry, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []guard.Entry
	for _, e := range b.m {
		out = append(out, e)
	}
	return out, nil
}

func (b *memBook) summary() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var s []string
	for k, e := range b.m {
		s = append(s, k+"="+string(e.Record))
	}
	if len(s) == 0 {
		return "nothing"
	}
	return strings.Join(s, ",")
}

func spec(id string) control.FaultSpec {
	return control.FaultSpec{Plugin: "kubernetes", Fault: injectors.Fault{DrillID: "d-1", FaultID: id, Type: "scale"}}
}

func TestRecordsAreKeptBeforeUseAndForgottenOnRevert(t *testing.T) {
	ctx := context.Background()
	book := &memBook{m: map[string]guard.Entry{}}
	inner := &recorder{book: book}
	g := guard.Injector(inner, guard.Options{Book: book})
	rec, err := g.Prepare(ctx, spec("f1"))
	if err != nil {
		t.Fatal(err)
	}
	rec, err = g.Inject(ctx, spec("f1"), rec)
	if err != nil {
		t.Fatal(err)
	}
	if got := book.summary(); got != "d-1/f1=injected-f1" {
		t.Fatalf("book after inject: %s, want the injected record", got)
	}
	if err := g.Revert(ctx, "kubernetes", rec); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"prepare f1 (book holds nothing)",
		"inject f1 with prepared-f1 (book holds d-1/f1=prepared-f1)",
		"revert injected-f1 (book holds d-1/f1=injected-f1)",
	}
	if strings.Join(inner.calls, "\n") != strings.Join(want, "\n") {
		t.Fatalf("calls:\n%s\nwant:\n%s", strings.Join(inner.calls, "\n"), strings.Join(want, "\n"))
	}
	if got := book.summary(); got != "nothing" {
		t.Fatalf("book after revert: %s, want nothing", got)
	}
}

func TestAnotherProcessRecordIsFoundInTheBook(t *testing.T) {
	ctx := context.Background()
	book := &memBook{m: map[string]guard.Entry{"d-1/f2": {DrillID: "d-1", FaultID: "f2", Plugin: "kubernetes", Record: []byte("injected-f2")}}}
	g := guard.Injector(&recorder{}, guard.Options{Book: book})
	if err := g.Revert(ctx, "kubernetes", []byte("injected-f2")); err != nil {
		t.Fatal(err)
	}
	if got := book.summary(); got != "nothing" {
		t.Fatalf("book after a failed-over revert: %s, want nothing", got)
	}
}

type failingBook struct{ *memBook }

func (failingBook) Keep(context.Context, guard.Entry) error { return errors.New("api server down") }

func TestAFaultWhoseRecordCannotBeKeptIsNotInjected(t *testing.T) {
	inner := &recorder{}
	g := guard.Injector(inner, guard.Options{Book: failingBook{&memBook{m: map[string]guard.Entry{}}}})
	_, err := g.Prepare(context.Background(), spec("f1"))
	if err == nil || !strings.Contains(err.Error(), "api server down") || injectors.ErrorCode(err) != injectors.EINTERNAL {
		t.Fatalf("prepare with a book that refuses: %v, want EINTERNAL naming the cause", err)
	}
	if len(inner.calls) != 1 {
		t.Fatalf("calls: %v, want only the prepare (which changes nothing)", inner.calls)
	}
}

func TestTheFenceStopsEveryCall(t *testing.T) {
	ctx := context.Background()
	calls := map[string]func(control.Injector) error{
		"prepare": func(g control.Injector) error { _, err := g.Prepare(ctx, spec("f1")); return err },
		"inject":  func(g control.Injector) error { _, err := g.Inject(ctx, spec("f1"), []byte("r")); return err },
		"status":  func(g control.Injector) error { _, err := g.Status(ctx, spec("f1"), []byte("r")); return err },
		"revert":  func(g control.Injector) error { return g.Revert(ctx, "kubernetes", []byte("r")) },
		"probe": func(g control.Injector) error {
			_, err := g.Probe(ctx, control.ProbeSpec{Plugin: "kubernetes"})
			return err
		},
	}
	for name, call := range calls {
		t.Run(name+" is refused without the lease", func(t *testing.T) {
			inner := &recorder{}
			g := guard.Injector(inner, guard.Options{Fence: func() error {
				return injectors.Errorf(injectors.ECONFLICT, "not the leader")
			}})
			if err := call(g); injectors.ErrorCode(err) != injectors.ECONFLICT {
				t.Fatalf("err = %v, want ECONFLICT", err)
			}
			if len(inner.calls) != 0 {
				t.Fatalf("the plugin was called: %v", inner.calls)
			}
		})
	}
}

type observed struct {
	mu  sync.Mutex
	ops []string
}

func (o *observed) Observe(op, plugin, typ string, _ time.Duration, err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.ops = append(o.ops, op+" "+plugin+"/"+typ)
}

func TestEveryCallIsObservedWithItsFaultType(t *testing.T) {
	ctx := context.Background()
	obs := &observed{}
	g := guard.Injector(&recorder{}, guard.Options{Observer: obs})
	rec, _ := g.Prepare(ctx, spec("f1"))
	rec, _ = g.Inject(ctx, spec("f1"), rec)
	_ = g.Revert(ctx, "kubernetes", rec)
	want := "prepare kubernetes/scale,inject kubernetes/scale,revert kubernetes/scale"
	if got := strings.Join(obs.ops, ","); got != want {
		t.Fatalf("observed %s, want %s", got, want)
	}
}
