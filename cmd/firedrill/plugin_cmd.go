package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/injectors/host"
)

// builtinPlugins are the plugins that ship with firedrill, as executables
// of their own installed beside it (cmd/firedrill-injector-<name>). The
// plugin host launches them like any other plugin, with the settings of
// this invocation's configuration as flags, and does not checksum them:
// they are part of the installation.
var builtinPlugins = map[string]func(m *Main) []string{
	"kubernetes": func(m *Main) []string { return kubernetesPluginArgs(m.Config.Kubernetes, m.Config.HA) },
}

// pluginExecutableEnv overrides where the built-in Kubernetes plugin is
// launched from: the path of a firedrill-injector-kubernetes executable.
// Packagers and tests set it; normally it is found beside os.Executable().
const pluginExecutableEnv = "FIREDRILL_PLUGIN_EXECUTABLE"

// kubernetesPluginArgs returns the flags that give the Kubernetes plugin
// the resolved kubernetes.* settings.
func kubernetesPluginArgs(k KubernetesConfig, ha HAConfig) []string {
	return kubernetesSettings(k, ha).Args()
}

func builtinNames() []string {
	names := make([]string, 0, len(builtinPlugins))
	for n := range builtinPlugins {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// builtinExecutable returns the executable of the built-in plugin name: the
// file FIREDRILL_PLUGIN_EXECUTABLE names, or host.ExecutablePrefix+name in
// the directory of the running firedrill. A missing file is an error that
// says where it was looked for and how to get it.
func (m *Main) builtinExecutable(name string) (string, error) {
	if exe := m.Getenv(pluginExecutableEnv); exe != "" {
		if _, err := os.Stat(exe); err != nil {
			return "", fmt.Errorf("built-in plugin %s: %s names %s: %w", name, pluginExecutableEnv, exe, err)
		}
		return exe, nil
	}
	self, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("built-in plugin %s: find the firedrill executable it is installed beside: %w", name, err)
	}
	exe := filepath.Join(filepath.Dir(self), host.ExecutablePrefix+name)
	if _, err := os.Stat(exe); err != nil {
		return "", fmt.Errorf("built-in plugin %s: no executable %s beside the running firedrill (%s): "+
			"firedrill is installed together with its plugins (make build puts both in bin/, make install in $PREFIX/bin; "+
			"go build -o DIR/ ./cmd/... does the same), or set %s to the plugin's path: %w",
			name, exe, self, pluginExecutableEnv, err)
	}
	return exe, nil
}

// pluginLogger returns the logger plugin hosts and their plugins log to.
func (m *Main) pluginLogger() *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(m.Config.Log.Level)); err != nil {
		level = slog.LevelInfo // Config.Validate has refused anything else
	}
	opts := &slog.HandlerOptions{Level: level}
	if m.Config.Log.Format == "json" {
		return slog.New(slog.NewJSONHandler(m.Stderr, opts))
	}
	return slog.New(slog.NewTextHandler(m.Stderr, opts))
}

// pluginHostConfig returns the plugin host configuration of m.Config,
// with the built-in plugins launched from their executables beside firedrill
// (see builtinExecutable) and given this invocation's settings.
func (m *Main) pluginHostConfig() (host.Config, error) {
	cfg := host.Config{
		Dir:              m.Config.Plugins.Dir,
		Checksums:        m.Config.Plugins.Checksums,
		CallTimeout:      m.Config.Plugins.CallTimeout,
		RequireChecksums: m.Config.Plugins.RequireChecksums,
		Logger:           m.pluginLogger(),
	}
	if m.Getenv(pluginExecutableEnv) == "" && testing.Testing() {
		// A test binary has no plugins beside it; tests that need the
		// built-ins build them (internal/testbin) and name them.
		cfg.Logger.Warn("built-in plugins are not available in a test binary unless " + pluginExecutableEnv + " names the plugin executable")
		return cfg, nil
	}
	for _, name := range builtinNames() {
		exe, err := m.builtinExecutable(name)
		if err != nil {
			return cfg, err
		}
		cfg.Builtins = append(cfg.Builtins, host.Builtin{Name: name, Path: exe, Args: builtinPlugins[name](m)})
	}
	return cfg, nil
}

// openPluginHost opens the injector plugin host from the configuration; it
// is closed when m is. Commands that inject, probe or validate against the
// plugins call it.
func (m *Main) openPluginHost(ctx context.Context, _ *cobra.Command) (*host.Host, error) {
	cfg, err := m.pluginHostConfig()
	if err != nil {
		return nil, err
	}
	h, err := host.Open(ctx, cfg)
	if err != nil {
		return nil, err
	}
	m.OnClose(h.Close)
	return h, nil
}

func newPluginsCmd(m *Main) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "plugins",
		Short: "List injector plugins and pin their checksums",
	}
	cmd.AddCommand(pluginsListCommand(m), pluginsChecksumCommand(m))
	return cmd
}

// pluginListing is one plugin as printed by plugins list --output json.
type pluginListing struct {
	Name        string   `json:"name"`
	Version     string   `json:"version,omitempty"`
	APIVersions []string `json:"apiVersions,omitempty"`
	Path        string   `json:"path,omitempty"`
	Checksum    string   `json:"checksum,omitempty"`
	Pin         string   `json:"pin"` // builtin, pinned, unpinned, mismatch
	FaultTypes  []string `json:"faultTypes"`
	ProbeTypes  []string `json:"probeTypes"`
	Error       string   `json:"error,omitempty"`
}

func typeNames(ts []injectors.TypeInfo) []string {
	out := make([]string, 0, len(ts))
	for _, t := range ts {
		out = append(out, t.Name)
	}
	return out
}

func pluginsListCommand(m *Main) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "Launch every plugin and list what it offers; exit status 1 if any is refused",
		Long: `List discovers the plugins (executables named firedrill-injector-<name> in
plugins.dir, and the plugins built into firedrill), checks each against its pin
in plugins.checksums, launches it and prints its version, the injector API
versions it supports, its checksum status and its fault and probe types. A
plugin that cannot be used is listed with the reason, and the exit status is 1.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			h, err := m.openPluginHost(cmd.Context(), cmd)
			if err != nil {
				return err
			}
			var list []pluginListing
			refused := false
			for _, st := range h.Statuses() {
				l := pluginListing{
					Name: st.Name, Version: st.Info.Version, APIVersions: st.Info.APIVersions,
					Path: st.Path, Checksum: st.Checksum, Pin: st.ChecksumStatus,
					FaultTypes: typeNames(st.Info.FaultTypes), ProbeTypes: typeNames(st.Info.ProbeTypes),
				}
				if st.Err != nil {
					l.Error = injectors.ErrorMessage(st.Err)
					if injectors.ErrorCode(st.Err) == injectors.EINTERNAL {
						l.Error = st.Err.Error()
					}
					refused = true
				}
				list = append(list, l)
			}
			if output == "json" {
				enc := json.NewEncoder(m.Stdout)
				enc.SetIndent("", "  ")
				if list == nil {
					list = []pluginListing{}
				}
				if err := enc.Encode(list); err != nil {
					return err
				}
			} else if err := writePluginTable(m, list); err != nil {
				return err
			}
			if refused {
				return &ExitError{Code: 1}
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "text", "output format: text or json")
	addSettingFlag(cmd, "plugins.dir")
	addSettingFlag(cmd, "kubernetes.kubeconfig")
	addSettingFlag(cmd, "kubernetes.context")
	return cmd
}

func writePluginTable(m *Main, list []pluginListing) error {
	if len(list) == 0 {
		_, err := fmt.Fprintln(m.Stdout, "no plugins: set plugins.dir (or --plugin-dir) to a directory of firedrill-injector-<name> executables")
		return err
	}
	tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tVERSION\tAPI\tPIN\tFAULT TYPES\tPROBE TYPES\tPATH")
	dash := func(s []string) string {
		if len(s) == 0 {
			return "-"
		}
		return strings.Join(s, ",")
	}
	for _, l := range list {
		version := l.Version
		if version == "" {
			version = "-"
		}
		pin := l.Pin
		if pin == "" {
			pin = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", l.Name, version, dash(l.APIVersions), pin, dash(l.FaultTypes), dash(l.ProbeTypes), l.Path)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, l := range list {
		if l.Error != "" {
			fmt.Fprintf(m.Stdout, "%s: refused: %s\n", l.Name, l.Error)
		}
	}
	return nil
}

func pluginsChecksumCommand(m *Main) *cobra.Command {
	return &cobra.Command{
		Use:   "checksum PATH...",
		Short: "Print the plugins.checksums line that pins each plugin executable",
		Long: `Checksum prints, for each plugin executable, the line to paste under
plugins.checksums in firedrill.yaml:

  plugins:
    checksums:
      flagfile: 5d41402abc4b2a76b9719d911017c592...

A pinned plugin runs only while its file has exactly that SHA-256.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			for _, path := range args {
				name, ok := host.PluginName(path)
				if !ok {
					return &ExitError{Code: 1, Err: fmt.Errorf("%s: not a plugin file name, expected %s<name> with a lower-case name of letters, digits and dashes", path, host.ExecutablePrefix)}
				}
				sum, err := host.FileChecksum(path)
				if err != nil {
					return &ExitError{Code: 1, Err: err}
				}
				if _, err := fmt.Fprintf(m.Stdout, "%s: %s\n", name, sum); err != nil {
					return err
				}
			}
			return nil
		},
	}
}
