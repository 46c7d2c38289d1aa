package record_test

import (
	"bytes"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/firedrill/firedrill/control/record"
)

// The JSON export conforms to the published schema.
func TestJSONSchema_ValidatesTheExport(t *testing.T) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(record.JSONSchema()))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("record.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("record.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	_, r := played(t)
	var buf bytes.Buffer
	if err := record.WriteJSON(&buf, r); err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(inst); err != nil {
		t.Fatalf("the JSON record does not match record.schema.json: %v", err)
	}
	broken, _ := jsonschema.UnmarshalJSON(bytes.NewReader([]byte(`{"$schema": "https://firedrill.dev/schemas/record/v1", "drillId": 3}`)))
	if err := sch.Validate(broken); err == nil {
		t.Fatal("the schema accepts a record without its sections")
	}
}
