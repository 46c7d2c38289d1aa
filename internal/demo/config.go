package demo

import (
	"fmt"
	"os"
	"time"

	"go.yaml.in/yaml/v3"
)

// Config is what the demo's configuration file says. Settings of the
// user's own configuration that do not concern the cluster (plugins, log)
// are carried over.
type Config struct {
	DataDir     string
	Listen      string
	AdminToken  string
	Kubeconfig  string
	ServiceURLs map[string]string
	// ScenarioDirs are the example scenarios' directory first, then the
	// user's own.
	ScenarioDirs []string
	LogLevel     string
	LogFormat    string
	Plugins      Plugins
	TimeScale    float64
}

// Plugins are the user's plugin settings, carried over.
type Plugins struct {
	Dir              string
	Checksums        map[string]string
	CallTimeout      time.Duration
	RequireChecksums bool
}

// WriteConfig writes the demo's configuration file to path, for the
// demo's own drill room and for other commands while the demo runs.
func WriteConfig(path string, c Config) error {
	doc := map[string]any{
		"dataDir": c.DataDir,
		"listen":  c.Listen,
		"log":     map[string]any{"level": c.LogLevel, "format": c.LogFormat},
		"auth":    map[string]any{"adminToken": c.AdminToken},
		"kubernetes": map[string]any{
			"kubeconfig":      c.Kubeconfig,
			"context":         ContextName,
			"allowedContexts": []string{ContextName},
			"serviceURLs":     c.ServiceURLs,
		},
		"plugins": map[string]any{
			"dir": c.Plugins.Dir, "checksums": c.Plugins.Checksums,
			"callTimeout": c.Plugins.CallTimeout.String(), "requireChecksums": c.Plugins.RequireChecksums,
		},
		// The demo's cluster starts fresh every time: a drill left running
		// by a killed demo is aborted at the next start, never resumed.
		"drill":     map[string]any{"onRestart": "abort", "timeScale": c.TimeScale},
		"scenarios": map[string]any{"dirs": c.ScenarioDirs},
	}
	b, err := yaml.Marshal(doc)
	if err != nil {
		return err
	}
	head := "# Written by `firedrill demo` at every start (the cluster's ports and the\n" +
		"# simulator's URLs change). While the demo runs, other commands can use it:\n" +
		"#   firedrill doctor --config " + path + "\n"
	if err := os.WriteFile(path, append([]byte(head), b...), 0o600); err != nil {
		return fmt.Errorf("demo: write %s: %w", path, err)
	}
	return nil
}
