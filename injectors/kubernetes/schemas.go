package kubernetes

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/firedrill/firedrill/injectors"
)

//go:embed schemas/*.json
var schemaFiles embed.FS

var (
	schemaOnce sync.Once
	compiled   map[string]*jsonschema.Schema
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
	compiled = map[string]*jsonschema.Schema{}
	c := jsonschema.NewCompiler()
	entries, err := schemaFiles.ReadDir("schemas")
	if err != nil {
		schemaErr = err
		return
	}
	for _, e := range entries {
		b, _ := schemaFiles.ReadFile("schemas/" + e.Name())
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			schemaErr = fmt.Errorf("schema %s: %w", e.Name(), err)
			return
		}
		url := "mem://firedrill/kubernetes/" + e.Name()
		if err := c.AddResource(url, doc); err != nil {
			schemaErr = fmt.Errorf("schema %s: %w", e.Name(), err)
			return
		}
		s, err := c.Compile(url)
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
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(params))
	if err != nil {
		return injectors.Errorf(injectors.EINVALID, "params: not JSON: %v", err)
	}
	if err := s.Validate(inst); err != nil {
		var ve *jsonschema.ValidationError
		if errors.As(err, &ve) {
			return injectors.Errorf(injectors.EINVALID, "params of %s: %s", typ, flattenValidation(ve))
		}
		return injectors.Errorf(injectors.EINVALID, "params of %s: %v", typ, err)
	}
	return nil
}

// flattenValidation turns a validation error tree into "at /path: message"
// lines, leaves only.
func flattenValidation(ve *jsonschema.ValidationError) string {
	var out []string
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) == 0 {
			loc := "/" + strings.Join(e.InstanceLocation, "/")
			out = append(out, fmt.Sprintf("at %s: %s", loc, e.ErrorKind.LocalizedString(message.NewPrinter(language.English))))
			return
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(ve)
	return strings.Join(out, "; ")
}
