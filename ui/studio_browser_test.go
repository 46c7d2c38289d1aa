package ui_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

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
// difficulty and the rendered persona messages, saves, reads the version
// history, and starts a real drill from the new scenario in the console —
// all on one running server.
func TestBrowserStudio(t *testing.T) {
	e := newEnv(t)
	dir := artifacts(t)
	open := newBrowser(t)
	base := e.http.URL
	p := &page{t: t, ctx: open(), name: "studio", dir: dir}
	p.run("sign in", chromedp.Navigate(base+"/login"), chromedp.WaitVisible(chromedp.ID("secret")))
	p.run("submit the token", chromedp.SendKeys(chromedp.ID("secret"), adminToken), chromedp.Click(chromedp.ID("submit")))
	p.waitJS("console", `location.pathname === "/console" && document.querySelector("#scenario option") !== null`)
	if eval[bool](p, `[...document.querySelectorAll("#scenario option")].some(o => o.value === "studio-made")`) {
		t.Fatal("studio-made is in the console before it was written")
	}

	p.click("open the studio", "#toStudio")
	p.waitJS("the library lists room-test", `document.querySelector('#scenarios tr[data-scenario="room-test"]') !== null`)
	p.shot("library")
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
	p.waitJS("the persona message rendered with sample values", `[...document.querySelectorAll("#messages .st-msg .text")].some(t => t.textContent === "14:05부터 결제가 안 된다는 문의가 들어옵니다.")`)
	p.shot("preview")

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
}
