package client_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"k8s.io/utils/clock"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/control/record"
	"github.com/firedrill/firedrill/control/retro"
	csqlite "github.com/firedrill/firedrill/control/sqlite"
	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/ui"
	"github.com/firedrill/firedrill/ui/client"
	usqlite "github.com/firedrill/firedrill/ui/sqlite"
	"github.com/firedrill/firedrill/ui/wire"
)

const adminToken = "client-test-admin-token-0123"

// flagInjector stands in for the plugin host: these tests are about the
// client and the drill room's API, which inject nothing themselves. The
// end-to-end test (internal/e2e) drives the same client against the real
// binary, its Kubernetes plugin and a real cluster.
type flagInjector struct {
	mu       sync.Mutex
	injected map[string]bool
}

func (f *flagInjector) Prepare(ctx context.Context, s control.FaultSpec) ([]byte, error) {
	return []byte(`{"fault":"` + s.FaultID + `"}`), nil
}

func (f *flagInjector) Inject(ctx context.Context, s control.FaultSpec, rec []byte) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.injected[s.FaultID] = true
	return rec, nil
}

func (f *flagInjector) Status(ctx context.Context, s control.FaultSpec, rec []byte) (injectors.Status, error) {
	return injectors.Status{Effect: injectors.InEffect}, nil
}

func (f *flagInjector) Revert(ctx context.Context, plugin string, rec []byte) error {
	var r struct {
		Fault string `json:"fault"`
	}
	if err := json.Unmarshal(rec, &r); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.injected, r.Fault)
	return nil
}

func (f *flagInjector) Probe(ctx context.Context, p control.ProbeSpec) (injectors.ProbeResult, error) {
	return injectors.ProbeResult{OK: false, Detail: "no probes in this scenario"}, nil
}

func (f *flagInjector) inEffect() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for id := range f.injected {
		out = append(out, id)
	}
	return out
}

type room struct {
	url      string
	injector *flagInjector
	server   *ui.Server
}

// newRoom serves a drill room over a real engine and real SQLite files,
// with the test scenario in its library.
func newRoom(t *testing.T, opts ...func(*ui.Config)) *room {
	t.Helper()
	dir := t.TempDir()
	ctx := context.Background()
	store, err := csqlite.Open(ctx, filepath.Join(dir, "firedrill.db"))
	if err != nil {
		t.Fatal(err)
	}
	inj := &flagInjector{injected: map[string]bool{}}
	eng := control.NewEngine(store, inj, clock.RealClock{})
	tokens, err := usqlite.Open(filepath.Join(dir, "room.db"))
	if err != nil {
		t.Fatal(err)
	}
	lib, err := ui.LoadLibrary([]string{"testdata/scenarios"})
	if err != nil {
		t.Fatal(err)
	}
	if err := eng.Open(ctx); err != nil {
		t.Fatal(err)
	}
	cfg := ui.Config{
		Engine: eng, Journal: store, Library: lib, Tokens: tokens, Sessions: tokens,
		Admin:     ui.AdminCredential{Token: adminToken},
		RateLimit: ui.RateLimit{Burst: 1000, Every: time.Millisecond},
	}
	for _, o := range opts {
		o(&cfg)
	}
	srv, err := ui.NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		hs.CloseClientConnections()
		hs.Close()
		srv.Close()
		eng.Close()
		tokens.Close()
		store.Close()
	})
	return &room{url: hs.URL, injector: inj, server: srv}
}

func newClient(t *testing.T, r *room) *client.Client {
	t.Helper()
	c, err := client.New(r.url + "/")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// must fails the test on err.
func must(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// follower records every event a person's stream delivers.
type follower struct {
	mu     sync.Mutex
	events []wire.Event
	seen   chan struct{}
	done   chan error
}

func follow(ctx context.Context, c *client.Client, drillID string, slow time.Duration) *follower {
	f := &follower{seen: make(chan struct{}, 1), done: make(chan error, 1)}
	go func() {
		f.done <- c.Follow(ctx, drillID, 0, func(e wire.Event) error {
			if slow > 0 {
				time.Sleep(slow)
			}
			f.mu.Lock()
			f.events = append(f.events, e)
			f.mu.Unlock()
			select {
			case f.seen <- struct{}{}:
			default:
			}
			return nil
		})
	}()
	return f
}

// waitFor waits until an event satisfies ok and returns it.
func (f *follower) waitFor(t *testing.T, what string, ok func(wire.Event) bool) wire.Event {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		f.mu.Lock()
		for _, e := range f.events {
			if ok(e) {
				f.mu.Unlock()
				return e
			}
		}
		n := len(f.events)
		var last string
		if n > 0 {
			last = f.events[n-1].Type
		}
		f.mu.Unlock()
		select {
		case <-f.seen:
		case err := <-f.done:
			t.Fatalf("waiting for %s: the stream ended: %v", what, err)
		case <-deadline:
			t.Fatalf("waiting for %s: not seen in 20s; %d events, the last %q", what, n, last)
		}
	}
}

func (f *follower) snapshot() []wire.Event {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]wire.Event(nil), f.events...)
}

func ofType(typ string) func(wire.Event) bool {
	return func(e wire.Event) bool { return e.Type == typ }
}

func faultEvent(typ, faultID string) func(wire.Event) bool {
	return func(e wire.Event) bool {
		if e.Type != typ {
			return false
		}
		var p control.FaultEvent
		return json.Unmarshal(e.Payload, &p) == nil && p.FaultID == faultID
	}
}

func chatFrom(source string) func(wire.Event) bool {
	return func(e wire.Event) bool {
		if e.Type != control.EventChatMessage {
			return false
		}
		var m control.Message
		return json.Unmarshal(e.Payload, &m) == nil && m.Source == source
	}
}

// participantForm is a chat message's payload as participants get it:
// without its source.
func participantForm(t *testing.T, payload json.RawMessage) []byte {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(payload, &m); err != nil {
		t.Fatal(err)
	}
	delete(m, "source")
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestClient_runsADrillThroughTheAPI plays a whole drill with the client:
// the facilitator sets it up, a participant joins, follows the stream,
// claims a role, posts the incident notice; the facilitator marks the fault
// resolved; the participant posts the resolution notice, the drill ends on
// its own, both fill the retro, and the facilitator exports the record.
func TestClient_runsADrillThroughTheAPI(t *testing.T) {
	r := newRoom(t)
	ctx := ctxFor(t)
	fac := newClient(t, r)
	must(t, "login", fac.Login(ctx, adminToken))
	if !fac.Session.Admin || fac.Session.Role != control.RoleFacilitator {
		t.Fatalf("facilitator session: %+v", fac.Session)
	}
	d, err := fac.CreateDrill(ctx, "client-test", "Client drill", "")
	must(t, "create drill", err)
	link, err := fac.AddPerson(ctx, d.ID, "Ana", control.RoleParticipant)
	must(t, "add participant", err)
	obsLink, err := fac.AddPerson(ctx, d.ID, "Olivia", control.RoleObserver)
	must(t, "add observer", err)

	ana := newClient(t, r)
	must(t, "join", ana.Join(ctx, link.URL))
	if ana.Session.DrillID != d.ID || ana.Session.PersonID != link.Person.ID || ana.Session.Role != control.RoleParticipant {
		t.Fatalf("participant session %+v, want drill %s person %s", ana.Session, d.ID, link.Person.ID)
	}
	obs := newClient(t, r)
	must(t, "observer join", obs.Join(ctx, obsLink.URL))

	staff := follow(ctx, fac, d.ID, 0)
	people := follow(ctx, ana, d.ID, 0)

	must(t, "claim", ana.Claim(ctx, d.ID, wire.ClaimCommander))
	must(t, "start", fac.Lifecycle(ctx, d.ID, "start", ""))
	staff.waitFor(t, "the fault injected", faultEvent(control.EventFaultInjected, "db-host"))
	if got := r.injector.inEffect(); len(got) != 1 || got[0] != "db-host" {
		t.Fatalf("faults in effect after the start: %v, want [db-host]", got)
	}
	// Participants get persona messages without the source staff see.
	call := staff.waitFor(t, "the customer center's message", chatFrom("inject:first-call"))
	// They number the events they see on their own: the message is found
	// by what it says.
	people.waitFor(t, "the customer center's message", func(e wire.Event) bool {
		return e.Type == control.EventChatMessage && bytes.Equal(e.Payload, participantForm(t, call.Payload))
	})

	view, err := ana.DrillView(ctx, d.ID)
	must(t, "drill view", err)
	if view.State != control.StateRunning || view.IncidentChannel != "incident" || view.Staff != nil {
		t.Fatalf("participant's view: state %s, incident channel %q, staff part %v", view.State, view.IncidentChannel, view.Staff != nil)
	}

	t.Run("an incomplete notice names its missing fields", func(t *testing.T) {
		err := ana.PostNotice(ctx, d.ID, "incident", map[string]string{"impact": "customers cannot order"})
		var ae *client.APIError
		if !errors.As(err, &ae) || ae.Status != 400 || ae.Code != injectors.EINVALID || !strings.Contains(ae.Message, "Start time") ||
			!strings.Contains(strings.Join(ae.Fields, ","), "started") {
			t.Fatalf("incomplete notice: %#v, want a 400 invalid naming the start time", err)
		}
	})
	must(t, "say", ana.Say(ctx, d.ID, "cs-inquiries", "Looking into it; updates in #incident-orders.", ""))
	must(t, "incident notice", ana.PostNotice(ctx, d.ID, "incident", map[string]string{
		"started": "10:00", "impact": "Customers cannot order.", "channel": "#incident-orders", "grade": "SEV2", "status": "investigating",
	}))
	people.waitFor(t, "the incident notice", ofType(control.EventNoticePosted))
	must(t, "observer note", obs.Note(ctx, d.ID, client.NoteStrength, "Notice within a minute."))
	must(t, "resolve", fac.ResolveFault(ctx, d.ID, "db-host"))
	staff.waitFor(t, "the fault resolved", faultEvent(control.EventFaultResolved, "db-host"))
	must(t, "resolution notice", ana.PostNotice(ctx, d.ID, "resolution", map[string]string{
		"started": "10:00", "ended": "10:20", "impact": "Orders failed for 20 minutes.", "cause": "DB_HOST changed.",
		"recovery": "Restored DB_HOST.", "affectedCustomers": "About 300, listed for after-care.",
	}))
	people.waitFor(t, "the drill's end", ofType(control.EventDrillEnded))
	people.waitFor(t, "the retro", ofType(control.EventDrillRetro))
	if got := r.injector.inEffect(); len(got) != 0 {
		t.Fatalf("faults still in effect after the end: %v", got)
	}
	for _, e := range people.snapshot() {
		if strings.HasPrefix(e.Type, "fault.") {
			t.Fatalf("the participant's stream carried %s (#%d): faults are staff-only", e.Type, e.Seq)
		}
	}

	t.Run("a draft is kept and the submission needs the required question", func(t *testing.T) {
		a := client.RetroAnswers{WentWell: "Quick notice.", Before: 2}
		seq, err := ana.SaveRetroDraft(ctx, d.ID, a)
		must(t, "draft", err)
		v, err := ana.Retro(ctx, d.ID)
		must(t, "retro view", err)
		if seq == 0 || v.Form.Saved != seq || v.Form.Answers.WentWell != a.WentWell || v.Form.Submitted {
			t.Fatalf("after the draft #%d: form %+v", seq, v.Form)
		}
		a.Lacking, a.Better, a.After = "Found the config late.", "Diff configs first.", 4
		_, err = ana.SubmitRetro(ctx, d.ID, a)
		var ae *client.APIError
		if !errors.As(err, &ae) || ae.Code != injectors.EINVALID || !strings.Contains(ae.Message, "config-review") {
			t.Fatalf("submit without the required question: %v, want invalid naming extra.config-review", err)
		}
		a.Extra = map[string]string{"config-review": "A diff against yesterday's config."}
		_, err = ana.SubmitRetro(ctx, d.ID, a)
		must(t, "submit", err)
		v, err = ana.Retro(ctx, d.ID)
		must(t, "retro view", err)
		if !v.Form.Submitted || v.Aggregate == nil || v.Aggregate.Count != 1 || v.Aggregate.Before != 2 || v.Aggregate.After != 4 {
			t.Fatalf("after the submission: form %+v aggregate %+v", v.Form, v.Aggregate)
		}
	})

	qid, err := ana.AskRetroQuestion(ctx, d.ID, "Who changed the config?")
	must(t, "ask", err)
	must(t, "answered", fac.MarkRetroQuestionAnswered(ctx, d.ID, qid))
	aid, err := ana.ProposeAction(ctx, d.ID, retro.Action{Title: "Alert on order API database errors", Kind: retro.KindAlert, Owner: "Ana", Due: "2026-12-01"})
	must(t, "propose", err)
	must(t, "accept", fac.DecideAction(ctx, d.ID, aid, true))
	first, err := fac.NextPresenter(ctx, d.ID)
	must(t, "next presenter", err)
	if first != link.Person.ID {
		t.Fatalf("first presenter %q, want the participant %q", first, link.Person.ID)
	}

	md, err := ana.Export(ctx, d.ID, client.ExportMarkdown)
	must(t, "export md", err)
	for _, want := range []string{"Client drill", "Alert on order API database errors", "db-host"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("the Markdown record lacks %q", want)
		}
	}
	_, err = ana.Export(ctx, d.ID, client.ExportJSON)
	if ae := (*client.APIError)(nil); !errors.As(err, &ae) || ae.Status != 403 {
		t.Fatalf("participant's JSON export: %v, want 403 (the JSON record is the facilitator's)", err)
	}
	js, err := fac.Export(ctx, d.ID, client.ExportJSON)
	must(t, "export json", err)
	rec, err := record.ReadJSON(strings.NewReader(string(js)))
	must(t, "read the JSON record", err)
	if _, err := record.Verify(rec); err != nil {
		t.Fatalf("the exported record does not verify: %v", err)
	}
	if rec.State != string(control.StateRetro) || len(rec.Retro.Answers) != 1 || len(rec.Retro.Actions) != 1 || len(rec.Notices) != 2 || len(rec.ObserverNotes) != 1 {
		t.Fatalf("record: state %s, %d answers, %d actions, %d notices, %d notes", rec.State, len(rec.Retro.Answers), len(rec.Retro.Actions), len(rec.Notices), len(rec.ObserverNotes))
	}
	must(t, "close retro", fac.CloseRetro(ctx, d.ID))
	if _, err := ana.SaveRetroDraft(ctx, d.ID, client.RetroAnswers{WentWell: "late edit"}); err == nil {
		t.Fatal("a draft saved after the retro closed")
	}
}

// TestClient_errors checks that the API's refusals come back as APIError
// with the server's code and message.
func TestClient_errors(t *testing.T) {
	r := newRoom(t)
	ctx := ctxFor(t)
	tests := []struct {
		name   string
		call   func(c *client.Client) error
		status int
		code   string
		msg    string
	}{
		{"a wrong admin token is refused", func(c *client.Client) error { return c.Login(ctx, "wrong-token-0123456789") }, 401, injectors.EUNAUTHORIZED, "Wrong facilitator credential"},
		{"a made-up join link is refused", func(c *client.Client) error { return c.Join(ctx, r.url+"/join#"+strings.Repeat("x", 40)) }, 401, injectors.EUNAUTHORIZED, "join link is not valid"},
		{"an unknown scenario is not found", func(c *client.Client) error {
			if err := c.Login(ctx, adminToken); err != nil {
				return err
			}
			_, err := c.CreateDrill(ctx, "no-such-scenario", "", "")
			return err
		}, 404, injectors.ENOTFOUND, "no-such-scenario"},
		{"a scenario with candidates needs one picked", func(c *client.Client) error {
			if err := c.Login(ctx, adminToken); err != nil {
				return err
			}
			_, err := c.CreateDrill(ctx, "candidates-test", "", "")
			return err
		}, 400, injectors.EINVALID, `expected one of them to be chosen: pool ("Connection pool shrunk to one")`},
		{"a drill call without a session is refused", func(c *client.Client) error { return c.Say(ctx, "d-x", "incident", "hello", "") }, 401, injectors.EUNAUTHORIZED, "Sign in first"},
		{"a stream without a session is refused", func(c *client.Client) error { _, err := c.Stream(ctx, "d-x", 0); return err }, 0, "", "HTTP 401"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call(newClient(t, r))
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("error %q does not say %q", err, tc.msg)
			}
			if tc.status == 0 {
				return
			}
			var ae *client.APIError
			if !errors.As(err, &ae) || ae.Status != tc.status || ae.Code != tc.code {
				t.Fatalf("error %#v, want HTTP %d %s", err, tc.status, tc.code)
			}
		})
	}
}

// briefedDrill signs the facilitator in on a new room and opens a drill's
// briefing.
func briefedDrill(t *testing.T) (context.Context, *client.Client, control.DrillSummary) {
	t.Helper()
	r := newRoom(t)
	ctx := ctxFor(t)
	fac := newClient(t, r)
	must(t, "login", fac.Login(ctx, adminToken))
	d, err := fac.CreateDrill(ctx, "client-test", "", "")
	must(t, "create", err)
	must(t, "briefing", fac.Lifecycle(ctx, d.ID, "briefing", ""))
	return ctx, fac, d
}

// TestFollow_deliversEveryEventOnceInOrder has a slow reader follow a
// burst of messages: it sees every one of them once, in journal order.
func TestFollow_deliversEveryEventOnceInOrder(t *testing.T) {
	ctx, fac, d := briefedDrill(t)
	f := follow(ctx, fac, d.ID, 20*time.Millisecond)
	f.waitFor(t, "the replay", ofType(control.EventPersonAdded))
	const n = 40
	for i := range n {
		must(t, "say", fac.Say(ctx, d.ID, "backroom", fmt.Sprintf("note %d", i), ""))
	}
	f.waitFor(t, "the last message", func(e wire.Event) bool {
		var m control.Message
		return e.Type == control.EventChatMessage && json.Unmarshal(e.Payload, &m) == nil && m.Text == fmt.Sprintf("note %d", n-1)
	})
	var texts []string
	last := int64(0)
	for _, e := range f.snapshot() {
		if e.Seq <= last {
			t.Fatalf("event #%d after #%d: seen twice or out of order", e.Seq, last)
		}
		last = e.Seq
		var m control.Message
		if e.Type == control.EventChatMessage && json.Unmarshal(e.Payload, &m) == nil {
			texts = append(texts, m.Text)
		}
	}
	if len(texts) != n {
		t.Fatalf("saw %d messages, want %d: %v", len(texts), n, texts)
	}
}

// TestFollow_resumesAfterTheServerDropsASlowReader has a reader with a
// tiny socket receive buffer stop reading during a burst of large
// messages, so that the server drops it (wire.CloseSlowConsumer). Follow
// resumes where the reader stopped: it sees every message once, in order.
func TestFollow_resumesAfterTheServerDropsASlowReader(t *testing.T) {
	r := newRoom(t, func(c *ui.Config) { c.SubscriberBuffer = 32 })
	ctx := ctxFor(t)
	fac := newClient(t, r)
	must(t, "login", fac.Login(ctx, adminToken))
	d, err := fac.CreateDrill(ctx, "client-test", "", "")
	must(t, "create", err)
	must(t, "briefing", fac.Lifecycle(ctx, d.ID, "briefing", ""))

	reader := newClient(t, r)
	must(t, "login", reader.Login(ctx, adminToken))
	reader.DialStream = func(ctx context.Context, network, addr string) (net.Conn, error) {
		nd := net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
			var serr error
			if err := rc.Control(func(fd uintptr) {
				serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096)
			}); err != nil {
				return err
			}
			return serr
		}}
		return nd.DialContext(ctx, network, addr)
	}
	gate := make(chan struct{})
	var mu sync.Mutex
	var texts []string
	var seqs []int64
	done := make(chan error, 1)
	fctx, stop := context.WithCancel(ctx)
	defer stop()
	const n = 500
	go func() {
		done <- reader.Follow(fctx, d.ID, 0, func(e wire.Event) error {
			m, ok := chatText(e)
			if !ok {
				return nil
			}
			<-gate // stops reading during the burst
			mu.Lock()
			defer mu.Unlock()
			texts, seqs = append(texts, m), append(seqs, e.Seq)
			if len(texts) == n {
				stop()
			}
			return nil
		})
	}()
	big := strings.Repeat("가", 3990) // 12 kB per message
	for i := 1; i <= n; i++ {
		must(t, "say", fac.Say(ctx, d.ID, "backroom", fmt.Sprintf("%03d %s", i, big), ""))
	}
	if st := r.server.HubStats(); st.Dropped < 1 {
		t.Fatalf("the hub dropped %d subscribers during the burst; the test needs the slow reader dropped", st.Dropped)
	}
	close(gate)
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Follow ended with %v before seeing the %d messages", err, n)
	}
	mu.Lock()
	defer mu.Unlock()
	for i, txt := range texts {
		if !strings.HasPrefix(txt, fmt.Sprintf("%03d ", i+1)) {
			t.Fatalf("message %d starts %q, want %03d: lost, repeated or out of order", i, txt[:4], i+1)
		}
		if i > 0 && seqs[i] <= seqs[i-1] {
			t.Fatalf("message %d has #%d after #%d", i, seqs[i], seqs[i-1])
		}
	}
}

func chatText(e wire.Event) (string, bool) {
	var m control.Message
	if e.Type != control.EventChatMessage || json.Unmarshal(e.Payload, &m) != nil {
		return "", false
	}
	return m.Text, true
}

// CreateDrillCandidate creates a drill playing the candidate picked.
func TestClient_createDrillCandidate(t *testing.T) {
	r := newRoom(t)
	ctx := ctxFor(t)
	fac := newClient(t, r)
	must(t, "login", fac.Login(ctx, adminToken))
	d, err := fac.CreateDrillCandidate(ctx, "candidates-test", "", "", "pool")
	must(t, "create drill", err)
	var view struct {
		Staff struct {
			Scenario struct {
				Candidate struct{ ID string }   `json:"candidate"`
				Faults    []struct{ ID string } `json:"faults"`
			} `json:"scenario"`
		} `json:"staff"`
	}
	must(t, "drill", fac.Do(ctx, "GET", "/api/drills/"+d.ID, nil, &view))
	if sc := view.Staff.Scenario; sc.Candidate.ID != "pool" || len(sc.Faults) != 1 || sc.Faults[0].ID != "pool-too-small" {
		t.Fatalf("drill plays %+v, want the pool candidate alone", sc)
	}
}

// FollowCursor moves the cursor past an event only once fn took it: a
// caller whose fn refused an event follows again from before it, and
// gets it again.
func TestFollowCursor_movesOnlyPastWhatFnTook(t *testing.T) {
	ctx, fac, d := briefedDrill(t)
	must(t, "say", fac.Say(ctx, d.ID, "backroom", "first", ""))
	var cur client.Cursor
	refusal := errors.New("not now")
	var took []int64
	err := fac.FollowCursor(ctx, d.ID, &cur, func(e wire.Event) error {
		if text, ok := chatText(e); ok && text == "first" {
			return refusal
		}
		took = append(took, e.Seq)
		return nil
	})
	if !errors.Is(err, refusal) {
		t.Fatalf("FollowCursor returned %v, want fn's error", err)
	}
	if len(took) == 0 || cur.Seq != took[len(took)-1] {
		t.Fatalf("cursor %+v after taking %v, want the last event taken", cur, took)
	}
	var again string
	fctx, cancel := context.WithCancel(ctx)
	defer cancel()
	err = fac.FollowCursor(fctx, d.ID, &cur, func(e wire.Event) error {
		again, _ = chatText(e)
		cancel()
		return nil
	})
	if !errors.Is(err, context.Canceled) || again != "first" {
		t.Fatalf("following again gave %q (%v), want the refused message first", again, err)
	}
}
