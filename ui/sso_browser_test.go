package ui_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserSSOTeams is the done-when test of issue #17's staff side: two
// facilitators of different teams sign in through the test provider's own
// login page, each creates and runs a drill of their team, neither sees the
// other's in the console nor can open it, and each drill's record names
// its facilitator.
func TestBrowserSSOTeams(t *testing.T) {
	e := newSSOEnv(t)
	dir := artifacts(t)
	open := newBrowser(t)
	base := e.http.URL

	type run struct {
		user, name, scenario, other, title string
		p                                  *page
		drill                              string
	}
	runs := []*run{
		{user: "alice", name: "Alice Archer", scenario: "team-a-drill", other: "team-b-drill", title: "Team A Tuesday"},
		{user: "bob", name: "Bob Baker", scenario: "team-b-drill", other: "team-a-drill", title: "Team B Thursday"},
	}
	for _, r := range runs {
		r.p = &page{t: t, ctx: open(), name: r.user, dir: dir}
		r.p.run("open the sign-in page", chromedp.Navigate(base+"/login"))
		r.p.waitJS("the identity provider button shows", `document.querySelector("#ssoBox").hidden === false`)
		r.p.shot("login-with-sso")
		r.p.run("sign in with the identity provider", chromedp.Click(chromedp.ID("sso")))
		r.p.waitJS("the provider's login page", `location.href.startsWith(`+jsString(e.idp.Issuer+"/login/username")+`) && document.querySelector("#password") !== null`)
		r.p.shot("provider-login")
		r.p.run("type the provider credentials",
			chromedp.SendKeys(chromedp.ID("username"), r.user),
			chromedp.SendKeys(chromedp.ID("password"), passwordOf(r.user)),
			chromedp.Click(`button[type="submit"]`),
		)
		r.p.waitJS("the console lists the team's scenario", `location.pathname === "/console" && document.querySelector("#scenario option[value='`+r.scenario+`']") !== null`)
		if eval[bool](r.p, `document.querySelector("#scenario option[value='`+r.other+`']") !== null`) {
			t.Fatalf("%s's console offers another team's scenario %s", r.user, r.other)
		}
		r.p.shot("console")
		r.p.run("create a drill",
			chromedp.SetValue(chromedp.ID("scenario"), r.scenario),
			chromedp.SendKeys(chromedp.ID("title"), r.title),
			chromedp.Click(chromedp.ID("createBtn")),
		)
		r.p.waitJS("the drill console opens", `location.pathname.startsWith("/console/drills/") && document.querySelector("#startBtn") !== null`)
		r.drill = strings.TrimPrefix(eval[string](r.p, `location.pathname`), "/console/drills/")
		r.p.run("start the drill", chromedp.Click(chromedp.ID("startBtn")))
		r.p.waitJS("the drill runs", `document.querySelector("#state").textContent === "running"`)
	}

	for i, r := range runs {
		other := runs[1-i]
		r.p.run("back to the console", chromedp.Navigate(base+"/console"))
		r.p.waitJS("the console lists their drill", `document.querySelector("#drills").textContent.includes(`+jsString(r.title)+`)`)
		if eval[bool](r.p, `document.querySelector("#drills").textContent.includes(`+jsString(other.title)+`)`) {
			t.Fatalf("%s's console lists %s's drill", r.user, other.user)
		}
		r.p.run("open the other team's drill", chromedp.Navigate(base+"/console/drills/"+other.drill))
		r.p.waitJS("the refusal page", `document.querySelector("#refused") !== null`)
		if eval[bool](r.p, `document.body.textContent.includes(`+jsString(other.title)+`)`) {
			t.Fatalf("%s's refusal names the other drill", r.user)
		}
		r.p.shot("other-team-refused")
	}

	for _, r := range runs {
		r.p.run("back to the drill", chromedp.Navigate(base+"/console/drills/"+r.drill))
		r.p.waitJS("the drill console", `document.body.dataset.ready === "true"`)
		end := `(async () => { const s = await (await fetch("/api/session")).json();
			const r = await fetch("/api/drills/` + r.drill + `/end", {method: "POST", headers: {"Content-Type": "application/json", "X-CSRF-Token": s.csrf}, body: JSON.stringify({why: "the test is over"})});
			return r.status; })()`
		st, err := chromedp.Run(r.p.ctx, chromedp.Evaluate[int](end, chromedp.EvalAwaitPromise))
		if err != nil || st != 200 {
			t.Fatalf("%s ends the drill: %d %v", r.user, st, err)
		}
		r.p.waitJS("the record names the facilitator", `fetch("/api/drills/`+r.drill+`/record.md").then(r => r.ok ? r.text() : "").then(md => (window.__md = md, true)) && (window.__md || "").includes("| `+r.name+` | facilitator |")`)
	}
}

// TestBrowserMyDrills is the done-when test of issue #17's participant
// side: a participant who joined by link links the drill to her account
// from the room, through the provider's login page; across two drills she
// then signs in for "my drills" and sees her own before/after trend.
func TestBrowserMyDrills(t *testing.T) {
	e := newSSOEnv(t)
	dir := artifacts(t)
	open := newBrowser(t)
	base := e.http.URL
	first := true
	providerLogin := func(p *page) {
		p.waitJS("the provider's login page", `location.href.startsWith(`+jsString(e.idp.Issuer+"/login/username")+`) && document.querySelector("#password") !== null`)
		p.run("type the provider credentials",
			chromedp.SendKeys(chromedp.ID("username"), "pia"),
			chromedp.SendKeys(chromedp.ID("password"), passwordOf("pia")),
			chromedp.Click(`button[type="submit"]`),
		)
	}
	drills := e.ratedDrills(t, e.sso("alice"), func(pia *client, joinLink, id string) {
		if !first {
			e.linkDrill(pia, id, "pia")
			return
		}
		// The first drill is linked in a browser, from the room.
		first = false
		p := &page{t: t, ctx: open(), name: "pia-room", dir: dir}
		p.run("open the join link", chromedp.Navigate(joinLink))
		p.waitJS("the room offers to link the drill", `location.pathname === "/room/`+id+`" && document.querySelector("#linkIdentity").hidden === false`)
		p.shot("room-link-identity")
		p.run("link the drill to my account", chromedp.Click(chromedp.ID("linkIdentity")))
		providerLogin(p)
		p.waitJS("back in the room", `location.pathname === "/room/`+id+`" && document.body.dataset.ready === "true"`)
	})

	p := &page{t: t, ctx: open(), name: "pia", dir: dir}
	p.run("open the sign-in page", chromedp.Navigate(base+"/login"))
	p.waitJS("the my-drills link shows", `document.querySelector("#meBox").hidden === false`)
	p.run("open my drills", chromedp.Click(chromedp.ID("meLink")))
	providerLogin(p)
	p.waitJS("my drills lists both drills", `location.pathname === "/me" && document.querySelectorAll("#myDrills tr").length === 2`)
	for i, want := range [][2]string{{"2", "3"}, {"3", "5"}} {
		row := `document.querySelectorAll("#myDrills tr")[` + itoa(int64(i)) + `]`
		if got := eval[string](p, row+`.dataset.drill + " " + `+row+`.cells[2].textContent + " " + `+row+`.cells[3].textContent`); got != drills[i]+" "+want[0]+" "+want[1] {
			t.Fatalf("row %d: %q, want %s rated %s→%s", i, got, drills[i], want[0], want[1])
		}
	}
	if got := eval[string](p, `document.querySelector("#trend").textContent`); !strings.Contains(got, "3 → 5") {
		t.Fatalf("trend %q, want 3 → 5", got)
	}
	p.shot("my-drills")
	// In Korean the page says its own words too, the trend included.
	p.run("switch to Korean", chromedp.Evaluate[chromedp.Void](`localStorage.setItem("firedrill.lang", "ko")`), chromedp.Reload())
	p.waitJS("my drills in Korean", `document.querySelectorAll("#myDrills tr").length === 2 && document.querySelector("#trend").textContent.startsWith("추이:")`+
		` && document.querySelector("#trend").textContent.includes("3 → 5") && document.querySelector('th[data-w="me.change"]').textContent === "변화"`)
	p.run("back to English", chromedp.Evaluate[chromedp.Void](`localStorage.setItem("firedrill.lang", "en")`), chromedp.Reload())
	p.waitJS("my drills in English", `document.querySelector("#trend").textContent.startsWith("Trend:")`)
	p.run("sign out", chromedp.Click(chromedp.ID("signOut")))
	p.waitJS("back at the sign-in page", `location.pathname === "/login"`)
}
