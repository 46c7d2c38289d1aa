package ui_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromium returns the browser the browser tests drive. They never skip: CI
// installs Debian's chromium (.ci/run), and a missing browser is a failure
// that says how to install it.
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("FIREDRILL_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("chromium is not installed: the browser tests need it. Install it with `apt-get install -y chromium` (.ci/run does), or set FIREDRILL_CHROMIUM to a Chromium executable.")
	return ""
}

// artifacts returns the directory screenshots are kept in: $FIREDRILL_ARTIFACTS
// when set, else a test temporary directory.
func artifacts(t *testing.T) string {
	dir := os.Getenv("FIREDRILL_ARTIFACTS")
	if dir == "" {
		dir = t.TempDir()
	}
	dir = filepath.Join(dir, "browser")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshots in %s", dir)
	return dir
}

// newBrowser starts one headless Chromium with a fresh profile; each call of
// the returned function opens an isolated browser context (its own cookies),
// like a separate person's browser.
func newBrowser(t *testing.T) func() context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium(t)),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1400, 900),
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	root, cancelRoot := chromedp.NewContext(alloc)
	if err := chromedp.Do(root); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	t.Cleanup(func() { cancelRoot(); cancelAlloc() })
	return func() context.Context {
		ctx, cancel := chromedp.NewContext(root, chromedp.WithNewBrowserContext())
		t.Cleanup(cancel)
		// The first run creates the tab and ties it to its context: it must
		// not be a context with a timeout.
		if err := chromedp.Do(ctx); err != nil {
			t.Fatalf("open a browser context: %v", err)
		}
		return ctx
	}
}

// page is one person's browser tab in the test.
type page struct {
	t    *testing.T
	ctx  context.Context
	name string
	dir  string
}

func (p *page) run(what string, actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		p.shot("failed-" + strings.ReplaceAll(what, " ", "-"))
		p.t.Fatalf("%s: %s: %v", p.name, what, err)
	}
}

// waitJS waits until the JavaScript expression is true.
func (p *page) waitJS(what, expr string) {
	p.t.Helper()
	// Polls are retried: a navigation in between (a redirect after sign-in)
	// ends the poll of the old document.
	deadline := time.Now().Add(20 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(p.ctx, 5*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](expr))
		cancel()
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			p.shot("failed-" + strings.ReplaceAll(what, " ", "-"))
			p.t.Fatalf("%s: waiting for %s: last error %v", p.name, what, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// eval evaluates a JavaScript expression in the page.
func eval[T any](p *page, expr string) T {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		p.t.Fatalf("%s: eval %s: %v", p.name, expr, err)
	}
	return v
}

func (p *page) shot(name string) {
	ctx, cancel := context.WithTimeout(p.ctx, 10*time.Second)
	defer cancel()
	buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		p.t.Logf("screenshot %s: %v", name, err)
		return
	}
	path := filepath.Join(p.dir, p.name+"-"+name+".png")
	if err := os.WriteFile(path, buf, 0o644); err != nil {
		p.t.Logf("screenshot %s: %v", name, err)
	}
}

// jsString quotes s for a JavaScript expression.
func jsString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return `"` + r.Replace(s) + `"`
}

// TestBrowserDrill drives the drill room in Chromium: the facilitator signs
// in, creates and starts a drill, two participants join by their links, a
// persona message reaches both, a participant's notice with a missing field
// is refused naming the field and then posted as a card for everyone, user
// text with markup is shown as text and never runs, and a participant cannot
// open the facilitator's pages.
func TestBrowserDrill(t *testing.T) {
	e := newEnv(t, withTimeScale(20)) // the 1m inject fires after 3 s; the 90m cap is 4.5 min away
	dir := artifacts(t)
	open := newBrowser(t)
	newPage := func(name string) *page { return &page{t: t, ctx: open(), name: name, dir: dir} }
	base := e.http.URL

	fac := newPage("facilitator")
	fac.run("sign in",
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible(chromedp.ID("secret")),
	)
	fac.shot("login")
	fac.run("submit the token",
		chromedp.SendKeys(chromedp.ID("secret"), adminToken),
		chromedp.Click(chromedp.ID("submit")),
	)
	fac.waitJS("console lists the scenario", `document.querySelector("#scenario option[value='room-test']") !== null`)
	fac.shot("console")
	fac.run("create a drill",
		chromedp.SetValue(chromedp.ID("scenario"), "room-test"),
		chromedp.SendKeys(chromedp.ID("title"), "Tuesday drill"),
		chromedp.Click(chromedp.ID("createBtn")),
	)
	fac.waitJS("drill console opens", `location.pathname.startsWith("/console/drills/") && document.querySelector("#addPerson") !== null`)
	drillPath := eval[string](fac, `location.pathname`)
	drillID := strings.TrimPrefix(drillPath, "/console/drills/")

	links := map[string]string{}
	for _, who := range []struct{ name, role string }{{"Kim", "participant"}, {"Lee", "participant"}, {"Park", "observer"}} {
		fac.run("add "+who.name,
			chromedp.SendKeys(chromedp.ID("personName"), who.name),
			chromedp.SetValue(chromedp.ID("personRole"), who.role),
			chromedp.Click(chromedp.ID("addPersonBtn")),
		)
		fac.waitJS("join link of "+who.name, linkRowOf(who.name)+` !== undefined`)
		link := eval[string](fac, linkRowOf(who.name)+`.querySelector(".link").textContent`)
		if !strings.HasPrefix(link, base+"/join#") {
			t.Fatalf("join link %q does not point at this server", link)
		}
		links[who.name] = link
		fac.waitJS(who.name+" listed", `[...document.querySelectorAll("#people li")].some(li => li.textContent.startsWith(`+jsString(who.name)+`))`)
	}
	fac.run("start the drill", chromedp.Click(chromedp.ID("startBtn")))
	fac.waitJS("drill running", `document.querySelector("#state").textContent === "running"`)

	kim, lee := newPage("participant-kim"), newPage("participant-lee")
	for _, p := range []*page{kim, lee} {
		name := strings.TrimPrefix(p.name, "participant-")
		name = strings.ToUpper(name[:1]) + name[1:]
		p.run("open the join link", chromedp.Navigate(links[name]))
		p.waitJS("room is live", `location.pathname === "/room/`+drillID+`" && document.body.dataset.ready === "true"`)
	}

	// The facilitator speaks as the customer center.
	const ask = "Customers cannot order since 10 minutes. When will it be fixed?"
	fac.waitJS("room is live", `document.body.dataset.ready === "true"`)
	fac.run("speak as the customer center",
		chromedp.SetValue(chromedp.ID("persona"), "cs"),
		chromedp.SendKeys(chromedp.ID("input"), ask),
		chromedp.Click(chromedp.ID("sendBtn")),
	)
	personaMsg := `[...document.querySelectorAll('#messages .msg[data-kind="persona"]')].some(m => m.querySelector(".text").textContent === ` + jsString(ask) + ` && m.querySelector(".badge") !== null && m.querySelector(".who").textContent === "Customer Center")`
	for _, p := range []*page{kim, lee} {
		p.waitJS("persona message with an EXERCISE badge", personaMsg)
	}
	// The scripted inject at 1m lands in another channel: it shows as unread.
	kim.waitJS("a title with its own # shows one", `document.querySelector('#channels li[data-channel="cs-inquiries"]').textContent.startsWith("# cs-inquiries")`)
	kim.waitJS("scripted inject counted unread", `(document.querySelector('#channels li[data-channel="cs-inquiries"] .unread') || {}).textContent === "1"`)
	kim.shot("room")

	// Markup typed by a participant is text, never markup or script.
	const xss = `<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>`
	kim.run("post markup", chromedp.SendKeys(chromedp.ID("input"), xss), chromedp.Click(chromedp.ID("sendBtn")))
	lee.waitJS("markup shown as text", `[...document.querySelectorAll("#messages .msg .text")].some(t => t.textContent === `+jsString(xss)+`)`)
	for _, p := range []*page{kim, lee} {
		if eval[bool](p, `window.__xss !== undefined || document.querySelector("#messages img, #messages script") !== null`) {
			t.Fatalf("%s: the posted markup became elements or ran", p.name)
		}
	}

	// An incident notice with a missing required field is refused, naming it.
	fill := func(field, value string) chromedp.Action[chromedp.Void] {
		return chromedp.SetValue(chromedp.ID("nf-incident-"+field), value)
	}
	kim.run("fill the notice without the impact",
		fill("started", "14:05"), fill("channel", "#incident-orders"), fill("grade", "SEV2"), fill("status", "investigating"),
		chromedp.Click(chromedp.ID("noticeBtn")),
	)
	kim.waitJS("missing field named", `document.querySelector("#noticeErr").textContent.includes("Impact scope") && document.querySelector("#nf-incident-impact").classList.contains("field-error")`)
	if eval[bool](kim, `document.querySelector("#noticeForm").textContent.includes("null")`) {
		t.Fatal("the notice form shows a stray \"null\"")
	}
	kim.shot("notice-missing-field")
	kim.run("complete the notice",
		fill("impact", "Customers cannot place orders."),
		chromedp.Click(chromedp.ID("noticeBtn")),
	)
	card := `[...document.querySelectorAll('#messages .card[data-notice="incident"]')].some(c => c.textContent.includes("Customers cannot place orders.") && c.textContent.includes("SEV2"))`
	for _, p := range []*page{kim, lee, fac} {
		p.waitJS("notice card", card)
	}
	lee.shot("room-with-notice")
	fac.shot("drill-console")

	// The observer takes a note; the balance indicator counts it.
	obs := newPage("observer")
	obs.run("open the join link", chromedp.Navigate(links["Park"]))
	obs.waitJS("room is live", `document.body.dataset.ready === "true"`)
	obs.run("add a strength note",
		chromedp.SetValue(chromedp.ID("noteTag"), "strength"),
		chromedp.SendKeys(chromedp.ID("noteText"), "Incident notice within minutes"),
		chromedp.Click(chromedp.ID("noteBtn")),
	)
	obs.waitJS("balance shows the note", `document.querySelector("#balanceText").textContent.includes("1 : 0")`)
	obs.waitJS("observer cannot write in drill channels", `document.querySelector("#composer").classList.contains("hidden")`)
	obs.shot("room")

	// Dark theme: from the system's (light, in headless Chromium) setting
	// the theme button goes to the opposite first.
	lee.run("switch to the dark theme", chromedp.Click(chromedp.ID("theme")))
	lee.waitJS("dark theme", `document.documentElement.dataset.theme === "dark"`)
	lee.shot("room-dark")

	// Korean UI.
	lee.run("switch to Korean", chromedp.Click(chromedp.ID("lang")))
	lee.waitJS("banner in Korean", `document.querySelector("#banner").textContent.startsWith("모의 훈련")`)
	lee.shot("room-korean")

	// A participant cannot open the facilitator's pages.
	for _, path := range []string{"/console", "/console/drills/" + drillID} {
		kim.run("open "+path, chromedp.Navigate(base+path))
		kim.waitJS("refused", `document.querySelector("#refused") !== null && document.querySelector("#addPerson") === null`)
	}
	kim.shot("refused")

	// When the drill ends, the retrospective opens at once: everyone in the
	// room is shown that the drill ended, with a link to it.
	if err := e.engine.End(context.Background(), drillID, "facilitator", "browser test ends the drill"); err != nil {
		t.Fatal(err)
	}
	lee.waitJS("participant shown the end with the retro link", `document.querySelector("#retro-link") !== null && location.pathname === "/room/`+drillID+`"`)
	lee.run("open the retro", chromedp.Click(chromedp.ID("retro-link")))
	lee.waitJS("retro opened", `location.pathname === "/room/`+drillID+`/retro"`)
	lee.waitJS("retro form ready", `!document.querySelector("#wentWell").disabled && document.querySelector("#blameless").textContent.length > 0`)
	lee.shot("retro-after-end")
	fac.run("open the room as facilitator", chromedp.Navigate(base+"/room/"+drillID))
	fac.waitJS("staff see the retro link", `document.querySelector("#retro-link") !== null && document.querySelector("#retro-link").getAttribute("href") === "/room/`+drillID+`/retro"`)
}
