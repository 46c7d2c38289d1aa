package ui_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// studioScenario is what the browser test types into the empty editor,
// with the persona of its inject misspelled on line studioErrorLine.
const studioScenario = `apiVersion: firedrill/v1
kind: Scenario
metadata:
  name: studio-made
  title: 결제 승인 지연 (Payment approvals stall)
personas:
  - id: cs
    name: 고객센터
    kind: customer-center
channels:
  - id: incident
    incident: true
  - id: cs-inquiries
faults:
  - id: db-config
    title: DB 설정 변경
    injector: kubernetes/configmap-key
    target: {namespace: shop, kind: ConfigMap, name: order-api-config}
    params: {key: DB_HOST, value: nowhere}
    at: 2m
    variants:
      easy: {title: DB 설정 변경 (쉬움)}
      hard: {title: DB 설정 변경 (어려움)}
    resolvedWhen:
      manual: true
  - id: cache
    title: 캐시 중단
    injector: kubernetes/scale
    target: {namespace: shop, kind: Deployment, name: web}
    after: {fault: db-config, delay: 3m}
    resolvedWhen:
      manual: true
injects:
  - id: first-call
    at: 5m
    persona: cz
    channel: cs-inquiries
    text: "{{.Now}}부터 결제가 안 된다는 문의가 들어옵니다."
hints:
  - id: hint-1
    at: 70m
    persona: cs
    channel: incident
    text: 어제와 설정을 비교해 보셨나요?
rehearsal:
  robots:
    - id: robin
      name: 로빈 (robot)
      steps:
        - on: {event: fault.injected, fault: db-config, delay: 1m}
          say: 주문 API 설정을 보고 있습니다.
        - on: {event: fault.injected, fault: db-config, delay: 2m}
          fix: db-config
        - on: {event: fault.injected, fault: db-config, delay: 3m}
          resolve: db-config
        - on: {event: fault.injected, fault: cache, delay: 1m}
          say: 캐시도 멈췄습니다. 확인 중입니다.
        - on: {event: fault.injected, fault: cache, delay: 2m}
          fix: cache
        - on: {event: fault.injected, fault: cache, delay: 3m}
          resolve: cache
`

// studioErrorLine is the line of "persona: cz" in studioScenario.
var studioErrorLine = func() int {
	for i, l := range strings.Split(studioScenario, "\n") {
		if strings.TrimSpace(l) == "persona: cz" {
			return i + 1
		}
	}
	panic("no persona: cz")
}()

// typeText types text into the focused element as a keyboard would
// (Input.insertText, as an input method commits Korean text), line by line.
func (p *page) typeText(text string) {
	p.t.Helper()
	for _, line := range strings.SplitAfter(text, "\n") {
		if line == "" {
			continue
		}
		p.run("type", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.Call(ctx, input.InsertText, input.InsertTextParams{Text: line})
			return err
		}))
	}
}

// TestBrowserStudio is issue 15's acceptance test of the studio: the
// facilitator opens the studio from the console, writes a scenario in the
// empty editor, sees the validator's error appear at the right line while
// typing, fixes it from the problem list, previews the Gantt at each
// difficulty and the rendered persona messages, rehearses it with its
// robots to a passing report, saves, reads the version
// history, and starts a real drill from the new scenario in the console —
// all on one running server.
func TestBrowserStudio(t *testing.T) {
	e := newEnv(t)
	dir := artifacts(t)
	open := newBrowser(t)
	base := e.http.URL
	p := &page{t: t, ctx: open(), name: "studio", dir: dir}
	docs := newStudioDocShots(t, p)
	p.run("sign in", chromedp.Navigate(base+"/login"), chromedp.WaitVisible(chromedp.ID("secret")))
	p.run("submit the token", chromedp.SendKeys(chromedp.ID("secret"), adminToken), chromedp.Click(chromedp.ID("submit")))
	p.waitJS("console", `location.pathname === "/console" && document.querySelector("#scenario option") !== null`)
	if eval[bool](p, `[...document.querySelectorAll("#scenario option")].some(o => o.value === "studio-made")`) {
		t.Fatal("studio-made is in the console before it was written")
	}

	p.click("open the studio", "#toStudio")
	p.waitJS("the library lists room-test", `document.querySelector('#scenarios tr[data-scenario="room-test"]') !== null`)
	p.shot("library")
	docs.shot("21-studio-library")
	p.click("new scenario", "#newScenario")
	p.waitJS("the empty editor", `location.pathname === "/studio/edit" && document.querySelector("#editor").shadowRoot.querySelector(".cm-content") !== null && window.firedrillEditor && window.firedrillEditor.text() === ""`)

	p.run("focus the editor", chromedp.Evaluate[chromedp.Void](`window.firedrillEditor.view.focus()`))
	lines := strings.SplitAfter(studioScenario, "\n")
	p.typeText(strings.Join(lines[:studioErrorLine+1], ""))
	errSel := `#problems .st-problem.error[data-line="` + strconv.Itoa(studioErrorLine) + `"]`
	errAt := `document.querySelector(` + jsString(errSel) + `)`
	p.waitJS("the error appears at its line while typing", errAt+` !== null && `+errAt+`.textContent.includes("cz")`)
	p.waitJS("the editor marks the line", `document.querySelector("#editor").shadowRoot.querySelector(".cm-lintRange-error") !== null`)
	p.typeText(strings.Join(lines[studioErrorLine+1:], ""))
	p.waitJS("the error is still listed after the rest is typed", errAt+` !== null`)
	p.shot("error")
	docs.shot("22-studio-error")

	// Fix it where the problem list points: the caret goes to the value,
	// which is replaced as a person would, by selecting it and typing.
	p.click("go to the problem", errSel)
	caretLine := eval[int](p, `window.firedrillEditor.view.state.doc.lineAt(window.firedrillEditor.view.state.selection.main.head).number`)
	if caretLine != studioErrorLine {
		t.Fatalf("the problem took the caret to line %d, want %d", caretLine, studioErrorLine)
	}
	p.run("select the misspelled persona", chromedp.KeyEvent(kb.End, chromedp.KeyModifiers(chromedp.ModifierShift)))
	p.typeText("cs")
	p.waitJS("valid", `document.querySelector("#valid") !== null`)

	// The preview: a Gantt per difficulty, switched live.
	p.waitJS("the Gantt", `document.querySelector("#ganttSvg .row-fault .bar") !== null`)
	for _, want := range []string{".line-70", ".line-90", ".chain[data-from=db-config][data-to=cache]", ".row-inject .marker", ".row-hint .marker"} {
		if !eval[bool](p, `document.querySelector("#ganttSvg `+want+`") !== null`) {
			t.Errorf("the Gantt has no %s", want)
		}
	}
	levels := eval[[]string](p, `[...document.querySelectorAll("#difficulty option")].map(o => o.value)`)
	if strings.Join(levels, ",") != "hard,medium,easy" {
		t.Fatalf("difficulties %v, want hard, medium, easy", levels)
	}
	p.run("preview easy", chromedp.SetValue(chromedp.ID("difficulty"), "easy"), chromedp.Evaluate[chromedp.Void](`document.querySelector("#difficulty").dispatchEvent(new Event("change"))`))
	p.waitJS("the easy plan is drawn", `document.querySelector("#ganttSvg").dataset.difficulty === "easy" && [...document.querySelectorAll("#ganttSvg .row-fault text")].some(t => t.textContent.includes("쉬움"))`)
	p.waitJS("the persona message rendered with sample values", `[...document.querySelectorAll("#personaMsgs .st-msg .text")].some(t => t.textContent === "14:05부터 결제가 안 된다는 문의가 들어옵니다.")`)
	p.shot("preview")
	docs.shot("23-studio-preview")

	// Rehearse it with its robots before the day: a passing report.
	p.click("rehearse", "#rehearse")
	p.waitJS("the rehearsal passes", `document.querySelector("#rehearsalStatus").dataset.status === "passed"`)
	for _, want := range []string{"fault db-config resolved", "fault cache resolved"} {
		if !eval[bool](p, `[...document.querySelectorAll('#rehearsalChecks li[data-outcome="passed"]')].some(li => li.textContent.startsWith(`+jsString(want)+`))`) {
			t.Errorf("the rehearsal report does not pass %q", want)
		}
	}
	p.shot("rehearsed")

	p.click("save", "#save")
	p.waitJS("saved as version 1", `location.search === "?name=studio-made" && document.querySelector('#versions li[data-version="1"]') !== null`)
	p.click("save again without a change", "#save")
	p.waitJS("nothing to save", `document.querySelector("#status").textContent.includes("1")`)

	// The console lists it at once, and a real drill starts from it.
	p.run("open the console", chromedp.Navigate(base+"/console"))
	p.waitJS("the console lists the new scenario", `[...document.querySelectorAll("#scenario option")].some(o => o.value === "studio-made")`)
	p.run("create a drill from it",
		chromedp.SetValue(chromedp.ID("scenario"), "studio-made"),
		chromedp.Evaluate[chromedp.Void](`document.querySelector("#scenario").dispatchEvent(new Event("change"))`),
		chromedp.SendKeys(chromedp.ID("title"), "스튜디오에서 만든 훈련"),
		chromedp.Click(chromedp.ID("createBtn")),
	)
	p.waitJS("the drill console", `location.pathname.startsWith("/console/drills/") && document.querySelector("#startBtn") !== null`)
	p.click("start", "#startBtn")
	p.waitJS("running", `document.querySelector("#state").textContent === "running"`)
	id := strings.TrimPrefix(eval[string](p, `location.pathname`), "/console/drills/")
	d, err := e.engine.Drill(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if d.Scenario.Metadata.Name != "studio-made" || d.Scenario.ContentHash == "" {
		t.Fatalf("the drill runs %q (hash %q), want studio-made pinned by its hash", d.Scenario.Metadata.Name, d.Scenario.ContentHash)
	}
	docs.done()
}

// studioDocs takes the walkthrough's studio screenshots (studioDocShots)
// when FIREDRILL_DOCSHOTS_DIR is set: 1280×800, light colour scheme.
type studioDocs struct {
	t     *testing.T
	p     *page
	dir   string
	taken []string
}

func newStudioDocShots(t *testing.T, p *page) *studioDocs {
	d := &studioDocs{t: t, p: p, dir: os.Getenv("FIREDRILL_DOCSHOTS_DIR")}
	if d.dir == "" {
		return d
	}
	if !filepath.IsAbs(d.dir) {
		d.dir = filepath.Join(moduleRoot(t), d.dir)
	}
	docViewport(p)
	return d
}

func (d *studioDocs) shot(name string) {
	d.t.Helper()
	if d.dir == "" {
		return
	}
	if !slices.Contains(studioDocShots, name) {
		d.t.Fatalf("screenshot %s is not in studioDocShots", name)
	}
	d.p.run("settle", chromedp.Sleep(600*time.Millisecond))
	ctx, cancel := context.WithTimeout(d.p.ctx, 15*time.Second)
	defer cancel()
	buf, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		d.t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(d.dir, name+".png"), buf, 0o644); err != nil {
		d.t.Fatal(err)
	}
	d.taken = append(d.taken, name)
}

func (d *studioDocs) done() {
	if d.dir == "" {
		return
	}
	if len(d.taken) != len(studioDocShots) {
		d.t.Fatalf("took %v, want %v", d.taken, studioDocShots)
	}
	optimizeShots(d.t, d.dir, d.taken)
}

// TestBrowserStudioImport uploads files through the studio's file
// controls: an invalid YAML is refused with its problems at line:column, a
// valid one is saved and listed; in the editor an injects CSV replaces the
// injects, and the diff of a second version shows the change.
func TestBrowserStudioImport(t *testing.T) {
	e := newEnv(t)
	dir := artifacts(t)
	files := t.TempDir()
	write := func(name, text string) string {
		path := filepath.Join(files, name)
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	bad := write("bad.yaml", strings.Replace(renamed(roomYAML(), "uploaded"), "timeLimit: 90m", "timeLimit: 95m", 1))
	good := write("good.yaml", renamed(roomYAML(), "uploaded"))
	csv := write("injects.csv", "id,time,persona,channel,text\nfrom-csv,4m,cs,cs-inquiries,주문이 안 돼요\n")

	p := &page{t: t, ctx: newBrowser(t)(), name: "studio-import", dir: dir}
	p.run("sign in", chromedp.Navigate(e.http.URL+"/login"), chromedp.WaitVisible(chromedp.ID("secret")))
	p.run("submit the token", chromedp.SendKeys(chromedp.ID("secret"), adminToken), chromedp.Click(chromedp.ID("submit")))
	p.waitJS("console", `location.pathname === "/console"`)
	p.run("library", chromedp.Navigate(e.http.URL+"/studio"))
	p.waitJS("the library", `document.querySelector('#scenarios tr[data-scenario="room-test"]') !== null`)

	p.run("upload the invalid file", chromedp.SetUploadFiles(chromedp.ID("importYaml"), []string{bad}))
	p.waitJS("refused at its line and column", `[...document.querySelectorAll("#importProblems li")].some(li => li.textContent.startsWith("line 8:12"))`)
	if eval[bool](p, `document.querySelector('#scenarios tr[data-scenario="uploaded"]') !== null`) {
		t.Fatal("the refused file was listed")
	}
	p.run("upload the valid file", chromedp.SetUploadFiles(chromedp.ID("importYaml"), []string{good}))
	p.waitJS("saved and listed", `document.querySelector('#scenarios tr[data-scenario="uploaded"]') !== null && document.querySelector("#importProblems .ok") !== null`)
	p.run("filter by source", chromedp.SetValue(chromedp.ID("sourceFilter"), "file"), chromedp.Evaluate[chromedp.Void](`document.querySelector("#sourceFilter").dispatchEvent(new Event("input"))`))
	p.waitJS("only files listed", `document.querySelector('#scenarios tr[data-scenario="uploaded"]') === null && document.querySelector('#scenarios tr[data-scenario="room-test"]') !== null`)
	p.run("search", chromedp.SetValue(chromedp.ID("sourceFilter"), ""), chromedp.SendKeys(chromedp.ID("q"), "db-config"))
	// Of the library, room-test, confirm-test and the upload have a fault
	// db-config; alerts-test and checks-test do not.
	p.waitJS("the search finds scenarios by fault", `[...document.querySelectorAll("#scenarios tr")].map(r => r.dataset.scenario).join() === "confirm-test,room-test,uploaded"`)

	p.click("edit the uploaded scenario", `#scenarios tr[data-scenario="uploaded"] a.st-title`)
	p.waitJS("the editor holds it", `window.firedrillEditor && window.firedrillEditor.text().includes("name: uploaded") && document.querySelector('#versions li[data-version="1"]') !== null`)
	p.run("upload the injects CSV", chromedp.SetUploadFiles(chromedp.ID("importCsv"), []string{csv}))
	p.waitJS("the injects are replaced", `window.firedrillEditor.text().includes("from-csv") && !window.firedrillEditor.text().includes("first-call")`)
	p.waitJS("valid", `document.querySelector("#valid") !== null`)
	p.click("save", "#save")
	p.waitJS("version 2", `document.querySelector('#versions li[data-version="2"]') !== null`)
	p.click("diff", `#versions li[data-version="2"] .st-diffbtn`)
	p.waitJS("the diff shows the new inject", `[...document.querySelectorAll("#diff .add")].some(l => l.textContent.includes("from-csv")) && [...document.querySelectorAll("#diff .del")].some(l => l.textContent.includes("first-call"))`)
	p.shot("diff")
	if got := eval[string](p, `document.querySelector("#downloadYaml").getAttribute("href")`); got != "/api/studio/scenarios/uploaded/yaml" {
		t.Fatalf("download link %q", got)
	}
}
