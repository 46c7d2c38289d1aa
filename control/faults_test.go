package control_test

import (
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/scenarios"
)

func TestNewFaultSpec(t *testing.T) {
	target := scenarios.Target{Namespace: "shop", Kind: "Deployment", Name: "api", Selector: map[string]string{"app": "api"}}
	tests := []struct {
		name     string
		params   map[string]any
		want     control.FaultSpec
		wantCode string
	}{
		{name: "params: encoded as JSON beside the contract's fault", params: map[string]any{"replicas": 0},
			want: control.FaultSpec{Plugin: "kubernetes", Fault: injectors.Fault{DrillID: "d1", FaultID: "api-down", Type: "scale",
				Target: injectors.Target{Namespace: "shop", Kind: "Deployment", Name: "api", Selector: map[string]string{"app": "api"}},
				Params: json.RawMessage(`{"replicas":0}`)}}},
		{name: "no params: nil, not {} or null",
			want: control.FaultSpec{Plugin: "kubernetes", Fault: injectors.Fault{DrillID: "d1", FaultID: "api-down", Type: "scale",
				Target: injectors.Target{Namespace: "shop", Kind: "Deployment", Name: "api", Selector: map[string]string{"app": "api"}}}}},
		{name: "params that are not JSON: invalid, naming the fault", params: map[string]any{"ratio": math.NaN()}, wantCode: injectors.EINVALID},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := scenarios.Fault{ID: "api-down", Injector: scenarios.InjectorRef{Plugin: "kubernetes", Type: "scale"}, Target: target, Params: tc.params}
			got, err := control.NewFaultSpec("d1", f)
			if tc.wantCode != "" {
				if injectors.ErrorCode(err) != tc.wantCode || !strings.Contains(injectors.ErrorMessage(err), "fault api-down: params cannot be written as JSON") {
					t.Fatalf("err = %v, want %s naming the fault and its params", err, tc.wantCode)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("NewFaultSpec = %+v, %v\nwant %+v", got, err, tc.want)
			}
		})
	}
}

func TestFaultSpec_JSONKeepsTheStoredShape(t *testing.T) {
	stored := `{"drillId":"d1","faultId":"f1","plugin":"flagfile","type":"set-flag","target":{"name":"x"},"params":{"key":"k"}}`
	var s control.FaultSpec
	if err := json.Unmarshal([]byte(stored), &s); err != nil {
		t.Fatal(err)
	}
	if s.Plugin != "flagfile" || s.DrillID != "d1" || s.FaultID != "f1" || s.Type != "set-flag" || s.Target.Name != "x" || string(s.Params) != `{"key":"k"}` {
		t.Errorf("decoded %+v from an event written before the contract split", s)
	}
}

func TestNewProbeSpec(t *testing.T) {
	p := scenarios.Probe{Probe: scenarios.InjectorRef{Plugin: "kubernetes", Type: "http-get"},
		Target: scenarios.Target{Namespace: "shop", Kind: "Service", Name: "api"}, Params: map[string]any{"path": "/health"}}
	got, err := control.NewProbeSpec(p)
	want := control.ProbeSpec{Plugin: "kubernetes", Probe: injectors.Probe{Type: "http-get",
		Target: injectors.Target{Namespace: "shop", Kind: "Service", Name: "api"}, Params: json.RawMessage(`{"path":"/health"}`)}}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("NewProbeSpec = %+v, %v\nwant %+v", got, err, want)
	}
	p.Params = map[string]any{"ratio": math.Inf(1)}
	if _, err := control.NewProbeSpec(p); injectors.ErrorCode(err) != injectors.EINVALID {
		t.Errorf("params that are not JSON: err = %v, want EINVALID", err)
	}
}
