package scenarios_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/firedrill/firedrill/scenarios"
)

// FuzzParse checks that the loader never panics, always returns exactly one
// of a scenario or an error, and locates every error inside the input.
func FuzzParse(f *testing.F) {
	for _, pattern := range []string{"examples/*.yaml", "testdata/*.yaml", "testdata/errors/*.yaml"} {
		files, _ := filepath.Glob(pattern)
		for _, file := range files {
			b, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	f.Add([]byte("a: &a [*a]"))
	f.Add([]byte("{"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := scenarios.Parse("fuzz.yaml", data)
		if (s == nil) == (err == nil) {
			t.Fatalf("got scenario %v and error %v, want exactly one", s != nil, err)
		}
		if err == nil {
			if s.TimeLimit.D() <= 0 || s.TimeLimit.D() > scenarios.MaxTimeLimit {
				t.Fatalf("accepted time limit %v", s.TimeLimit)
			}
			for _, c := range s.PlayableCandidates() {
				if _, err := scenarios.PlanCandidate(s, c, ""); err != nil {
					t.Fatalf("valid scenario cannot be planned as candidate %q: %v", c, err)
				}
			}
			return
		}
		var list scenarios.ErrorList
		if !errors.As(err, &list) || len(list) == 0 {
			t.Fatalf("error is %T, want a non-empty ErrorList: %v", err, err)
		}
		for _, e := range list {
			if e.Line < 1 || e.Column < 1 || e.Message == "" {
				t.Fatalf("error without position or message: %+v", e)
			}
		}
	})
}
