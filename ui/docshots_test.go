package ui_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"k8s.io/utils/clock"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/control/controltest"
	csqlite "github.com/firedrill/firedrill/control/sqlite"
	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/ui"
	usqlite "github.com/firedrill/firedrill/ui/sqlite"
	"github.com/firedrill/firedrill/ui/wire"
)

// docShots are the screenshots of docs/walkthrough.md, in the order of the
// story. The generator writes exactly these files; the page must show each.
var docShots = []string{
	"01-console-new-drill",
	"02-people-and-join-links",
	"03-briefing",
	"04-alert",
	"05-claim-commander",
	"06-cs-inquiry",
	"07-notice-missing-field",
	"08-notice-card",
	"09-facilitator-running",
	"10-facilitator-timeline",
	"11-cto-pressure",
	"12-hint-minute-70",
	"13-observer-notes",
	"14-room-dark",
	"15-room-korean",
	"16-resolution-notice",
	"17-retro-form",
	"18-retro-facilitator",
	"19-record",
	"20-history",
}

// studioDocShots are the walkthrough's screenshots of the scenario studio,
// taken by TestBrowserStudio as it writes a scenario (with
// FIREDRILL_DOCSHOTS_DIR set, like the others).
var studioDocShots = []string{
	"21-studio-library",
	"22-studio-error",
	"23-studio-preview",
}

// allDocShots are every screenshot docs/walkthrough.md shows.
func allDocShots() []string { return append(append([]string{}, docShots...), studioDocShots...) }

// Limits for the committed screenshots: the README links them, so they must
// stay light.
const (
	docShotWidth    = 1280
	docShotHeight   = 800
	docShotMaxBytes = 150 << 10
	// The sum grew with the studio's three screenshots (#15).
	docShotsMaxSum = 1792 << 10
)

// TestDocScreenshots keeps docs/walkthrough.md and its screenshots together.
//
// By default it only checks what is committed (cheap): the page shows every
// screenshot of docShots and no other, and each PNG exists, is 1280×800 and
// is small. With FIREDRILL_DOCSHOTS_DIR set it regenerates them first, by
// running one whole drill of the layered example scenario in Chromium over a
// real engine, real SQLite files and the drill room, on a fake clock so that
// minute 70 comes at once:
//
//	FIREDRILL_DOCSHOTS_DIR=docs/screenshots go test ./ui -run TestDocScreenshots
//
// A relative directory is taken from the repository root.
func TestDocScreenshots(t *testing.T) {
	root := moduleRoot(t)
	committed := filepath.Join(root, "docs", "screenshots")
	dir := os.Getenv("FIREDRILL_DOCSHOTS_DIR")
	if dir == "" {
		t.Log("FIREDRILL_DOCSHOTS_DIR is not set: checking the committed screenshots only")
		checkDocShots(t, root, committed)
		return
	}
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(root, dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	g := newDocShotGen(t, dir)
	g.story()
	g.optimize()
	t.Logf("generated %d screenshots in %s (%s)", len(docShots), dir, time.Since(began).Round(100*time.Millisecond))
	if filepath.Clean(dir) == filepath.Clean(committed) {
		checkDocShots(t, root, dir)
	} else {
		checkShotFiles(t, dir, false)
	}
}

// moduleRoot returns the directory of go.mod above the test's directory.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			t.Fatalf("no go.mod above %s", dir)
		}
	}
}

var shotRef = regexp.MustCompile(`screenshots/([a-z0-9-]+)\.png`)

// checkDocShots checks that the walkthrough shows exactly docShots, and the
// files in dir.
func checkDocShots(t *testing.T, root, dir string) {
	t.Helper()
	page, err := os.ReadFile(filepath.Join(root, "docs", "walkthrough.md"))
	if err != nil {
		t.Fatalf("the walkthrough page: %v", err)
	}
	var shown []string
	for _, m := range shotRef.FindAllStringSubmatch(string(page), -1) {
		if !slices.Contains(shown, m[1]) {
			shown = append(shown, m[1])
		}
	}
	for _, name := range allDocShots() {
		if !slices.Contains(shown, name) {
			t.Errorf("docs/walkthrough.md does not show screenshots/%s.png", name)
		}
	}
	for _, name := range shown {
		if !slices.Contains(allDocShots(), name) {
			t.Errorf("docs/walkthrough.md shows screenshots/%s.png, which the generator does not make", name)
		}
	}
	checkShotFiles(t, dir, true)
}

// checkShotFiles checks each screenshot of docShots in dir: a PNG of the
// walkthrough's viewport, and, when limits is set, within the size limits.
func checkShotFiles(t *testing.T, dir string, limits bool) {
	t.Helper()
	var sum int64
	for _, name := range allDocShots() {
		path := filepath.Join(dir, name+".png")
		b, err := os.ReadFile(path)
		if err != nil {
			t.Errorf("screenshot %s: %v", name, err)
			continue
		}
		sum += int64(len(b))
		cfg, err := png.DecodeConfig(bytes.NewReader(b))
		if err != nil {
			t.Errorf("screenshot %s is not a PNG: %v", name, err)
			continue
		}
		if cfg.Width != docShotWidth || cfg.Height != docShotHeight {
			t.Errorf("screenshot %s is %d×%d, want %d×%d", name, cfg.Width, cfg.Height, docShotWidth, docShotHeight)
		}
		if limits && len(b) > docShotMaxBytes {
			t.Errorf("screenshot %s is %d KB, more than %d KB", name, len(b)>>10, docShotMaxBytes>>10)
		}
	}
	if limits && sum > docShotsMaxSum {
		t.Errorf("the screenshots weigh %d KB together, more than %d KB", sum>>10, docShotsMaxSum>>10)
	}
	t.Logf("%d screenshots, %d KB together", len(allDocShots()), sum>>10)
}

// docShotGen runs the drill of the walkthrough and takes its screenshots.
type docShotGen struct {
	t      *testing.T
	dir    string
	e      *env
	h      *controltest.Harness
	open   func() context.Context
	fail   string // where failure screenshots go
	drill  string
	links  map[string]string
	taken  []string
	remote map[string]*client // API clients of people not driven in a browser
}

// docStart is the wall time the story starts at: tomorrow at 14:00 UTC, the
// first of the earlier drills; the walkthrough's drill is two weeks later.
// The clock is fake, but the browser keeps session cookies by their
// wall-clock expiry, so it must lie ahead of the real time.
func docStart() time.Time {
	now := clock.RealClock{}.Now().UTC()
	return now.Truncate(24 * time.Hour).Add(24*time.Hour + 14*time.Hour)
}

func newDocShotGen(t *testing.T, dir string) *docShotGen {
	t.Helper()
	lib, err := ui.LoadLibrary([]string{filepath.Join(moduleRoot(t), "scenarios", "examples")})
	if err != nil {
		t.Fatalf("load the example scenarios: %v", err)
	}
	sc, err := lib.Scenario("layered-payment-outage")
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	clk := clocktesting.NewFakeClock(docStart())
	inj := controltest.NewInjector()
	inj.Bind(sc)
	h := openDocHarness(t, filepath.Join(tmp, "firedrill.db"), clk, inj)
	tokens, err := usqlite.Open(filepath.Join(tmp, "room.db"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := ui.Config{
		Engine: h.Engine, Journal: h.DB, Library: lib, Tokens: tokens, Sessions: tokens,
		Admin: ui.AdminCredential{Token: adminToken},
		Clock: clk,
		// Nudges run on a ticker of their own; the screenshots must not
		// depend on when it ticks.
		NudgeEvery: -1,
		RateLimit:  ui.RateLimit{Burst: 1000, Every: time.Millisecond},
	}
	e := serveRoom(t, cfg, h.DB, h.Engine, func() { tokens.Close() })
	return &docShotGen{
		t: t, dir: dir, e: e, h: h, open: newBrowser(t), fail: artifacts(t),
		links: map[string]string{}, remote: map[string]*client{},
	}
}

// openDocHarness is controltest.OpenHarness with the probes' answers worded
// as the Kubernetes probes word them, since participants read them in alerts.
func openDocHarness(t *testing.T, path string, clk *clocktesting.FakeClock, inj *controltest.Injector) *controltest.Harness {
	t.Helper()
	ctx := context.Background()
	db, err := csqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	eng := control.NewEngine(db, docInjector{inj}, clk)
	eng.Manual = true
	if err := eng.Open(ctx); err != nil {
		db.Close()
		t.Fatal(err)
	}
	h := &controltest.Harness{T: t, Ctx: ctx, Clock: clk, Injector: inj, DB: db, Engine: eng, Path: path}
	t.Cleanup(h.Close)
	return h
}

// docInjector is the controltest injector whose probe details read like the
// Kubernetes plugin's.
type docInjector struct{ *controltest.Injector }

// Probe implements control.Injector.
func (d docInjector) Probe(ctx context.Context, p control.ProbeSpec) (injectors.ProbeResult, error) {
	r, err := d.Injector.Probe(ctx, p)
	if err != nil {
		return r, err
	}
	var params struct {
		Path string `json:"path"`
	}
	_ = json.Unmarshal(p.Params, &params)
	switch {
	case p.Type == "deployment-available" && r.OK:
		r.Detail = fmt.Sprintf("deployment %s/%s: 2 of 2 replicas available", p.Target.Namespace, p.Target.Name)
	case p.Type == "deployment-available":
		r.Detail = fmt.Sprintf("deployment %s/%s: 0 of 2 replicas available", p.Target.Namespace, p.Target.Name)
	case p.Type == "http-get" && r.OK:
		r.Detail = fmt.Sprintf("GET http://%s.%s%s: 200 OK", p.Target.Name, p.Target.Namespace, params.Path)
	case p.Type == "http-get":
		r.Detail = fmt.Sprintf("GET http://%s.%s%s: 503 Service Unavailable", p.Target.Name, p.Target.Namespace, params.Path)
	}
	return r, nil
}

// page opens a person's browser tab: 1280×800, light colour scheme.
func (g *docShotGen) page(name string) *page {
	p := &page{t: g.t, ctx: g.open(), name: name, dir: g.fail}
	docViewport(p)
	return p
}

// docViewport makes a tab the walkthrough's: 1280×800, light colour scheme.
func docViewport(p *page) {
	p.t.Helper()
	p.run("set the viewport",
		chromedp.EmulateViewport(docShotWidth, docShotHeight),
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
				Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "light"}},
			})
			return err
		}),
	)
}

// shot saves the page's viewport as the named screenshot of docShots.
func (g *docShotGen) shot(p *page, name string) {
	g.t.Helper()
	if !slices.Contains(docShots, name) {
		g.t.Fatalf("screenshot %s is not in docShots", name)
	}
	// Let the last rendering (and the clock's half-second tick) settle.
	p.run("settle", chromedp.Sleep(600*time.Millisecond))
	ctx, cancel := context.WithTimeout(p.ctx, 15*time.Second)
	defer cancel()
	buf, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		g.t.Fatalf("%s: screenshot %s: %v", p.name, name, err)
	}
	if err := os.WriteFile(filepath.Join(g.dir, name+".png"), buf, 0o644); err != nil {
		g.t.Fatal(err)
	}
	g.taken = append(g.taken, name)
}

// advanceTo moves the fake clock until the drill clock reads at, running
// everything due on the way.
func (g *docShotGen) advanceTo(at time.Duration) {
	g.t.Helper()
	g.h.AdvanceTo(g.drill, at)
}

// say posts a chat message through the API as a person of the drill.
func (g *docShotGen) say(who, channel, text string) {
	g.t.Helper()
	g.client(who).must(201, "POST", "/api/drills/"+g.drill+"/messages", wire.PostMessageRequest{Channel: channel, Text: text}, nil)
}

// client returns the API client of a person, joined with their link.
func (g *docShotGen) client(who string) *client {
	g.t.Helper()
	if c, ok := g.remote[who]; ok {
		return c
	}
	link, ok := g.links[who]
	if !ok {
		g.t.Fatalf("%s has no join link", who)
	}
	c := g.e.join(link)
	g.remote[who] = c
	return c
}

// enter opens a person's join link and waits until the room is live.
func (g *docShotGen) enter(who string) *page {
	p := g.page(strings.ToLower(who))
	p.run("open the join link", chromedp.Navigate(g.links[who]))
	p.waitJS("room is live", `location.pathname === "/room/`+g.drill+`" && document.body.dataset.ready === "true"`)
	return p
}

// reload reloads a room, so that its drill clock is read from the server
// again after the fake clock moved, and shows channel.
func reload(p *page, channel string) {
	p.t.Helper()
	p.run("reload", chromedp.Reload())
	p.waitJS("room is live again", `document.body.dataset.ready === "true" && document.querySelector("#channels li") !== null`)
	openChannel(p, channel)
}

// openChannel switches the room to a channel.
func openChannel(p *page, channel string) {
	p.t.Helper()
	sel := `#channels li[data-channel="` + channel + `"]`
	p.run("open #"+channel, chromedp.Click(chromedp.CSS(sel)))
	p.waitJS("#"+channel+" shown", `document.querySelector(`+jsString(sel)+`).classList.contains("active")`)
}

// waitText waits until a message or card containing text is shown.
func waitText(p *page, text string) {
	p.t.Helper()
	p.waitJS("message "+text, `[...document.querySelectorAll("#messages .msg, #messages .card")].some(m => m.textContent.includes(`+jsString(text)+`))`)
}

// scrollTo scrolls the element of the CSS selector into view.
func scrollTo(p *page, sel string, block string) {
	p.t.Helper()
	p.run("scroll to "+sel, chromedp.Evaluate[chromedp.Void](`document.querySelector(`+jsString(sel)+`).scrollIntoView({block: `+jsString(block)+`})`))
}

// optimize makes the screenshots smaller with pngquant and optipng when
// they are installed (Debian packages of the same names).
func (g *docShotGen) optimize() { optimizeShots(g.t, g.dir, g.taken) }

// optimizeShots makes the named screenshots of dir smaller with pngquant
// and optipng when they are installed.
func optimizeShots(t *testing.T, dir string, names []string) {
	t.Helper()
	pq, pqErr := exec.LookPath("pngquant")
	op, opErr := exec.LookPath("optipng")
	if pqErr != nil && opErr != nil {
		t.Log("neither pngquant nor optipng is installed: the screenshots are not optimized (apt-get install -y pngquant optipng)")
		return
	}
	for _, name := range names {
		path := filepath.Join(dir, name+".png")
		if pqErr == nil {
			out, err := exec.Command(pq, "--force", "--skip-if-larger", "--strip", "--speed", "1", "--output", path, "--", path).CombinedOutput()
			var ee *exec.ExitError
			// 98 and 99: the result would be larger or worse; the file is kept.
			if err != nil && !(errors.As(err, &ee) && (ee.ExitCode() == 98 || ee.ExitCode() == 99)) {
				t.Fatalf("pngquant %s: %v: %s", name, err, out)
			}
		}
		if opErr == nil {
			if out, err := exec.Command(op, "-quiet", "-o2", "-strip", "all", path).CombinedOutput(); err != nil {
				t.Fatalf("optipng %s: %v: %s", name, err, out)
			}
		}
	}
}
