package ui

import (
	"net"
	"net/http"
	"sync"
	"time"
)

// Timeouts bound how long a connection may take over each part of a
// request, so that a client trickling its headers or body a byte at a time
// cannot hold a connection open. WebSocket streams set their own read and
// write deadlines once upgraded (pings and pongs), so they live on.
type Timeouts struct {
	ReadHeader time.Duration
	Read       time.Duration
	Write      time.Duration
	Idle       time.Duration
}

// DefaultTimeouts: 10 s for the headers, 30 s for a whole request (bodies
// are at most 64 KiB), 2 minutes to write an answer (the largest is a
// record export) and 2 minutes idle between keep-alive requests.
var DefaultTimeouts = Timeouts{ReadHeader: 10 * time.Second, Read: 30 * time.Second, Write: 2 * time.Minute, Idle: 2 * time.Minute}

// DefaultConnsPerAddr is how many connections one address may hold at once:
// a few browsers behind one address with their streams, far below what it
// takes to exhaust the server.
const DefaultConnsPerAddr = 64

// NewHTTPServer returns the HTTP server of the drill room over h.
func NewHTTPServer(h http.Handler, t Timeouts) *http.Server {
	return &http.Server{Handler: h, ReadHeaderTimeout: t.ReadHeader, ReadTimeout: t.Read, WriteTimeout: t.Write, IdleTimeout: t.Idle}
}

// LimitListener caps the connections one remote address holds at once:
// beyond perAddr, new connections from it are closed as soon as they are
// accepted.
func LimitListener(ln net.Listener, perAddr int) net.Listener {
	return &limitListener{Listener: ln, max: perAddr, open: map[string]int{}}
}

type limitListener struct {
	net.Listener
	max  int
	mu   sync.Mutex
	open map[string]int
}

func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		host, _, err := net.SplitHostPort(c.RemoteAddr().String())
		if err != nil {
			host = c.RemoteAddr().String()
		}
		l.mu.Lock()
		if l.open[host] >= l.max {
			l.mu.Unlock()
			c.Close()
			continue
		}
		l.open[host]++
		l.mu.Unlock()
		return &limitedConn{Conn: c, release: func() { l.release(host) }}, nil
	}
}

func (l *limitListener) release(host string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open[host]--; l.open[host] <= 0 {
		delete(l.open, host)
	}
}

type limitedConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}
