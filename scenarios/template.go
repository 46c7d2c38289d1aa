package scenarios

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"text/template"
	"text/template/parse"
	"time"
)

// TemplateData is what the text of an inject, a follow-up or a hint can use,
// e.g. {{.Elapsed}} or {{(fault "db-config").Title}} (fault ids contain
// dashes, so they are looked up with the fault function).
type TemplateData struct {
	// Elapsed is the drill time so far, formatted like "42m".
	Elapsed string
	// Remaining is the time left before the cap, formatted like "48m".
	Remaining string
	// DrillTitle is the scenario's metadata.title.
	DrillTitle string
	// Team is the scenario's metadata.team.
	Team string
	// Faults holds every fault of the scenario by id.
	Faults map[string]FaultData
	// Fault is the fault whose event triggered the message; nil for messages
	// triggered by time, notices, alerts or hints.
	Fault *FaultData
	// Now is the wall-clock time, formatted by the caller (e.g. "14:05").
	Now string
}

// FaultData is what templates can say about one fault.
type FaultData struct {
	ID     string
	Title  string
	Impact string
	// State is the fault's state in the drill: pending, injected, resolved,
	// skipped or reverted.
	State string
}

// FormatElapsed formats a drill time the way templates show it: whole
// minutes ("42m"), or hours and minutes past an hour ("1h5m").
func FormatElapsed(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	return Duration(d.Truncate(time.Minute)).String()
}

// MaxTemplateSteps bounds the loop iterations of one rendering of a message:
// nested ranges grow as the product of their lengths, so a hostile template
// (ranges nested under {{with $}}) would otherwise run for hours.
const MaxTemplateSteps = 10000

// stepFunc is the function the renderer calls at the top of every range
// iteration to count it against MaxTemplateSteps.
const stepFunc = "firedrillStep"

// maxPrintfWidth bounds a width or precision in a printf format, which
// would otherwise allocate before the output limit can see it.
const maxPrintfWidth = 200

// printfWidth finds a width or precision in a printf format: digits after
// %, flags or a dot, or * (taken from the arguments).
var printfWidth = regexp.MustCompile(`%[-+# 0]*(\*|[0-9]+)?(\.(\*|[0-9]+))?`)

// templateFuncs are the functions message templates can call. fault looks a
// fault up by id, which {{.Faults.id}} cannot do for ids with dashes:
// {{(fault "db-config").Title}}. An unknown id is an error. printf is
// text/template's, with widths bounded.
func templateFuncs(data TemplateData) template.FuncMap {
	steps := 0
	return template.FuncMap{
		stepFunc: func() (string, error) {
			if steps++; steps > MaxTemplateSteps {
				return "", fmt.Errorf("the text loops more than %d times; nested range is limited", MaxTemplateSteps)
			}
			return "", nil
		},
		"printf": func(format string, args ...any) (string, error) {
			for _, m := range printfWidth.FindAllStringSubmatch(format, -1) {
				for _, w := range []string{m[1], m[3]} {
					if w == "*" {
						return "", fmt.Errorf("printf: a width from the arguments (*) is not supported")
					}
					if n, err := strconv.Atoi(w); w != "" && (err != nil || n > maxPrintfWidth) {
						return "", fmt.Errorf("printf: width %s is over %d", w, maxPrintfWidth)
					}
				}
			}
			return fmt.Sprintf(format, args...), nil
		},
		// index replaces text/template's, which renders an unknown key of
		// .Faults as an empty value: a typo in {{(index .Faults "db-confg").Title}}
		// would go unseen.
		"index": func(m map[string]FaultData, key string) (FaultData, error) {
			f, ok := m[key]
			if !ok {
				return FaultData{}, fmt.Errorf("index: unknown fault %q, expected one of: %s", key, listOr(sortedKeys(m)))
			}
			return f, nil
		},
		"fault": func(id string) (FaultData, error) {
			f, ok := data.Faults[id]
			if !ok {
				return FaultData{}, fmt.Errorf("unknown fault %q, expected one of: %s", id, listOr(sortedKeys(data.Faults)))
			}
			return f, nil
		},
	}
}

// MaxMessageSize bounds the rendered text of one message.
const MaxMessageSize = 64 << 10

// parseTemplate parses text as a message template. Unknown map keys are an
// error rather than "<no value>". Messages are plain text with values, so
// the constructs that can loop or recurse without bound are refused: range
// over anything but a field (such as .Faults), define, block and template.
func parseTemplate(name, text string, data TemplateData) (*template.Template, error) {
	t, err := template.New(name).Option("missingkey=error").Funcs(templateFuncs(data)).Parse(text)
	if err != nil {
		return nil, err
	}
	if len(t.Templates()) > 1 {
		return nil, fmt.Errorf("%s: define and block are not supported in messages", name)
	}
	if t.Tree != nil && t.Tree.Root != nil {
		if err := checkNode(name, t.Tree, t.Tree.Root); err != nil {
			return nil, err
		}
		countSteps(t.Tree, t.Tree.Root)
	}
	return t, nil
}

// countSteps puts a call of stepFunc at the top of the body of every range,
// so that each iteration counts against MaxTemplateSteps.
func countSteps(tree *parse.Tree, n parse.Node) {
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return
		}
		for _, c := range n.Nodes {
			countSteps(tree, c)
		}
	case *parse.RangeNode:
		countSteps(tree, n.List)
		countSteps(tree, n.ElseList)
		if n.List != nil {
			n.List.Nodes = append([]parse.Node{stepNode(tree, n.Position())}, n.List.Nodes...)
		}
	case *parse.IfNode:
		countSteps(tree, n.List)
		countSteps(tree, n.ElseList)
	case *parse.WithNode:
		countSteps(tree, n.List)
		countSteps(tree, n.ElseList)
	}
}

// stepNode is {{firedrillStep}}: an action that prints nothing.
func stepNode(tree *parse.Tree, pos parse.Pos) parse.Node {
	id := parse.NewIdentifier(stepFunc).SetTree(tree).SetPos(pos)
	cmd := &parse.CommandNode{NodeType: parse.NodeCommand, Pos: pos, Args: []parse.Node{id}}
	pipe := &parse.PipeNode{NodeType: parse.NodePipe, Pos: pos, Cmds: []*parse.CommandNode{cmd}}
	return &parse.ActionNode{NodeType: parse.NodeAction, Pos: pos, Pipe: pipe}
}

func checkNode(name string, tree *parse.Tree, n parse.Node) error {
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return nil
		}
		for _, c := range n.Nodes {
			if err := checkNode(name, tree, c); err != nil {
				return err
			}
		}
	case *parse.TemplateNode:
		loc, _ := tree.ErrorContext(n)
		return fmt.Errorf("%s: template calls are not supported in messages", loc)
	case *parse.RangeNode:
		ok := n.Pipe != nil && len(n.Pipe.Cmds) == 1 && len(n.Pipe.Cmds[0].Args) == 1
		if ok {
			switch n.Pipe.Cmds[0].Args[0].(type) {
			case *parse.FieldNode, *parse.ChainNode:
			default:
				ok = false
			}
		}
		if !ok {
			loc, _ := tree.ErrorContext(n)
			return fmt.Errorf("%s: range over %s is not supported, expected range over a field such as .Faults", loc, n.Pipe)
		}
		if err := checkNode(name, tree, n.List); err != nil {
			return err
		}
		return checkNode(name, tree, n.ElseList)
	case *parse.IfNode:
		if err := checkNode(name, tree, n.List); err != nil {
			return err
		}
		return checkNode(name, tree, n.ElseList)
	case *parse.WithNode:
		if err := checkNode(name, tree, n.List); err != nil {
			return err
		}
		return checkNode(name, tree, n.ElseList)
	}
	return nil
}

// limitWriter fails once more than MaxMessageSize bytes are written.
type limitWriter struct {
	b strings.Builder
}

func (w *limitWriter) Write(p []byte) (int, error) {
	if w.b.Len()+len(p) > MaxMessageSize {
		return 0, fmt.Errorf("message longer than %d bytes", MaxMessageSize)
	}
	return w.b.Write(p)
}

// RenderText renders a message template with data.
func RenderText(text string, data TemplateData) (string, error) {
	t, err := parseTemplate("text", text, data)
	if err != nil {
		return "", fmt.Errorf("render text: %s", cleanTemplateError(err))
	}
	var b limitWriter
	if err := t.Execute(&b, data); err != nil {
		return "", fmt.Errorf("render text: %s", cleanTemplateError(err))
	}
	return b.b.String(), nil
}

// templateFields lists the values a template may use, for error messages.
const templateFields = ".Elapsed, .Remaining, .DrillTitle, .Team, .Faults, .Fault, .Now"

// faultFields are the values of one fault (.Fault, an item of .Faults).
const faultFields = ".ID, .Title, .Impact, .State"

var (
	unknownField = regexp.MustCompile(`can't evaluate field (\w+) in type (\*?[\w.]+)`)
	nilFault     = regexp.MustCompile(`nil pointer evaluating \*?[\w.]*FaultData\.(\w+)`)
	textPosition = regexp.MustCompile(`^text:(\d+)(?::(\d+))?: `)
)

// cleanTemplateError turns a text/template error into a designer-facing
// message, keeping the line and column inside the text.
func cleanTemplateError(err error) string {
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "template: ")
	// "text:1:8: executing "text" at <.Elapsd>: can't evaluate field ..."
	if i := strings.Index(msg, ": executing \""); i >= 0 {
		where := msg[:i]
		rest := msg[i+len(": executing \""):]
		if j := strings.Index(rest, "\" "); j >= 0 {
			rest = rest[j+2:]
		}
		msg = where + ": " + rest
	}
	// Go's words name Go types; a designer knows the values of the text.
	if m := unknownField.FindStringSubmatch(msg); m != nil {
		expected := templateFields
		if strings.Contains(m[2], "FaultData") {
			expected = faultFields
		}
		msg = strings.Replace(msg, m[0], "unknown value ."+m[1]+"; expected one of: "+expected, 1)
	}
	if m := nilFault.FindStringSubmatch(msg); m != nil {
		msg = strings.Replace(msg, m[0], ".Fault."+m[1]+" has no fault here; .Fault is only set for messages triggered by a fault event (on: {event: fault.injected|fault.resolved})", 1)
	}
	if m := textPosition.FindStringSubmatch(msg); m != nil {
		where := "line " + m[1]
		if m[2] != "" {
			where += ", column " + m[2]
		}
		msg = where + " of the text: " + msg[len(m[0]):]
	}
	if strings.Contains(msg, "map has no entry for key") {
		msg += "; .Faults is keyed by fault id (use {{(fault \"id\").Title}} for ids with dashes)"
	}
	msg = strings.Replace(msg, "error calling fault: ", "", 1)
	msg = strings.Replace(msg, "error calling index: ", "", 1)
	msg = strings.Replace(msg, "at <"+stepFunc+">: error calling "+stepFunc+": ", "", 1)
	msg = strings.Replace(msg, "error calling printf: ", "", 1)
	return msg
}

// checkTemplate parses text and executes it against sample data (see
// sampleData), so that syntax errors and unknown values are found at load
// time.
func checkTemplate(data TemplateData, text string) error {
	t, err := parseTemplate("text", text, data)
	if err != nil {
		return fmt.Errorf("invalid template: %s", cleanTemplateError(err))
	}
	var b limitWriter
	if err := t.Execute(&b, data); err != nil {
		return fmt.Errorf("invalid template: %s", cleanTemplateError(err))
	}
	return nil
}

// sampleData is the data templates are checked against; withFault says
// whether the message is triggered by a fault event, which sets .Fault.
func sampleData(s *Scenario, withFault bool) TemplateData {
	data := TemplateData{
		Elapsed:    "42m",
		Remaining:  "48m",
		DrillTitle: s.Metadata.Title,
		Team:       s.Metadata.Team,
		Faults:     map[string]FaultData{},
		Now:        "14:05",
	}
	for _, f := range s.Faults {
		data.Faults[f.ID] = FaultData{ID: f.ID, Title: f.Title, Impact: f.Impact, State: "injected"}
	}
	if withFault {
		data.Fault = &FaultData{ID: "sample", Title: "sample fault", Impact: "sample impact", State: "injected"}
	}
	return data
}

// SampleData is the data the studio's preview renders messages with, the
// same the validator checks templates against: 42 minutes in, 48 left,
// every fault injected; withFault sets .Fault for a message triggered by a
// fault event.
func SampleData(s *Scenario, withFault bool) TemplateData { return sampleData(s, withFault) }
