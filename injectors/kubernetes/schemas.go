package kubernetes

import (
	"embed"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"github.com/firedrill/firedrill/injectors"
)

//go:embed schemas/*.json
var schemaFiles embed.FS

var (
	schemaOnce sync.Once
	compiled   map[string]*paramSchema
	schemaErr  error
)

// schemaJSON returns the params schema of a fault or probe type.
func schemaJSON(typ string) json.RawMessage {
	b, err := schemaFiles.ReadFile("schemas/" + typ + ".json")
	if err != nil {
		return nil
	}
	return json.RawMessage(b)
}

func compileSchemas() {
	compiled = map[string]*paramSchema{}
	entries, err := schemaFiles.ReadDir("schemas")
	if err != nil {
		schemaErr = err
		return
	}
	for _, e := range entries {
		b, _ := schemaFiles.ReadFile("schemas/" + e.Name())
		s, err := compileParamSchema(b)
		if err != nil {
			schemaErr = fmt.Errorf("schema %s: %w", e.Name(), err)
			return
		}
		compiled[strings.TrimSuffix(e.Name(), ".json")] = s
	}
}

// validateSchema checks params against the type's JSON Schema and returns an
// EINVALID error naming each offending field.
func validateSchema(typ string, params json.RawMessage) error {
	schemaOnce.Do(compileSchemas)
	if schemaErr != nil {
		return schemaErr
	}
	s, ok := compiled[typ]
	if !ok {
		return injectors.Errorf(injectors.EINVALID, "no schema for type %q", typ)
	}
	inst, err := decodeJSON(params)
	if err != nil {
		return injectors.Errorf(injectors.EINVALID, "params: not JSON: %v", err)
	}
	if problems := s.validate(inst, ""); len(problems) > 0 {
		return injectors.Errorf(injectors.EINVALID, "params of %s: %s", typ, strings.Join(problems, "; "))
	}
	return nil
}
