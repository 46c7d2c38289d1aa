package record

import _ "embed"

// jsonSchema is the JSON Schema (draft 2020-12) of the JSON record.
//
//go:embed record.schema.json
var jsonSchema []byte

// JSONSchema returns the JSON Schema document of the JSON record format.
func JSONSchema() []byte { return append([]byte(nil), jsonSchema...) }
