package record

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"html/template"
	"strings"

	"github.com/firedrill/firedrill/injectors"
)

// Lang is a language the record's pages and exports are written in.
type Lang string

// The languages of the record.
const (
	English Lang = "en"
	Korean  Lang = "ko"
)

// Langs lists the languages the record is written in.
var Langs = []Lang{English, Korean}

// ParseLang reads a language a person asked for (?lang=en, ?lang=ko). An
// empty value is "" (no choice); anything else is an EINVALID error.
func ParseLang(s string) (Lang, error) {
	switch l := Lang(strings.ToLower(strings.TrimSpace(s))); l {
	case "", English, Korean:
		return l, nil
	}
	return "", injectors.Errorf(injectors.EINVALID, "lang %q is not a language of the record, expected en or ko", s)
}

// LangOf is the record language of a BCP 47 tag, such as a scenario's
// metadata.language: ko, ko-KR and ko-Kore-KR are Korean; anything else,
// an empty tag included, is English.
func LangOf(tag string) Lang {
	primary, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(tag)), "-")
	if primary == string(Korean) {
		return Korean
	}
	return English
}

// Or returns l, or def when l is empty.
func (l Lang) Or(def Lang) Lang {
	if l == "" {
		return def
	}
	return l
}

//go:embed words.json
var wordsJSON []byte

// dict holds words.json: key → text, per language.
var dict = func() map[Lang]map[string]string {
	var f struct {
		EN map[string]string `json:"en"`
		KO map[string]string `json:"ko"`
	}
	if err := json.Unmarshal(wordsJSON, &f); err != nil {
		panic(fmt.Sprintf("control/record/words.json: %v", err))
	}
	return map[Lang]map[string]string{English: f.EN, Korean: f.KO}
}()

// WordsJSON returns the shared words, English and Korean, as JSON
// ({"en": {key: text}, "ko": {…}}): the browser says the timeline, the
// notice forms and end reasons with the same words the record uses.
func WordsJSON() []byte { return wordsJSON }

// has reports whether key has words (in English, which every key has).
func has(key string) bool {
	_, ok := dict[English][key]
	return ok
}

// T says key in l; a key l lacks is said in English, and a key without
// words at all is returned as it is.
func (l Lang) T(key string) string {
	if s, ok := dict[l][key]; ok {
		return s
	}
	if s, ok := dict[English][key]; ok {
		return s
	}
	return key
}

// F says key in l with its {name} placeholders filled from kv (name,
// value, name, value…); values are formatted with fmt.Sprint.
func (l Lang) F(key string, kv ...any) string {
	args := make(map[string]string, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		args[fmt.Sprint(kv[i])] = fmt.Sprint(kv[i+1])
	}
	return fill(l.T(key), args)
}

// Code says key in l with its {cmd} placeholder as a command in <code>,
// for the printable record.
func (l Lang) Code(key, cmd string) template.HTML {
	parts := strings.SplitN(l.T(key), "{cmd}", 2)
	out := template.HTMLEscapeString(parts[0]) + "<code>" + template.HTMLEscapeString(cmd) + "</code>"
	if len(parts) == 2 {
		out += template.HTMLEscapeString(parts[1])
	}
	return template.HTML(out)
}

// word says a code in l by its key prefix: word("state.", "closed") is
// "closed" or "닫힘". A code without words is said with its dashes as
// spaces.
func (l Lang) word(prefix, code string) string {
	if has(prefix + code) {
		return l.T(prefix + code)
	}
	return strings.ReplaceAll(code, "-", " ")
}

// countKey is the key of a phrase about n answers: key.one for a single
// one ("1 answer", not "1 answers"), key for any other count.
func countKey(key string, n int) string {
	if n == 1 {
		return key + ".one"
	}
	return key
}
