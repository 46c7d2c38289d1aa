package ui_test

import (
	"bytes"
	"testing"

	"github.com/chromedp/chromedp"
	"go.yaml.in/yaml/v3"

	"github.com/firedrill/firedrill/control"
)

// xssPayload runs window.__xss = 1 if it is ever parsed as markup.
const xssPayload = `<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>`

// textKeys are the scenario fields people read as text.
var textKeys = map[string]bool{"title": true, "summary": true, "designer": true, "name": true, "topic": true, "description": true,
	"impact": true, "text": true, "expectedAction": true, "briefing": true, "solution": true, "label": true, "help": true}

// hostile returns text with the payload appended to every text field but
// metadata.name (an id), and how many fields it changed.
func hostile(t *testing.T, text string) (string, int) {
	t.Helper()
	var root yaml.Node
	if err := yaml.Unmarshal([]byte(text), &root); err != nil {
		t.Fatal(err)
	}
	n := 0
	var walk func(node *yaml.Node, parent string)
	walk = func(node *yaml.Node, parent string) {
		switch node.Kind {
		case yaml.DocumentNode, yaml.SequenceNode:
			for _, c := range node.Content {
				walk(c, parent)
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(node.Content); i += 2 {
				k, v := node.Content[i], node.Content[i+1]
				if v.Kind == yaml.ScalarNode && textKeys[k.Value] && !(parent == "metadata" && k.Value == "name") {
					v.Value += " " + xssPayload
					v.Style = yaml.DoubleQuotedStyle
					n++
					continue
				}
				walk(v, k.Value)
			}
		}
	}
	walk(&root, "")
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(&root); err != nil {
		t.Fatal(err)
	}
	return b.String(), n
}

// noScript fails unless the page shows the payload only as text: no
// element from it, and nothing ran.
func noScript(t *testing.T, p *page, where string) {
	t.Helper()
	if eval[bool](p, `window.__xss !== undefined || [...document.querySelectorAll("img[src=x], script:not([src])")].length > 0`) {
		p.shot("xss-" + where)
		t.Fatalf("%s: the scenario's markup became elements or ran", where)
	}
}

// TestBrowserStudioEscapes stores the payload in every text field of a
// scenario through the studio and proves that it is shown as text — never
// run — in the studio's library, editor and preview, the console and the
// drill room of facilitator and participant.
func TestBrowserStudioEscapes(t *testing.T) {
	e := newEnv(t, withTimeScale(120))
	text, fields := hostile(t, renamed(roomYAML(), "hostile"))
	if fields < 15 {
		t.Fatalf("the payload went into %d fields, want every text field (15 or more)", fields)
	}
	a := e.admin()
	a.must(201, "POST", "/api/studio/scenarios", map[string]any{"yaml": text, "base": 0}, nil)

	dir := artifacts(t)
	open := newBrowser(t)
	base := e.http.URL
	p := &page{t: t, ctx: open(), name: "xss", dir: dir}
	p.run("sign in", chromedp.Navigate(base+"/login"), chromedp.WaitVisible(chromedp.ID("secret")))
	p.run("submit the token", chromedp.SendKeys(chromedp.ID("secret"), adminToken), chromedp.Click(chromedp.ID("submit")))
	p.waitJS("console", `location.pathname === "/console" && [...document.querySelectorAll("#scenario option")].some(o => o.value === "hostile")`)
	noScript(t, p, "console")

	p.run("library", chromedp.Navigate(base+"/studio"))
	p.waitJS("the library shows the title as text", `[...document.querySelectorAll("#scenarios .st-title")].some(a => a.textContent.includes(`+jsString(xssPayload)+`))`)
	noScript(t, p, "library")

	p.run("editor", chromedp.Navigate(base+"/studio/edit?name=hostile"))
	p.waitJS("the preview shows the messages as text", `[...document.querySelectorAll("#personaMsgs .st-msg .text")].some(m => m.textContent.includes(`+jsString(xssPayload)+`)) && document.querySelector("#ganttSvg") !== null`)
	if !eval[bool](p, `[...document.querySelectorAll("#ganttSvg title")].some(t => t.textContent.includes(`+jsString(xssPayload)+`))`) {
		t.Error("the Gantt does not show the fault titles (as text)")
	}
	noScript(t, p, "editor and preview")

	var d control.DrillSummary
	a.must(201, "POST", "/api/drills", map[string]string{"scenario": "hostile"}, &d)
	var link struct {
		URL string `json:"url"`
	}
	a.must(201, "POST", "/api/drills/"+d.ID+"/people", map[string]any{"name": "Kim", "role": "participant"}, &link)
	a.must(200, "POST", "/api/drills/"+d.ID+"/start", nil, nil)
	p.run("facilitator's room", chromedp.Navigate(base+"/console/drills/"+d.ID))
	p.waitJS("the facilitator sees the fault titles", `document.body.dataset.ready === "true" && document.body.textContent.includes(`+jsString("Order API database host changed "+xssPayload)+`)`)
	noScript(t, p, "facilitator's room")

	kim := &page{t: t, ctx: open(), name: "xss-kim", dir: dir}
	kim.run("join", chromedp.Navigate(link.URL))
	kim.waitJS("the room shows the scripted message as text", `document.body.dataset.ready === "true" && [...document.querySelectorAll("#channels li")].some(li => li.textContent.includes(`+jsString(xssPayload)+`))`)
	noScript(t, kim, "participant's room")
}
