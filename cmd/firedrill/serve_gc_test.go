package main_test

import (
	"net/http"
	"net/url"
	"os"
	"runtime/metrics"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/firedrill/firedrill/internal/gctune"
)

// TestServeRaisesTheGCTargetWhileABrowserStreams serves a room in this
// process and opens a drill's stream as the facilitator's browser does:
// the process's GOGC goes to gctune.StreamingPercent while it streams
// (internal/gctune; serve obeys a GOGC set in the environment instead).
// What it was before is not checked: a room an earlier test served in
// this process lowers it only 30 s after its last browser left.
func TestServeRaisesTheGCTargetWhileABrowserStreams(t *testing.T) {
	if os.Getenv("GOGC") != "" {
		t.Skip("GOGC is set in the environment: serve keeps it")
	}
	gogc := func() int {
		s := []metrics.Sample{{Name: "/gc/gogc:percent"}}
		metrics.Read(s)
		return int(int64(s[0].Value.Uint64()))
	}
	const token = "serve-test-admin-token-123"
	room := newFlagsRoom(t, token, "")
	base, stop, _, _ := serveFor(t, room.env)
	defer stop()
	fac := signIn(t, base, token)
	var d struct {
		ID string `json:"id"`
	}
	if st := fac.call("POST", "/api/drills", map[string]string{"scenario": "serve-flags"}, &d); st != 201 {
		t.Fatalf("create a drill: %d", st)
	}
	u, _ := url.Parse(base)
	h := http.Header{"Origin": {base}}
	var cookies []string
	for _, c := range fac.hc.Jar.Cookies(u) {
		cookies = append(cookies, c.Name+"="+c.Value)
	}
	h.Set("Cookie", strings.Join(cookies, "; "))
	conn, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(base, "http")+"/api/drills/"+d.ID+"/ws?after=0", h)
	if err != nil {
		t.Fatalf("open the drill's stream: %v", err)
	}
	defer conn.Close()
	for deadline := time.Now().Add(10 * time.Second); gogc() != gctune.StreamingPercent; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("GOGC %d while a browser streams, want %d", gogc(), gctune.StreamingPercent)
		}
	}
}
