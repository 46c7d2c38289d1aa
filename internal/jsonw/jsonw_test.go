package jsonw_test

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"testing"

	"github.com/firedrill/firedrill/internal/jsonw"
)

// strings returns the edge cases of JSON strings and n random ones drawn
// from bytes that need escaping, multi-byte runes and invalid UTF-8.
func strings(n int) []string {
	out := []string{"", "plain", `"quoted" \back\slash`, "\b\f\n\r\t\x00\x01\x1f\x7f", "<script>&amp;</script>",
		"line\u2028sep\u2029", "한국어 복구", "\xff\xfe", "a\xe2\x80", "\xe2\x80\xa8", "emoji 🔥", "\xed\xa0\x80 surrogate", "\ufffd"}
	alphabet := []string{"a", "Z", " ", `"`, `\`, "<", ">", "&", "\n", "\x00", "\x1f", "\x7f", "é", "\u2028", "\u2029", "\xff", "\xe2", "\x80", "🔥", "복"}
	r := rand.New(rand.NewPCG(1, 2))
	for range n {
		var b []byte
		for range r.IntN(24) {
			b = append(b, alphabet[r.IntN(len(alphabet))]...)
		}
		out = append(out, string(b))
	}
	return out
}

func TestAppendString(t *testing.T) {
	for _, s := range strings(20000) {
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := jsonw.AppendString([]byte("x"), s); !bytes.Equal(got[1:], want) || got[0] != 'x' {
			t.Fatalf("AppendString(%q) = %s, json.Marshal writes %s", s, got[1:], want)
		}
		if got := jsonw.AppendString(nil, []byte(s)); !bytes.Equal(got, want) {
			t.Fatalf("AppendString([]byte(%q)) = %s, json.Marshal writes %s", s, got, want)
		}
	}
}

func TestAppendHTMLEscaped(t *testing.T) {
	for _, s := range strings(20000) {
		// A compact JSON value holding s as a key and a value, as
		// json.Compact leaves it; Marshal of a RawMessage escapes it.
		raw, err := json.Marshal(map[string]any{"k": s, "n": 1, "l": []string{s}})
		if err != nil {
			t.Fatal(err)
		}
		var unescaped bytes.Buffer
		enc := json.NewEncoder(&unescaped)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(map[string]any{s: []string{s, "<&>"}}); err != nil {
			t.Fatal(err)
		}
		for _, src := range [][]byte{raw, bytes.TrimSpace(unescaped.Bytes())} {
			want, err := json.Marshal(json.RawMessage(src))
			if err != nil {
				t.Fatal(err)
			}
			if got := jsonw.AppendHTMLEscaped([]byte("x"), src); !bytes.Equal(got[1:], want) || got[0] != 'x' {
				t.Fatalf("AppendHTMLEscaped(%s) = %s, json.Marshal writes %s", src, got[1:], want)
			}
		}
	}
}

func TestAppendRaw(t *testing.T) {
	valid := []string{`{}`, `null`, ` [ 1 , 2.5e3 , -0 , true ] `, "{\n\t\"a\" : \"<b>&amp;</b>\" ,\"b\":{\"c\":[]}}", "\"line\u2028sep\u2029\"", `"\u003c already"`, `12`}
	invalid := []string{`{`, `{"a":}`, `nul`, `{"a":1}}`, "\xff", `{"a" 1}`}
	for i, s := range strings(20000) {
		k, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		srcs := []string{valid[i%len(valid)], "{ " + string(k) + " : [ " + string(k) + " ] }", invalid[i%len(invalid)]}
		for _, src := range srcs {
			want, wantErr := json.Marshal(json.RawMessage(src))
			got, err := jsonw.AppendRaw([]byte("x"), []byte(src))
			if (err != nil) != (wantErr != nil) {
				t.Fatalf("AppendRaw(%s): error %v, json.Marshal's %v", src, err, wantErr)
			}
			if err != nil {
				if string(got) != "x" {
					t.Fatalf("AppendRaw(%s) failed and left %q", src, got)
				}
				continue
			}
			if !bytes.Equal(got[1:], want) || got[0] != 'x' {
				t.Fatalf("AppendRaw(%s) = %s, json.Marshal writes %s", src, got[1:], want)
			}
		}
	}
}
