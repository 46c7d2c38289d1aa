package scenarios

import (
	"fmt"
	"sort"
	"strings"
)

// FieldError is one problem found in a scenario file: where it is (file,
// 1-based line and column, and the field path such as faults[1].after.fault)
// and what is wrong, written for the designer who will fix it.
type FieldError struct {
	File    string `json:"file"`
	Line    int    `json:"line"`
	Column  int    `json:"column"`
	Path    string `json:"path,omitempty"`
	Message string `json:"message"`
	// Severity is SeverityWarning for a warning: something that is valid but
	// probably not what the designer meant. Empty for an error.
	Severity string `json:"severity,omitempty"`
}

// SeverityWarning marks a FieldError that does not make the scenario invalid.
const SeverityWarning = "warning"

// Warning reports whether e is a warning rather than an error.
func (e *FieldError) Warning() bool { return e.Severity == SeverityWarning }

// Error formats e as "file:line:column: path: message".
func (e *FieldError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d:%d", e.Line, e.Column)
	}
	b.WriteString(": ")
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	if e.Warning() {
		b.WriteString("warning: ")
	}
	b.WriteString(e.Message)
	return b.String()
}

// ErrorList is every problem found in one scenario, in file order. Load and
// Parse return it as their error; use errors.As to get at the entries.
type ErrorList []*FieldError

// Error formats every entry on its own line.
func (l ErrorList) Error() string {
	lines := make([]string, len(l))
	for i, e := range l {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// sort orders the list by file position, then path, and removes exact
// duplicates so that one mistake is reported once.
func (l ErrorList) sorted() ErrorList {
	sort.SliceStable(l, func(i, j int) bool {
		a, b := l[i], l[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Column != b.Column {
			return a.Column < b.Column
		}
		return a.Path < b.Path
	})
	out := l[:0]
	for i, e := range l {
		if i > 0 && *e == *l[i-1] {
			continue
		}
		out = append(out, e)
	}
	return out
}
