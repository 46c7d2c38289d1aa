package ui

import (
	"context"
	"time"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/scenarios"
)

// Engine is what the drill room needs from the drill engine; *control.Engine
// implements it. Every method that changes a drill appends to the drill's
// journal durably before it returns; the room streams the new events to
// browsers from Follow. actor is who acts: a person id or "facilitator".
type Engine interface {
	Drill(ctx context.Context, id string) (*control.Drill, error)
	View(ctx context.Context, id string, fn func(d *control.Drill) error) error
	Drills(ctx context.Context, f control.DrillFilter) ([]control.DrillSummary, error)
	CreateDrill(ctx context.Context, in control.DrillRequest) (*control.Drill, error)
	AddPerson(ctx context.Context, drillID string, p control.Person, actor string) (control.Person, error)
	RemovePerson(ctx context.Context, drillID, personID, actor, reason string) error

	StartBriefing(ctx context.Context, id, actor string) error
	Start(ctx context.Context, id, actor string) error
	Pause(ctx context.Context, id, actor, why string) error
	Resume(ctx context.Context, id, actor string) error
	End(ctx context.Context, id, actor, why string) error
	// AbortReport stops the drill and reverts every fault; it says which
	// faults are reverted and which are still being retried.
	AbortReport(ctx context.Context, id, actor, why string) (control.StopReport, error)

	FireNextHint(ctx context.Context, id, actor string) (string, error)
	SkipHint(ctx context.Context, id, actor string) (string, error)
	SkipHintStage(ctx context.Context, id, hintID, actor, why string) error
	SetTimeScale(ctx context.Context, id string, scale float64, actor string) error
	FireFaultNow(ctx context.Context, id, faultID, actor string) error
	SkipFault(ctx context.Context, id, faultID, actor, why string) error
	MarkFaultResolved(ctx context.Context, id, faultID, actor string) error
	ConfirmFault(ctx context.Context, drillID, faultID, personID string) error

	PostMessage(ctx context.Context, drillID string, in control.PostMessage) (control.Message, error)
	PostNotice(ctx context.Context, drillID string, in control.PostNotice) (control.Notice, error)
	AppendEvent(ctx context.Context, id, typ, actor string, payload any) (control.Event, error)
	// AppendEventIf appends when allow, run under the drill's lock with
	// the append, returns nil.
	AppendEventIf(ctx context.Context, id, typ, actor string, payload any, allow func(d *control.Drill) error) (control.Event, error)
	// FollowStreamed registers prepare, which runs on each append's
	// events before they are durable and returns what publishes them:
	// at once for chat messages (early), whose commit's answer settled
	// is then told, and once they are durable for every other event, in
	// journal order per drill (see control.Engine.FollowStreamed); the
	// returned function unregisters it.
	FollowStreamed(prepare func(evs []control.Event, early bool) (publish func()), settled func(evs []control.Event, err error)) (stop func())
}

// Library is the set of scenarios the facilitator can create drills from.
type Library interface {
	// Scenarios lists the loaded scenarios by name.
	Scenarios() []LibraryEntry
	// Scenario returns the scenario with the given name, or ENOTFOUND.
	Scenario(name string) (*scenarios.Scenario, error)
}

// CandidateEntry is a candidate scenario as the start form offers it.
type CandidateEntry struct {
	ID          string `json:"id"`
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
}

// LibraryEntry describes one scenario in the library.
type LibraryEntry struct {
	Name         string                 `json:"name"`
	Title        string                 `json:"title"`
	Description  string                 `json:"description,omitempty"`
	Difficulty   scenarios.Difficulty   `json:"difficulty,omitempty"`
	Difficulties []scenarios.Difficulty `json:"difficulties,omitempty"`
	// Candidates are the candidate scenarios the file keeps, one of which
	// the facilitator picks when creating a drill (their solutions stay in
	// the file).
	Candidates []CandidateEntry `json:"candidates,omitempty"`
	Source     string           `json:"source,omitempty"`
	// Team is the team the scenario belongs to (its metadata.team).
	Team     string `json:"team,omitempty"`
	Designer string `json:"designer,omitempty"`
	// Faults are the ids of the scenario's faults.
	Faults []string `json:"faults,omitempty"`
	// Hash is the SHA-256 of the scenario's text: what a drill pins.
	Hash string `json:"hash,omitempty"`
	// Version, Saved and Author are the latest studio version's (none for
	// a file never saved in the studio).
	Version int       `json:"version,omitempty"`
	Saved   time.Time `json:"saved,omitzero"`
	Author  string    `json:"author,omitempty"`
}
