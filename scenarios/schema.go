package scenarios

import (
	_ "embed"
	"fmt"

	yaml "go.yaml.in/yaml/v3"
)

//go:embed scenario.schema.json
var schemaJSON []byte

// Schema returns the JSON Schema (draft 2020-12) of the scenario format, for
// editors (yaml-language-server) and other tools. The loader is stricter:
// it also checks references, chains and times against the cap.
func Schema() []byte {
	return append([]byte(nil), schemaJSON...)
}

// ValidateSchema checks a YAML or JSON document against Schema only, without
// the loader's semantic checks. It is what an editor sees.
func ValidateSchema(data []byte) error {
	sch, err := compileSchema(schemaJSON)
	if err != nil {
		return fmt.Errorf("compile scenario schema: %w", err)
	}
	if len(data) > MaxFileSize {
		return fmt.Errorf("document is %d bytes, larger than the limit of %d bytes", len(data), MaxFileSize)
	}
	var doc any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return fmt.Errorf("parse document: %w", err)
	}
	return validateAgainst(sch, doc)
}
