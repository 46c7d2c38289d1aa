package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/scenarios"
	"github.com/firedrill/firedrill/ui/client"
)

// Library is what creating the demo drill needs from the room's scenario
// library.
type Library interface {
	// Scenario returns the scenario of the library named name.
	Scenario(name string) (*scenarios.Scenario, error)
	// Names lists the scenarios that loaded.
	Names() []string
}

// CreateDrill creates the demo drill through the drill room's own API at
// url, as a facilitator would in the console, adds its people, and records
// the drill and the join links in st.
func CreateDrill(ctx context.Context, url, token string, lib Library, o Options, st *State) error {
	fc, err := client.New(url)
	if err != nil {
		return err
	}
	if err := fc.Login(ctx, token); err != nil {
		return err
	}
	sc, err := lib.Scenario(o.Scenario)
	if err != nil {
		return fmt.Errorf("scenario %q is not in the library (loaded: %s)", o.Scenario, strings.Join(lib.Names(), ", "))
	}
	d, err := fc.CreateDrillCandidate(ctx, o.Scenario, "Demo: "+sc.Metadata.Title, o.Difficulty, o.Candidate)
	if err != nil {
		return err
	}
	st.DrillID = d.ID
	st.ConsoleURL = url + "/console/drills/" + d.ID
	add := func(names []string, role control.Role) error {
		for _, n := range names {
			if n = strings.TrimSpace(n); n == "" {
				continue
			}
			l, err := fc.AddPerson(ctx, d.ID, n, role)
			if err != nil {
				return err
			}
			st.JoinLinks = append(st.JoinLinks, JoinLink{Name: n, Role: role, URL: l.URL})
		}
		return nil
	}
	if err := add(o.Participants, control.RoleParticipant); err != nil {
		return err
	}
	return add(o.Observers, control.RoleObserver)
}

// PrintReady tells the person at the terminal where everything is.
func PrintReady(w io.Writer, st State) {
	fmt.Fprintf(w, "\nfiredrill demo is ready (started in %s).\n\n", st.StartedAfter)
	fmt.Fprintf(w, "  Facilitator console   %s/login\n", st.URL)
	fmt.Fprintf(w, "  Admin token           %s\n", st.AdminToken)
	if st.DrillID != "" {
		fmt.Fprintf(w, "  Demo drill            %s  (draft: brief, then start it in the console)\n", st.ConsoleURL)
		fmt.Fprintf(w, "\n  Join links — open each in its own browser profile or private window:\n")
		for _, l := range st.JoinLinks {
			fmt.Fprintf(w, "    %-10s %-12s %s\n", l.Name, l.Role, l.URL)
		}
	}
	fmt.Fprintf(w, "\n  The sample shop runs in namespace %q of the local cluster:\n", st.Namespace)
	kubectl := "kubectl"
	if st.Kubectl != "" {
		kubectl = st.Kubectl
	}
	fmt.Fprintf(w, "    export KUBECONFIG=%s\n", st.Kubeconfig)
	fmt.Fprintf(w, "    %s -n %s get deploy,cm,secret,svc,cronjob,networkpolicy\n", kubectl, st.Namespace)
	if u := st.ServiceURLs[st.Namespace+"/web"]; u != "" {
		fmt.Fprintf(w, "    curl %s/api/checkout/health\n", u)
	}
	if st.Kubectl == "" {
		fmt.Fprintf(w, "    (kubectl is not on PATH; the demo builds one into the cache and says when it is ready)\n")
	}
	if st.TimeScale == 1 {
		fmt.Fprintf(w, "\n  Drill clock: real time, 90-minute cap. Rehearse faster: choose the drill clock in the console before the start, or firedrill demo --time-scale 10\n")
	} else {
		fmt.Fprintf(w, "\n  Drill clock: %g× (a 90-minute drill takes %s)\n", st.TimeScale, (time.Duration(float64(90*time.Minute) / st.TimeScale)).Round(time.Second))
	}
	fmt.Fprintf(w, "  Everything above is also in %s (kept while the demo runs, removed when it stops).\n", StatePath(st))
	fmt.Fprintf(w, "\nPress Ctrl-C to stop: running drills are aborted, every fault is reverted, the cluster stops.\n")
}

// AbortRunning aborts every running drill (the engine reverts its faults
// before Abort returns), saying each on out. The demo's host then checks
// that nothing in the cluster still carries a firedrill annotation
// (Host.CheckLeftovers).
func AbortRunning(ctx context.Context, e *control.Engine, out io.Writer) error {
	fmt.Fprintln(out, "\nfiredrill demo: stopping; aborting running drills and reverting their faults")
	ds, err := e.Drills(ctx, control.DrillFilter{Open: true})
	if err != nil {
		return fmt.Errorf("demo: list drills: %w", err)
	}
	var errs []error
	for _, d := range ds {
		if d.State != control.StateRunning {
			continue
		}
		if err := e.Abort(ctx, d.ID, "firedrill-demo", "the demo was stopped (Ctrl-C)"); err != nil {
			errs = append(errs, fmt.Errorf("abort drill %s: %w", d.ID, err))
			continue
		}
		fmt.Fprintf(out, "firedrill demo: aborted drill %s (%s); its faults are reverted\n", d.ID, d.Title)
	}
	return errors.Join(errs...)
}
