// Command studiobundle bundles the scenario studio's editor (CodeMirror 6
// from ui/studio/node_modules, installed from package-lock.json) into
// ui/web/static/studio/editor.js with esbuild's Go API, so that building
// firedrill needs no node and the page loads nothing from a CDN.
//
//	make studio-bundle        # npm ci, then write the bundle
//	make studio-bundle-check  # npm ci, then fail unless the committed bundle is identical
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/evanw/esbuild/pkg/api"
)

func main() {
	root := flag.String("root", ".", "the repository root")
	check := flag.Bool("check", false, "fail unless the committed bundle equals a fresh build")
	flag.Parse()
	if err := run(*root, *check); err != nil {
		fmt.Fprintln(os.Stderr, "studiobundle:", err)
		os.Exit(1)
	}
}

// Out is the bundle's path under the repository root.
const Out = "ui/web/static/studio/editor.js"

func run(root string, check bool) error {
	root, err := filepath.Abs(root)
	if err != nil {
		return err
	}
	src := filepath.Join(root, "ui", "studio")
	if _, err := os.Stat(filepath.Join(src, "node_modules", "@codemirror")); err != nil {
		return fmt.Errorf("%s/node_modules has no CodeMirror: run `npm ci --ignore-scripts` there first (make studio-bundle does)", src)
	}
	got, err := build(src)
	if err != nil {
		return err
	}
	out := filepath.Join(root, Out)
	if check {
		want, err := os.ReadFile(out)
		if err != nil {
			return err
		}
		if !bytes.Equal(got, want) {
			return fmt.Errorf("%s differs from a fresh build from package-lock.json (%d bytes built, %d committed): run make studio-bundle and commit it", Out, len(got), len(want))
		}
		fmt.Printf("%s is the build of package-lock.json (%d bytes)\n", Out, len(got))
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(out, got, 0o644); err != nil {
		return err
	}
	fmt.Printf("wrote %s (%d bytes)\n", Out, len(got))
	return nil
}

// build bundles src/editor.js as one minified ES module. Nothing in the
// output depends on the machine: no absolute paths, no source map, no
// timestamp.
func build(dir string) ([]byte, error) {
	res := api.Build(api.BuildOptions{
		AbsWorkingDir:     dir,
		EntryPoints:       []string{"src/editor.js"},
		Bundle:            true,
		Format:            api.FormatESModule,
		Target:            api.ES2020,
		MinifyWhitespace:  true,
		MinifySyntax:      true,
		MinifyIdentifiers: true,
		LegalComments:     api.LegalCommentsEndOfFile,
		Charset:           api.CharsetUTF8,
		Write:             false,
		Outfile:           "editor.js",
		LogLevel:          api.LogLevelWarning,
	})
	if len(res.Errors) > 0 {
		var b bytes.Buffer
		for _, e := range res.Errors {
			if e.Location != nil {
				fmt.Fprintf(&b, "%s:%d:%d: ", e.Location.File, e.Location.Line, e.Location.Column)
			}
			fmt.Fprintln(&b, e.Text)
		}
		return nil, fmt.Errorf("bundle: %s", b.String())
	}
	if len(res.OutputFiles) != 1 {
		return nil, fmt.Errorf("bundle: %d output files, want 1", len(res.OutputFiles))
	}
	return res.OutputFiles[0].Contents, nil
}
