package main_test

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	main "github.com/firedrill/firedrill/cmd/firedrill-dev"
)

func TestClusterBuildReportsReadyBinaries(t *testing.T) {
	var out, errb bytes.Buffer
	m := main.NewMain()
	m.Stdout, m.Stderr = &out, &errb
	m.Getenv = os.Getenv // the real cache, which the cluster tests also use
	if code := m.Run(context.Background(), []string{"cluster", "build"}); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "cluster binaries ready in") {
		t.Fatalf("output: %q", out.String())
	}
}
