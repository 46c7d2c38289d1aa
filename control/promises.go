package control

import (
	"time"

	"github.com/firedrill/firedrill/scenarios"
)

// NextUpdateField is the notice field in which an incident notice or a
// status update promises the next update, as a clock time ("14:20").
const NextUpdateField = "nextUpdate"

// UpdatePromise is a next update a notice promised, and whether it came.
type UpdatePromise struct {
	// Seq is the journal sequence of the notice that promised it.
	Seq int64 `json:"seq"`
	// Promised is the clock time as written, e.g. "14:20".
	Promised string `json:"promised"`
	// Due is the drill time the clock time stands for.
	Due time.Duration `json:"due"`
	// KeptAt is the drill time of the next notice after the promise (a
	// status update or the resolution notice); nil while none came.
	KeptAt *time.Duration `json:"keptAt,omitempty"`
}

// Kept reports whether an update came after the promise.
func (p UpdatePromise) Kept() bool { return p.KeptAt != nil }

// UpdatePromises returns the next updates the drill's notices promised, in
// order. A clock time is read in loc as the drill's own clock: the wall
// time the drill started at plus the drill time, so that the promise of a
// rehearsal on a faster clock falls due at the same point of the drill as
// in the real one. The promised instant is taken within 12 hours of the
// notice.
func UpdatePromises(d *Drill, loc *time.Location) []UpdatePromise {
	if d.StartedAt.IsZero() {
		return nil
	}
	var out []UpdatePromise
	for _, n := range d.Notices {
		if len(out) > 0 && out[len(out)-1].KeptAt == nil {
			at := n.At
			out[len(out)-1].KeptAt = &at
		}
		if n.Kind != scenarios.NoticeIncident && n.Kind != scenarios.NoticeStatus {
			continue
		}
		v := n.Fields[NextUpdateField]
		clk, err := time.Parse("15:04", v)
		if err != nil {
			continue
		}
		posted := d.StartedAt.Add(n.At).In(loc)
		p := time.Date(posted.Year(), posted.Month(), posted.Day(), clk.Hour(), clk.Minute(), 0, 0, loc)
		switch diff := p.Sub(posted); {
		case diff > 12*time.Hour:
			p = p.AddDate(0, 0, -1)
		case diff <= -12*time.Hour:
			p = p.AddDate(0, 0, 1)
		}
		out = append(out, UpdatePromise{Seq: n.Seq, Promised: v, Due: p.Sub(d.StartedAt)})
	}
	return out
}
