package control

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/scenarios"
)

// maxMessageLen bounds a chat message, in characters.
const maxMessageLen = 4000

// PostMessage is a chat message to post: by a person (AuthorKind "person")
// or by the facilitator as a persona (AuthorKind "persona").
type PostMessage struct {
	Channel    string
	AuthorID   string
	AuthorKind string
	Text       string
	ReplyTo    int64
}

// PostMessage stores a chat message and returns it with its sequence number.
// It returns only after the message is durable.
func (e *Engine) PostMessage(ctx context.Context, drillID string, in PostMessage) (Message, error) {
	var msg Message
	evs, err := e.mutate(ctx, drillID, func(d *Drill) ([]pending, error) {
		switch d.State {
		case StateBriefing, StateRunning, StateEnded, StateRetro, StateAborted:
		default:
			return nil, injectors.Errorf(injectors.ECONFLICT, "drill %s is %s; chat opens at the briefing", d.ID, d.State)
		}
		text := strings.TrimSpace(CleanText(in.Text))
		if text == "" {
			return nil, injectors.Errorf(injectors.EINVALID, "message text is empty")
		}
		if n := utf8.RuneCountInString(text); n > maxMessageLen {
			return nil, injectors.Errorf(injectors.EINVALID, "message is %d characters long, at most %d are allowed", n, maxMessageLen)
		}
		if !d.Scenario.HasChannel(in.Channel) {
			return nil, injectors.Errorf(injectors.EINVALID, "channel %q is not a channel of this drill, expected one of %s", in.Channel, strings.Join(d.Scenario.ChannelIDs(), ", "))
		}
		if in.ReplyTo < 0 || in.ReplyTo > d.Seq {
			return nil, injectors.Errorf(injectors.EINVALID, "replyTo #%d is not a message of this drill", in.ReplyTo)
		}
		msg = Message{Channel: in.Channel, AuthorID: in.AuthorID, AuthorKind: in.AuthorKind, Text: text, ReplyTo: in.ReplyTo, DrillTime: d.Elapsed(e.clock.Now())}
		actor := in.AuthorID
		switch in.AuthorKind {
		case AuthorPerson, "":
			p, ok := d.Person(in.AuthorID)
			if !ok {
				return nil, injectors.Errorf(injectors.ENOTFOUND, "person %q is not in drill %s", in.AuthorID, d.ID)
			}
			if in.Channel == scenarios.BackroomChannel && !p.Role.Backroom() {
				return nil, injectors.Errorf(injectors.EFORBIDDEN, "participants cannot write in the back room")
			}
			msg.AuthorKind, msg.AuthorName = AuthorPerson, p.Name
		case AuthorPersona:
			p, ok := d.Scenario.Persona(in.AuthorID)
			if !ok {
				return nil, injectors.Errorf(injectors.ENOTFOUND, "persona %q is not in the scenario", in.AuthorID)
			}
			msg.AuthorName = p.DisplayName()
			actor = PersonaActor(p.ID)
		default:
			return nil, injectors.Errorf(injectors.EINVALID, "author kind %q is not allowed, expected person or persona", in.AuthorKind)
		}
		return []pending{{Type: EventChatMessage, Actor: actor, Payload: msg}}, nil
	})
	if err != nil {
		return Message{}, err
	}
	msg.Seq = evs[0].Seq
	return msg, nil
}

// PostNotice is a notice a participant posts by filling the scenario's
// notice form.
type PostNotice struct {
	Kind     scenarios.NoticeKind
	AuthorID string
	Fields   map[string]string
}

// PostNotice validates a notice against the scenario's form (required
// fields present, select values among the options, scales 1 to 5, times and
// durations parseable) and stores it. Incident and resolution notices drive
// the metrics and the natural end of the drill.
func (e *Engine) PostNotice(ctx context.Context, drillID string, in PostNotice) (Notice, error) {
	var n Notice
	evs, err := e.mutate(ctx, drillID, func(d *Drill) ([]pending, error) {
		if d.State != StateRunning {
			return nil, injectors.Errorf(injectors.ECONFLICT, "drill %s is %s; notices are posted while it runs", d.ID, d.State)
		}
		if _, ok := d.Person(in.AuthorID); !ok {
			return nil, injectors.Errorf(injectors.ENOTFOUND, "person %q is not in drill %s", in.AuthorID, d.ID)
		}
		clean := make(map[string]string, len(in.Fields))
		for k, v := range in.Fields {
			clean[k] = CleanText(v)
		}
		fields, err := d.Scenario.ValidateNotice(in.Kind, clean)
		if err != nil {
			return nil, noticeError(in.Kind, err)
		}
		ch := d.Scenario.NoticeTemplate(in.Kind).Channel
		if ch == "" {
			ch = d.Scenario.IncidentChannel()
		}
		n = Notice{Kind: in.Kind, Channel: ch, AuthorID: in.AuthorID, Fields: fields, At: d.Elapsed(e.clock.Now())}
		return []pending{{Type: EventNoticePosted, Actor: in.AuthorID, Payload: NoticePosted{Kind: in.Kind, Channel: ch, AuthorID: in.AuthorID, Fields: fields}}}, nil
	})
	if err != nil {
		return Notice{}, err
	}
	n.Seq = evs[0].Seq
	return n, nil
}

// noticeError words the error of scenarios.ValidateNotice as an EINVALID
// error: the missing required fields, the unknown ones, then each bad value
// with what was expected.
func noticeError(kind scenarios.NoticeKind, err error) error {
	var fe scenarios.NoticeErrors
	if !errors.As(err, &fe) {
		return injectors.Errorf(injectors.EINVALID, "%v", err)
	}
	var unknown, missing, bad []string
	for _, f := range fe {
		switch f.Problem {
		case scenarios.ProblemRequired:
			missing = append(missing, f.Field.ID)
		case scenarios.ProblemUnknown:
			unknown = append(unknown, f.Field.ID)
		default:
			bad = append(bad, fmt.Sprintf("%s %s", f.Field.ID, checkField(f.Field, f.Value)))
		}
	}
	var parts []string
	if len(missing) > 0 {
		parts = append(parts, "missing required fields: "+strings.Join(missing, ", "))
	}
	if len(unknown) > 0 {
		parts = append(parts, "unknown fields: "+strings.Join(unknown, ", "))
	}
	if len(bad) > 0 {
		sort.Strings(bad)
		parts = append(parts, strings.Join(bad, "; "))
	}
	return injectors.Errorf(injectors.EINVALID, "%s notice: %s", kind, strings.Join(parts, "; "))
}

func checkField(f scenarios.NoticeField, v string) string {
	switch f.Check(v) {
	case scenarios.ProblemOption:
		return fmt.Sprintf("is %q, expected one of %s", v, strings.Join(f.Options, ", "))
	case scenarios.ProblemScale:
		return fmt.Sprintf("is %q, expected a whole number from 1 to 5", v)
	case scenarios.ProblemTime:
		return fmt.Sprintf("is %q, expected a clock time like 14:05, or \"unknown\"", v)
	case scenarios.ProblemDuration:
		return fmt.Sprintf("is %q, expected a duration like 20m", v)
	case scenarios.ProblemTooLong:
		return fmt.Sprintf("is longer than %d characters", scenarios.MaxNoticeFieldRunes)
	}
	return ""
}
