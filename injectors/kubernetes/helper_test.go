package kubernetes_test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/injectors/kubernetes"
	"github.com/firedrill/firedrill/injectors/kubernetes/helper"
)

// The helper says which context it acts on and why it refuses it, and an
// injector's refusal reaches firedrill with its code, through the protocol.
func TestHelperSaysItsContextAndCarriesRefusals(t *testing.T) {
	kc := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(kc, []byte("clusters:\n- name: c\n  cluster: {server: https://127.0.0.1:1}\ncontexts:\n- name: beta\n  context: {cluster: c}\ncurrent-context: beta\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name        string
		cfg         kubernetes.Config
		wantContext string
		wantCode    string
	}{
		{name: "a context that is not allowed: named, refused as forbidden", cfg: kubernetes.Config{Kubeconfig: kc, AllowedContexts: []string{"prod"}}, wantContext: "beta", wantCode: injectors.EFORBIDDEN},
		{name: "the current context, allowed: named, not refused", cfg: kubernetes.Config{Kubeconfig: kc, AllowedContexts: []string{"beta"}}, wantContext: "beta"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			c, err := helper.Pipe(ctx, func(r io.Reader, w io.Writer) error { return kubernetes.ServeHelper(ctx, tt.cfg, r, w) })
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if c.Context() != tt.wantContext {
				t.Errorf("Context() = %q, want %q", c.Context(), tt.wantContext)
			}
			if got := injectors.ErrorCode(c.Refused()); got != tt.wantCode {
				t.Errorf("Refused() = %v, want code %q", c.Refused(), tt.wantCode)
			}
			if tt.wantCode == "" {
				return
			}
			_, err = c.FindLeftovers(ctx, "")
			if injectors.ErrorCode(err) != tt.wantCode || err.Error() != c.Refused().Error() {
				t.Errorf("FindLeftovers: %v, want the refusal %v", err, c.Refused())
			}
		})
	}
}

// A kubeconfig the injector cannot read is hello's error: the helper
// cannot start.
func TestHelperWithAnUnreadableKubeconfigDoesNotStart(t *testing.T) {
	ctx := context.Background()
	cfg := kubernetes.Config{Kubeconfig: filepath.Join(t.TempDir(), "missing"), AllowedContexts: []string{"beta"}}
	_, err := helper.Pipe(ctx, func(r io.Reader, w io.Writer) error { return kubernetes.ServeHelper(ctx, cfg, r, w) })
	if err == nil {
		t.Fatal("the helper started without a kubeconfig")
	}
}

// A helper that took no baseline (the one that did died or was stopped)
// refuses a robot's fix instead of skipping every object as made during
// the drill and answering that it fixed nothing, successfully.
func TestHelperWithoutABaselineRefusesAFix(t *testing.T) {
	kc := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(kc, []byte("clusters:\n- name: c\n  cluster: {server: https://127.0.0.1:1}\ncontexts:\n- name: beta\n  context: {cluster: c}\ncurrent-context: beta\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	cfg := kubernetes.Config{Kubeconfig: kc, AllowedContexts: []string{"beta"}}
	c, err := helper.Pipe(ctx, func(r io.Reader, w io.Writer) error { return kubernetes.ServeHelper(ctx, cfg, r, w) })
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	did, err := c.Fix(ctx, injectors.Target{Namespace: "shop", Kind: "ConfigMap", Name: "order-api-config"}, "", false)
	if injectors.ErrorCode(err) != injectors.ECONFLICT || len(did) != 0 {
		t.Fatalf("Fix = %q, %v; want a conflict: no baseline to fix from", did, err)
	}
}
