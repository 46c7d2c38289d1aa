package ui

import (
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/firedrill/firedrill/injectors"
)

// opsConfig is what the operations routes serve.
type opsConfig struct {
	metrics http.Handler
	token   string
	ready   func() error
}

// healthz answers 200 while the process serves.
func (s *Server) healthz(w http.ResponseWriter, _ *http.Request, _ *Session) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte("ok\n"))
}

// readyz answers 200 when the room can take work (Config.Ready), 503 with
// the reason otherwise.
func (s *Server) readyz(w http.ResponseWriter, _ *http.Request, _ *Session) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if s.ops.ready != nil {
		if err := s.ops.ready(); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte("not ready: " + err.Error() + "\n"))
			return
		}
	}
	_, _ = w.Write([]byte("ready\n"))
}

// metrics serves the Prometheus metrics; the route's access (the
// facilitator) or the bearer token has been checked.
func (s *Server) metrics(w http.ResponseWriter, r *http.Request, _ *Session) {
	if s.ops.metrics == nil {
		s.writeError(w, r, injectors.Errorf(injectors.ENOTFOUND, "Metrics are not served by this drill room."))
		return
	}
	s.ops.metrics.ServeHTTP(w, r)
}

// metricsBearer reports whether r bears the configured metrics token.
func (s *Server) metricsBearer(r *http.Request) bool {
	want := s.ops.token
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return want != "" && ok && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}
