package ui

import (
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"

	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/ui/wire"
)

// FollowerHandler is what a replica that does not lead serves: /healthz
// (alive), /readyz (ready once a leader is known) and, for everything else,
// the leader's drill room: requests (WebSocket streams included) are
// forwarded to the leader when its identity is its URL, and refused with
// ECONFLICT and a Retry-After otherwise, so that a client retries and lands on
// the leader. leader returns the leader's identity, "" when none is known.
func FollowerHandler(leader func() string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := leader()
		switch r.URL.Path {
		case "/healthz":
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			_, _ = w.Write([]byte("ok\n"))
			return
		case "/readyz":
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			if id == "" {
				w.WriteHeader(http.StatusServiceUnavailable)
				_, _ = w.Write([]byte("follower: no leader known yet\n"))
				return
			}
			_, _ = w.Write([]byte("follower of " + id + "\n"))
			return
		}
		target, err := url.Parse(id)
		if id == "" || err != nil || (target.Scheme != "http" && target.Scheme != "https") || target.Host == "" {
			w.Header().Set("Retry-After", "2")
			msg := "this firedrill replica does not lead and cannot forward: "
			if id == "" {
				msg += "no leader is known yet"
			} else {
				msg += "the leader's identity " + id + " is not its URL (set ha.identity to http://ADDRESS:PORT)"
			}
			writeJSON(w, statusOf(injectors.ECONFLICT), wire.ErrorResponse{Code: injectors.ECONFLICT, Message: msg + "; retry in a few seconds"})
			return
		}
		p := &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.SetXForwarded()
			pr.Out.Host = pr.In.Host
			pr.Out.Header.Set("X-Firedrill-Forwarded-By", "follower")
		}}
		p.ErrorHandler = func(w http.ResponseWriter, r *http.Request, err error) {
			w.Header().Set("Retry-After", "2")
			writeJSON(w, statusOf(injectors.ECONFLICT), wire.ErrorResponse{Code: injectors.ECONFLICT, Message: "this firedrill replica does not lead, and the leader " + strings.TrimSuffix(id, "/") + " did not answer (" + err.Error() + "); retry in a few seconds"})
		}
		p.ServeHTTP(w, r)
	})
}
