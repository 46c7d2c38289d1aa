package scenarios

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

var yamlLine = regexp.MustCompile(`line (\d+)(?:, column (\d+))?: (.*)`)

// yamlError reports a YAML syntax error at its line and column. The YAML
// parser gives only the line of the two mistakes designers make most; for
// those the column and what to write instead are found in the line itself.
func (d *decoder) yamlError(err error, data []byte) {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	m := yamlLine.FindStringSubmatch(msg)
	if m == nil {
		d.add(pos{1, 1}, "", "invalid YAML: %s", msg)
		return
	}
	line, _ := strconv.Atoi(m[1])
	col := 1
	if m[2] != "" {
		col, _ = strconv.Atoi(m[2])
	}
	text := ""
	if lines := bytes.Split(data, []byte("\n")); line >= 1 && line <= len(lines) {
		text = strings.TrimRight(string(lines[line-1]), "\r")
	}
	hint := ""
	if c, h := yamlHint(m[3], text); c > 0 {
		col, hint = c, h
	}
	d.add(pos{line, col}, "", "invalid YAML: %s%s", m[3], hint)
}

// yamlHint finds, in the text of the line an error is on, the column of a
// colon inside a value ("mapping values are not allowed") or of a tab or a
// character that cannot start a value ("cannot start any token"), and says
// what to write instead. It returns 0 when it finds neither.
func yamlHint(problem, text string) (int, string) {
	column := func(i int) int { return utf8.RuneCountInString(text[:i]) + 1 }
	switch {
	case strings.Contains(problem, "mapping values are not allowed"):
		key := strings.Index(text, ": ")
		if key < 0 {
			return 0, ""
		}
		rest := text[key+2:]
		at := -1
		for i := 0; i < len(rest); i++ {
			if rest[i] == ':' && (i+1 == len(rest) || rest[i+1] == ' ') {
				at = i
				break
			}
		}
		if at < 0 {
			return 0, ""
		}
		name := strings.TrimSpace(strings.TrimLeft(strings.TrimSpace(text[:key]), "- "))
		value := strings.TrimSpace(rest)
		return column(key + 2 + at), ": the value of " + name + " contains \": \", which YAML reads as a key; put the whole value in quotes: " + name + ": " + strconv.Quote(value)
	case strings.Contains(problem, "cannot start any token"):
		indent := len(text) - len(strings.TrimLeft(text, " \t"))
		if i := strings.IndexByte(text[:indent], '\t'); i >= 0 {
			return column(i), ": a tab in the indentation; YAML indents with spaces only"
		}
		if key := strings.Index(text, ": "); key >= 0 {
			v := strings.TrimLeft(text[key+2:], " ")
			if v != "" && strings.ContainsRune("`@", rune(v[0])) {
				return column(len(text) - len(v)), ": a value cannot start with " + v[:1] + "; put the whole value in quotes"
			}
		}
	}
	return 0, ""
}
