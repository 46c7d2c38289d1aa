package control

import (
	"strings"
	"unicode/utf8"
)

// CleanText returns s as it is safe to store and show: control characters
// (NUL, ANSI escape sequences' ESC, the C1 range, DEL) are dropped except
// line breaks and tabs, bidirectional overrides and isolates (which make
// text read differently from how it is stored) are dropped, and invalid
// UTF-8 becomes U+FFFD.
func CleanText(s string) string {
	if !needsCleaning(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range strings.ToValidUTF8(s, "\uFFFD") {
		if dropped(r) {
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func needsCleaning(s string) bool {
	if !utf8.ValidString(s) {
		return true
	}
	for _, r := range s {
		if dropped(r) {
			return true
		}
	}
	return false
}

func dropped(r rune) bool {
	switch {
	case r == '\n' || r == '\t':
		return false
	case r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f):
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return true
	}
	return false
}
