// Package webhook posts the drill program's day-before notice to a chat
// channel through a Slack-compatible incoming webhook: one JSON object with
// a "text" field, POSTed to the configured URL. It implements
// program.Poster.
package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"k8s.io/utils/clock"

	"github.com/firedrill/firedrill/control/program"
	"github.com/firedrill/firedrill/injectors"
)

// Poster posts notices to one webhook URL, retrying what may pass later
// (network errors, 429 and 5xx answers) and refusing at once what will not
// (any other 4xx answer).
type Poster struct {
	url    string
	client *http.Client
	clock  clock.Clock
	// Attempts is how many times a notice is tried; default 3.
	Attempts int
	// Backoff is the wait after the first failed attempt, doubled after
	// each; default 1 second. A Retry-After answer up to a minute is
	// honoured instead.
	Backoff time.Duration
}

var _ program.Poster = (*Poster)(nil)

// New returns a Poster for the webhook URL, which must be http or https.
func New(rawURL string, client *http.Client, clk clock.Clock) (*Poster, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, injectors.Errorf(injectors.EINVALID, "program.noticeWebhook: %q is not an http or https URL", redact(rawURL))
	}
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	return &Poster{url: rawURL, client: client, clock: clk, Attempts: 3, Backoff: time.Second}, nil
}

// Message is the JSON body posted: Slack's incoming-webhook shape.
type Message struct {
	Text string `json:"text"`
}

// PostNotice posts the notice's subject and text.
func (p *Poster) PostNotice(ctx context.Context, n *program.Notice) error {
	body, err := json.Marshal(Message{Text: "*" + n.Subject + "*\n\n" + n.Text})
	if err != nil {
		return err
	}
	wait := p.Backoff
	var last string
	for attempt := 1; attempt <= max(p.Attempts, 1); attempt++ {
		retry, after, err := p.post(ctx, body)
		if err == nil {
			return nil
		}
		if !retry {
			return err
		}
		last = injectors.ErrorMessage(err)
		if attempt == max(p.Attempts, 1) {
			break
		}
		if after > 0 {
			wait = after
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("post the notice of %s: %w", n.Team, ctx.Err())
		case <-p.clock.After(wait):
		}
		wait *= 2
	}
	return injectors.Errorf(injectors.ECONFLICT, "The notice webhook did not take the notice after %d attempts; the last: %s. Copy the notice instead, or try again later.", max(p.Attempts, 1), last)
}

// post makes one attempt. It reports whether a failure may pass on retry,
// and the wait the receiver asked for.
func (p *Poster) post(ctx context.Context, body []byte) (retry bool, after time.Duration, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.url, bytes.NewReader(body))
	if err != nil {
		return false, 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := p.client.Do(req)
	if err != nil {
		return true, 0, injectors.Errorf(injectors.ECONFLICT, "the webhook at %s could not be reached (%s)", redact(p.url), reason(err))
	}
	defer res.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(res.Body, 300))
	if res.StatusCode >= 200 && res.StatusCode < 300 {
		return false, 0, nil
	}
	said := strings.TrimSpace(string(msg))
	if said != "" {
		said = ": " + said
	}
	if res.StatusCode == http.StatusTooManyRequests || res.StatusCode >= 500 {
		if s, err := strconv.Atoi(res.Header.Get("Retry-After")); err == nil && s > 0 && s <= 60 {
			after = time.Duration(s) * time.Second
		}
		return true, after, injectors.Errorf(injectors.ECONFLICT, "HTTP %s%s", res.Status, said)
	}
	return false, 0, injectors.Errorf(injectors.EINVALID, "The notice webhook refused the notice with HTTP %s%s. Check program.noticeWebhook (the URL, and that the webhook is still enabled).", res.Status, said)
}

// reason names a transport failure without the URL, which holds a secret.
func reason(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}

// redact keeps a webhook URL's scheme and host: its path is its secret.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "(unparsable URL)"
	}
	return u.Scheme + "://" + u.Host + "/…"
}
