package sdk

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/injectors/grpcplugin"
)

// Serve runs impl as a firedrill injector plugin: it performs the go-plugin
// handshake on stdout and serves gRPC until the host goes away. It is the
// entry point of a plugin's main function and does not return. When the
// host process dies without stopping the plugin (a crash, a SIGKILL), the
// plugin gives its calls in flight up to five seconds to return and exits.
//
// Serve also makes slog's default logger write to stderr in the format the
// host understands, so that a plugin's slog.Info(...) lines appear in
// firedrill's log under the plugin's name, with their level and attributes.
func Serve(impl injectors.Injector) { grpcplugin.Serve(impl) }

// NewLogHandler returns a slog handler that writes one JSON object a line in
// hclog's JSON layout (@timestamp, @level, @message, then attributes), which
// the plugin host parses back into log records. Serve installs it; plugins
// that build their own loggers can use it too.
func NewLogHandler(w io.Writer, level slog.Leveler) slog.Handler {
	return grpcplugin.NewLogHandler(w, level)
}

// Schema is a compiled JSON Schema (draft 2020-12) for the params of a fault
// or probe type. A plugin advertises it in TypeInfo.ParamsSchema through JSON
// and decodes incoming params with Decode, so that what the scenario
// validator checks and what the plugin accepts are the same document.
type Schema struct {
	raw      json.RawMessage
	compiled *jsonschema.Schema
}

// CompileSchema compiles a JSON Schema document.
func CompileSchema(doc string) (*Schema, error) {
	v, err := jsonschema.UnmarshalJSON(strings.NewReader(doc))
	if err != nil {
		return nil, fmt.Errorf("params schema is not JSON: %w", err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	if err := c.AddResource("params.schema.json", v); err != nil {
		return nil, fmt.Errorf("params schema: %w", err)
	}
	s, err := c.Compile("params.schema.json")
	if err != nil {
		return nil, fmt.Errorf("params schema: %w", err)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, []byte(doc)); err != nil {
		return nil, fmt.Errorf("params schema is not JSON: %w", err)
	}
	return &Schema{raw: compact.Bytes(), compiled: s}, nil
}

// MustSchema is CompileSchema for schemas written into a plugin's source; it
// panics when doc is not a valid schema, which is a bug in the plugin.
func MustSchema(doc string) *Schema {
	s, err := CompileSchema(doc)
	if err != nil {
		panic(err)
	}
	return s
}

// JSON returns the schema document, for TypeInfo.ParamsSchema.
func (s *Schema) JSON() json.RawMessage { return s.raw }

// Validate checks params against the schema. Absent params are checked as
// an empty object. A violation is a *injectors.Error with code EINVALID whose
// message names every failing field by path, e.g.
// "params.value: got number, want string".
func (s *Schema) Validate(params json.RawMessage) error {
	if len(bytes.TrimSpace(params)) == 0 {
		params = json.RawMessage("{}")
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(params))
	if err != nil {
		return injectors.Errorf(injectors.EINVALID, "params: not valid JSON: %v", err)
	}
	err = s.compiled.Validate(inst)
	if err == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return injectors.Errorf(injectors.EINVALID, "params: %v", err)
	}
	var msgs []string
	collectViolations(ve, &msgs)
	sort.Strings(msgs)
	return injectors.Errorf(injectors.EINVALID, "%s", strings.Join(msgs, "; "))
}

func collectViolations(ve *jsonschema.ValidationError, out *[]string) {
	seen := map[string]bool{}
	for _, u := range ve.BasicOutput().Errors {
		if u.Error == nil || strings.HasPrefix(u.Error.String(), "validation failed") {
			continue
		}
		path := "params"
		for _, tok := range strings.Split(strings.TrimPrefix(u.InstanceLocation, "/"), "/") {
			if tok != "" {
				path += "." + strings.NewReplacer("~1", "/", "~0", "~").Replace(tok)
			}
		}
		msg := path + ": " + u.Error.String()
		if !seen[msg] {
			seen[msg] = true
			*out = append(*out, msg)
		}
	}
	if len(*out) == 0 {
		*out = append(*out, "params: "+ve.Error())
	}
}

// Decode validates params against the schema and then decodes them into v,
// refusing fields that v does not have. Errors are *injectors.Error EINVALID.
func (s *Schema) Decode(params json.RawMessage, v any) error {
	if err := s.Validate(params); err != nil {
		return err
	}
	if len(bytes.TrimSpace(params)) == 0 {
		params = json.RawMessage("{}")
	}
	dec := json.NewDecoder(bytes.NewReader(params))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return injectors.Errorf(injectors.EINVALID, "params: %v", err)
	}
	return nil
}

// EncodeRecord encodes a plugin's revert record as JSON. A record must hold
// everything Revert needs, because the process that reverts may not be the
// one that injected.
func EncodeRecord(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode revert record: %w", err)
	}
	return b, nil
}

// DecodeRecord decodes a revert record written by EncodeRecord into v. A
// record that does not decode is a *injectors.Error EINVALID: it was not
// written by this plugin, or by an incompatible version of it.
func DecodeRecord(record []byte, v any) error {
	if len(bytes.TrimSpace(record)) == 0 {
		return injectors.Errorf(injectors.EINVALID, "revert record is empty")
	}
	dec := json.NewDecoder(bytes.NewReader(record))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return injectors.Errorf(injectors.EINVALID, "revert record is not one this plugin wrote: %v", err)
	}
	return nil
}

// UnknownType returns the EINVALID error for a fault or probe type the
// plugin does not offer, listing the ones it does.
func UnknownType(kind, typ string, known ...string) error {
	return injectors.Errorf(injectors.EINVALID, "unknown %s type %q, expected one of: %s", kind, typ, strings.Join(known, ", "))
}
