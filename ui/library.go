package ui

import (
	"errors"
	"fmt"
	"sort"

	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/scenarios"
)

// DirLibrary is a Library of the scenario files (*.yaml, *.yml) in a list of
// directories, loaded and validated once.
type DirLibrary struct {
	byName map[string]*scenarios.Scenario
	list   []LibraryEntry
}

// LoadLibrary loads every scenario file of dirs. A file that does not load
// is an error naming the file and the problem (with line and column); so is
// a scenario name used by two files. The library of the files that did load
// is returned even then, so that one broken file does not take the others
// down.
func LoadLibrary(dirs []string, opts ...scenarios.Option) (*DirLibrary, error) {
	l := &DirLibrary{byName: map[string]*scenarios.Scenario{}}
	var errs []error
	for _, dir := range dirs {
		files, err := scenarios.LoadDir(dir, opts...)
		if err != nil {
			errs = append(errs, fmt.Errorf("scenarios.dirs: %w", err))
			continue
		}
		for _, f := range files {
			if f.Err != nil {
				errs = append(errs, f.Err)
				continue
			}
			sc, path := f.Scenario, f.Path
			if prev, dup := l.byName[sc.Metadata.Name]; dup {
				errs = append(errs, fmt.Errorf("%s: scenario name %q is already used by %s", path, sc.Metadata.Name, prev.Source))
				continue
			}
			l.byName[sc.Metadata.Name] = sc
			l.list = append(l.list, entryOf(sc, path))
		}
	}
	sort.Slice(l.list, func(i, j int) bool { return l.list[i].Name < l.list[j].Name })
	return l, errors.Join(errs...)
}

// Scenarios lists the loaded scenarios by name.
func (l *DirLibrary) Scenarios() []LibraryEntry {
	return append([]LibraryEntry{}, l.list...)
}

// Scenario returns the named scenario, or ENOTFOUND.
func (l *DirLibrary) Scenario(name string) (*scenarios.Scenario, error) {
	sc, ok := l.byName[name]
	if !ok {
		return nil, injectors.Errorf(injectors.ENOTFOUND, "No scenario named %q in the library.", name)
	}
	return sc, nil
}

// entryOf describes a scenario loaded from source for the library.
func entryOf(sc *scenarios.Scenario, source string) LibraryEntry {
	e := LibraryEntry{
		Name: sc.Metadata.Name, Title: sc.Metadata.Title, Description: sc.Metadata.Summary,
		Difficulty: sc.Difficulty, Difficulties: sc.Difficulties(), Source: source, Team: sc.Metadata.Team,
		Hash: sc.ContentHash, Designer: sc.Metadata.Designer,
	}
	for _, f := range sc.Faults {
		e.Faults = append(e.Faults, f.ID)
	}
	for _, c := range sc.Candidates {
		e.Candidates = append(e.Candidates, CandidateEntry{ID: c.ID, Title: c.Title, Description: c.Description})
	}
	return e
}
