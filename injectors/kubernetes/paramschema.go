package kubernetes

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// paramSchema is a compiled params schema: the subset of JSON Schema
// (draft 2020-12) that the schemas in schemas/ use. The plugin checks params
// with it instead of a general JSON Schema library, which would cost the
// plugin process over a MiB of memory at start (issue 13); the scenario
// validator in firedrill checks the same documents with the full library,
// and TestParamSchema_agreesWithJSONSchema keeps the two in agreement.
// Compiling a schema that uses any other keyword fails.
type paramSchema struct {
	types            []string // JSON types; empty allows any
	properties       map[string]*paramSchema
	required         []string
	additional       *paramSchema // nil with noAdditional: none allowed
	noAdditional     bool
	minProperties    *int
	minimum, maximum *float64
	exclusiveMinimum *float64
	minLength        *int
	maxLength        *int
	pattern          *regexp.Regexp
	enum             []any
	constant         *any
	oneOf, anyOf     []*paramSchema
	not              *paramSchema
}

// annotations are keywords that do not constrain a value.
var annotations = []string{"$schema", "title", "description", "examples", "default"}

// compileParamSchema compiles a schema document.
func compileParamSchema(doc []byte) (*paramSchema, error) {
	v, err := decodeJSON(doc)
	if err != nil {
		return nil, err
	}
	return compileSchemaValue(v, "")
}

func compileSchemaValue(v any, at string) (*paramSchema, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("schema at %q: not an object", at)
	}
	s := &paramSchema{}
	for k, raw := range m {
		var err error
		switch k {
		case "type":
			switch t := raw.(type) {
			case string:
				s.types = []string{t}
			case []any:
				for _, x := range t {
					str, ok := x.(string)
					if !ok {
						return nil, fmt.Errorf("schema at %q: type %v is not a string", at, x)
					}
					s.types = append(s.types, str)
				}
			default:
				err = fmt.Errorf("type is neither a string nor a list")
			}
		case "properties":
			props, ok := raw.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("schema at %q: properties is not an object", at)
			}
			s.properties = map[string]*paramSchema{}
			for name, p := range props {
				if s.properties[name], err = compileSchemaValue(p, at+"/properties/"+name); err != nil {
					return nil, err
				}
			}
		case "required":
			s.required, err = stringList(raw)
		case "additionalProperties":
			if b, ok := raw.(bool); ok {
				s.noAdditional = !b
			} else {
				s.additional, err = compileSchemaValue(raw, at+"/additionalProperties")
			}
		case "minProperties":
			s.minProperties, err = count(raw)
		case "minimum":
			s.minimum, err = number(raw)
		case "maximum":
			s.maximum, err = number(raw)
		case "exclusiveMinimum":
			s.exclusiveMinimum, err = number(raw)
		case "minLength":
			s.minLength, err = count(raw)
		case "maxLength":
			s.maxLength, err = count(raw)
		case "pattern":
			p, ok := raw.(string)
			if !ok {
				return nil, fmt.Errorf("schema at %q: pattern is not a string", at)
			}
			s.pattern, err = regexp.Compile(p)
		case "enum":
			l, ok := raw.([]any)
			if !ok {
				return nil, fmt.Errorf("schema at %q: enum is not a list", at)
			}
			s.enum = l
		case "const":
			c := raw
			s.constant = &c
		case "oneOf", "anyOf":
			l, ok := raw.([]any)
			if !ok {
				return nil, fmt.Errorf("schema at %q: %s is not a list", at, k)
			}
			var subs []*paramSchema
			for i, x := range l {
				sub, err := compileSchemaValue(x, fmt.Sprintf("%s/%s/%d", at, k, i))
				if err != nil {
					return nil, err
				}
				subs = append(subs, sub)
			}
			if k == "oneOf" {
				s.oneOf = subs
			} else {
				s.anyOf = subs
			}
		case "not":
			s.not, err = compileSchemaValue(raw, at+"/not")
		default:
			if !slices.Contains(annotations, k) {
				return nil, fmt.Errorf("schema at %q: keyword %q is not supported by the plugin's params check", at, k)
			}
		}
		if err != nil {
			return nil, fmt.Errorf("schema at %q: %s: %w", at, k, err)
		}
	}
	return s, nil
}

func stringList(v any) ([]string, error) {
	l, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("not a list")
	}
	out := make([]string, 0, len(l))
	for _, x := range l {
		s, ok := x.(string)
		if !ok {
			return nil, fmt.Errorf("%v is not a string", x)
		}
		out = append(out, s)
	}
	return out, nil
}

func number(v any) (*float64, error) {
	n, ok := v.(json.Number)
	if !ok {
		return nil, fmt.Errorf("not a number")
	}
	f, err := n.Float64()
	return &f, err
}

func count(v any) (*int, error) {
	f, err := number(v)
	if err != nil || *f < 0 || *f != math.Trunc(*f) {
		return nil, fmt.Errorf("not a count")
	}
	n := int(*f)
	return &n, nil
}

// decodeJSON decodes one JSON value, numbers as json.Number.
func decodeJSON(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("more than one JSON value")
	}
	return v, nil
}

// validate returns what is wrong with v, one "at /path: problem" per
// violation; none when v is valid.
func (s *paramSchema) validate(v any, at string) []string {
	loc := at
	if loc == "" {
		loc = "/"
	}
	if len(s.types) > 0 && !slices.ContainsFunc(s.types, func(t string) bool { return hasType(v, t) }) {
		return []string{fmt.Sprintf("at %s: got %s, want %s", loc, jsonType(v), strings.Join(s.types, " or "))}
	}
	var out []string
	bad := func(format string, args ...any) { out = append(out, "at "+loc+": "+fmt.Sprintf(format, args...)) }
	switch x := v.(type) {
	case map[string]any:
		for _, r := range s.required {
			if _, ok := x[r]; !ok {
				bad("missing property %q", r)
			}
		}
		if s.minProperties != nil && len(x) < *s.minProperties {
			bad("has %d properties, want at least %d", len(x), *s.minProperties)
		}
		names := make([]string, 0, len(x))
		for k := range x {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			if p, ok := s.properties[k]; ok {
				out = append(out, p.validate(x[k], at+"/"+k)...)
			} else if s.additional != nil {
				out = append(out, s.additional.validate(x[k], at+"/"+k)...)
			} else if s.noAdditional {
				bad("property %q is not allowed", k)
			}
		}
	case json.Number:
		f, _ := x.Float64()
		if s.minimum != nil && f < *s.minimum {
			bad("%s is less than the minimum %v", x, *s.minimum)
		}
		if s.exclusiveMinimum != nil && f <= *s.exclusiveMinimum {
			bad("%s is not greater than %v", x, *s.exclusiveMinimum)
		}
		if s.maximum != nil && f > *s.maximum {
			bad("%s is more than the maximum %v", x, *s.maximum)
		}
	case string:
		n := utf8.RuneCountInString(x)
		if s.minLength != nil && n < *s.minLength {
			bad("length %d, want at least %d", n, *s.minLength)
		}
		if s.maxLength != nil && n > *s.maxLength {
			bad("length %d, want at most %d", n, *s.maxLength)
		}
		if s.pattern != nil && !s.pattern.MatchString(x) {
			bad("%q does not match %s", x, s.pattern)
		}
	}
	if s.enum != nil && !slices.ContainsFunc(s.enum, func(e any) bool { return sameJSON(e, v) }) {
		bad("got %s, want one of %s", jsonText(v), jsonText(s.enum))
	}
	if s.constant != nil && !sameJSON(*s.constant, v) {
		bad("got %s, want %s", jsonText(v), jsonText(*s.constant))
	}
	if s.anyOf != nil && !slices.ContainsFunc(s.anyOf, func(sub *paramSchema) bool { return len(sub.validate(v, at)) == 0 }) {
		bad("matches none of the alternatives: %s", alternatives(s.anyOf, v, at))
	}
	if s.oneOf != nil {
		n := 0
		for _, sub := range s.oneOf {
			if len(sub.validate(v, at)) == 0 {
				n++
			}
		}
		if n == 0 {
			bad("matches none of the alternatives: %s", alternatives(s.oneOf, v, at))
		} else if n > 1 {
			bad("matches %d of the alternatives, want exactly one", n)
		}
	}
	if s.not != nil && len(s.not.validate(v, at)) == 0 {
		if len(s.not.required) > 1 && s.not.types == nil && s.not.properties == nil {
			bad("%s must not all be given together", strings.Join(s.not.required, ", "))
		} else {
			bad("matches a schema it must not")
		}
	}
	return out
}

// alternatives says why v fails each alternative.
func alternatives(subs []*paramSchema, v any, at string) string {
	var why []string
	for _, sub := range subs {
		why = append(why, "("+strings.Join(sub.validate(v, at), "; ")+")")
	}
	return strings.Join(why, " or ")
}

func hasType(v any, t string) bool {
	switch t {
	case "integer":
		n, ok := v.(json.Number)
		if !ok {
			return false
		}
		f, err := n.Float64()
		return err == nil && f == math.Trunc(f) && !math.IsInf(f, 0)
	case "number":
		_, ok := v.(json.Number)
		return ok
	}
	return jsonType(v) == t
}

func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case json.Number:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

// sameJSON compares JSON values; numbers by value.
func sameJSON(a, b any) bool {
	switch x := a.(type) {
	case json.Number:
		y, ok := b.(json.Number)
		if !ok {
			return false
		}
		fx, err1 := strconv.ParseFloat(string(x), 64)
		fy, err2 := strconv.ParseFloat(string(y), 64)
		return err1 == nil && err2 == nil && fx == fy
	case []any:
		y, ok := b.([]any)
		return ok && slices.EqualFunc(x, y, sameJSON)
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, xv := range x {
			yv, ok := y[k]
			if !ok || !sameJSON(xv, yv) {
				return false
			}
		}
		return true
	}
	return a == b
}

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
