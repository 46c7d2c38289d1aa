package ui

import (
	"bytes"
	"embed"
	"io/fs"
	"net/http"
	"net/url"
	"strings"

	"github.com/firedrill/firedrill/control/record"
	"github.com/firedrill/firedrill/injectors"
)

// web holds the pages and their assets: plain HTML, CSS and JS modules, no
// framework and nothing from a CDN.
//
//go:embed web
var web embed.FS

func (s *Server) servePage(w http.ResponseWriter, r *http.Request, name string, status int) {
	b, err := fs.ReadFile(web, "web/"+name)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// pageHome sends a browser where it belongs: the console, its drill room,
// or the sign-in page.
func (s *Server) pageHome(w http.ResponseWriter, r *http.Request, sess *Session) {
	switch {
	case sess == nil:
		http.Redirect(w, r, "/login", http.StatusSeeOther)
	case sess.Admin:
		http.Redirect(w, r, "/console", http.StatusSeeOther)
	case sess.personal():
		// Signed in for "my drills", with no drill room of their own.
		http.Redirect(w, r, "/me", http.StatusSeeOther)
	default:
		http.Redirect(w, r, "/room/"+url.PathEscape(sess.DrillID), http.StatusSeeOther)
	}
}

func (s *Server) pageLogin(w http.ResponseWriter, r *http.Request, _ *Session) {
	s.servePage(w, r, "login.html", http.StatusOK)
}

func (s *Server) pageJoin(w http.ResponseWriter, r *http.Request, _ *Session) {
	s.servePage(w, r, "join.html", http.StatusOK)
}

func (s *Server) pageConsole(w http.ResponseWriter, r *http.Request, _ *Session) {
	s.servePage(w, r, "console.html", http.StatusOK)
}

func (s *Server) pageRoom(w http.ResponseWriter, r *http.Request, _ *Session) {
	s.servePage(w, r, "room.html", http.StatusOK)
}

// pageRefused answers a page request the viewer may not open: anonymous
// visitors are sent to sign in, everyone else gets a plain 403 page.
func (s *Server) pageRefused(w http.ResponseWriter, r *http.Request, err error) {
	if injectors.ErrorCode(err) == injectors.EUNAUTHORIZED {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	s.servePage(w, r, "refused.html", http.StatusForbidden)
}

// staticFS serves web/static under /static/ and nothing else: its root is
// the static folder, so an escaped "../" in the path (/static/%2e%2e%2f…)
// cannot reach the page templates next to it.
var staticFS = func() http.Handler {
	sub, err := fs.Sub(web, "web/static")
	if err != nil {
		panic(err)
	}
	return http.StripPrefix("/static", http.FileServerFS(sub))
}()

func (s *Server) pageStatic(w http.ResponseWriter, r *http.Request, _ *Session) {
	if strings.HasSuffix(r.URL.Path, "/") {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Cache-Control", "no-cache")
	if r.URL.Path == "/static/words-dict.js" {
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		_, _ = w.Write(wordsModule)
		return
	}
	staticFS.ServeHTTP(w, r)
}

// wordsModule is the record's words (control/record/words.json) as the
// JavaScript module words.js imports: the room, the retro and the record
// say timeline phrases, notice forms and end reasons with one set of words.
var wordsModule = func() []byte {
	b := []byte("// The record's words, from control/record/words.json.\nexport default ")
	b = append(b, record.WordsJSON()...)
	return append(bytes.TrimRight(b, "\n"), ";\n"...)
}()

// pageFavicon answers the browser's own /favicon.ico request (pages that do
// not link the icon, such as the exported record) with the SVG icon.
func (s *Server) pageFavicon(w http.ResponseWriter, r *http.Request, _ *Session) {
	b, err := web.ReadFile("web/static/favicon.svg")
	if err != nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Header().Set("Cache-Control", "max-age=86400")
	_, _ = w.Write(b)
}
