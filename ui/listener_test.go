package ui_test

import (
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/firedrill/firedrill/ui"
)

// slowRoom serves e's drill room through ui.NewHTTPServer with short
// timeouts and ui.LimitListener, as serve does with the defaults.
func slowRoom(t *testing.T, e *env, perAddr int) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := ui.NewHTTPServer(e.server.Handler(), ui.Timeouts{ReadHeader: 300 * time.Millisecond, Read: 600 * time.Millisecond, Write: time.Second, Idle: time.Second})
	go func() { _ = hs.Serve(ui.LimitListener(ln, perAddr)) }()
	t.Cleanup(func() { hs.Close() })
	return ln.Addr().String()
}

// trickle sends head and then one byte of body every 100 ms, and reports
// whether the server closed the connection before the body was complete.
func trickle(t *testing.T, addr, head string, body int) bool {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	closed := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, c)
		close(closed)
	}()
	if _, err := c.Write([]byte(head)); err != nil {
		return true
	}
	for i := 0; i < body; i++ {
		select {
		case <-closed:
			return true
		case <-time.After(100 * time.Millisecond):
		}
		if _, err := c.Write([]byte("x")); err != nil {
			return true
		}
	}
	return false
}

func TestSlowClients(t *testing.T) {
	t.Run("a body trickled a byte at a time is cut off", func(t *testing.T) {
		addr := slowRoom(t, newEnv(t), 10)
		head := "POST /api/login HTTP/1.1\r\nHost: " + addr + "\r\nContent-Type: application/json\r\nContent-Length: 40\r\n\r\n"
		if !trickle(t, addr, head, 40) {
			t.Fatal("the server read a 40-byte body trickled over 4 s; want it closed after the read timeout")
		}
	})
	t.Run("headers trickled a byte at a time are cut off", func(t *testing.T) {
		addr := slowRoom(t, newEnv(t), 10)
		if !trickle(t, addr, "GET /api/session HTTP/1.1\r\nHost: "+addr+"\r\nX-Slow: ", 40) {
			t.Fatal("the server waited 4 s for headers; want it closed after the header timeout")
		}
	})
	t.Run("one address holds at most its share of connections", func(t *testing.T) {
		addr := slowRoom(t, newEnv(t), 3)
		var conns []net.Conn
		for i := 0; i < 3; i++ {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			conns = append(conns, c)
			defer c.Close()
		}
		extra, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer extra.Close()
		_ = extra.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := extra.Read(make([]byte, 1)); err != io.EOF {
			t.Fatalf("the fourth connection of one address: read %v, want it closed at once (EOF)", err)
		}
		conns[0].Close()
		res := func() *http.Response {
			for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
				if r, err := http.Get("http://" + addr + "/api/session"); err == nil {
					return r
				}
			}
			return nil
		}()
		if res == nil || res.StatusCode != 200 {
			t.Fatalf("after one connection closed, a new one: %v", res)
		}
		res.Body.Close()
	})
	t.Run("a WebSocket stream outlives the request timeouts", func(t *testing.T) {
		e := newEnv(t)
		addr := slowRoom(t, e, 10)
		d := e.newDrill(true)
		d.participant.base = "http://" + addr
		d.participant.origin = "http://" + addr
		s := d.participant.ws(d.id, 0)
		s.untilReady()
		time.Sleep(1500 * time.Millisecond) // past the read, idle and write timeouts above
		post(d.second, d.id, "incident", "still streaming")
		for {
			f, err := s.next()
			if err != nil {
				t.Fatalf("the stream ended after the request timeouts: %v", err)
			}
			if f.Kind == "event" && strings.Contains(string(f.Event.Payload), "still streaming") {
				return
			}
		}
	})
}
