package ui_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// TestCensusSettleWaitsForTheBody: the census's idea of an idle page
// (window.__census.settle) waits for a response's body to be read, not
// only for fetch to resolve. fetch resolves when the headers arrive; a
// page then reads the body (res.json()) and renders it. On a loaded
// machine that read took longer than the census's quiet period: settle
// answered "idle" with the retro page still unrendered, learnVolatile then
// saw the first render happen "on its own" and marked everything it
// touched as changing by itself — the presenting order, the questions,
// the actions, the drill state and select#actKind — and the census
// reported select#actKind as a control that changed nothing visible
// (retro-open, facilitator and designer, in two full make test runs).
// Here the server holds the body back after the headers, as a slow
// machine does.
func TestCensusSettleWaitsForTheBody(t *testing.T) {
	script, err := os.ReadFile(filepath.Join("testdata", "census.js"))
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><body><p id="out">…</p><script type="module">
const res = await fetch("/view");
const v = await res.json();
document.getElementById("out").textContent = v.text;
</script></body>`)
	})
	mux.HandleFunc("GET /view", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
		// The headers are out: fetch has resolved. The body follows
		// after several quiet periods of the census.
		select {
		case <-time.After(4 * censusQuietMs * time.Millisecond):
		case <-r.Context().Done():
			return
		}
		fmt.Fprint(w, `{"text":"rendered"}`)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	ctx := newBrowser(t)()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, cdppage.AddScriptToEvaluateOnNewDocument, cdppage.AddScriptToEvaluateOnNewDocumentParams{Source: string(script)})
		return err
	})); err != nil {
		t.Fatal(err)
	}
	// Navigate returns at the load event, while the page waits for the
	// body; settle must not call that idle.
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/")); err != nil {
		t.Fatal(err)
	}
	idle, err := chromedp.Run(ctx, chromedp.Evaluate[bool](fmt.Sprintf(`window.__census.settle(%d, 10000)`, censusQuietMs), chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	shown, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("out").textContent`))
	if err != nil {
		t.Fatal(err)
	}
	if !idle || shown != "rendered" {
		t.Errorf("settle answered idle=%v with the page showing %q, want idle once it shows %q", idle, shown, "rendered")
	}
}
