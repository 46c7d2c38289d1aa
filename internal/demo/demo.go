// Package demo holds the steps of `firedrill demo`: one command from a fresh
// machine to a running drill. It starts the local cluster with the sample
// shop, writes the demo's configuration, creates the demo drill through the
// drill room's API, reports what is ready, and on the way out aborts running
// drills and looks for leftovers. The command in cmd/firedrill wires these
// steps to the drill room it serves.
package demo

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"syscall"

	"go.yaml.in/yaml/v3"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/scenarios/examples"
)

// DefaultDir is where the demo keeps everything unless told otherwise: the
// drill database, the cluster's state and the generated configuration. The
// repository's .gitignore lists it.
const DefaultDir = "firedrill-data"

// StateFile is written when the demo is ready, for scripts and tests: the
// room's URL, the admin token, the demo drill and its join links. It is
// written last, after the ready message is printed, so that its presence
// means the demo is ready and said so.
const StateFile = "demo.json"

// ConfigFile is the configuration the demo writes and serves with; it also
// works for `firedrill serve --config` against the same cluster.
const ConfigFile = "firedrill.yaml"

// Steps is the number of numbered steps of the demo's start-up.
const Steps = 5

// Options are the demo's own choices: the demo drill and kubectl.
type Options struct {
	// Scenario is the library name of the demo drill's scenario; empty
	// means no demo drill.
	Scenario string
	// Difficulty of the demo drill; empty means the scenario's.
	Difficulty string
	// Candidate is the candidate the demo drill plays, for a scenario
	// that keeps candidates (required there).
	Candidate string
	// Participants and Observers each get a join link.
	Participants []string
	Observers    []string
	// BuildKubectl builds kubectl into the cache when it is not on PATH.
	BuildKubectl bool
}

// State is what StateFile holds once the demo is ready.
type State struct {
	URL          string            `json:"url"`
	AdminToken   string            `json:"adminToken"`
	Config       string            `json:"config"`
	Kubeconfig   string            `json:"kubeconfig"`
	Context      string            `json:"context"`
	Namespace    string            `json:"namespace"`
	ServiceURLs  map[string]string `json:"serviceURLs"`
	DrillID      string            `json:"drillId,omitempty"`
	ConsoleURL   string            `json:"consoleUrl,omitempty"`
	JoinLinks    []JoinLink        `json:"joinLinks,omitempty"`
	Kubectl      string            `json:"kubectl,omitempty"`
	TimeScale    float64           `json:"timeScale"`
	ClusterLogs  string            `json:"clusterLogs"`
	StartedAfter string            `json:"startedAfter"`
}

// JoinLink is one person of the demo drill and their join link.
type JoinLink struct {
	Name string       `json:"name"`
	Role control.Role `json:"role"`
	URL  string       `json:"url"`
}

// StatePath is where the demo keeps st: StateFile next to its configuration
// in the demo's data directory.
func StatePath(st State) string {
	if st.Config == "" {
		return StateFile
	}
	return filepath.Join(filepath.Dir(st.Config), StateFile)
}

// WriteState writes st as dir's StateFile, readable by its owner only (it
// holds the admin token). The file appears whole or not at all: scripts and
// tests poll for it, and a half-written file read on a busy machine is not
// the demo's state.
func WriteState(dir string, st State) error {
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	tmp, err := os.CreateTemp(dir, "."+StateFile+"-*") // mode 0600
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("demo: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, StateFile)); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	return nil
}

// Step prints one numbered step of the demo's start-up.
func Step(w io.Writer, n int, format string, args ...any) {
	fmt.Fprintf(w, "[%d/%d] %s\n", n, Steps, fmt.Sprintf(format, args...))
}

// Listen takes the room's port first, since a busy default port should not
// cost a cluster start to find out. When addr is busy and was not chosen
// explicitly, a free loopback port is taken instead and out says so.
func Listen(addr string, explicit bool, out io.Writer) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err == nil {
		return ln, nil
	}
	if explicit || !errors.Is(err, syscall.EADDRINUSE) {
		return nil, fmt.Errorf("demo: listen on %s: %w", addr, err)
	}
	if ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
		return nil, fmt.Errorf("demo: listen: %w", err)
	}
	fmt.Fprintf(out, "%s is taken; serving on %s instead (choose with --listen)\n", addr, ln.Addr())
	return ln, nil
}

// ScenarioDirs returns the directories of example scenarios to serve (the
// examples and each directory of them below, such as incidents/: a
// scenario directory is read without its subdirectories): the checkout's
// scenarios/examples when the demo runs from one (edits show up at the
// next start), otherwise the embedded copies, written to dir.
func ScenarioDirs(dir string) ([]string, error) {
	root := filepath.Join("scenarios", "examples")
	write := true
	if fi, err := os.Stat(filepath.Join(root, "layered-payment-outage.yaml")); err == nil && fi.Mode().IsRegular() {
		abs, err := filepath.Abs(root)
		if err != nil {
			return nil, err
		}
		root, write = abs, false
	} else {
		root = filepath.Join(dir, "scenarios")
	}
	// The embedded tree is the checkout's examples: its directories are
	// the ones to serve either way.
	var dirs []string
	err := fs.WalkDir(examples.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		out := filepath.Join(root, filepath.FromSlash(p))
		switch {
		case d.IsDir():
			dirs = append(dirs, out)
			if write {
				return os.MkdirAll(out, 0o755)
			}
			return nil
		case !write:
			return nil
		}
		b, err := examples.FS.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(out, b, 0o644)
	})
	if err != nil {
		return nil, fmt.Errorf("demo: write the example scenarios: %w", err)
	}
	return dirs, nil
}

// AdminToken keeps the admin token of an earlier demo run in the same data
// directory, so a bookmarked console keeps working; a configured token wins,
// and a new random one is made the first time.
func AdminToken(cfgPath, configured string) (string, error) {
	if len(configured) >= 16 {
		return configured, nil
	}
	if b, err := os.ReadFile(cfgPath); err == nil {
		var old struct {
			Auth struct {
				AdminToken string `yaml:"adminToken"`
			} `yaml:"auth"`
		}
		if yaml.Unmarshal(b, &old) == nil && len(old.Auth.AdminToken) >= 16 {
			return old.Auth.AdminToken, nil
		}
	}
	raw := make([]byte, 16)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("demo: admin token: %w", err)
	}
	return hex.EncodeToString(raw), nil
}
