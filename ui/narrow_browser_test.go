package ui_test

import (
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"
)

// phoneWidth is a phone's viewport in CSS pixels (an iPhone 12 to 15).
const phoneWidth, phoneHeight = 390, 844

// TestBrowserPagesFitAPhone opens every page a person reaches, as the role
// that reaches it, at a phone's width and checks that none is wider than
// the screen: a page that scrolls sideways hides its buttons (the header's
// language and theme switches, the room link) off the right edge. Each page
// is saved as a screenshot in the test's artifacts.
func TestBrowserPagesFitAPhone(t *testing.T) {
	e := newEnv(t)
	r := newRoom(t, e, [2]string{"Alex", "participant"}, [2]string{"Olivia", "observer"})
	r.start()

	fac := r.facilitator("Fiona")
	alex := r.join("Alex")
	olivia := r.join("Olivia")
	for _, p := range []*page{fac, alex, olivia} {
		p.run("a phone's viewport", chromedp.EmulateViewport(phoneWidth, phoneHeight))
	}

	// fits loads path in p, waits for ready (a JavaScript expression) and
	// checks the page is no wider than the phone.
	fits := func(p *page, name, path, ready string) {
		t.Helper()
		p.run("open "+name, chromedp.Navigate(e.http.URL+path))
		p.waitJS(name+" loaded", ready)
		w := eval[int](p, `document.documentElement.scrollWidth`)
		p.shot("phone-" + name)
		if w > phoneWidth {
			wide := eval[string](p, `(() => {
				const out = [];
				for (const el of document.querySelectorAll("body *")) {
					const r = el.getBoundingClientRect();
					if (r.right > innerWidth + 1 && r.width > 0) out.push(el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + (el.className && typeof el.className === "string" ? "." + el.className.trim().split(/\s+/).join(".") : "") + " right=" + Math.round(r.right));
				}
				return out.slice(0, 8).join(", ");
			})()`)
			t.Errorf("%s: %s is %d px wide on a %d px screen; past the edge: %s", p.name, path, w, phoneWidth, wide)
		}
	}

	ready := `document.readyState === "complete"`
	live := `document.body.dataset.ready === "true"`
	fac.run("back to the console", chromedp.Navigate(e.http.URL+"/console"))
	for _, c := range []struct{ name, path, ready string }{
		{"console", "/console", ready + ` && document.querySelector("#drills, main") !== null`},
		{"drill-console", "/console/drills/" + r.id, live},
		{"history", "/history", ready},
		{"program", "/program", ready},
		{"studio", "/studio", ready},
		{"studio-edit", "/studio/edit?name=room-test", ready + ` && document.querySelector("#editor") !== null`},
		{"sessions", "/admin/sessions", ready},
		{"me", "/me", ready},
	} {
		fits(fac, c.name, c.path, c.ready)
	}
	fits(alex, "room", "/room/"+r.id, live)
	fits(olivia, "room", "/room/"+r.id, live)

	r.admin.must(200, "POST", "/api/drills/"+r.id+"/end", nil, nil)
	for _, p := range []*page{fac, alex, olivia} {
		fits(p, "retro", fmt.Sprintf("/room/%s/retro", r.id), ready+` && document.querySelector("#title").textContent !== "…"`)
	}
	fits(fac, "record", fmt.Sprintf("/room/%s/record", r.id), ready)

	login := r.open("visitor")
	login.run("a phone's viewport", chromedp.EmulateViewport(phoneWidth, phoneHeight))
	fits(login, "login", "/login", ready)
	fits(login, "apply", "/program/apply", ready)
}
