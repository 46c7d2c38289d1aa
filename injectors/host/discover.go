package host

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/firedrill/firedrill/injectors"
)

// ExecutablePrefix is how the file name of every plugin executable starts; the
// rest of the name is the plugin's name: firedrill-injector-flagfile is the
// plugin flagfile.
const ExecutablePrefix = "firedrill-injector-"

var validName = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?$`)

// PluginName returns the plugin name of an executable path, and whether the
// file is named like a plugin at all.
func PluginName(path string) (string, bool) {
	base := filepath.Base(path)
	name, ok := strings.CutPrefix(base, ExecutablePrefix)
	if !ok || !validName.MatchString(name) {
		return "", false
	}
	return name, true
}

// FileChecksum returns the hex SHA-256 of the file at path, the value that
// plugins.checksums pins.
func FileChecksum(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("checksum %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// parsePin reads a configured checksum: 64 hex digits, optionally written
// with a "sha256:" prefix.
func parsePin(name, s string) ([]byte, error) {
	h := strings.ToLower(strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(s), "sha256:")))
	b, err := hex.DecodeString(h)
	if err != nil || len(b) != sha256.Size {
		return nil, injectors.Errorf(injectors.EINVALID, "plugins.checksums.%s: %q is not a SHA-256, expected 64 hex digits (print one with: firedrill plugins checksum PATH)", name, s)
	}
	return b, nil
}

// candidate is a plugin executable found in the plugin directory.
type candidate struct {
	name string
	path string
}

// discover lists the plugin executables in dir, sorted by name. Files named
// like plugins that cannot be run are returned in skipped with the reason.
func discover(dir string) (found []candidate, skipped map[string]error, err error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, injectors.Errorf(injectors.EINVALID, "plugins.dir %s: %v", dir, err)
	}
	skipped = map[string]error{}
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), ExecutablePrefix) {
			continue
		}
		path := filepath.Join(dir, e.Name())
		name, ok := PluginName(path)
		if !ok {
			skipped[e.Name()] = injectors.Errorf(injectors.EINVALID, "%s: the part after %s must be a lower-case name of letters, digits and dashes", path, ExecutablePrefix)
			continue
		}
		st, err := os.Stat(path) // follows symlinks
		if err != nil {
			skipped[name] = injectors.Errorf(injectors.EINVALID, "%s: %v", path, err)
			continue
		}
		if !st.Mode().IsRegular() || st.Mode().Perm()&0o111 == 0 {
			skipped[name] = injectors.Errorf(injectors.EINVALID, "%s is not an executable file", path)
			continue
		}
		found = append(found, candidate{name: name, path: path})
	}
	sort.Slice(found, func(i, j int) bool { return found[i].name < found[j].name })
	return found, skipped, nil
}
