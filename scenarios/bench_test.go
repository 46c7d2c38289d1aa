package scenarios_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/firedrill/firedrill/scenarios"
)

// BenchmarkParse_example measures loading a full example scenario; the
// target is well under 10ms so validate on save feels instant.
func BenchmarkParse_example(b *testing.B) {
	data := mustReadB(b, "examples/chained-order-api.yaml")
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := scenarios.Parse("x.yaml", data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParse_largeScenario measures a scenario near the size limit
// (hundreds of faults and injects); the target is under 1s.
func BenchmarkParse_largeScenario(b *testing.B) {
	base := string(mustReadB(b, "testdata/valid-minimal.yaml"))
	var faults, injects strings.Builder
	for i := 0; i < 400; i++ {
		fmt.Fprintf(&faults, "  - id: f%d\n    title: F%d\n    injector: kubernetes/scale\n    target: {namespace: shop, kind: Deployment, name: web}\n    after: {fault: db-config, delay: 1m}\n    resolvedWhen: {manual: true}\n", i, i)
		fmt.Fprintf(&injects, "  - id: i%d\n    at: %dm\n    persona: cs\n    channel: incident\n    text: \"{{.Elapsed}} {{(fault \\\"f%d\\\").Title}}\"\n", i, i%80, i)
	}
	doc := strings.Replace(base, "alerts:\n", faults.String()+"alerts:\n", 1)
	doc = strings.Replace(doc, "hints:\n", injects.String()+"hints:\n", 1)
	data := []byte(doc)
	if len(data) > scenarios.MaxFileSize {
		b.Fatalf("benchmark document is %d bytes, above the limit", len(data))
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := scenarios.Parse("x.yaml", data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParse_hostile measures refusing an alias bomb and a maximum-size
// file; both must stay bounded (milliseconds, a few MB).
func BenchmarkParse_hostile(b *testing.B) {
	bomb := mustReadB(b, "testdata/errors/alias-bomb.yaml")
	big := append([]byte("a:\n"), bytes.Repeat([]byte("  - [x, y, z]\n"), scenarios.MaxFileSize/15)...)
	for name, data := range map[string][]byte{"alias-bomb": bomb, "1MiB-of-lists": big} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := scenarios.Parse("x.yaml", data); err == nil {
					b.Fatal("hostile input accepted")
				}
			}
		})
	}
}

func mustReadB(b *testing.B, path string) []byte {
	b.Helper()
	data, err := readFile(path)
	if err != nil {
		b.Fatal(err)
	}
	return data
}
