package kubernetes

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/injectors/kubernetes/catalog"
)

// schemaFiles are the params schemas of the client-free catalog.
var schemaFiles = catalog.Schemas

var (
	schemaOnce sync.Once
	compiled   map[string]*paramSchema
	schemaErr  error
)

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
