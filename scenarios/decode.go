package scenarios

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// Limits that keep hostile input from using unbounded memory or time.
const (
	// MaxFileSize is the largest scenario file accepted, checked before
	// parsing.
	MaxFileSize = 1 << 20
	// MaxDepth is the deepest nesting of mappings and sequences accepted.
	MaxDepth = 32
	// MaxAliases is the number of YAML aliases (*name) a file may use.
	MaxAliases = 64
	// maxNodes bounds the nodes visited while decoding, aliases followed.
	maxNodes = 200000
)

// pos is a position in the file.
type pos struct{ line, col int }

// decoder walks a yaml.v3 node tree into scenario types, collecting every
// error with its position and field path instead of stopping at the first.
type decoder struct {
	file  string
	errs  ErrorList
	warns ErrorList
	pos   map[string]pos // field path -> position of its value
	nodes int
	over  bool // node budget exhausted; reported once
	// noPositions is set when the scenario was built in code: errors
	// carry their field path only.
	noPositions bool
	// unread are the params paths whose mapping could not be decoded (a
	// duplicate key, a bad value): their error is reported, and checking
	// what was left against the plugin's schema would only add false ones.
	unread map[string]bool
}

func newDecoder(file string) *decoder {
	return &decoder{file: file, pos: map[string]pos{}}
}

func (d *decoder) add(p pos, path, format string, args ...any) {
	d.errs = append(d.errs, &FieldError{File: d.file, Line: p.line, Column: p.col, Path: path, Message: fmt.Sprintf(format, args...)})
}

func (d *decoder) errorf(n *yaml.Node, path, format string, args ...any) {
	d.add(pos{n.Line, n.Column}, path, format, args...)
}

// at returns the position recorded for path, or for its nearest recorded
// parent, so that semantic errors point at the right line.
func (d *decoder) at(path string) pos {
	if d.noPositions {
		return pos{}
	}
	for p := path; ; {
		if v, ok := d.pos[p]; ok {
			return v
		}
		i := strings.LastIndexAny(p, ".[")
		if i <= 0 {
			if v, ok := d.pos[""]; ok {
				return v
			}
			return pos{1, 1}
		}
		p = p[:i]
	}
}

// warnAt reports a warning at the recorded position of path.
func (d *decoder) warnAt(path, format string, args ...any) {
	p := d.at(path)
	d.warns = append(d.warns, &FieldError{File: d.file, Line: p.line, Column: p.col, Path: path, Message: fmt.Sprintf(format, args...), Severity: SeverityWarning})
}

// errAt reports a semantic error at the recorded position of path.
func (d *decoder) errAt(path, format string, args ...any) {
	d.add(d.at(path), path, format, args...)
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func index(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }

// resolve follows aliases and charges the node budget.
func (d *decoder) resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	d.nodes++
	if d.nodes > maxNodes {
		if !d.over {
			d.over = true
			d.add(pos{1, 1}, "", "document expands to more than %d values (aliases?), refusing to decode it", maxNodes)
		}
		return nil
	}
	return n
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return "null"
		case "!!bool":
			return "a boolean " + n.Value
		case "!!int":
			return "a number " + n.Value
		case "!!float":
			return "a number " + n.Value
		case "!!str":
			return fmt.Sprintf("the string %q", n.Value)
		}
		return "a scalar " + n.Value
	}
	return "an unknown node"
}

// field is one known key of a mapping.
type field struct {
	key      string
	required bool
	decode   func(v *yaml.Node, path string)
}

// object decodes a mapping with the given fields, reporting unknown,
// duplicate and missing keys. It returns false when n is not a mapping.
func (d *decoder) object(n *yaml.Node, path string, fields []field) bool {
	n = d.resolve(n)
	if n == nil {
		return false
	}
	if n.Kind != yaml.MappingNode {
		d.errorf(n, path, "expected a mapping, got %s", kindName(n))
		return false
	}
	if _, ok := d.pos[path]; !ok {
		d.pos[path] = pos{n.Line, n.Column}
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := d.resolve(n.Content[i]), n.Content[i+1]
		if k == nil {
			return false
		}
		if k.Kind != yaml.ScalarNode || k.ShortTag() == "!!merge" {
			d.errorf(k, path, "keys must be plain field names; merge keys (<<) and complex keys are not supported")
			continue
		}
		key := k.Value
		var f *field
		for j := range fields {
			if fields[j].key == key {
				f = &fields[j]
				break
			}
		}
		if f == nil {
			d.errorf(k, join(path, key), "unknown field %q, expected one of: %s", key, fieldNames(fields))
			continue
		}
		if seen[key] {
			d.errorf(k, join(path, key), "duplicate field %q", key)
			continue
		}
		seen[key] = true
		p := join(path, key)
		d.pos[p] = pos{v.Line, v.Column}
		f.decode(v, p)
	}
	for _, f := range fields {
		if f.required && !seen[f.key] {
			d.errorf(n, join(path, f.key), "missing required field %q", f.key)
		}
	}
	return true
}

func fieldNames(fields []field) string {
	names := make([]string, len(fields))
	for i, f := range fields {
		names[i] = f.key
	}
	return strings.Join(names, ", ")
}

// list decodes a sequence, calling item for each entry.
func (d *decoder) list(n *yaml.Node, path string, item func(v *yaml.Node, path string, i int)) {
	n = d.resolve(n)
	if n == nil {
		return
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return
	}
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, path, "expected a list, got %s", kindName(n))
		return
	}
	for i, v := range n.Content {
		p := index(path, i)
		d.pos[p] = pos{v.Line, v.Column}
		item(v, p, i)
	}
}

// str decodes a string. Numbers and booleans are refused so that a value
// such as `name: no` is not silently read as something else.
func (d *decoder) str(n *yaml.Node, path string, into *string) {
	n = d.resolve(n)
	if n == nil {
		return
	}
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" {
		hint := ""
		if n.Kind == yaml.ScalarNode && n.ShortTag() != "!!null" {
			hint = " (put it in quotes)"
		}
		d.errorf(n, path, "expected a string, got %s%s", kindName(n), hint)
		return
	}
	*into = n.Value
}

func (d *decoder) strs(n *yaml.Node, path string, into *[]string) {
	d.list(n, path, func(v *yaml.Node, p string, _ int) {
		var s string
		d.str(v, p, &s)
		*into = append(*into, s)
	})
}

func (d *decoder) boolean(n *yaml.Node, path string, into *bool) {
	n = d.resolve(n)
	if n == nil {
		return
	}
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" {
		d.errorf(n, path, "expected true or false, got %s", kindName(n))
		return
	}
	*into = n.Value == "true" || n.Value == "True" || n.Value == "TRUE"
}

// integer decodes a whole number.
func (d *decoder) integer(n *yaml.Node, path string, into *int) {
	n = d.resolve(n)
	if n == nil {
		return
	}
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" {
		d.errorf(n, path, "expected a whole number, got %s", kindName(n))
		return
	}
	v, err := strconv.Atoi(n.Value)
	if err != nil {
		d.errorf(n, path, "expected a whole number, got %s", kindName(n))
		return
	}
	*into = v
}

func (d *decoder) boolPtr(n *yaml.Node, path string, into **bool) {
	var b bool
	before := len(d.errs)
	d.boolean(n, path, &b)
	if len(d.errs) == before {
		*into = &b
	}
}

func (d *decoder) duration(n *yaml.Node, path string, into *Duration) bool {
	n = d.resolve(n)
	if n == nil {
		return false
	}
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" {
		if n.Kind == yaml.ScalarNode && (n.ShortTag() == "!!int" || n.ShortTag() == "!!float") {
			d.errorf(n, path, "bare number %s is not a duration, expected a value with a unit like %sm or 90s", n.Value, n.Value)
		} else {
			d.errorf(n, path, "expected a duration like 70m or 1h30m, got %s", kindName(n))
		}
		return false
	}
	v, err := ParseDuration(n.Value)
	if err != nil {
		d.errorf(n, path, "%s", err)
		return false
	}
	*into = v
	return true
}

func (d *decoder) durationPtr(n *yaml.Node, path string, into **Duration) {
	var v Duration
	if d.duration(n, path, &v) {
		*into = &v
	}
}

var refPattern = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?$`)

func (d *decoder) injectorRef(n *yaml.Node, path string, into *InjectorRef) {
	var s string
	before := len(d.errs)
	d.str(n, path, &s)
	if len(d.errs) != before {
		return
	}
	plugin, typ, ok := strings.Cut(s, "/")
	if !ok || !refPattern.MatchString(plugin) || !refPattern.MatchString(typ) {
		d.errorf(n, path, "invalid reference %q, expected \"plugin/type\" in lower case, e.g. kubernetes/configmap-key", s)
		return
	}
	*into = InjectorRef{Plugin: plugin, Type: typ}
}

// stringMap decodes a mapping of strings to strings, e.g. a label selector.
func (d *decoder) stringMap(n *yaml.Node, path string, into *map[string]string) {
	n = d.resolve(n)
	if n == nil {
		return
	}
	if n.Kind != yaml.MappingNode {
		d.errorf(n, path, "expected a mapping of strings, got %s", kindName(n))
		return
	}
	m := map[string]string{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := d.resolve(n.Content[i])
		if k == nil {
			return
		}
		if k.Kind != yaml.ScalarNode {
			d.errorf(k, path, "keys must be strings")
			continue
		}
		p := join(path, k.Value)
		if _, dup := m[k.Value]; dup {
			d.errorf(k, p, "duplicate key %q", k.Value)
			continue
		}
		var s string
		d.str(n.Content[i+1], p, &s)
		m[k.Value] = s
	}
	*into = m
}

// params decodes free-form parameters into JSON-compatible values.
func (d *decoder) params(n *yaml.Node, path string, into *map[string]any) {
	r := d.resolve(n)
	if r == nil {
		return
	}
	if r.Kind == yaml.ScalarNode && r.ShortTag() == "!!null" {
		return
	}
	if r.Kind != yaml.MappingNode {
		d.errorf(r, path, "expected a mapping of parameters, got %s", kindName(r))
		return
	}
	v, ok := d.value(r, path, 0)
	if ok {
		*into = v.(map[string]any)
		return
	}
	if d.unread == nil {
		d.unread = map[string]bool{}
	}
	d.unread[path] = true
}

// paramsUnread reports whether the params at path, or the fault's params
// a variant's are merged over, could not be decoded.
func (d *decoder) paramsUnread(path string) bool {
	if d.unread[path] {
		return true
	}
	if i := strings.Index(path, ".variants."); i >= 0 {
		return d.unread[path[:i]+".params"]
	}
	return false
}

func (d *decoder) value(n *yaml.Node, path string, depth int) (any, bool) {
	n = d.resolve(n)
	if n == nil {
		return nil, false
	}
	if depth > MaxDepth {
		d.errorf(n, path, "nested deeper than %d levels", MaxDepth)
		return nil, false
	}
	switch n.Kind {
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		ok := true
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := d.resolve(n.Content[i])
			if k == nil {
				return nil, false
			}
			if k.Kind != yaml.ScalarNode || k.ShortTag() == "!!merge" {
				d.errorf(k, path, "keys must be plain strings; merge keys (<<) and complex keys are not supported")
				ok = false
				continue
			}
			p := join(path, k.Value)
			if _, dup := m[k.Value]; dup {
				d.errorf(k, p, "duplicate key %q", k.Value)
				ok = false
				continue
			}
			d.pos[p] = pos{n.Content[i+1].Line, n.Content[i+1].Column}
			v, vok := d.value(n.Content[i+1], p, depth+1)
			ok = ok && vok
			m[k.Value] = v
		}
		return m, ok
	case yaml.SequenceNode:
		s := make([]any, 0, len(n.Content))
		ok := true
		for i, c := range n.Content {
			p := index(path, i)
			d.pos[p] = pos{c.Line, c.Column}
			v, vok := d.value(c, p, depth+1)
			ok = ok && vok
			s = append(s, v)
		}
		return s, ok
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return nil, true
		case "!!bool":
			var b bool
			if err := n.Decode(&b); err != nil {
				d.errorf(n, path, "invalid boolean %q", n.Value)
				return nil, false
			}
			return b, true
		case "!!int":
			var i int64
			if err := n.Decode(&i); err != nil {
				d.errorf(n, path, "invalid or too large integer %q", n.Value)
				return nil, false
			}
			return i, true
		case "!!float":
			f, err := strconv.ParseFloat(strings.ReplaceAll(n.Value, "_", ""), 64)
			if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
				d.errorf(n, path, "invalid number %q, expected a finite number", n.Value)
				return nil, false
			}
			return f, true
		case "!!str":
			return n.Value, true
		default:
			d.errorf(n, path, "unsupported value type %s, expected a string, number, boolean, list or mapping", n.ShortTag())
			return nil, false
		}
	}
	d.errorf(n, path, "unsupported value")
	return nil, false
}

// parseNode parses data into a single document node, refusing oversized,
// too deep and alias-heavy input before anything is decoded.
func (d *decoder) parseNode(data []byte) *yaml.Node {
	if len(data) > MaxFileSize {
		d.add(pos{1, 1}, "", "file is %d bytes, larger than the limit of %d bytes", len(data), MaxFileSize)
		return nil
	}
	if len(bytes.TrimSpace(data)) == 0 {
		d.add(pos{1, 1}, "", "file is empty, expected a scenario (apiVersion: %s, kind: %s)", APIVersion, Kind)
		return nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
		d.add(pos{1, 1}, "", "file has no content, expected a scenario (apiVersion: %s, kind: %s)", APIVersion, Kind)
		return nil
	} else if err != nil {
		d.yamlError(err, data)
		return nil
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		d.add(pos{extra.Line, extra.Column}, "", "a second YAML document follows, expected one scenario per file")
		return nil
	} else if !errors.Is(err, io.EOF) {
		d.yamlError(err, data)
		return nil
	}
	root := &doc
	if root.Kind == yaml.DocumentNode {
		if len(root.Content) == 0 {
			d.add(pos{1, 1}, "", "file is empty, expected a scenario")
			return nil
		}
		root = root.Content[0]
	}
	aliases := 0
	var check func(n *yaml.Node, depth int) bool
	check = func(n *yaml.Node, depth int) bool {
		if depth > MaxDepth {
			d.errorf(n, "", "nested deeper than %d levels, refusing the file", MaxDepth)
			return false
		}
		if n.Kind == yaml.AliasNode {
			aliases++
			if aliases > MaxAliases {
				d.errorf(n, "", "more than %d aliases, refusing the file (alias expansion is bounded)", MaxAliases)
				return false
			}
			return true
		}
		for _, c := range n.Content {
			if !check(c, depth+1) {
				return false
			}
		}
		return true
	}
	if !check(root, 0) {
		return nil
	}
	return root
}

// sortedKeys returns the keys of m in order, for messages.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
