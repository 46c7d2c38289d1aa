package client

import (
	"context"
	"net/http"

	"github.com/firedrill/firedrill/control/retro"
	"github.com/firedrill/firedrill/ui/wire"
)

// RetroAnswers is one person's retro form: what went well, what was lacking
// and how to improve, how to do better, and the self-rated
// incident-response ability before and after the drill (1 to 5), with the
// answers to the scenario's own questions by id.
type RetroAnswers struct {
	WentWell  string            `json:"wentWell"`
	Lacking   string            `json:"lacking"`
	Better    string            `json:"better"`
	Before    int               `json:"before"`
	After     int               `json:"after"`
	Extra     map[string]string `json:"extra,omitempty"`
	Anonymous bool              `json:"anonymous"`
}

// Retro returns the drill's retrospective as the signed-in person sees it:
// their form, the presentation order, questions, actions and the opened
// design (scenario, solution, timeline).
func (c *Client) Retro(ctx context.Context, drillID string) (wire.RetroView, error) {
	var v wire.RetroView
	err := c.Do(ctx, http.MethodGet, "/api/drills/"+drillID+"/retro", nil, &v)
	return v, err
}

// SaveRetroDraft saves the person's answers as a draft, which may be
// incomplete, and returns the journal sequence number of the save.
func (c *Client) SaveRetroDraft(ctx context.Context, drillID string, a RetroAnswers) (int64, error) {
	var out struct {
		Saved int64 `json:"saved"`
	}
	err := c.Do(ctx, http.MethodPut, "/api/drills/"+drillID+"/retro/answers", a, &out)
	return out.Saved, err
}

// SubmitRetro submits the person's answers: both ratings and the scenario's
// required questions are needed.
func (c *Client) SubmitRetro(ctx context.Context, drillID string, a RetroAnswers) (int64, error) {
	var out struct {
		Saved int64 `json:"saved"`
	}
	err := c.Do(ctx, http.MethodPost, "/api/drills/"+drillID+"/retro/submit", a, &out)
	return out.Saved, err
}

// AskRetroQuestion adds a question to the retro's queue and returns its id.
func (c *Client) AskRetroQuestion(ctx context.Context, drillID, text string) (string, error) {
	var out struct {
		ID string `json:"id"`
	}
	err := c.Do(ctx, http.MethodPost, "/api/drills/"+drillID+"/retro/questions", map[string]string{"text": text}, &out)
	return out.ID, err
}

// MarkRetroQuestionAnswered marks a queued question answered (facilitator).
func (c *Client) MarkRetroQuestionAnswered(ctx context.Context, drillID, questionID string) error {
	return c.Do(ctx, http.MethodPost, "/api/drills/"+drillID+"/retro/questions/"+questionID+"/answered", nil, nil)
}

// ProposeAction proposes a follow-up action (a ticket) and returns its id.
func (c *Client) ProposeAction(ctx context.Context, drillID string, a retro.Action) (string, error) {
	var out struct {
		ID string `json:"id"`
	}
	in := map[string]string{"title": a.Title, "kind": string(a.Kind), "owner": a.Owner, "due": a.Due}
	err := c.Do(ctx, http.MethodPost, "/api/drills/"+drillID+"/retro/actions", in, &out)
	return out.ID, err
}

// DecideAction accepts or rejects a proposed action (facilitator).
func (c *Client) DecideAction(ctx context.Context, drillID, actionID string, accept bool) error {
	verb := "reject"
	if accept {
		verb = "accept"
	}
	return c.Do(ctx, http.MethodPost, "/api/drills/"+drillID+"/retro/actions/"+actionID+"/"+verb, nil, nil)
}

// NextPresenter moves the retro to the next person in the presentation
// order (participants first) and returns whose turn it is (facilitator).
func (c *Client) NextPresenter(ctx context.Context, drillID string) (string, error) {
	var out struct {
		Presenting string `json:"presenting"`
	}
	err := c.Do(ctx, http.MethodPost, "/api/drills/"+drillID+"/retro/next", nil, &out)
	return out.Presenting, err
}

// CloseRetro closes the retro (facilitator); answers are final after it.
func (c *Client) CloseRetro(ctx context.Context, drillID string) error {
	return c.Do(ctx, http.MethodPost, "/api/drills/"+drillID+"/retro/close", nil, nil)
}

// Record export formats, by the file name the API serves them under.
const (
	ExportMarkdown = "record.md"
	ExportHTML     = "record.html"
	ExportCSV      = "record.csv"
	ExportGitHub   = "record.github.json"
	// ExportJSON is the full record with its hash-chained journal; the
	// facilitator's only. `firedrill verify` checks it.
	ExportJSON = "record.json"
)

// Export downloads the drill's record in a format (one of the Export
// constants). The record opens when the drill ends.
func (c *Client) Export(ctx context.Context, drillID, format string) ([]byte, error) {
	b, _, err := c.Get(ctx, "/api/drills/"+drillID+"/"+format)
	return b, err
}
