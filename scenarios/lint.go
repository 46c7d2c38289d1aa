package scenarios

import (
	"bytes"
	"strings"
	"unicode/utf8"

	yaml "go.yaml.in/yaml/v3"
)

// lintComments warns about YAML comments that swallowed part of a value: in a
// plain (unquoted) scalar, " #" starts a comment, so `title: Post in
// #incident` keeps only "Post in" and `title: #incident` is empty. A comment
// that starts right after the # without a space, or looks like a channel
// name, is almost always meant as text.
func (d *decoder) lintComments(root *yaml.Node, data []byte) {
	if root == nil {
		return
	}
	lines := bytes.Split(data, []byte("\n"))
	var walk func(n *yaml.Node, path string, depth int)
	walk = func(n *yaml.Node, path string, depth int) {
		if n == nil || depth > MaxDepth || n.Kind == yaml.AliasNode {
			return
		}
		switch n.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				p := join(path, k.Value)
				if v.Kind == yaml.ScalarNode {
					d.swallowed(p, k, v, lines)
				}
				walk(v, p, depth+1)
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				p := index(path, i)
				if c.Kind == yaml.ScalarNode {
					d.swallowed(p, nil, c, lines)
				}
				walk(c, p, depth+1)
			}
		}
	}
	walk(root, "", 0)
}

// swallowed warns when the value v (of key k, if any) lost text to a comment.
func (d *decoder) swallowed(path string, k, v *yaml.Node, lines [][]byte) {
	if v.Style != 0 && v.Style != yaml.TaggedStyle {
		return // quoted, literal or folded: # is text there
	}
	comment, line := v.LineComment, v.Line
	if comment == "" && k != nil && v.ShortTag() == "!!null" {
		comment, line = k.LineComment, k.Line
	}
	// "# note" is a comment written as one; "#incident" or "#note" is text
	// the designer expected to keep.
	if comment == "" || comment == "#" || strings.HasPrefix(comment, "# ") || strings.HasPrefix(comment, "#\t") {
		return
	}
	col := 1
	if line >= 1 && line <= len(lines) {
		if i := bytes.Index(lines[line-1], []byte(comment)); i >= 0 {
			col = utf8.RuneCount(lines[line-1][:i]) + 1
		}
	}
	var msg string
	if v.ShortTag() == "!!null" {
		msg = "\"" + comment + "\" is read as a YAML comment, so this field is empty; write it in quotes: \"" + comment + "\""
	} else {
		msg = "the text \"" + comment + "\" after \"" + v.Value + "\" is read as a YAML comment and dropped; put the whole value in quotes: \"" + v.Value + " " + comment + "\""
	}
	d.warns = append(d.warns, &FieldError{File: d.file, Line: line, Column: col, Path: path, Message: msg, Severity: SeverityWarning})
}
