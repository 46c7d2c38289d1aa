package webhook_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/utils/clock"

	"github.com/firedrill/firedrill/control/program"
	"github.com/firedrill/firedrill/control/program/webhook"
	"github.com/firedrill/firedrill/injectors"
)

// receiver is a local HTTP receiver that answers with the statuses given,
// in turn, and keeps what it was sent.
type receiver struct {
	mu       sync.Mutex
	statuses []int
	got      []webhook.Message
	headers  []string
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var m webhook.Message
	_ = json.NewDecoder(req.Body).Decode(&m)
	r.got = append(r.got, m)
	r.headers = append(r.headers, req.Header.Get("Content-Type"))
	st := r.statuses[min(len(r.got), len(r.statuses))-1]
	w.WriteHeader(st)
	if st >= 400 {
		w.Write([]byte("invalid_token"))
	}
}

func notice() *program.Notice {
	return &program.Notice{Team: "Payments", Day: "2027-01-12", Subject: "Incident drill for Payments on Tuesday 12 January 2027", Text: "This is NOT an evaluation."}
}

func TestPostNotice(t *testing.T) {
	tests := []struct {
		name     string
		statuses []int
		attempts int
		code     string
		message  string
	}{
		{"an accepted notice is posted once", []int{200}, 1, "", ""},
		{"a receiver failing twice gets the notice on the third attempt", []int{500, 503, 200}, 3, "", ""},
		{"a rate-limited receiver is retried", []int{429, 204}, 2, "", ""},
		{"a refusal is a clear error at once, without retries", []int{403}, 1, injectors.EINVALID, "refused the notice with HTTP 403 Forbidden: invalid_token"},
		{"a receiver that keeps failing is given up after three attempts", []int{502}, 3, injectors.ECONFLICT, "after 3 attempts"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rcv := &receiver{statuses: tt.statuses}
			srv := httptest.NewServer(rcv)
			defer srv.Close()
			p, err := webhook.New(srv.URL+"/services/T000/B000/secret", srv.Client(), clock.RealClock{})
			if err != nil {
				t.Fatal(err)
			}
			p.Backoff = time.Millisecond
			err = p.PostNotice(context.Background(), notice())
			if injectors.ErrorCode(err) != tt.code || !strings.Contains(injectors.ErrorMessage(err), tt.message) {
				t.Fatalf("err %v, want %q with %q", err, tt.code, tt.message)
			}
			if strings.Contains(injectors.ErrorMessage(err), "secret") {
				t.Fatalf("error %q leaks the webhook's secret path", injectors.ErrorMessage(err))
			}
			if len(rcv.got) != tt.attempts {
				t.Fatalf("%d attempts, want %d", len(rcv.got), tt.attempts)
			}
			m := rcv.got[len(rcv.got)-1]
			if !strings.Contains(m.Text, "Incident drill for Payments") || !strings.Contains(m.Text, "NOT an evaluation") || rcv.headers[0] != "application/json" {
				t.Fatalf("posted %q (%s), want the notice as Slack JSON", m.Text, rcv.headers[0])
			}
		})
	}
	t.Run("an unreachable receiver is a clear error", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		url := srv.URL
		srv.Close()
		p, err := webhook.New(url+"/hook", nil, clock.RealClock{})
		if err != nil {
			t.Fatal(err)
		}
		p.Backoff = time.Millisecond
		err = p.PostNotice(context.Background(), notice())
		if injectors.ErrorCode(err) != injectors.ECONFLICT || !strings.Contains(injectors.ErrorMessage(err), "could not be reached") {
			t.Fatalf("err %v, want a conflict saying the webhook could not be reached", err)
		}
	})
	t.Run("a webhook that is not a URL is refused", func(t *testing.T) {
		if _, err := webhook.New("hooks.slack.com/services/x", nil, clock.RealClock{}); injectors.ErrorCode(err) != injectors.EINVALID {
			t.Fatalf("err %v, want EINVALID", err)
		}
	})
}
