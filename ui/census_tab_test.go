package ui_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/network"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// censusControl is one control the page script found: its key, its kind
// (button, link, form, select, toggle) and how many controls share the key.
type censusControl struct {
	Key    string `json:"key"`
	Kind   string `json:"kind"`
	Count  int    `json:"count"`
	Href   string `json:"href"`
	Target string `json:"target"`
	// via are the controls clicked before this one appeared (a confirm
	// button shows after its first button).
	via []string
}

// censusTab is one role's browser tab during the census.
type censusTab struct {
	c      *census
	role   string
	drill  *censusDrill
	ctx    context.Context
	cancel context.CancelFunc

	// volatile are the paths of what changes on its own, per page.
	volatile map[string][]string

	mu      sync.Mutex
	bad     []string // HTTP answers of 400 or more since the last check
	dialogs []string
	dlg     chan string
}

// openTab opens a browser of its own for role and signs it in on drill d.
func (c *census) openTab(role string, d *censusDrill) *censusTab {
	c.t.Helper()
	tb := &censusTab{c: c, role: role, volatile: map[string][]string{}}
	tb.start(d)
	return tb
}

// start opens the tab's browser (a context of its own: cookies, storage)
// on drill d and signs it in.
func (tb *censusTab) start(d *censusDrill) {
	tb.c.t.Helper()
	ctx, cancel := context.WithCancel(tb.c.open())
	dlg := make(chan string, 16)
	tb.drill, tb.ctx, tb.cancel = d, ctx, cancel
	tb.mu.Lock()
	tb.bad, tb.dialogs, tb.dlg = nil, nil, dlg
	tb.mu.Unlock()
	if err := chromedp.Listen(ctx, tb.event); err != nil {
		tb.c.t.Fatal(err)
	}
	go answerDialogs(ctx, dlg)
	tb.do("add the census script", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := chromedp.Call(ctx, cdppage.AddScriptToEvaluateOnNewDocument, cdppage.AddScriptToEvaluateOnNewDocumentParams{Source: tb.c.script})
		return err
	}))
	tb.signIn()
	if d.finish != nil {
		d.finish()
		d.finish = nil
	}
}

func (tb *censusTab) close() { tb.cancel() }

// event runs on the tab's reading goroutine: it only records.
func (tb *censusTab) event(ev any) {
	switch ev := ev.(type) {
	case *network.EventResponseReceived:
		if ev.Response != nil && ev.Response.Status >= 400 {
			tb.mu.Lock()
			tb.bad = append(tb.bad, fmt.Sprintf("HTTP %d %s", ev.Response.Status, tb.path(ev.Response.URL)))
			tb.mu.Unlock()
		}
	case *network.EventWebSocketHandshakeResponseReceived:
		if ev.Response != nil && ev.Response.Status >= 400 {
			tb.mu.Lock()
			tb.bad = append(tb.bad, fmt.Sprintf("WebSocket HTTP %d", ev.Response.Status))
			tb.mu.Unlock()
		}
	case *cdppage.EventJavascriptDialogOpening:
		tb.mu.Lock()
		tb.dialogs = append(tb.dialogs, string(ev.Type)+": "+ev.Message)
		select {
		case tb.dlg <- string(ev.Type):
		default:
		}
		tb.mu.Unlock()
		return
	}
}

// answerDialogs accepts every confirm and answers every prompt of the tab
// of ctx, as a person going on would.
func answerDialogs(ctx context.Context, dlg <-chan string) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-dlg:
			cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			_, _ = chromedp.Call(cctx, cdppage.HandleJavaScriptDialog, cdppage.HandleJavaScriptDialogParams{Accept: true, PromptText: "Census: a reason given in the prompt."})
			cancel()
		}
	}
}

func (tb *censusTab) path(u string) string {
	if p, err := url.Parse(u); err == nil {
		return p.RequestURI()
	}
	return u
}

func (tb *censusTab) name() string { return tb.c.state + "/" + tb.role }

func (tb *censusTab) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	tb.c.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		tb.c.t.Fatalf("%s: %s: %v", tb.name(), what, err)
	}
}

func censusEval[T any](tb *censusTab, expr string) T {
	tb.c.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 20*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		tb.c.t.Fatalf("%s: eval %.80s: %v", tb.name(), expr, err)
	}
	return v
}

func (tb *censusTab) waitJS(what, expr string) {
	tb.c.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(tb.ctx, 5*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](expr))
		cancel()
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			tb.c.t.Fatalf("%s: waiting for %s: %v", tb.name(), what, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// signIn gives the tab the role's session: the admin sign-in for the
// facilitator, the join link for everyone else.
func (tb *censusTab) signIn() {
	base := tb.c.e.http.URL
	switch {
	case tb.role == "anonymous":
	case strings.HasPrefix(tb.role, "sso"):
		tb.ssoSignIn()
	case tb.role == "facilitator":
		tb.load(base + "/login")
		ok := censusEval[bool](tb, `fetch("/api/login", {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify({secret: `+jsString(adminToken)+`})}).then(r => r.ok)`)
		if !ok {
			tb.c.t.Fatalf("%s: the admin sign-in was refused", tb.name())
		}
	default:
		tb.load(tb.drill.links[tb.role])
		tb.waitJS("the join link opens the room", `location.pathname.startsWith("/room/`+tb.drill.id+`")`)
	}
	tb.takeBad()
}

// load navigates and waits until the page is idle.
func (tb *censusTab) load(u string) {
	tb.c.t.Helper()
	tb.do("open "+u, chromedp.Navigate(u))
	tb.settle()
}

// settle waits until the page has loaded, its room stream (if any) is live,
// no fetch is in flight and nothing changed for a while. The page script
// watches the page's own mutations (window.__census.settle), so one call
// waits without redrawing the page's signature over and over; a navigation
// under way ends the call, and it is asked again.
func (tb *censusTab) settle() {
	tb.c.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	var err error
	for time.Now().Before(deadline) {
		left := time.Until(deadline)
		ctx, cancel := context.WithTimeout(tb.ctx, left+2*time.Second)
		var ok bool
		ok, err = chromedp.Run(ctx, chromedp.Evaluate[bool](fmt.Sprintf(`window.__census ? window.__census.settle(%d, %d) : false`, censusQuietMs, left.Milliseconds()), chromedp.EvalAwaitPromise))
		cancel()
		if err == nil && ok {
			return
		}
		time.Sleep(30 * time.Millisecond)
	}
	// A page that keeps changing is not a failure by itself (a busy
	// machine slows everything); what it did is still checked.
	tb.c.t.Logf("%s: %s does not settle in 10s (%v)", tb.name(), tb.location(), err)
}

// censusQuietMs is how long a page must stay unchanged to count as idle.
const censusQuietMs = 150

func (tb *censusTab) location() string {
	ctx, cancel := context.WithTimeout(tb.ctx, 5*time.Second)
	defer cancel()
	v, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`location.href`))
	return v
}

func (tb *censusTab) takeBad() []string {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	b := tb.bad
	tb.bad = nil
	return b
}

func (tb *censusTab) takeDialogs() []string {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	d := tb.dialogs
	tb.dialogs = nil
	return d
}

// checkErrors fails on HTTP answers of 400 or more and uncaught JavaScript
// errors since the last check, naming what was being done.
func (tb *censusTab) checkErrors(doing string) bool {
	tb.c.t.Helper()
	ok := true
	for _, b := range tb.takeBad() {
		ok = tb.fail(doing, b) && ok
	}
	ctx, cancel := context.WithTimeout(tb.ctx, 5*time.Second)
	errs, _ := chromedp.Run(ctx, chromedp.Evaluate[[]string](`window.__census ? window.__census.takeErrors() : []`))
	cancel()
	for _, e := range errs {
		ok = tb.fail(doing, "JavaScript error: "+e) && ok
	}
	return ok
}

// fail records a census failure, unless it is a known one (censusKnown).
func (tb *censusTab) fail(doing, what string) bool {
	tb.c.t.Helper()
	msg := fmt.Sprintf("%s: %s: %s", tb.name(), doing, what)
	for _, k := range censusKnown {
		if k.re.MatchString(msg) {
			tb.c.t.Logf("KNOWN (%s): %s", k.why, msg)
			k.hit()
			return false
		}
	}
	tb.c.t.Errorf("%s", msg)
	return false
}

// pageName names a page for the report and screenshots.
func pageName(p string) string {
	n := strings.Trim(strings.ReplaceAll(p, "{id}", "drill"), "/")
	if n == "" {
		n = "home"
	}
	return strings.ReplaceAll(n, "/", "-")
}

// census censuses one page pattern ({id} is the tab's drill) and returns the
// pages its links lead to, as patterns.
func (tb *censusTab) census(pattern string) []string {
	tb.c.t.Helper()
	base := tb.c.e.http.URL
	open := func() {
		tb.load(base + strings.ReplaceAll(pattern, "{id}", tb.drill.id))
		// What changes on its own (the drill clock) is learnt once per
		// page and topped up on every reload.
		known, ok := tb.volatile[pattern]
		wait := 1100
		if ok {
			b, _ := json.Marshal(known)
			censusEval[bool](tb, `(window.__census.volatile = new Set(`+string(b)+`), true)`)
			wait = 300
		}
		tb.volatile[pattern] = censusEval[[]string](tb, fmt.Sprintf(`window.__census.learnVolatile(%d)`, wait))
	}
	open()
	tb.checkErrors("loading " + pattern)
	tb.shot(pattern)
	controls := censusEval[[]censusControl](tb, `window.__census.controls()`)
	var more []string
	done, deferred := map[string]bool{}, map[string]bool{}
	for len(controls) > 0 {
		ctl := controls[0]
		controls = controls[1:]
		if done[ctl.Key] {
			continue
		}
		if !deferred[ctl.Key] && censusEval[bool](tb, `window.__census.current(`+jsString(ctl.Key)+`)`) {
			// The channel or tab shown now: its turn comes after the
			// others, when it is not the current one any more.
			deferred[ctl.Key] = true
			controls = append(controls, ctl)
			continue
		}
		done[ctl.Key] = true
		outcome, now, next := tb.exercise(pattern, ctl, open)
		if next != "" {
			more = append(more, next)
		}
		tb.c.rep.add(tb.c.state, tb.role, pattern, ctl, outcome)
		if tb.spent() {
			// The control changed the drill's lifecycle (or the session):
			// go on with a fresh drill in the same state.
			tb.renew()
			open()
			tb.checkErrors("loading " + pattern + " again")
			now = nil
		}
		if now == nil {
			now = censusEval[[]censusControl](tb, `window.__census.controls()`)
		}
		// What the control revealed (a confirm button) is censused too.
		for _, n := range now {
			if !done[n.Key] && !queued(controls, n.Key) {
				n.via = []string{ctl.Key}
				controls = append(controls, n)
			}
		}
	}
	return more
}

func queued(cs []censusControl, key string) bool {
	for _, c := range cs {
		if c.Key == key {
			return true
		}
	}
	return false
}

// spent reports whether the tab's drill changed lifecycle or the tab lost
// its session (signed out).
func (tb *censusTab) spent() bool {
	if tb.role == "anonymous" {
		return false
	}
	if tb.c.lifecycle(tb.drill.id) != tb.drill.seen {
		return true
	}
	if !strings.HasPrefix(tb.location(), tb.c.e.http.URL) {
		// A page that needs a session sent the tab to sign in at the
		// identity provider: the session is gone.
		return true
	}
	return !censusEval[bool](tb, `fetch("/api/session").then(r => r.json()).then(s => !!s.signedIn)`)
}

// renew moves the tab to a fresh drill in the census's state, unless only
// its session was lost.
func (tb *censusTab) renew() {
	tb.c.t.Helper()
	if tb.c.lifecycle(tb.drill.id) == tb.drill.seen && tb.role == "facilitator" {
		tb.signIn() // signed out: sign in again, same drill
		return
	}
	d := tb.c.drillFor(tb.role, true)
	tb.c.t.Logf("%s: drill %s was spent (now %s); going on with drill %s", tb.name(), tb.drill.id, tb.c.lifecycle(tb.drill.id), d.id)
	if tb.role == "facilitator" {
		tb.drill = d
		return
	}
	// A participant's session belongs to one drill: a new browser joins.
	tb.cancel()
	tb.start(d)
}

func (tb *censusTab) shot(pattern string) {
	ctx, cancel := context.WithTimeout(tb.ctx, 10*time.Second)
	defer cancel()
	buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(80))
	if err != nil {
		tb.c.t.Logf("%s: screenshot of %s: %v", tb.name(), pattern, err)
		return
	}
	name := fmt.Sprintf("%s-%s-%s.jpg", tb.c.state, tb.role, pageName(pattern))
	if err := os.WriteFile(filepath.Join(tb.c.dir, name), buf, 0o644); err != nil {
		tb.c.t.Logf("screenshot %s: %v", name, err)
	}
}
