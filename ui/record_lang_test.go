package ui_test

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestRecordLanguage: the printable record, the Markdown and HTML exports
// and the charts are written in the drill's language (room-test is
// English) unless ?lang=ko or ?lang=en asks for another; they say which
// (Content-Language, the file name), and an unknown language is refused.
// The data exports are the same in every language.
func TestRecordLanguage(t *testing.T) {
	e := newEnv(t)
	d := e.newDrill(true)
	endDrill(t, e, d)
	get := func(c *client, path string) (*http.Response, string) {
		t.Helper()
		req, err := http.NewRequest("GET", e.http.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		res, err := c.hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var b strings.Builder
		if _, err := io.Copy(&b, res.Body); err != nil {
			t.Fatal(err)
		}
		return res, b.String()
	}
	base := "/api/drills/" + d.id
	for _, tc := range []struct {
		name, path       string
		c                *client
		lang, file, want string
		not              string
	}{
		{"the printable record is the drill's language by default", "/room/" + d.id + "/record", d.participant, "en", "", "<h2>Metrics</h2>", "<h2>지표</h2>"},
		{"the printable record in Korean", "/room/" + d.id + "/record?lang=ko", d.participant, "ko", "", "<h2>지표</h2>", "<h2>Metrics</h2>"},
		{"the facilitator's printable record in English", "/room/" + d.id + "/record?lang=en", d.admin, "en", "", "<h2>Full timeline</h2>", "전체 타임라인"},
		{"Markdown in Korean", base + "/record.md?lang=ko", d.participant, "ko", d.id + "-record.ko.md", "## 타임라인", "## Timeline"},
		{"Markdown in the drill's language", base + "/record.md", d.observer, "en", d.id + "-record.en.md", "## Timeline", "## 타임라인"},
		{"HTML in Korean", base + "/record.html?lang=ko", d.designer, "ko", d.id + "-record.ko.html", `<html lang="ko">`, `<html lang="en">`},
		{"the timeline chart in Korean", base + "/charts/timeline.svg?lang=ko", d.participant, "ko", "", "90분 제한", "90m cap"},
		{"the ratings chart in Korean", base + "/charts/ratings.svg?lang=ko", d.participant, "ko", "", ">전<", ">before<"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, body := get(tc.c, tc.path)
			if res.StatusCode != 200 {
				t.Fatalf("%d %.300s", res.StatusCode, body)
			}
			if got := res.Header.Get("Content-Language"); got != tc.lang {
				t.Errorf("Content-Language %q, want %q", got, tc.lang)
			}
			if tc.file != "" && res.Header.Get("Content-Disposition") != `attachment; filename="`+tc.file+`"` {
				t.Errorf("Content-Disposition %q, want the file %s", res.Header.Get("Content-Disposition"), tc.file)
			}
			if !strings.Contains(body, tc.want) || strings.Contains(body, tc.not) {
				t.Errorf("the answer lacks %q or has %q:\n%.1500s", tc.want, tc.not, body)
			}
		})
	}
	t.Run("the data exports are the same in every language", func(t *testing.T) {
		res, en := get(d.participant, base+"/record.csv")
		_, ko := get(d.participant, base+"/record.csv?lang=ko")
		if res.StatusCode != 200 || en != ko || res.Header.Get("Content-Language") != "" || res.Header.Get("Content-Disposition") != `attachment; filename="`+d.id+`-record.csv"` {
			t.Fatalf("csv %d %q %q; en and ko differ: %v", res.StatusCode, res.Header.Get("Content-Language"), res.Header.Get("Content-Disposition"), en != ko)
		}
	})
	t.Run("a language the record is not written in is refused", func(t *testing.T) {
		for _, path := range []string{"/room/" + d.id + "/record?lang=ja", base + "/record.md?lang=xx", base + "/charts/timeline.svg?lang=fr"} {
			res, body := get(d.participant, path)
			if res.StatusCode != 400 || !strings.Contains(body, "expected en or ko") {
				t.Errorf("%s: %d %.300s", path, res.StatusCode, body)
			}
		}
	})
	t.Run("outsiders get no record in any language", func(t *testing.T) {
		other := e.newDrill(true)
		for _, tc := range []struct {
			c      *client
			status int
		}{{e.client(), 401}, {other.participant, 403}} {
			if res, body := get(tc.c, base+"/record.md?lang=ko"); res.StatusCode != tc.status {
				t.Errorf("%d %.200s, want %d", res.StatusCode, body, tc.status)
			}
		}
	})
	t.Run("the browser's words are the record's", func(t *testing.T) {
		res, body := get(e.client(), "/static/words-dict.js")
		if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/javascript") ||
			!strings.Contains(body, "export default {") || !strings.Contains(body, `"rec.title": "훈련 기록"`) {
			t.Fatalf("words-dict.js: %d %q\n%.300s", res.StatusCode, res.Header.Get("Content-Type"), body)
		}
	})
}

// TestBrowserRecordInKorean: in the console of a finished drill the
// facilitator clicks "한국어" next to the drill record, in the drill's
// console and in the drill list, and reads the printable record in Korean:
// headings, table headers and the chart's legend. A participant clicks the
// Korean Markdown export on the retro page.
func TestBrowserRecordInKorean(t *testing.T) {
	e := newEnv(t)
	r := newRoom(t, e, [2]string{"Kim", "participant"})
	r.start()
	r.admin.must(200, "POST", "/api/drills/"+r.id+"/end", map[string]string{"why": "test"}, nil)
	fac := r.facilitator("")
	koreanRecord := `location.pathname === "/room/` + r.id + `/record" && location.search === "?lang=ko"` +
		` && document.documentElement.lang === "ko"` +
		` && ["참여자", "지표", "타임라인", "회고", "게시된 공지", "관찰자 메모", "전체 타임라인"].every(h => [...document.querySelectorAll("h2")].some(x => x.textContent === h))` +
		` && [...document.querySelectorAll("th")].some(th => th.textContent === "응답 시각")` +
		` && [...document.querySelectorAll("svg text")].map(x => x.textContent).join("|").includes("장애 중|복구 중|해결, 원복 전까지|공지|힌트|시나리오 메시지")` +
		` && !document.body.textContent.includes("Full timeline")`
	fac.waitJS("the drill's console offers the record in Korean", `document.querySelector('#recordLangs a[data-record-lang="ko"]') !== null`)
	fac.click("open the Korean record from the drill's console", `#recordLangs a[data-record-lang="ko"]`)
	fac.waitJS("the Korean record with its headings and legend", koreanRecord)
	fac.shot("record-ko")
	png, err := os.Stat(filepath.Join(fac.dir, "facilitator-record-ko.png"))
	if err != nil || png.Size() < 10000 {
		t.Fatalf("the Korean record was not kept as a PNG: %v", err)
	}

	fac.run("back to the console", chromedp.Navigate(e.http.URL+"/console"))
	sel := `[data-record-langs="` + r.id + `"] a[data-record-lang="ko"]`
	fac.click("open the Korean record from the drill list", sel)
	fac.waitJS("the Korean record again", koreanRecord)
	fac.run("back to the console", chromedp.Navigate(e.http.URL+"/console"))
	fac.click("open the English record from the drill list", `[data-record-langs="`+r.id+`"] a[data-record-lang="en"]`)
	fac.waitJS("the English record", `location.search === "?lang=en" && document.documentElement.lang === "en" && document.body.textContent.includes("Full timeline")`)

	kim := r.join("Kim")
	kim.run("open the retro", chromedp.Navigate(e.http.URL+"/room/"+r.id+"/retro"))
	kim.waitJS("the retro offers the Markdown in Korean", `document.querySelector('[data-export-langs="md"] a[data-record-lang="ko"]') !== null`)
	kim.run("fetch what the Korean Markdown link points at", chromedp.Evaluate[chromedp.Void](
		`fetch(document.querySelector('[data-export-langs="md"] a[data-record-lang="ko"]').href).then(r => r.text()).then(md => window.__md = md)`))
	kim.waitJS("the Korean Markdown", `(window.__md || "").startsWith("# 훈련 기록: ")`)
	kim.click("open the Korean printable record from the retro", `[data-export-langs="print"] a[data-record-lang="ko"]`)
	kim.waitJS("the Korean record for the participant", koreanRecord)
}
