package sdk_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/injectors/sdk"
)

var replicasSchema = sdk.MustSchema(`{
  "type": "object",
  "required": ["replicas"],
  "additionalProperties": false,
  "properties": {
    "replicas": {"type": "integer", "minimum": 0},
    "reason": {"type": "string"}
  }
}`)

type replicasParams struct {
	Replicas int    `json:"replicas"`
	Reason   string `json:"reason"`
}

func TestSchema_Decode(t *testing.T) {
	tests := []struct {
		name    string
		params  string
		want    replicasParams
		wantErr string
	}{
		{"valid params decode", `{"replicas":3,"reason":"x"}`, replicasParams{Replicas: 3, Reason: "x"}, ""},
		{"absent params are an empty object", ``, replicasParams{}, "params: missing property 'replicas'"},
		{"wrong type names the field", `{"replicas":"3"}`, replicasParams{}, "params.replicas: got string, want integer"},
		{"out of range names the field", `{"replicas":-1}`, replicasParams{}, "params.replicas: minimum: got -1, want 0"},
		{"unknown field is refused", `{"replicas":1,"replica":2}`, replicasParams{}, "params: additional properties 'replica' not allowed"},
		{"every violation is listed", `{"replicas":"1","reason":2}`, replicasParams{}, "params.reason: got number, want string; params.replicas: got string, want integer"},
		{"not JSON is refused", `{"replicas":`, replicasParams{}, "params: not valid JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got replicasParams
			err := replicasSchema.Decode(json.RawMessage(tt.params), &got)
			if tt.wantErr == "" {
				if err != nil || got != tt.want {
					t.Fatalf("got %+v %v, want %+v", got, err, tt.want)
				}
				return
			}
			if injectors.ErrorCode(err) != injectors.EINVALID || !strings.Contains(injectors.ErrorMessage(err), tt.wantErr) {
				t.Fatalf("got %v, want EINVALID containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestSchema_RefusesInvalidSchema(t *testing.T) {
	for name, doc := range map[string]string{
		"not JSON":          `{"type":`,
		"unknown type name": `{"type":"integr"}`,
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := sdk.CompileSchema(doc); err == nil {
				t.Fatal("compiled")
			}
		})
	}
}

func TestSchema_JSONIsCompact(t *testing.T) {
	if got := string(replicasSchema.JSON()); strings.ContainsAny(got, "\n ") || !json.Valid([]byte(got)) {
		t.Fatalf("schema JSON: %s", got)
	}
}

func TestRecord_RoundTripAndRefusal(t *testing.T) {
	type rec struct {
		Name     string `json:"name"`
		Replicas int    `json:"replicas"`
	}
	b, err := sdk.EncodeRecord(rec{Name: "api", Replicas: 3})
	if err != nil {
		t.Fatal(err)
	}
	var got rec
	if err := sdk.DecodeRecord(b, &got); err != nil || got != (rec{Name: "api", Replicas: 3}) {
		t.Fatalf("round trip: %+v %v", got, err)
	}
	for name, bad := range map[string]string{
		"empty record is refused":     "",
		"foreign record is refused":   `{"file":"x"}`,
		"truncated record is refused": `{"name":`,
	} {
		t.Run(name, func(t *testing.T) {
			if err := sdk.DecodeRecord([]byte(bad), &got); injectors.ErrorCode(err) != injectors.EINVALID {
				t.Fatalf("got %v, want EINVALID", err)
			}
		})
	}
}

func TestLogHandler_WritesHclogJSON(t *testing.T) {
	var buf bytes.Buffer
	l := slog.New(sdk.NewLogHandler(&buf, slog.LevelDebug))
	l.Warn("replicas squeezed", "deployment", "api", "to", 0)
	var rec map[string]any
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		t.Fatalf("%s: %v", buf.Bytes(), err)
	}
	if rec["@level"] != "warn" || rec["@message"] != "replicas squeezed" || rec["deployment"] != "api" || rec["to"] != 0.0 {
		t.Fatalf("record: %v", rec)
	}
	if _, err := time.Parse("2006-01-02T15:04:05.000000Z07:00", rec["@timestamp"].(string)); err != nil {
		t.Fatalf("timestamp is not in hclog's layout: %v", err)
	}
}
