package scenarios

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// catalogFault checks a fault's injector against the catalog and validates
// its params, and the params of each variant merged over them.
func (v *validator) catalogFault(path string, f *Fault) {
	if v.catalog == nil || f.Injector.Plugin == "" {
		return
	}
	schema, ok, err := v.catalog.FaultType(f.Injector.Plugin, f.Injector.Type)
	if err != nil {
		v.errf(path+".injector", "cannot look up fault type %s: %v", f.Injector, err)
		return
	}
	if !ok {
		v.errf(path+".injector", "unknown fault type %s, expected a type offered by the %q plugin", f.Injector, f.Injector.Plugin)
		return
	}
	v.checkParams(path+".params", schema, f.Params)
	for _, d := range []Difficulty{Hard, Medium, Easy} {
		vr, ok := f.Variants[d]
		if !ok {
			continue
		}
		vp := path + ".variants." + string(d)
		if vr.Injector != nil && *vr.Injector != f.Injector {
			vs, ok, err := v.catalog.FaultType(vr.Injector.Plugin, vr.Injector.Type)
			switch {
			case err != nil:
				v.errf(vp+".injector", "cannot look up fault type %s: %v", vr.Injector, err)
			case !ok:
				v.errf(vp+".injector", "unknown fault type %s, expected a type offered by the %q plugin", vr.Injector, vr.Injector.Plugin)
			default:
				v.checkParams(vp+".params", vs, vr.Params)
			}
			continue
		}
		if vr.Params != nil {
			v.checkParams(vp+".params", schema, mergeParams(f.Params, vr.Params))
		}
	}
}

// catalogProbe checks a probe reference and validates its params.
func (v *validator) catalogProbe(path string, p Probe) {
	if v.catalog == nil || p.Probe.Plugin == "" {
		return
	}
	schema, ok, err := v.catalog.ProbeType(p.Probe.Plugin, p.Probe.Type)
	if err != nil {
		v.errf(path+".probe", "cannot look up probe type %s: %v", p.Probe, err)
		return
	}
	if !ok {
		v.errf(path+".probe", "unknown probe type %s, expected a type offered by the %q plugin", p.Probe, p.Probe.Plugin)
		return
	}
	v.checkParams(path+".params", schema, p.Params)
}

// checkParams validates params against a JSON Schema and reports each
// failure at the params node it concerns.
func (v *validator) checkParams(path string, schema []byte, params map[string]any) {
	if len(bytes.TrimSpace(schema)) == 0 {
		return
	}
	sch, err := compileSchema(schema)
	if err != nil {
		v.errf(path, "the plugin's params schema is invalid: %v", err)
		return
	}
	if params == nil {
		params = map[string]any{}
	}
	inst, err := jsonValue(params)
	if err != nil {
		v.errf(path, "params cannot be expressed as JSON: %v", err)
		return
	}
	err = sch.Validate(inst)
	if err == nil {
		return
	}
	verr, ok := err.(*jsonschema.ValidationError)
	if !ok {
		v.errf(path, "params: %v", err)
		return
	}
	out := verr.BasicOutput()
	found := false
	for _, u := range out.Errors {
		if u.Error == nil {
			continue
		}
		msg := u.Error.String()
		if strings.HasPrefix(msg, "validation failed") {
			continue
		}
		found = true
		v.errf(v.paramPath(path, u.InstanceLocation), "%s", msg)
	}
	if !found {
		v.errf(path, "params do not match the plugin's schema: %v", verr)
	}
}

// paramPath maps a JSON pointer inside params to a field path.
func (v *validator) paramPath(base, pointer string) string {
	p := base
	if pointer == "" || pointer == "/" {
		return p
	}
	for _, seg := range strings.Split(strings.TrimPrefix(pointer, "/"), "/") {
		seg = strings.ReplaceAll(strings.ReplaceAll(seg, "~1", "/"), "~0", "~")
		if n, err := strconv.Atoi(seg); err == nil {
			if _, ok := v.d.pos[index(p, n)]; ok {
				p = index(p, n)
				continue
			}
		}
		p = join(p, seg)
	}
	return p
}

func compileSchema(schema []byte) (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schema))
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	const url = "mem:///params.schema.json"
	if err := c.AddResource(url, doc); err != nil {
		return nil, err
	}
	return c.Compile(url)
}

// jsonValue converts v into the value model of the schema validator.
func jsonValue(v any) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return jsonschema.UnmarshalJSON(bytes.NewReader(b))
}

// validateAgainst validates a JSON-like value against a compiled schema and
// returns a readable error.
func validateAgainst(sch *jsonschema.Schema, v any) error {
	inst, err := jsonValue(v)
	if err != nil {
		return err
	}
	if err := sch.Validate(inst); err != nil {
		return fmt.Errorf("%v", err)
	}
	return nil
}
