package control

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/firedrill/firedrill/scenarios"
)

var durationType = reflect.TypeOf(scenarios.Duration(0))

// scenarioJSON encodes a scenario snapshot for the journal. It follows the
// json tags like encoding/json but writes every scenarios.Duration with
// time.Duration's own format ("10s", "1m30s"), which ParseDuration reads
// back exactly: scenarios.Duration.String shortens "10s" to "1", so its
// MarshalJSON does not round-trip and would corrupt probe intervals.
func scenarioJSON(s *scenarios.Scenario) (json.RawMessage, error) {
	v, err := jsonValue(reflect.ValueOf(s))
	if err != nil {
		return nil, fmt.Errorf("encode scenario %s: %w", s.Metadata.Name, err)
	}
	return json.Marshal(v)
}

func jsonValue(v reflect.Value) (any, error) {
	if v.Type() == durationType {
		return time.Duration(v.Int()).String(), nil
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil, nil
		}
		return jsonValue(v.Elem())
	case reflect.Struct:
		out := map[string]any{}
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			sf := t.Field(i)
			if !sf.IsExported() {
				continue
			}
			tag := sf.Tag.Get("json")
			if tag == "-" {
				continue
			}
			name, opts, _ := strings.Cut(tag, ",")
			if name == "" {
				name = sf.Name
			}
			fv := v.Field(i)
			if strings.Contains(opts, "omitempty") && emptyJSON(fv) {
				continue
			}
			x, err := jsonValue(fv)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			out[name] = x
		}
		return out, nil
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.IsNil() {
			return nil, nil
		}
		out := make([]any, v.Len())
		for i := range out {
			x, err := jsonValue(v.Index(i))
			if err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
			out[i] = x
		}
		return out, nil
	case reflect.Map:
		if v.IsNil() {
			return nil, nil
		}
		out := map[string]any{}
		it := v.MapRange()
		for it.Next() {
			x, err := jsonValue(it.Value())
			if err != nil {
				return nil, fmt.Errorf("%v: %w", it.Key(), err)
			}
			out[fmt.Sprint(it.Key().Interface())] = x
		}
		return out, nil
	case reflect.Func, reflect.Chan, reflect.Complex64, reflect.Complex128, reflect.UnsafePointer:
		return nil, fmt.Errorf("a %s cannot be written as JSON", v.Type())
	}
	return v.Interface(), nil
}

// emptyJSON is encoding/json's omitempty rule.
func emptyJSON(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool:
		return !v.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int() == 0
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return v.Uint() == 0
	case reflect.Float32, reflect.Float64:
		return v.Float() == 0
	case reflect.Interface, reflect.Pointer:
		return v.IsNil()
	}
	return false
}

// MarshalJSON writes the payload with the scenario encoded by scenarioJSON.
func (p DrillCreated) MarshalJSON() ([]byte, error) {
	type plain DrillCreated
	var sc json.RawMessage = []byte("null")
	if p.Scenario != nil {
		var err error
		if sc, err = scenarioJSON(p.Scenario); err != nil {
			return nil, err
		}
	}
	return json.Marshal(struct {
		plain
		Scenario json.RawMessage `json:"scenario"`
	}{plain(p), sc})
}
