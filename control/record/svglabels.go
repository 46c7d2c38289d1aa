package record

import "strings"

// The timeline chart's label column: at least minLabels wide, widened for
// long fault titles up to maxLabels; a title wraps onto at most
// labelLines lines of labelLine pixels.
const (
	minLabels  = 170
	maxLabels  = 260
	labelLines = 3
	labelLine  = 14
)

// faultLabels names each fault on the chart (its title, else its id, and
// whether it was chained) and wraps the names into the label column,
// whose width it returns: the chart's left edge.
func faultLabels(faults []FaultMetrics, l Lang) (names []string, lines [][]string, left int) {
	widest := 0
	for _, f := range faults {
		name := f.ID
		if f.Title != "" {
			name = f.Title
		}
		if f.Chained {
			name += " " + l.T("rec.chained")
		}
		names = append(names, name)
		widest = max(widest, textWidth(name))
	}
	left = min(max(minLabels, widest+16), maxLabels)
	for _, name := range names {
		lines = append(lines, wrapLabel(name, left-16, labelLines))
	}
	return names, lines, left
}

// wrapLabel breaks s into lines of at most width pixels (textWidth),
// between words where it can and inside a word too long for a line; past
// maxLines lines the last one ends in "…".
func wrapLabel(s string, width, maxLines int) []string {
	var lines []string
	line := ""
	put := func(word string) {
		switch {
		case line == "":
			line = word
		case textWidth(line+" "+word) <= width:
			line += " " + word
		default:
			lines, line = append(lines, line), word
		}
		// A word wider than a line is cut into pieces that fit.
		for textWidth(line) > width {
			r := []rune(line)
			n := len(r)
			for n > 1 && textWidth(string(r[:n])) > width {
				n--
			}
			lines, line = append(lines, string(r[:n])), string(r[n:])
		}
	}
	for _, w := range strings.Fields(s) {
		put(w)
	}
	if line != "" {
		lines = append(lines, line)
	}
	if len(lines) <= maxLines {
		return lines
	}
	last := []rune(lines[maxLines-1])
	for len(last) > 0 && textWidth(string(last)+"…") > width {
		last = last[:len(last)-1]
	}
	return append(lines[:maxLines-1:maxLines-1], strings.TrimRight(string(last), " ")+"…")
}
