package headless

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/scenarios"
)

// Command is one line of the command protocol. ID, when set, is echoed in
// the acknowledgement; Cmd names the command; the other fields are its
// arguments (see Exec).
type Command struct {
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

// maxLine bounds one command line.
const maxLine = 1024 * 1024

// Serve reads commands from in, one JSON object per line, until in is
// exhausted or ctx is done, and acknowledges each: a line that is not a
// command is refused with its line number, blank lines are skipped.
func (s *Session) Serve(ctx context.Context, in io.Reader) {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64*1024), maxLine)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		var c Command
		dec := json.NewDecoder(strings.NewReader(text))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&c); err != nil {
			s.ack(c.ID, nil, injectors.Errorf(injectors.EINVALID, "stdin line %d: %v", line, err))
			continue
		}
		if ctx.Err() != nil {
			return
		}
		res, err := s.Exec(ctx, c)
		s.ack(c.ID, res, err)
	}
	if err := sc.Err(); err != nil && !errors.Is(err, io.EOF) && s.Log != nil {
		fmt.Fprintln(s.Log, "firedrill: stdin:", err)
	}
}

// ack prints the outcome of a command; it is printed only after the command
// is durable.
func (s *Session) ack(id string, res map[string]any, err error) {
	out := map[string]any{"ack": id}
	if err != nil {
		out["error"] = injectors.ErrorMessage(err)
		out["code"] = injectors.ErrorCode(err)
		if injectors.ErrorCode(err) == injectors.EINTERNAL {
			out["error"] = err.Error()
		}
	}
	for k, v := range res {
		out[k] = v
	}
	if s.JSON {
		s.printJSON(out)
		return
	}
	keys := make([]string, 0, len(out))
	for k := range out {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s=%v", k, out[k]))
	}
	s.line("ack " + strings.Join(parts, " "))
}

// Exec runs one command on the drill as the facilitator and returns what
// its acknowledgement reports besides the id:
//
//	join       person, name, role              → person
//	message    channel, author, text, replyTo  → seq
//	persona    channel, persona, text, replyTo → seq
//	notice     kind, author, fields            → seq
//	resolve    fault
//	fire       fault
//	hint-next, hint-skip                       → hint
//	pause      why
//	resume
//	end        why
//	abort      why
//	status                                     → drill, state, paused, elapsed, seq, faults
func (s *Session) Exec(ctx context.Context, c Command) (map[string]any, error) {
	e, id := s.Engine, s.DrillID
	switch c.Cmd {
	case "join":
		p, err := e.AddPerson(ctx, id, control.Person{ID: c.Person, Name: c.Name, Role: control.Role(c.Role)}, Actor)
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
		return nil, e.MarkFaultResolved(ctx, id, c.Fault, Actor)
	case "fire":
		return nil, e.FireFaultNow(ctx, id, c.Fault, Actor)
	case "hint-next":
		h, err := e.FireNextHint(ctx, id, Actor)
		return map[string]any{"hint": h}, err
	case "hint-skip":
		h, err := e.SkipHint(ctx, id, Actor)
		return map[string]any{"hint": h}, err
	case "pause":
		return nil, e.Pause(ctx, id, Actor, c.Why)
	case "resume":
		return nil, e.Resume(ctx, id, Actor)
	case "end":
		return nil, e.End(ctx, id, Actor, c.Why)
	case "abort":
		return nil, e.Abort(ctx, id, Actor, c.Why)
	case "status":
		return s.status(ctx)
	}
	return nil, injectors.Errorf(injectors.EINVALID, "unknown command %q, expected join, message, persona, notice, resolve, fire, hint-next, hint-skip, pause, resume, end, abort or status", c.Cmd)
}

func (s *Session) status(ctx context.Context) (map[string]any, error) {
	d, err := s.Engine.Drill(ctx, s.DrillID)
	if err != nil {
		return nil, err
	}
	el, err := s.Engine.Elapsed(ctx, s.DrillID)
	if err != nil {
		return nil, err
	}
	faults := map[string]string{}
	for _, f := range d.Faults {
		faults[f.ID] = string(f.Phase)
	}
	return map[string]any{"drill": d.ID, "state": d.State, "paused": d.Paused, "elapsed": el, "seq": d.Seq, "faults": faults}, nil
}
