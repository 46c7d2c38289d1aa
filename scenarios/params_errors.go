package scenarios

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// paramsProblem is one params error in the designer's words.
type paramsProblem struct {
	pointer string // JSON pointer inside params
	msg     string
}

// describeParamsErrors turns a JSON Schema validation error into what to
// write instead: the schema's own words (descriptions, examples, the
// alternatives of oneOf/anyOf), never the schema's keywords or patterns.
func describeParamsErrors(schema []byte, e *jsonschema.ValidationError) []paramsProblem {
	var doc map[string]any
	_ = json.Unmarshal(schema, &doc)
	var out []paramsProblem
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		loc := e.InstanceLocation
		ptr := "/" + strings.Join(loc, "/")
		node := schemaAt(doc, loc)
		name := "the value"
		if len(loc) > 0 {
			name = loc[len(loc)-1]
		}
		add := func(format string, args ...any) {
			out = append(out, paramsProblem{ptr, fmt.Sprintf(format, args...)})
		}
		switch k := e.ErrorKind.(type) {
		case *kind.Schema, *kind.Group, *kind.AllOf, *kind.Reference:
			for _, c := range e.Causes {
				walk(c)
			}
		case *kind.OneOf:
			alts := alternatives(node, "oneOf")
			if len(k.Subschemas) > 1 {
				add("%s are alternatives, expected exactly one of them", orList(alts, "and"))
			} else {
				add("missing %s, expected exactly one of them", orList(alts, "or"))
			}
		case *kind.AnyOf:
			add("missing %s, expected at least one of them", orList(alternatives(node, "anyOf"), "or"))
		case *kind.Not:
			if alts := alternatives(map[string]any{"x": []any{node["not"]}}, "x"); len(alts) > 0 {
				add("%s cannot be given together, expected only one of them", orList(alts, "and"))
			} else {
				add("this combination of params is not allowed")
			}
		case *kind.AdditionalProperties:
			for _, p := range k.Properties {
				out = append(out, paramsProblem{strings.TrimSuffix(ptr, "/") + "/" + p,
					fmt.Sprintf("unknown param %q, expected one of: %s", p, strings.Join(propertyNames(node), ", "))})
			}
		case *kind.Required:
			for _, m := range k.Missing {
				msg := fmt.Sprintf("missing required param %q", m)
				if d := describe(propSchema(node, m)); d != "" {
					msg += " (" + d + ")"
				}
				add("%s", msg)
			}
		case *kind.Type:
			msg := fmt.Sprintf("%s is %s, expected %s", name, withArticle(k.Got), orList(withArticles(k.Want), "or"))
			if len(k.Want) == 1 && k.Want[0] == "string" && (k.Got == "number" || k.Got == "integer" || k.Got == "boolean") {
				// YAML reads 5433, true or on unquoted as a number or a boolean.
				msg += " (put it in quotes)"
			}
			add("%s", msg)
		case *kind.Enum:
			add("%s is %s, expected one of: %s", name, jsonText(k.Got), enumList(k.Want))
		case *kind.Const:
			add("%s can only be %s (leave it out otherwise)", name, jsonText(k.Want))
		case *kind.Pattern:
			msg := fmt.Sprintf("%q is not a valid %s", k.Got, name)
			if d := describe(node); d != "" {
				msg += ", expected " + d
			}
			add("%s", msg)
		case *kind.MinLength:
			if k.Want == 1 {
				add("%s is empty, expected a value", name)
			} else {
				add("%s is shorter than %d characters", name, k.Want)
			}
		case *kind.MaxLength:
			add("%s is longer than %d characters, expected at most %d", name, k.Got, k.Want)
		case *kind.Minimum:
			add("%s is %s, expected at least %s", name, k.Got.RatString(), k.Want.RatString())
		case *kind.Maximum:
			add("%s is %s, expected at most %s", name, k.Got.RatString(), k.Want.RatString())
		case *kind.MinProperties:
			add("%s has %d entries, expected at least %d", name, k.Got, k.Want)
		default:
			add("%s", e.ErrorKind.LocalizedString(message.NewPrinter(language.English)))
		}
	}
	walk(e)
	return out
}

// schemaAt returns the schema of the value at loc, following properties,
// additionalProperties and items.
func schemaAt(doc map[string]any, loc []string) map[string]any {
	n := doc
	for _, seg := range loc {
		if p := propSchema(n, seg); p != nil {
			n = p
			continue
		}
		if it, ok := n["items"].(map[string]any); ok {
			n = it
			continue
		}
		if ap, ok := n["additionalProperties"].(map[string]any); ok {
			n = ap
			continue
		}
		return map[string]any{}
	}
	return n
}

func propSchema(n map[string]any, name string) map[string]any {
	props, _ := n["properties"].(map[string]any)
	p, _ := props[name].(map[string]any)
	return p
}

func propertyNames(n map[string]any) []string {
	props, _ := n["properties"].(map[string]any)
	return sortedKeys(props)
}

// alternatives lists the params named by the required lists of the
// branches of a oneOf or anyOf, e.g. "value" and "remove: true".
func alternatives(n map[string]any, key string) []string {
	branches, _ := n[key].([]any)
	var out []string
	for _, b := range branches {
		bm, _ := b.(map[string]any)
		req, _ := bm["required"].([]any)
		var names []string
		for _, r := range req {
			if s, ok := r.(string); ok {
				if c, ok := propSchema(n, s)["const"]; ok {
					s += ": " + jsonText(c)
				}
				names = append(names, s)
			}
		}
		if len(names) > 0 {
			out = append(out, strings.Join(names, " with "))
		}
	}
	return out
}

// describe says what a value should look like, from the schema's
// description and examples.
func describe(n map[string]any) string {
	var parts []string
	if d, ok := n["description"].(string); ok && d != "" {
		parts = append(parts, d)
	}
	if ex, ok := n["examples"].([]any); ok && len(ex) > 0 {
		var xs []string
		for _, x := range ex {
			xs = append(xs, jsonText(x))
		}
		parts = append(parts, "e.g. "+strings.Join(xs, ", "))
	}
	return strings.Join(parts, ", ")
}

func orList(items []string, conj string) string {
	switch len(items) {
	case 0:
		return "a param"
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " " + conj + " " + items[len(items)-1]
}

func withArticle(t string) string {
	switch t {
	case "integer", "object", "array":
		return map[string]string{"integer": "an integer (a whole number)", "object": "a mapping", "array": "a list"}[t]
	case "null":
		return "empty"
	case "boolean":
		return "true or false"
	}
	return "a " + t
}

func withArticles(ts []string) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = withArticle(t)
	}
	return out
}

func enumList(want []any) string {
	xs := make([]string, len(want))
	for i, w := range want {
		xs[i] = jsonText(w)
	}
	sort.Strings(xs)
	return strings.Join(xs, ", ")
}

// jsonText formats a JSON value the way a designer writes it in YAML.
func jsonText(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
