package ui_test

import (
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserNextUpdateShownLive: a status update that promises the next
// update ("next update 14:30") shows the promise in the top bar of every
// room at once — the poster's and another participant's — with no other
// event to refresh the view, and a later update replaces it.
func TestBrowserNextUpdateShownLive(t *testing.T) {
	e := newEnv(t)
	r := newRoom(t, e, [2]string{"Kim", "participant"}, [2]string{"Lee", "participant"})
	r.start()
	kim := r.join("Kim")
	lee := r.join("Lee")
	post := func(next string) {
		t.Helper()
		kim.click("open the status update", `[data-notice-tab="status-update"]`)
		kim.waitJS("status form", `document.querySelector("#noticeForm").dataset.kind === "status-update"`)
		set := func(field, v string) chromedp.Action[chromedp.Void] {
			return chromedp.SetValue(chromedp.ID("nf-status-update-"+field), v)
		}
		kim.run("fill the status update", set("status", "identified"), set("impact", "Orders fail."),
			set("progress", "Restoring the config."), set("nextUpdate", next))
		kim.click("post", "#noticeBtn")
		kim.waitJS("posted", `document.querySelector("#noticeOk").textContent !== ""`)
	}
	shows := func(p *page, next string) {
		t.Helper()
		p.waitJS("the promised update "+next+" in the top bar", `!document.querySelector("#nextUpdate").classList.contains("hidden") && document.querySelector("#nextUpdate").textContent.includes(`+jsString(next)+`)`)
	}
	post("14:30")
	shows(kim, "14:30")
	shows(lee, "14:30")
	lee.shot("next-update-shown")
	post("14:45")
	shows(kim, "14:45")
	shows(lee, "14:45")
}
