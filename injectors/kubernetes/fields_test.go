package kubernetes_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/injectors/kubernetes"
)

func object(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func canonical(t *testing.T, m map[string]any) string {
	t.Helper()
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var deploymentJSON = `{"metadata":{"name":"api"},"spec":{"template":{"spec":{"containers":[
	{"name":"api","image":"api:1","env":[{"name":"MODE","value":"prod"}]},
	{"name":"proxy","image":"proxy:1"}]}}}}`

func TestFieldChangesApplyAndRevertExactly(t *testing.T) {
	containers := []string{"spec", "template", "spec", "containers"}
	p := func(tail ...string) []string { return append(append([]string(nil), containers...), tail...) }
	tests := []struct {
		name   string
		path   []string
		value  any
		remove bool
		want   string // a fragment of the object after the change
	}{
		{name: "named list element field changed", path: p("[name=api]", "image"), value: "invalid/api", want: `"image":"invalid/api"`},
		{name: "env var added to a container without it", path: p("[name=proxy]", "env", "[name=DEBUG]"), value: map[string]any{"name": "DEBUG", "value": "1"}, want: `"env":[{"name":"DEBUG","value":"1"}]`},
		{name: "env var replaced", path: p("[name=api]", "env", "[name=MODE]"), value: map[string]any{"name": "MODE", "value": "invalid"}, want: `"value":"invalid"`},
		{name: "env var removed", path: p("[name=api]", "env", "[name=MODE]"), remove: true, want: `"env":[]`},
		{name: "map key created with its parents", path: []string{"metadata", "annotations", "firedrill.dev/fault-id"}, value: "f1", want: `"annotations":{"firedrill.dev/fault-id":"f1"}`},
		{name: "number set", path: []string{"spec", "replicas"}, value: int64(0), want: `"replicas":0`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obj := object(t, deploymentJSON)
			before := canonical(t, obj)
			c := kubernetes.Plan(obj, tt.path, tt.value, tt.remove)
			if err := kubernetes.ApplyAfter(obj, []kubernetes.Change{c}); err != nil {
				t.Fatal(err)
			}
			if got := canonical(t, obj); !strings.Contains(got, tt.want) {
				t.Fatalf("after apply %s lacks %s", got, tt.want)
			}
			changed, err := kubernetes.RevertChanges(obj, []kubernetes.Change{c})
			if err != nil || !changed {
				t.Fatalf("revert changed=%v err=%v", changed, err)
			}
			got := canonical(t, obj)
			// Removing the only env var leaves an empty list where there
			// was one element: compare with the element restored instead.
			if got != before {
				t.Errorf("after revert\n got %s\nwant %s", got, before)
			}
			changed, err = kubernetes.RevertChanges(obj, []kubernetes.Change{c})
			if err != nil || changed {
				t.Errorf("second revert changed=%v err=%v, want no change", changed, err)
			}
		})
	}
}

func TestRevertSkipsFieldsChangedSinceTheInject(t *testing.T) {
	obj := object(t, `{"data":{"A":"1","B":"2"}}`)
	cs := []kubernetes.Change{
		kubernetes.Plan(obj, []string{"data", "A"}, "x", false),
		kubernetes.Plan(obj, []string{"data", "B"}, "y", false),
	}
	if err := kubernetes.ApplyAfter(obj, cs); err != nil {
		t.Fatal(err)
	}
	obj["data"].(map[string]any)["A"] = "fixed-by-hand"
	changed, err := kubernetes.RevertChanges(obj, cs)
	if err != nil || !changed {
		t.Fatalf("changed=%v err=%v", changed, err)
	}
	if got := canonical(t, obj); got != `{"data":{"A":"fixed-by-hand","B":"2"}}` {
		t.Errorf("got %s", got)
	}
}

func TestDecodeRecordRefusesForeignInput(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{name: "empty", in: ``, want: "empty"},
		{name: "not JSON", in: `{`, want: "not a kubernetes record"},
		{name: "unknown field", in: `{"v":1,"bogus":true}`, want: "not a kubernetes record"},
		{name: "future version", in: `{"v":2}`, want: "version 2 is not supported"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := kubernetes.DecodeRecord([]byte(tt.in))
			if injectors.ErrorCode(err) != injectors.EINVALID || !strings.Contains(injectors.ErrorMessage(err), tt.want) {
				t.Errorf("got %v, want EINVALID with %q", err, tt.want)
			}
		})
	}
}

func TestPolicyNameIsNeutralAndValid(t *testing.T) {
	dep := func(name string) injectors.Target {
		return injectors.Target{Namespace: "shop", Kind: "Deployment", Name: name}
	}
	tests := []struct {
		name      string
		chosen    string
		target    injectors.Target
		direction string
		want      string
	}{
		{name: "the designer's choice is kept", chosen: "payment-worker-egress", target: dep("payment-worker"), direction: "egress", want: "payment-worker-egress"},
		{name: "default: workload and direction", target: dep("payment-worker"), direction: "egress", want: "payment-worker-egress"},
		{name: "both directions: a policy of the workload", target: dep("web"), direction: "both", want: "web-policy"},
		{name: "selector: its app label", target: injectors.Target{Namespace: "shop", Selector: map[string]string{"app": "api"}}, direction: "ingress", want: "api-ingress"},
		{name: "selector without app", target: injectors.Target{Namespace: "shop", Selector: map[string]string{"tier": "db"}}, direction: "both", want: "default-policy"},
		{name: "odd characters and length", target: dep("Payment_Down" + strings.Repeat("x", 80)), direction: "ingress", want: "payment-down" + strings.Repeat("x", 43) + "-ingress"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := kubernetes.PolicyName(tt.chosen, tt.target, tt.direction)
			if got != tt.want {
				t.Errorf("PolicyName = %q, want %q", got, tt.want)
			}
			if strings.Contains(got, "firedrill") || len(got) > 63 {
				t.Errorf("PolicyName = %q: gives the drill away or is too long", got)
			}
		})
	}
}
