package rehearse

import (
	"fmt"

	"github.com/firedrill/firedrill/control"
)

// alertChecks says what each alert did: when it fired, how often it was
// posted (a storm's repeats, reminders) and when it resolved — or why it
// never fired. A scripted alert due at a time before the end that never
// fired fails: the engine did not play it.
func alertChecks(rep *Report, d *control.Drill) {
	end := endTime(d)
	for i, a := range d.Alerts {
		sa := d.Scenario.Alerts[i]
		what := "alert " + a.ID
		switch {
		case a.FirstFired != nil:
			msg := fmt.Sprintf("fired at %s, posted %d times", at(*a.FirstFired), a.Posts)
			if a.FirstClear != nil {
				msg += ", resolved at " + at(*a.FirstClear)
			} else if a.Firing {
				msg += ", still firing at the end"
			}
			rep.add(what, OutcomePassed, "%s", msg)
		case !sa.HasCheck() && sa.At != nil && sa.At.D() < end:
			rep.add(what, OutcomeFailed, "due at %s, never fired (the drill ended at %s)", sa.At, at(end))
		case sa.HasCheck():
			rep.add(what, OutcomeSkipped, "its check %s never failed for %s before the drill ended at %s", sa.Probe.Probe, sa.For, at(end))
		case sa.On != nil:
			rep.add(what, OutcomeSkipped, "its event never happened: %s", sa.On.Describe())
		default:
			rep.add(what, OutcomeSkipped, "due at %s, after the drill ended at %s", sa.At, at(end))
		}
	}
}
