package ui

import (
	"context"
	"time"
)

// ScenarioVersion is one saved version of a scenario written in the studio.
// Versions are never changed or deleted: a drill records the Hash of the
// text it ran, so a later edit never changes a past record.
type ScenarioVersion struct {
	// Name is the scenario's metadata.name; Version counts from 1.
	Name    string `json:"name"`
	Version int    `json:"version"`
	// Hash is scenarios.ContentHash of YAML.
	Hash string `json:"hash"`
	YAML string `json:"yaml,omitempty"`
	// Author is who saved it (their name) and Saved when.
	Author string    `json:"author"`
	Saved  time.Time `json:"saved"`
	// Title and Team are the scenario's, for listing without parsing.
	Title string `json:"title"`
	Team  string `json:"team,omitempty"`
}

// ScenarioStore keeps the scenarios written in the studio, every version;
// ui/sqlite and ui/postgres implement it (the contract is in
// internal/storetest).
type ScenarioStore interface {
	// PutScenarioVersion stores v. v.Version must be one more than the
	// latest stored version of v.Name (1 for a new scenario): otherwise
	// someone saved in between and the answer is ECONFLICT.
	PutScenarioVersion(ctx context.Context, v ScenarioVersion) error
	// ScenarioVersions returns every version of a scenario, oldest first,
	// or ENOTFOUND.
	ScenarioVersions(ctx context.Context, name string) ([]ScenarioVersion, error)
	// LatestScenarios returns the latest version of every scenario, by
	// name.
	LatestScenarios(ctx context.Context) ([]ScenarioVersion, error)
}
