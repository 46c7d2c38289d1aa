package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/utils/clock"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/control/sqlite"
	"github.com/firedrill/firedrill/scenarios"
)

// databaseFile is the name of the drill database in the data directory.
const databaseFile = "firedrill.db"

func init() {
	registerCommand(func(m *Main) *cobra.Command {
		var (
			resume     bool
			drillID    string
			difficulty string
			output     string
		)
		cmd := &cobra.Command{
			Use:   "run [SCENARIO.yaml]",
			Short: "Run one drill headless: print its timeline, read commands as JSON lines on stdin",
			Long: `run starts a drill of the scenario with the real engine, the drill database
in the data directory and the injector plugins, and prints the drill's timeline
as it happens. It is for rehearsing a scenario from a terminal.

Commands are read from stdin, one JSON object per line, with an optional "id"
that is echoed in the acknowledgement. An acknowledgement is printed only
after the command is durable in the journal:

  {"id":"1","cmd":"join","person":"alice","name":"Alice","role":"participant"}
  {"id":"2","cmd":"message","channel":"incident","author":"alice","text":"on it"}
  {"id":"3","cmd":"persona","channel":"cs","persona":"cs","text":"any ETA?"}
  {"id":"4","cmd":"notice","kind":"incident","author":"alice","fields":{"impact":"..."}}
  {"id":"5","cmd":"resolve","fault":"db-config"}
  {"cmd":"pause","why":"real incident"}  {"cmd":"resume"}
  {"cmd":"hint-next"}  {"cmd":"hint-skip"}  {"cmd":"fire","fault":"web-squeezed"}
  {"cmd":"end","why":"..."}  {"cmd":"abort","why":"..."}  {"cmd":"status"}

The drill survives the process: run --resume picks up the open drills (the
one given by --drill-id, or the only one), re-arms their schedule from the
drill clock and reconciles their faults. The command exits when the drill
has ended and every fault is reverted.`,
			Args: cobra.MaximumNArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				switch {
				case resume && len(args) > 0:
					return &ExitError{Code: 2, Err: errors.New("run: give a scenario or --resume, not both")}
				case !resume && len(args) == 0:
					return &ExitError{Code: 2, Err: errors.New("run: a scenario file is required (or --resume to continue open drills)")}
				}
				switch output {
				case "text", "json":
				default:
					return &ExitError{Code: 2, Err: fmt.Errorf("run: --output %q is not a format, expected text or json", output)}
				}
				r := &runner{m: m, json: output == "json"}
				return r.run(cmd, args, resume, drillID, scenarios.Difficulty(difficulty))
			},
		}
		cmd.Flags().BoolVar(&resume, "resume", false, "continue the open drills in the data directory instead of starting one")
		cmd.Flags().StringVar(&drillID, "drill-id", "", "id of the new drill, or of the drill to follow with --resume")
		cmd.Flags().StringVar(&difficulty, "difficulty", "", "difficulty chosen for the people present: hard, medium or easy (default: the scenario's)")
		cmd.Flags().StringVarP(&output, "output", "o", "text", "timeline format: text or json (one event per line)")
		addSettingFlag(cmd, "plugins.dir")
		addSettingFlag(cmd, "drill.timeScale")
		return cmd
	})
}

// runner is one invocation of firedrill run.
type runner struct {
	m    *Main
	json bool
	mu   sync.Mutex // serializes lines on stdout
}

func (r *runner) run(cmd *cobra.Command, args []string, resume bool, drillID string, difficulty scenarios.Difficulty) error {
	ctx := cmd.Context()
	m := r.m
	if err := os.MkdirAll(m.Config.DataDir, 0o700); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	db, err := sqlite.Open(ctx, filepath.Join(m.Config.DataDir, databaseFile))
	if err != nil {
		return err
	}
	m.OnClose(db.Close)
	h, err := m.openPluginHost(ctx, cmd)
	if err != nil {
		return err
	}
	var s *scenarios.Scenario
	if !resume {
		if s, err = scenarios.Load(args[0], scenarios.WithCatalog(h)); err != nil {
			for _, e := range fieldErrors(args[0], err) {
				fmt.Fprintln(m.Stderr, e.Error())
			}
			return &ExitError{Code: 1}
		}
	}

	e := control.NewEngine(db, h, clock.RealClock{})
	e.TimeScale = m.Config.Drill.TimeScale
	e.OnRestart = m.Config.Drill.OnRestart
	e.Logf = func(format string, args ...any) { fmt.Fprintf(m.Stderr, "firedrill: "+format+"\n", args...) }
	if err := e.Open(ctx); err != nil {
		return err
	}
	m.OnClose(e.Close)

	if resume {
		if drillID, err = r.pickOpen(ctx, e, drillID); err != nil {
			return err
		}
	} else {
		d, err := e.CreateDrill(ctx, control.CreateDrill{ID: drillID, Scenario: s, Difficulty: difficulty, Actor: "facilitator"})
		if err != nil {
			return err
		}
		drillID = d.ID
		if _, err := e.AddPerson(ctx, drillID, control.Person{ID: "facilitator", Name: "Facilitator", Role: control.RoleFacilitator}, "facilitator"); err != nil {
			return err
		}
		if err := e.Start(ctx, drillID, "facilitator"); err != nil {
			return err
		}
	}
	return r.follow(ctx, e, drillID)
}

// pickOpen returns the drill --resume follows.
func (r *runner) pickOpen(ctx context.Context, e *control.Engine, id string) (string, error) {
	if id != "" {
		if _, err := e.Drill(ctx, id); err != nil {
			return "", err
		}
		return id, nil
	}
	sums, err := e.Drills(ctx, control.DrillFilter{Open: true})
	if err != nil {
		return "", err
	}
	var live []string
	for _, s := range sums {
		if s.State != control.StateRetro {
			live = append(live, s.ID)
		}
	}
	switch len(live) {
	case 0:
		return "", &ExitError{Code: 1, Err: errors.New("run --resume: no open drill to resume")}
	case 1:
		return live[0], nil
	}
	return "", &ExitError{Code: 2, Err: fmt.Errorf("run --resume: %d open drills (%s); choose one with --drill-id", len(live), strings.Join(live, ", "))}
}

// follow prints the drill's timeline and serves stdin commands until the
// drill is over (ended or aborted, every fault reverted) or ctx is done.
func (r *runner) follow(ctx context.Context, e *control.Engine, id string) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sub, err := e.Subscribe(ctx, id, 0)
	if err != nil {
		return err
	}
	defer sub.Close()
	go r.serve(ctx, e, id)
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-sub.C:
			if !ok {
				if err := sub.Err(); err != nil {
					return err
				}
				return nil
			}
			r.printEvent(ev)
			if done, err := r.over(ctx, e, id, ev); err != nil || done {
				return err
			}
		}
	}
}

// over reports whether the drill needs nothing more from this run: its end
// is on record and no fault of it is left to revert.
func (r *runner) over(ctx context.Context, e *control.Engine, id string, ev control.Event) (bool, error) {
	d, err := e.Drill(ctx, id)
	if err != nil {
		return false, err
	}
	if ev.Seq < d.Seq {
		return false, nil // more of the journal is still to be printed
	}
	switch d.State {
	case control.StateRetro, control.StateClosed:
	case control.StateAborted:
		for _, f := range d.Faults {
			if f.Phase == control.FaultInjecting || f.Phase == control.FaultInEffect || f.Phase == control.FaultResolved || f.Phase == control.FaultReverting {
				return false, nil
			}
		}
	default:
		return false, nil
	}
	mt, err := e.Metrics(ctx, id)
	if err != nil {
		return false, err
	}
	r.printMetrics(d, mt)
	return true, nil
}

func (r *runner) line(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	fmt.Fprintln(r.m.Stdout, s)
}

func (r *runner) printJSON(v any) {
	b, err := json.Marshal(v)
	if err != nil {
		b, _ = json.Marshal(map[string]string{"error": err.Error()})
	}
	r.line(string(b))
}

// clockText formats a drill time as +MM:SS.
func clockText(d time.Duration) string {
	d = d.Truncate(time.Second)
	return fmt.Sprintf("+%02d:%02d", int(d/time.Minute), int(d%time.Minute/time.Second))
}

func (r *runner) printEvent(ev control.Event) {
	if r.json {
		r.printJSON(struct {
			Event     string          `json:"event"`
			Seq       int64           `json:"seq"`
			Time      time.Time       `json:"time"`
			DrillTime time.Duration   `json:"drillTime"`
			Actor     string          `json:"actor"`
			Payload   json.RawMessage `json:"payload,omitempty"`
		}{ev.Type, ev.Seq, ev.Time, ev.DrillTime, ev.Actor, ev.Payload})
		return
	}
	r.line(fmt.Sprintf("%s #%d %-20s %s", clockText(ev.DrillTime), ev.Seq, ev.Type, describe(ev)))
}

// describe is the human line of an event in the text timeline.
func describe(ev control.Event) string {
	switch {
	case ev.Type == control.EventChatMessage:
		var msg control.Message
		if json.Unmarshal(ev.Payload, &msg) == nil {
			return fmt.Sprintf("#%s <%s> %s", msg.Channel, msg.AuthorName, msg.Text)
		}
	case ev.Type == control.EventDrillCreated:
		var p struct {
			Title      string `json:"title"`
			Difficulty string `json:"difficulty"`
		}
		if json.Unmarshal(ev.Payload, &p) == nil {
			if p.Difficulty == "" {
				return fmt.Sprintf("%q", p.Title)
			}
			return fmt.Sprintf("%q (%s)", p.Title, p.Difficulty)
		}
	case strings.HasPrefix(ev.Type, "fault."):
		var p control.FaultEvent
		if json.Unmarshal(ev.Payload, &p) == nil {
			s := p.FaultID
			for _, x := range []string{p.By, p.Detail, p.Error} {
				if x != "" {
					s += " — " + x
				}
			}
			return s
		}
	}
	if len(ev.Payload) > 0 && len(ev.Payload) < 200 {
		return string(ev.Payload)
	}
	return ""
}

func (r *runner) printMetrics(d *control.Drill, mt control.Metrics) {
	if r.json {
		r.printJSON(map[string]any{"drill": d.ID, "state": d.State, "metrics": mt})
		return
	}
	opt := func(p *time.Duration) string {
		if p == nil {
			return "—"
		}
		return clockText(*p)
	}
	r.line(fmt.Sprintf("drill %s %s (%s) after %s", d.ID, d.State, d.EndReason, clockText(mt.Duration)))
	r.line(fmt.Sprintf("  first ack %s, incident notice %s, resolution notice %s, hints %d, chained faults %d, cap reached %v",
		opt(mt.TimeToFirstAck), opt(mt.TimeToIncidentNotice), opt(mt.TimeToResolutionNotice), mt.HintsUsed, mt.FaultsChained, mt.CapReached))
	for _, f := range mt.Faults {
		r.line(fmt.Sprintf("  fault %-24s %-9s injected %s, resolved after %s", f.ID, f.Phase, opt(f.InjectedAt), opt(f.TimeToResolve)))
	}
}

// runCommand is one line of stdin.
type runCommand struct {
	ID      string            `json:"id"`
	Cmd     string            `json:"cmd"`
	Channel string            `json:"channel"`
	Author  string            `json:"author"`
	Persona string            `json:"persona"`
	Person  string            `json:"person"`
	Name    string            `json:"name"`
	Role    string            `json:"role"`
	Text    string            `json:"text"`
	ReplyTo int64             `json:"replyTo"`
	Kind    string            `json:"kind"`
	Fields  map[string]string `json:"fields"`
	Fault   string            `json:"fault"`
	Why     string            `json:"why"`
}

// serve reads commands from stdin until EOF; the drill goes on after EOF.
func (r *runner) serve(ctx context.Context, e *control.Engine, id string) {
	sc := bufio.NewScanner(r.m.Stdin)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		var c runCommand
		dec := json.NewDecoder(strings.NewReader(text))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&c); err != nil {
			r.ack(c.ID, nil, control.Errorf(control.EINVALID, "stdin line %d: %v", line, err))
			continue
		}
		if ctx.Err() != nil {
			return
		}
		res, err := r.exec(ctx, e, id, c)
		r.ack(c.ID, res, err)
	}
	if err := sc.Err(); err != nil && !errors.Is(err, io.EOF) {
		fmt.Fprintln(r.m.Stderr, "firedrill: stdin:", err)
	}
}

// ack prints the outcome of a command; it is printed only after the command
// is durable.
func (r *runner) ack(id string, res map[string]any, err error) {
	out := map[string]any{"ack": id}
	if err != nil {
		out["error"] = control.ErrorMessage(err)
		out["code"] = control.ErrorCode(err)
		if control.ErrorCode(err) == control.EINTERNAL {
			out["error"] = err.Error()
		}
	}
	for k, v := range res {
		out[k] = v
	}
	if r.json {
		r.printJSON(out)
		return
	}
	keys := make([]string, 0, len(out))
	for k := range out {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := []string{}
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s=%v", k, out[k]))
	}
	r.line("ack " + strings.Join(parts, " "))
}

func (r *runner) exec(ctx context.Context, e *control.Engine, id string, c runCommand) (map[string]any, error) {
	const facilitator = "facilitator"
	switch c.Cmd {
	case "join":
		p, err := e.AddPerson(ctx, id, control.Person{ID: c.Person, Name: c.Name, Role: control.Role(c.Role)}, facilitator)
		return map[string]any{"person": p.ID}, err
	case "message", "persona":
		in := control.PostMessage{Channel: c.Channel, AuthorID: c.Author, AuthorKind: control.AuthorPerson, Text: c.Text, ReplyTo: c.ReplyTo}
		if c.Cmd == "persona" {
			in.AuthorID, in.AuthorKind = c.Persona, control.AuthorPersona
		}
		msg, err := e.PostMessage(ctx, id, in)
		return map[string]any{"seq": msg.Seq}, err
	case "notice":
		n, err := e.PostNotice(ctx, id, control.PostNotice{Kind: scenarios.NoticeKind(c.Kind), AuthorID: c.Author, Fields: c.Fields})
		return map[string]any{"seq": n.Seq}, err
	case "resolve":
		return nil, e.MarkFaultResolved(ctx, id, c.Fault, facilitator)
	case "fire":
		return nil, e.FireFaultNow(ctx, id, c.Fault, facilitator)
	case "hint-next":
		h, err := e.FireNextHint(ctx, id, facilitator)
		return map[string]any{"hint": h}, err
	case "hint-skip":
		h, err := e.SkipHint(ctx, id, facilitator)
		return map[string]any{"hint": h}, err
	case "pause":
		return nil, e.Pause(ctx, id, facilitator, c.Why)
	case "resume":
		return nil, e.Resume(ctx, id, facilitator)
	case "end":
		return nil, e.End(ctx, id, facilitator, c.Why)
	case "abort":
		return nil, e.Abort(ctx, id, facilitator, c.Why)
	case "status":
		d, err := e.Drill(ctx, id)
		if err != nil {
			return nil, err
		}
		el, err := e.Elapsed(ctx, id)
		if err != nil {
			return nil, err
		}
		faults := map[string]string{}
		for _, f := range d.Faults {
			faults[f.ID] = string(f.Phase)
		}
		return map[string]any{"drill": d.ID, "state": d.State, "paused": d.Paused, "elapsed": el, "seq": d.Seq, "faults": faults}, nil
	}
	return nil, control.Errorf(control.EINVALID, "unknown command %q, expected join, message, persona, notice, resolve, fire, hint-next, hint-skip, pause, resume, end, abort or status", c.Cmd)
}
