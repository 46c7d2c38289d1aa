package ui_test

import (
	"strings"
	"testing"
)

// TestMeWithoutIdentityProvider: /me on a server without an identity
// provider says what the page is for, instead of redirecting to the
// provider's sign-in, which answers 404 there.
func TestMeWithoutIdentityProvider(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	res, body := c.get(e.http.URL + "/me")
	if res.StatusCode != 200 || res.Header.Get("Location") != "" {
		t.Fatalf("GET /me = %d to %q, want 200 with a page", res.StatusCode, res.Header.Get("Location"))
	}
	if !strings.Contains(body, `id="me-unavailable"`) || !strings.Contains(body, "no identity provider configured") {
		t.Fatalf("GET /me page does not say why it is empty:\n%s", body)
	}
}
