package ui

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"k8s.io/utils/clock"

	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/scenarios"
)

// Catalog is the Library of a drill room with a studio: the scenario files
// of scenarios.dirs, read again whenever they change (Watch), and the
// scenarios written in the studio, every version kept in a ScenarioStore.
// A file whose scenario does not load is reported (Problems) and never
// hides the others. A name is either a file's or a studio scenario's.
type Catalog struct {
	dirs  []string
	opts  []scenarios.Option
	store ScenarioStore

	mu       sync.RWMutex
	files    *DirLibrary
	problems []string
	print    string
	saved    map[string]savedScenario
	// changed is closed and replaced whenever the catalog changes, for
	// whoever waits on it (tests, the console's list).
	changed chan struct{}
}

type savedScenario struct {
	sc *scenarios.Scenario
	v  ScenarioVersion
}

// NewCatalog loads the files of dirs and the latest version of every
// studio scenario of store. Files that do not load are in Problems; the
// error is only for a store that cannot be read.
func NewCatalog(ctx context.Context, dirs []string, store ScenarioStore, opts ...scenarios.Option) (*Catalog, error) {
	c := &Catalog{dirs: dirs, opts: opts, store: store, saved: map[string]savedScenario{}, changed: make(chan struct{})}
	c.reloadFiles(true)
	latest, err := store.LatestScenarios(ctx)
	if err != nil {
		return nil, err
	}
	for _, v := range latest {
		sc, err := scenarios.Parse(v.Name+".yaml", []byte(v.YAML), opts...)
		if err != nil {
			// A scenario saved valid may fail a newer validator: it stays
			// in the studio to be fixed, not in the new-drill list.
			c.problems = append(c.problems, fmt.Sprintf("studio scenario %s version %d: %v", v.Name, v.Version, err))
			continue
		}
		sc.Source = "studio"
		c.saved[v.Name] = savedScenario{sc: sc, v: v}
	}
	return c, nil
}

// Scenarios lists the scenarios drills can be created from, by name.
func (c *Catalog) Scenarios() []LibraryEntry {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := c.files.Scenarios()
	for name, s := range c.saved {
		if _, err := c.files.Scenario(name); err == nil {
			continue
		}
		e := entryOf(s.sc, "studio")
		e.Version, e.Saved, e.Author = s.v.Version, s.v.Saved, s.v.Author
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Scenario returns the named scenario, or ENOTFOUND.
func (c *Catalog) Scenario(name string) (*scenarios.Scenario, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if sc, err := c.files.Scenario(name); err == nil {
		return sc, nil
	}
	if s, ok := c.saved[name]; ok {
		return s.sc, nil
	}
	return nil, injectors.Errorf(injectors.ENOTFOUND, "No scenario named %q in the library.", name)
}

// Problems are the files (and stored versions) that did not load, each
// with its file:line:column.
func (c *Catalog) Problems() []string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return append([]string{}, c.problems...)
}

// Changed returns a channel closed at the catalog's next change.
func (c *Catalog) Changed() <-chan struct{} {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.changed
}

// Reload reads the scenario files again if any of them changed, was added
// or was removed since the last read; it reports whether it did.
func (c *Catalog) Reload() bool { return c.reloadFiles(false) }

func (c *Catalog) reloadFiles(force bool) bool {
	print := fingerprint(c.dirs)
	c.mu.RLock()
	same := !force && print == c.print
	c.mu.RUnlock()
	if same {
		return false
	}
	lib, err := LoadLibrary(c.dirs, c.opts...)
	var problems []string
	if err != nil {
		problems = strings.Split(err.Error(), "\n")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.files, c.print = lib, print
	c.problems = problems
	c.notifyLocked()
	return true
}

func (c *Catalog) notifyLocked() {
	close(c.changed)
	c.changed = make(chan struct{})
}

// Watch reads the files again whenever they change, checking every
// `every` on clk, until ctx is done.
func (c *Catalog) Watch(ctx context.Context, clk clock.WithTicker, every time.Duration) {
	t := clk.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C():
			c.Reload()
		}
	}
}

// fingerprint sums the names, sizes and modification times of the
// scenario files of dirs (and the dirs' own), cheaply: a change to any of
// them changes it.
func fingerprint(dirs []string) string {
	h := sha256.New()
	for _, dir := range dirs {
		entries, err := os.ReadDir(dir)
		if err != nil {
			fmt.Fprintf(h, "%s: %v\n", dir, err)
			continue
		}
		for _, e := range entries {
			info, err := e.Info()
			if err != nil {
				continue
			}
			fmt.Fprintf(h, "%s/%s %d %d\n", dir, e.Name(), info.Size(), info.ModTime().UnixNano())
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// fileOf returns the file a scenario name is loaded from, if it is a
// file's.
func (c *Catalog) fileOf(name string) (string, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	sc, err := c.files.Scenario(name)
	if err != nil {
		return "", false
	}
	return sc.Source, true
}

// writableDir reports whether firedrill may write scenario files in dir.
func writableDir(dir string) bool {
	f, err := os.CreateTemp(dir, ".firedrill-write-check-*")
	if err != nil {
		return false
	}
	name := f.Name()
	f.Close()
	os.Remove(name)
	return true
}

// Save validates text and stores it as the next version of its scenario
// (base is the version it was edited from, 0 for a new scenario). A
// scenario of a file is written back to its file when its directory is
// writable, and refused otherwise. The saved scenario is in Scenarios at
// once.
func (c *Catalog) Save(ctx context.Context, text []byte, base int, author string, now time.Time) (ScenarioVersion, *scenarios.Scenario, error) {
	sc, err := scenarios.Parse("scenario.yaml", text, c.opts...)
	if err != nil {
		return ScenarioVersion{}, nil, err
	}
	name := sc.Metadata.Name
	path, isFile := c.fileOf(name)
	if isFile && !writableDir(filepath.Dir(path)) {
		return ScenarioVersion{}, nil, injectors.Errorf(injectors.ECONFLICT, "Scenario %s is the file %s, which firedrill may not write: save it under another metadata.name.", name, path)
	}
	v := ScenarioVersion{Name: name, Version: base + 1, Hash: sc.ContentHash, YAML: string(text), Author: author, Saved: now.UTC(),
		Title: sc.Metadata.Title, Team: sc.Metadata.Team}
	if err := c.store.PutScenarioVersion(ctx, v); err != nil {
		return ScenarioVersion{}, nil, err
	}
	if isFile {
		if err := writeFileAtomic(path, text); err != nil {
			return ScenarioVersion{}, nil, fmt.Errorf("save scenario %s to %s: %w", name, path, err)
		}
		c.Reload()
		sc.Source = path
		return v, sc, nil
	}
	sc.Source = "studio"
	c.mu.Lock()
	c.saved[name] = savedScenario{sc: sc, v: v}
	c.notifyLocked()
	c.mu.Unlock()
	return v, sc, nil
}

// writeFileAtomic replaces path with data: a reader sees the old file or
// the new one, never half of it.
func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".firedrill-save-*")
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}

// Versions returns every stored version of a scenario, oldest first
// (ENOTFOUND when it was never saved in the studio).
func (c *Catalog) Versions(ctx context.Context, name string) ([]ScenarioVersion, error) {
	return c.store.ScenarioVersions(ctx, name)
}

// Text returns the text of a scenario as it is now: its file's, or the
// latest studio version's, with the version (0 for a file never saved in
// the studio) and whether the studio may save it.
func (c *Catalog) Text(ctx context.Context, name string) (text []byte, version int, writable bool, err error) {
	if path, ok := c.fileOf(name); ok {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, 0, false, fmt.Errorf("read scenario %s: %w", name, err)
		}
		vs, err := c.store.ScenarioVersions(ctx, name)
		if err != nil && injectors.ErrorCode(err) != injectors.ENOTFOUND {
			return nil, 0, false, err
		}
		return b, len(vs), writableDir(filepath.Dir(path)), nil
	}
	vs, err := c.store.ScenarioVersions(ctx, name)
	if err != nil {
		return nil, 0, false, err
	}
	last := vs[len(vs)-1]
	return []byte(last.YAML), last.Version, true, nil
}

// errNoStudio answers the studio's routes on a room without a studio.
var errNoStudio = injectors.Errorf(injectors.ENOTFOUND, "This drill room has no scenario studio (it needs a scenario store).")
