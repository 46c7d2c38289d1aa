package ui_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"k8s.io/utils/clock"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/control/program"
	"github.com/firedrill/firedrill/control/program/webhook"
	"github.com/firedrill/firedrill/control/rehearse"
	"github.com/firedrill/firedrill/control/retro/retrotest"
	csqlite "github.com/firedrill/firedrill/control/sqlite"
	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/scenarios"
	"github.com/firedrill/firedrill/ui"
	usqlite "github.com/firedrill/firedrill/ui/sqlite"
	"github.com/firedrill/firedrill/ui/wire"
)

const adminToken = "test-admin-token-0123456789"

// recordingInjector stands in for the plugin host: the drill room does not
// inject anything itself, so a recorder of the calls is enough here. The
// plugin host has its own tests with real plugin subprocesses.
type recordingInjector struct {
	mu       sync.Mutex
	injected []string
	// passing are the probe types that pass; every other probe fails.
	passing map[string]string
	// revertFails are the faults whose reverts fail, with the error.
	revertFails map[string]error
}

// pass makes probes of the type pass with the detail (a fix landed).
func (r *recordingInjector) pass(probeType, detail string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.passing == nil {
		r.passing = map[string]string{}
	}
	r.passing[probeType] = detail
}

func (r *recordingInjector) Prepare(ctx context.Context, f control.FaultSpec) ([]byte, error) {
	return []byte(`{"fault":"` + f.FaultID + `"}`), nil
}

func (r *recordingInjector) Inject(ctx context.Context, f control.FaultSpec, rec []byte) ([]byte, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.injected = append(r.injected, f.FaultID)
	return rec, nil
}

func (r *recordingInjector) Status(ctx context.Context, f control.FaultSpec, rec []byte) (injectors.Status, error) {
	return injectors.Status{Effect: injectors.InEffect}, nil
}

func (r *recordingInjector) Revert(ctx context.Context, plugin string, rec []byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for id, err := range r.revertFails {
		if strings.Contains(string(rec), `"`+id+`"`) {
			return err
		}
	}
	return nil
}

// failReverts makes every revert of the fault fail with err (an API server
// that is down), until heal.
func (r *recordingInjector) failReverts(faultID string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.revertFails == nil {
		r.revertFails = map[string]error{}
	}
	r.revertFails[faultID] = err
}

// heal lets the fault's reverts succeed again.
func (r *recordingInjector) heal(faultID string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.revertFails, faultID)
}

func (r *recordingInjector) Probe(ctx context.Context, p control.ProbeSpec) (injectors.ProbeResult, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if d, ok := r.passing[p.Type]; ok {
		return injectors.ProbeResult{OK: true, Detail: d}, nil
	}
	return injectors.ProbeResult{OK: false, Detail: "not checked in this test"}, nil
}

// env is a drill room over a real engine and real SQLite files.
type env struct {
	t      testing.TB
	store  *csqlite.DB
	engine *control.Engine
	server *ui.Server
	http   *httptest.Server
	cfg    ui.Config
	inj    *recordingInjector
	// hook is the local HTTP receiver of the program's notice webhook.
	hook *hookReceiver
	// seasons counts the seasons and teams the program tests made.
	seasons atomic.Int64
}

type envOption func(*ui.Config, *control.Engine)

func withBuffer(n int) envOption {
	return func(c *ui.Config, _ *control.Engine) { c.SubscriberBuffer = n }
}

func withRate(r ui.RateLimit) envOption {
	return func(c *ui.Config, _ *control.Engine) { c.RateLimit = r }
}

func withWriteLimit(r ui.RateLimit) envOption {
	return func(c *ui.Config, _ *control.Engine) { c.WriteLimit = r }
}

func withTypeQuotas(q map[string]int64) envOption {
	return func(c *ui.Config, _ *control.Engine) { c.TypeQuotas = q }
}

func withQuota(n int64) envOption {
	return func(c *ui.Config, _ *control.Engine) { c.DrillQuota = n }
}

func withTimeScale(s float64) envOption {
	return func(_ *ui.Config, e *control.Engine) { e.TimeScale = s }
}

func newEnv(t testing.TB, opts ...envOption) *env {
	t.Helper()
	return newEnvLimit(t, 0, opts...)
}

// newEnvLimit is newEnv on a journal limited to maxBytes (0: no limit; see
// sqlite.DB.MaxBytes).
func newEnvLimit(t testing.TB, maxBytes int64, opts ...envOption) *env {
	t.Helper()
	return newEnvStore(t, func(db *csqlite.DB) { db.MaxBytes = maxBytes }, opts...)
}

// newEnvStore is newEnv on a journal that setup sets up before it opens.
func newEnvStore(t testing.TB, setup func(*csqlite.DB), opts ...envOption) *env {
	t.Helper()
	dir := t.TempDir()
	ctx := context.Background()
	store := csqlite.NewDB(filepath.Join(dir, "firedrill.db"))
	setup(store)
	if err := store.Open(ctx); err != nil {
		t.Fatal(err)
	}
	inj := &recordingInjector{}
	eng := control.NewEngine(store, inj, clock.RealClock{})
	tokens, err := usqlite.Open(filepath.Join(dir, "room.db"))
	if err != nil {
		t.Fatal(err)
	}
	// The room's library is a studio's catalog: the scenario files and
	// the scenarios written in the studio (kept in room.db).
	lib, err := ui.NewCatalog(ctx, []string{"testdata/scenarios"}, tokens)
	if err != nil {
		t.Fatal(err)
	}
	hook := newHookReceiver(t)
	poster, err := webhook.New(hook.URL(), nil, clock.RealClock{})
	if err != nil {
		t.Fatal(err)
	}
	poster.Backoff = time.Millisecond
	cfg := ui.Config{
		Engine: eng, Journal: store, Studio: lib, Tokens: tokens, Sessions: tokens, Links: tokens,
		Admin:     ui.AdminCredential{Token: adminToken},
		RateLimit: ui.RateLimit{Burst: 1000, Every: time.Millisecond},
		Program:   &program.Service{Store: store, Drills: eng, Scenarios: lib, Clock: clock.RealClock{}, Poster: poster},
		// The robots' fixes land in the recording injector's world: a
		// fix makes the fault's probes pass, as a kubectl fix would.
		Rehearsals:    &rehearse.Runner{Engine: eng, Clock: clock.RealClock{}, Fixer: recordingFixer{inj}},
		MaxRehearsals: 100,
	}
	for _, o := range opts {
		o(&cfg, eng)
	}
	if err := eng.Open(ctx); err != nil {
		t.Fatal(err)
	}
	e := serveRoom(t, cfg, store, eng, func() { eng.Close() }, func() { tokens.Close() }, func() { store.Close() })
	e.inj, e.hook = inj, hook
	return e
}

// serveRoom serves cfg's drill room on a test HTTP server and returns it as
// an env; when the test ends the server stops, then closers run in order.
func serveRoom(t testing.TB, cfg ui.Config, store *csqlite.DB, eng *control.Engine, closers ...func()) *env {
	t.Helper()
	if cfg.RecordKeys == nil {
		// As serve does: the record keys seal anonymous retro answers.
		cfg.RecordKeys = retrotest.Keys()
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
		for _, c := range closers {
			c()
		}
	})
	return &env{t: t, store: store, engine: eng, server: srv, http: hs, cfg: cfg}
}

// client is one browser: a cookie jar, the CSRF token of its session, and
// the Origin header a browser sends.
type client struct {
	t    testing.TB
	base string
	hc   *http.Client
	csrf string
	// origin is sent on every request; empty sends none.
	origin string
	// forwardedFor, when set, is sent as X-Forwarded-For.
	forwardedFor string
	// bearer, when set, is sent as an Authorization bearer token.
	bearer string
}

func (e *env) client() *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: e.t, base: e.http.URL, hc: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}, origin: e.http.URL}
}

// do sends a request and returns the status and body.
func (c *client) do(method, path string, body any) (int, []byte) {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			c.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.origin != "" {
		req.Header.Set("Origin", c.origin)
	}
	if c.csrf != "" {
		req.Header.Set("X-CSRF-Token", c.csrf)
	}
	if c.forwardedFor != "" {
		req.Header.Set("X-Forwarded-For", c.forwardedFor)
	}
	if c.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+c.bearer)
	}
	res, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

// must sends a request that must answer with status want, and decodes the
// JSON answer into out (when not nil).
func (c *client) must(want int, method, path string, body, out any) {
	c.t.Helper()
	st, b := c.do(method, path, body)
	if st != want {
		c.t.Fatalf("%s %s = %d %s, want %d", method, path, st, b, want)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			c.t.Fatalf("%s %s: decode %s: %v", method, path, b, err)
		}
	}
}

func (e *env) admin() *client {
	c := e.client()
	var s wire.SessionView
	c.must(200, "POST", "/api/login", map[string]string{"secret": adminToken}, &s)
	c.csrf = s.CSRF
	return c
}

// join opens a join link in a new browser.
func (e *env) join(link string) *client {
	e.t.Helper()
	_, tok, ok := strings.Cut(link, "#")
	if !ok {
		e.t.Fatalf("join link %q has no token fragment", link)
	}
	c := e.client()
	var s wire.SessionView
	c.must(200, "POST", "/api/join", map[string]string{"token": tok}, &s)
	c.csrf = s.CSRF
	return c
}

// drill is a created drill with its people's browsers.
type drill struct {
	id          string
	admin       *client
	participant *client
	second      *client
	observer    *client
	designer    *client
	people      map[string]string // name -> person id
}

// newDrill creates a drill from the test scenario and joins a participant,
// a second participant, an observer and a designer; start starts it.
func (e *env) newDrill(start bool) *drill {
	e.t.Helper()
	return e.newDrillOf("room-test", start)
}

// newDrillOf is newDrill with another scenario of ui/testdata/scenarios.
func (e *env) newDrillOf(scenario string, start bool) *drill {
	e.t.Helper()
	a := e.admin()
	var sum control.DrillSummary
	a.must(201, "POST", "/api/drills", map[string]string{"scenario": scenario, "difficulty": ""}, &sum)
	d := &drill{id: sum.ID, admin: a, people: map[string]string{}}
	add := func(name string, role control.Role) *client {
		var l wire.JoinLink
		a.must(201, "POST", "/api/drills/"+d.id+"/people", map[string]any{"name": name, "role": role}, &l)
		d.people[name] = l.Person.ID
		return e.join(l.URL)
	}
	d.participant = add("Kim", control.RoleParticipant)
	d.second = add("Lee", control.RoleParticipant)
	d.observer = add("Park", control.RoleObserver)
	d.designer = add("Mina", control.RoleDesigner)
	if start {
		a.must(200, "POST", "/api/drills/"+d.id+"/start", nil, nil)
	}
	return d
}

// stream is a WebSocket of one browser.
type stream struct {
	t    testing.TB
	conn *websocket.Conn
}

type frame struct {
	Kind  string     `json:"kind"`
	Event wire.Event `json:"event"`
	Seq   int64      `json:"seq"`
	Epoch string     `json:"epoch"`
}

func (c *client) dialWS(drillID string, after int64) (*websocket.Conn, *http.Response, error) {
	return c.dialWith(*websocket.DefaultDialer, drillID, after)
}

func (c *client) dialWith(d websocket.Dialer, drillID string, after int64) (*websocket.Conn, *http.Response, error) {
	return c.dialQuery(d, drillID, "after="+itoa(after))
}

// wsResume is ws resuming on a stream of epoch (the ready frame's).
func (c *client) wsResume(drillID string, after int64, epoch string) *stream {
	c.t.Helper()
	conn, _, err := c.dialQuery(*websocket.DefaultDialer, drillID, "after="+itoa(after)+"&epoch="+url.QueryEscape(epoch))
	if err != nil {
		c.t.Fatalf("dial ws of drill %s: %v", drillID, err)
	}
	c.t.Cleanup(func() { conn.Close() })
	return &stream{t: c.t, conn: conn}
}

func (c *client) dialQuery(d websocket.Dialer, drillID, query string) (*websocket.Conn, *http.Response, error) {
	u := "ws" + strings.TrimPrefix(c.base, "http") + "/api/drills/" + drillID + "/ws?" + query
	h := http.Header{}
	if c.origin != "" {
		h.Set("Origin", c.origin)
	}
	req, _ := http.NewRequest("GET", c.base, nil)
	for _, ck := range c.hc.Jar.Cookies(req.URL) {
		req.AddCookie(ck)
	}
	if ck := req.Header.Get("Cookie"); ck != "" {
		h.Set("Cookie", ck)
	}
	return d.Dial(u, h)
}

// wsSmallBuffer dials with a 4 kB socket receive buffer, like a browser on
// a bad connection.
func (c *client) wsSmallBuffer(drillID string, after int64) *stream {
	c.t.Helper()
	nd := &net.Dialer{Control: func(network, address string, rc syscall.RawConn) error {
		var serr error
		err := rc.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096)
		})
		if err != nil {
			return err
		}
		return serr
	}}
	d := websocket.Dialer{NetDialContext: nd.DialContext, ReadBufferSize: 1024}
	conn, _, err := c.dialWith(d, drillID, after)
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { conn.Close() })
	return &stream{t: c.t, conn: conn}
}

func (c *client) ws(drillID string, after int64) *stream {
	c.t.Helper()
	conn, res, err := c.dialWS(drillID, after)
	if err != nil {
		st := 0
		if res != nil {
			st = res.StatusCode
		}
		c.t.Fatalf("dial ws of drill %s: %v (HTTP %d)", drillID, err, st)
	}
	s := &stream{t: c.t, conn: conn}
	c.t.Cleanup(func() { conn.Close() })
	return s
}

// next returns the next frame, failing after a timeout.
func (s *stream) next() (frame, error) {
	_ = s.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	var f frame
	_, b, err := s.conn.ReadMessage()
	if err != nil {
		return f, err
	}
	if err := json.Unmarshal(b, &f); err != nil {
		s.t.Fatalf("frame %s: %v", b, err)
	}
	return f, nil
}

// untilReady reads the replay and returns its events.
func (s *stream) untilReady() []wire.Event {
	s.t.Helper()
	evs, _ := s.untilReadyEpoch()
	return evs
}

// messages reads events until n chat messages arrived, and returns them.
func (s *stream) messages(n int) []control.Message {
	s.t.Helper()
	out, err := s.collect(n)
	if err != nil {
		s.t.Fatal(err)
	}
	return out
}

// collect is messages for use off the test goroutine: it returns an error
// instead of failing the test.
func (s *stream) collect(n int) ([]control.Message, error) {
	var out []control.Message
	for len(out) < n {
		_ = s.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, b, err := s.conn.ReadMessage()
		if err != nil {
			return out, fmt.Errorf("waiting for %d messages, got %d: %w", n, len(out), err)
		}
		var f frame
		if err := json.Unmarshal(b, &f); err != nil {
			return out, fmt.Errorf("frame %s: %w", b, err)
		}
		if f.Kind == "event" && f.Event.Type == control.EventChatMessage {
			var m control.Message
			_ = json.Unmarshal(f.Event.Payload, &m)
			m.Seq = f.Event.Seq
			out = append(out, m)
		}
	}
	return out, nil
}

func itoa(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// recordingFixer is the robots' kubectl in the room tests: a fix makes the
// probes of the fault's type pass in the recording injector.
type recordingFixer struct{ inj *recordingInjector }

func (f recordingFixer) Baseline(context.Context, *scenarios.Scenario) error { return nil }

func (f recordingFixer) Fix(_ context.Context, fl scenarios.Fault) (string, error) {
	for _, p := range fl.ResolvedWhen.Probes {
		f.inj.pass(p.Probe.Type, "fixed by a robot")
	}
	return "fixed " + fl.ID, nil
}
