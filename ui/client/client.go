// Package client is a Go client of the drill room's HTTP and WebSocket API.
// The demo uses it to set up a drill, the end-to-end tests use it to play
// scripted participants, and teams can use it to automate drills.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/ui/wire"
)

// Client is one signed-in browser's worth of API access: its own cookie jar
// and CSRF token. Use one Client per person.
type Client struct {
	base *url.URL
	hc   *http.Client
	csrf string
	// Session is the session after Login or Join.
	Session wire.SessionView
	// DialStream, when set, opens the network connection of each drill
	// stream instead of a plain TCP dial: a proxy, or a socket with a small
	// receive buffer in tests of a slow reader.
	DialStream func(ctx context.Context, network, addr string) (net.Conn, error)
}

// New returns a client of the drill room at baseURL (e.g. http://127.0.0.1:8080).
func New(baseURL string) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(baseURL, "/"))
	if err != nil {
		return nil, fmt.Errorf("client: base URL: %w", err)
	}
	jar, _ := cookiejar.New(nil)
	return &Client{base: u, hc: &http.Client{Jar: jar}}, nil
}

// APIError is an error answer of the API: its HTTP status and message.
type APIError struct {
	Status  int
	Code    string
	Message string
	// Fields names the form fields at fault, e.g. the missing required
	// fields of a notice.
	Fields []string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("HTTP %d %s: %s", e.Status, e.Code, e.Message)
}

// Do sends a JSON request and decodes a JSON answer into out (when not nil).
func (c *Client) Do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base.String()+path, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Origin", c.base.Scheme+"://"+c.base.Host)
	if c.csrf != "" {
		req.Header.Set("X-CSRF-Token", c.csrf)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	if resp.StatusCode >= 300 {
		return apiError(resp.StatusCode, b)
	}
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			return fmt.Errorf("%s %s: decode answer: %w", method, path, err)
		}
	}
	return nil
}

func (c *Client) signIn(ctx context.Context, path string, in any) error {
	var sv wire.SessionView
	if err := c.Do(ctx, http.MethodPost, path, in, &sv); err != nil {
		return err
	}
	c.Session, c.csrf = sv, sv.CSRF
	return nil
}

// Login signs in as the facilitator with the admin credential.
func (c *Client) Login(ctx context.Context, secret string) error {
	return c.signIn(ctx, "/api/login", map[string]string{"secret": secret})
}

// Join signs in with a join link (the whole URL or just its token).
func (c *Client) Join(ctx context.Context, link string) error {
	tok := link
	if i := strings.LastIndex(link, "#"); i >= 0 {
		tok = link[i+1:]
	}
	return c.signIn(ctx, "/api/join", map[string]string{"token": tok})
}

// CreateDrill creates a drill from a library scenario.
func (c *Client) CreateDrill(ctx context.Context, scenario, title, difficulty string) (control.DrillSummary, error) {
	return c.CreateDrillCandidate(ctx, scenario, title, difficulty, "")
}

// CreateDrillCandidate creates a drill from a library scenario playing one
// of the candidates it keeps (required for such a scenario).
func (c *Client) CreateDrillCandidate(ctx context.Context, scenario, title, difficulty, candidate string) (control.DrillSummary, error) {
	var d control.DrillSummary
	err := c.Do(ctx, http.MethodPost, "/api/drills", map[string]string{"scenario": scenario, "title": title, "difficulty": difficulty, "candidate": candidate}, &d)
	return d, err
}

// AddPerson adds a person to a drill and returns their join link.
func (c *Client) AddPerson(ctx context.Context, drillID, name string, role control.Role) (wire.JoinLink, error) {
	var l wire.JoinLink
	err := c.Do(ctx, http.MethodPost, "/api/drills/"+drillID+"/people", map[string]any{"name": name, "role": role}, &l)
	return l, err
}

// Lifecycle moves a drill: action is briefing, start, pause, resume, end or
// abort; why is recorded (abort requires confirm, which this sets).
func (c *Client) Lifecycle(ctx context.Context, drillID, action, why string) error {
	return c.Do(ctx, http.MethodPost, "/api/drills/"+drillID+"/"+action, map[string]any{"why": why, "confirm": true}, nil)
}

// Drill returns the drill as the signed-in person may see it.
func (c *Client) Drill(ctx context.Context, drillID string, out any) error {
	return c.Do(ctx, http.MethodGet, "/api/drills/"+drillID, nil, out)
}

// Say posts a chat message; persona is for the facilitator speaking as one.
func (c *Client) Say(ctx context.Context, drillID, channel, text, persona string) error {
	return c.Do(ctx, http.MethodPost, "/api/drills/"+drillID+"/messages", wire.PostMessageRequest{Channel: channel, Text: text, Persona: persona}, nil)
}

// PostNotice posts an incident, status-update or resolution notice.
func (c *Client) PostNotice(ctx context.Context, drillID, kind string, fields map[string]string) error {
	return c.Do(ctx, http.MethodPost, "/api/drills/"+drillID+"/notices", map[string]any{"kind": kind, "fields": fields}, nil)
}

// Claim claims a response role (incident commander, recovery, …).
func (c *Client) Claim(ctx context.Context, drillID, role string) error {
	return c.Do(ctx, http.MethodPost, "/api/drills/"+drillID+"/claims", map[string]any{"role": role}, nil)
}

// ResolveFault marks a fault resolved by hand (facilitator).
func (c *Client) ResolveFault(ctx context.Context, drillID, faultID string) error {
	return c.Do(ctx, http.MethodPost, "/api/drills/"+drillID+"/faults/"+faultID+"/resolve", nil, nil)
}

// FireFault fires a pending fault now (facilitator), e.g. a chained fault
// the facilitator wants early because the team is fast.
func (c *Client) FireFault(ctx context.Context, drillID, faultID string) error {
	return c.Do(ctx, http.MethodPost, "/api/drills/"+drillID+"/faults/"+faultID+"/fire", nil, nil)
}

// NextHint gives the next hint stage now (facilitator).
func (c *Client) NextHint(ctx context.Context, drillID string) error {
	return c.Do(ctx, http.MethodPost, "/api/drills/"+drillID+"/hints/next", nil, nil)
}

// SkipHint skips the next hint stage (facilitator).
func (c *Client) SkipHint(ctx context.Context, drillID string) error {
	return c.Do(ctx, http.MethodPost, "/api/drills/"+drillID+"/hints/skip", nil, nil)
}

// Note tags of observer notes: the practice aims for strengths and
// weaknesses in a 1:1 ratio.
const (
	NoteStrength = wire.NoteStrength
	NoteWeakness = wire.NoteWeakness
)

// Note posts an observer's note (staff): tag is NoteStrength or
// NoteWeakness.
func (c *Client) Note(ctx context.Context, drillID, tag, text string) error {
	return c.Do(ctx, http.MethodPost, "/api/drills/"+drillID+"/notes", map[string]string{"tag": tag, "text": text}, nil)
}

// Release gives up a response role claimed earlier.
func (c *Client) Release(ctx context.Context, drillID, role string) error {
	return c.Do(ctx, http.MethodPost, "/api/drills/"+drillID+"/claims", map[string]any{"role": role, "release": true}, nil)
}

// DrillView returns the drill as the signed-in person sees it in the room.
func (c *Client) DrillView(ctx context.Context, drillID string) (wire.DrillView, error) {
	var v wire.DrillView
	err := c.Drill(ctx, drillID, &v)
	return v, err
}

// Get fetches path and returns the body and its content type, for the
// exports and charts that are not JSON answers.
func (c *Client) Get(ctx context.Context, path string) ([]byte, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base.String()+path, nil)
	if err != nil {
		return nil, "", err
	}
	req.Header.Set("Origin", c.base.Scheme+"://"+c.base.Host)
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, "", fmt.Errorf("GET %s: %w", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, "", fmt.Errorf("GET %s: %w", path, err)
	}
	if resp.StatusCode >= 300 {
		return nil, "", apiError(resp.StatusCode, b)
	}
	return b, resp.Header.Get("Content-Type"), nil
}

// apiError decodes the server's error answer (wire.ErrorResponse); a body
// that is not one becomes the message as it is.
func apiError(status int, b []byte) error {
	var e wire.ErrorResponse
	if err := json.Unmarshal(b, &e); err != nil || e.Message == "" {
		e.Message = strings.TrimSpace(string(b))
	}
	return &APIError{Status: status, Code: e.Code, Message: e.Message, Fields: e.Fields}
}
