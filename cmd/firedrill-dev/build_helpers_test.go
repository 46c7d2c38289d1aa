package main_test

import (
	"testing"

	"github.com/firedrill/firedrill/internal/testbin"
)

// buildPair builds the real executables side by side, as they are
// installed (firedrill runs firedrill-dev from its own directory), and
// returns firedrill's path.
func buildPair(t testing.TB) string {
	t.Helper()
	return testbin.Firedrill(t)
}
