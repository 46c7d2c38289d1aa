package grpcplugin_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/hashicorp/go-plugin"

	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/injectors/grpcplugin"
)

// scripted is an Injector whose answers the test sets; it records what it
// was called with. It exercises the wire mapping only; the real plugin
// processes are tested in injectors/host.
type scripted struct {
	info   injectors.Info
	err    error
	status injectors.Status
	got    []any
}

func (s *scripted) Info(context.Context) (injectors.Info, error) { return s.info, s.err }
func (s *scripted) Validate(_ context.Context, f injectors.Fault) error {
	s.got = append(s.got, f)
	return s.err
}
func (s *scripted) Prepare(_ context.Context, f injectors.Fault) ([]byte, error) {
	s.got = append(s.got, f)
	return []byte(`{"prepared":true}`), s.err
}
func (s *scripted) Inject(_ context.Context, f injectors.Fault, rec []byte) ([]byte, error) {
	s.got = append(s.got, f, string(rec))
	return append(rec, '!'), s.err
}
func (s *scripted) Status(_ context.Context, f injectors.Fault, rec []byte) (injectors.Status, error) {
	s.got = append(s.got, f, string(rec))
	return s.status, s.err
}
func (s *scripted) Revert(_ context.Context, rec []byte) error {
	s.got = append(s.got, string(rec))
	return s.err
}
func (s *scripted) Probe(_ context.Context, p injectors.Probe) (injectors.ProbeResult, error) {
	s.got = append(s.got, p)
	return injectors.ProbeResult{OK: true, Detail: "3/3 ready"}, s.err
}

// connect serves impl over an in-memory gRPC connection and returns the
// client side.
func connect(t *testing.T, impl injectors.Injector) injectors.Injector {
	t.Helper()
	client, _ := plugin.TestPluginGRPCConn(t, false, map[string]plugin.Plugin{grpcplugin.PluginName: &grpcplugin.GRPCPlugin{Impl: impl}})
	t.Cleanup(func() { client.Close() })
	raw, err := client.Dispense(grpcplugin.PluginName)
	if err != nil {
		t.Fatal(err)
	}
	return raw.(injectors.Injector)
}

func TestGRPC_CarriesCallsAndAnswers(t *testing.T) {
	ctx := context.Background()
	impl := &scripted{
		info: injectors.Info{Name: "k", Version: "1.2.3", APIVersions: []string{"v1"},
			FaultTypes: []injectors.TypeInfo{{Name: "pod-delete", Description: "d", TargetKinds: []string{"Pod"}, ParamsSchema: json.RawMessage(`{"type":"object"}`)}},
			ProbeTypes: []injectors.TypeInfo{{Name: "http-get"}}},
		status: injectors.Status{Effect: injectors.Drifted, Detail: "replicas 2, injected 0"},
	}
	c := connect(t, impl)
	f := injectors.Fault{DrillID: "d1", FaultID: "f1", Type: "pod-delete",
		Target: injectors.Target{Namespace: "shop", Kind: "Deployment", Name: "api", Selector: map[string]string{"app": "api"}},
		Params: json.RawMessage(`{"count":2}`)}

	info, err := c.Info(ctx)
	if err != nil || info.Name != impl.info.Name || info.Version != "1.2.3" || len(info.FaultTypes) != 1 ||
		!reflect.DeepEqual(info.FaultTypes[0], impl.info.FaultTypes[0]) || info.ProbeTypes[0].Name != "http-get" {
		t.Fatalf("info: %+v %v", info, err)
	}
	if err := c.Validate(ctx, f); err != nil {
		t.Fatal(err)
	}
	rec, err := c.Prepare(ctx, f)
	if err != nil || string(rec) != `{"prepared":true}` {
		t.Fatalf("prepare: %s %v", rec, err)
	}
	rec, err = c.Inject(ctx, f, rec)
	if err != nil || string(rec) != `{"prepared":true}!` {
		t.Fatalf("inject: %s %v", rec, err)
	}
	st, err := c.Status(ctx, f, rec)
	if err != nil || st != impl.status {
		t.Fatalf("status: %+v %v", st, err)
	}
	if err := c.Revert(ctx, rec); err != nil {
		t.Fatal(err)
	}
	p := injectors.Probe{Type: "http-get", Target: f.Target, Params: json.RawMessage(`{"url":"http://x"}`)}
	res, err := c.Probe(ctx, p)
	if err != nil || !res.OK || res.Detail != "3/3 ready" {
		t.Fatalf("probe: %+v %v", res, err)
	}
	want := []any{f, f, f, `{"prepared":true}`, f, `{"prepared":true}!`, `{"prepared":true}!`, p}
	if !reflect.DeepEqual(impl.got, want) {
		t.Fatalf("plugin received\n%#v\nwant\n%#v", impl.got, want)
	}
}

func TestGRPC_ErrorsKeepTheirMeaning(t *testing.T) {
	tests := []struct {
		name     string
		err      error
		wantCode string
		wantMsg  string
	}{
		{"invalid stays invalid", injectors.Errorf(injectors.EINVALID, "params.count: got string, want integer"), injectors.EINVALID, "params.count: got string, want integer"},
		{"wrapped invalid stays invalid", fmt.Errorf("prepare f1: %w", injectors.Errorf(injectors.EINVALID, "bad")), injectors.EINVALID, "bad"},
		{"not found stays not found", injectors.Errorf(injectors.ENOTFOUND, "deployment shop/api not found"), injectors.ENOTFOUND, "deployment shop/api not found"},
		{"conflict stays conflict", injectors.Errorf(injectors.ECONFLICT, "changed since prepare"), injectors.ECONFLICT, "changed since prepare"},
		{"forbidden stays forbidden", injectors.Errorf(injectors.EFORBIDDEN, "namespace kube-system is protected"), injectors.EFORBIDDEN, "namespace kube-system is protected"},
		{"not implemented stays not implemented", injectors.Errorf(injectors.ENOTIMPLEMENTED, "no"), injectors.ENOTIMPLEMENTED, "no"},
		{"plain error is internal", errors.New("apiserver: connection refused"), injectors.EINTERNAL, "Internal error."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := connect(t, &scripted{err: tt.err})
			err := c.Revert(context.Background(), []byte(`{}`))
			if injectors.ErrorCode(err) != tt.wantCode || injectors.ErrorMessage(err) != tt.wantMsg {
				t.Fatalf("got %v (code %q message %q), want %q %q", err, injectors.ErrorCode(err), injectors.ErrorMessage(err), tt.wantCode, tt.wantMsg)
			}
		})
	}
}

func TestGRPC_PlainErrorKeepsDetailForTheLog(t *testing.T) {
	c := connect(t, &scripted{err: errors.New("apiserver: connection refused")})
	err := c.Revert(context.Background(), []byte(`{}`))
	var ce *grpcplugin.CallError
	if !errors.As(err, &ce) || ce.Unreachable() || !strings.Contains(err.Error(), "apiserver: connection refused") {
		t.Fatalf("got %#v, want a reachable CallError with the plugin's detail", err)
	}
}

func TestGRPC_RefusesUnknownEffect(t *testing.T) {
	c := connect(t, &scripted{status: injectors.Status{Effect: "healed"}})
	_, err := c.Status(context.Background(), injectors.Fault{}, nil)
	if err == nil || !strings.Contains(err.Error(), `status effect "healed" is not one of`) {
		t.Fatalf("got %v", err)
	}
}

// The partial-inject rule crosses the wire: a failed Inject that changed
// something delivers its record with the error; one that changed nothing
// delivers none.
func TestGRPC_FailedInjectCarriesItsPartialRecord(t *testing.T) {
	ctx := context.Background()
	f := injectors.Fault{DrillID: "d1", FaultID: "f1", Type: "configmap-key"}
	t.Run("partial record arrives with the error", func(t *testing.T) {
		c := connect(t, &scripted{err: injectors.Errorf(injectors.ECONFLICT, "deployment api is gone")})
		rec, err := c.Inject(ctx, f, []byte(`{"prepared":true}`))
		if injectors.ErrorCode(err) != injectors.ECONFLICT || !strings.Contains(injectors.ErrorMessage(err), "deployment api is gone") {
			t.Fatalf("error %v, expected the plugin's conflict", err)
		}
		if string(rec) != `{"prepared":true}!` {
			t.Fatalf("partial record %q, expected the plugin's", rec)
		}
	})
	t.Run("no record when the plugin returned none", func(t *testing.T) {
		c := connect(t, &nilRecord{scripted{err: errors.New("webhook denied")}})
		rec, err := c.Inject(ctx, f, []byte(`{"prepared":true}`))
		if err == nil || rec != nil {
			t.Fatalf("record %q, error %v; expected no record and the error", rec, err)
		}
	})
}

// nilRecord fails Inject without a record: it changed nothing.
type nilRecord struct{ scripted }

func (n *nilRecord) Inject(_ context.Context, f injectors.Fault, rec []byte) ([]byte, error) {
	return nil, n.err
}
