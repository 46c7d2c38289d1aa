package scenarios

import (
	"regexp"
	"strings"
	"sync"
)

// TextMatch says what a participant's message must contain: any of Words
// (without case, anywhere in the text, so that Korean words match inside
// longer ones) or the regular expression Regex (Go syntax; add (?i) to
// ignore case). A match with neither matches every message.
type TextMatch struct {
	Words []string `yaml:"words,omitempty" json:"words,omitempty"`
	Regex string   `yaml:"regex,omitempty" json:"regex,omitempty"`
}

// regexCache holds compiled patterns: a drill's scenario is decoded from its
// journal, and a message is matched against it on every chat message.
var regexCache sync.Map // pattern → *regexp.Regexp, or nil when invalid

func compiled(pattern string) *regexp.Regexp {
	if v, ok := regexCache.Load(pattern); ok {
		re, _ := v.(*regexp.Regexp)
		return re
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		re = nil
	}
	regexCache.Store(pattern, re)
	return re
}

// Matches reports whether text matches m.
func (m *TextMatch) Matches(text string) bool {
	if m == nil || len(m.Words) == 0 && m.Regex == "" {
		return true
	}
	lower := strings.ToLower(text)
	for _, w := range m.Words {
		if w != "" && strings.Contains(lower, strings.ToLower(w)) {
			return true
		}
	}
	if m.Regex != "" {
		if re := compiled(m.Regex); re != nil && re.MatchString(text) {
			return true
		}
	}
	return false
}

// Describe returns m in words for the plan: "says restart or 재시작".
func (m *TextMatch) Describe() string {
	if m == nil || len(m.Words) == 0 && m.Regex == "" {
		return "writes anything"
	}
	var parts []string
	for _, w := range m.Words {
		parts = append(parts, "\""+w+"\"")
	}
	if m.Regex != "" {
		parts = append(parts, "/"+m.Regex+"/")
	}
	return "writes " + strings.Join(parts, " or ")
}
