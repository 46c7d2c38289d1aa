// Package doctor checks that firedrill can run drills safely against its
// beta cluster before a drill day: the Kubernetes context and the API server,
// the namespaces and objects the scenarios target, the RBAC permissions each
// fault and probe needs (asked with SelfSubjectAccessReview), the injector
// plugins and their checksum pins, and objects left marked by earlier drills.
// It asks the cluster only through the Kubernetes injector's check API
// (a Cluster: the injector's, run by firedrill in the Kubernetes helper
// process, see injectors/kubernetes/helper), with the injector's own
// context, clients and kind table, so that what doctor checks is what a
// drill would touch; doctor itself imports no Kubernetes client.
//
// Run returns a Report of checks, each ok, info, warn, fail or skip, with a
// one-line detail and, when something is wrong, the fix: the kubectl command
// or the configuration key to change. `firedrill doctor` prints it.
package doctor

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"k8s.io/utils/clock"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/injectors/host"
	"github.com/firedrill/firedrill/injectors/kubernetes/catalog"
	"github.com/firedrill/firedrill/internal/ha"
	"github.com/firedrill/firedrill/scenarios"
)

// Status is the outcome of one check.
type Status string

// Statuses of checks. Only Fail makes the report fail.
const (
	OK   Status = "ok"
	Info Status = "info"
	Warn Status = "warn"
	Fail Status = "fail"
	// Skip is a check that could not run because an earlier one failed
	// (no cluster to ask).
	Skip Status = "skip"
)

// Section groups checks in the report.
type Section string

// Sections of the report, in the order they are printed.
const (
	SectionConfig    Section = "configuration"
	SectionScenarios Section = "scenarios"
	SectionRBAC      Section = "rbac"
	SectionPlugins   Section = "plugins"
	SectionLeftovers Section = "leftovers"
)

var sectionTitles = map[Section]string{
	SectionConfig:    "Configuration",
	SectionScenarios: "Scenarios",
	SectionRBAC:      "RBAC",
	SectionPlugins:   "Plugins",
	SectionLeftovers: "Leftovers",
}

var sectionOrder = []Section{SectionConfig, SectionScenarios, SectionRBAC, SectionPlugins, SectionLeftovers}

// Check is one finding.
type Check struct {
	Section Section `json:"section"`
	// Name is what was checked: "context", "namespace shop", "plugin flagfile".
	Name   string `json:"name"`
	Status Status `json:"status"`
	// Detail is one line saying what was found.
	Detail string `json:"detail"`
	// Fix, on warn and fail, is what to do: a command or a configuration key.
	Fix string `json:"fix,omitempty"`
}

// Summary counts checks by status.
type Summary struct {
	OK   int `json:"ok"`
	Info int `json:"info"`
	Warn int `json:"warn"`
	Fail int `json:"fail"`
	Skip int `json:"skip"`
}

// Report is the result of Run.
type Report struct {
	// Context is the Kubernetes context checked, "" when none is configured.
	Context string  `json:"context"`
	Checks  []Check `json:"checks"`
	Summary Summary `json:"summary"`
}

// Failed reports whether any check failed.
func (r *Report) Failed() bool { return r.Summary.Fail > 0 }

func (r *Report) add(c Check) {
	r.Checks = append(r.Checks, c)
	switch c.Status {
	case OK:
		r.Summary.OK++
	case Info:
		r.Summary.Info++
	case Warn:
		r.Summary.Warn++
	case Fail:
		r.Summary.Fail++
	case Skip:
		r.Summary.Skip++
	}
}

// Find returns the checks of a section whose name is name, for tests and
// scripts.
func (r *Report) Find(s Section, name string) []Check {
	var out []Check
	for _, c := range r.Checks {
		if c.Section == s && c.Name == name {
			out = append(out, c)
		}
	}
	return out
}

// ScenarioFile is a scenario file as loaded for the checks: the scenario, or
// the error that kept it from loading.
type ScenarioFile struct {
	Path     string
	Scenario *scenarios.Scenario
	Err      error
}

// Plugins is what the plugin host found, for the plugin checks.
type Plugins struct {
	// Dir is plugins.dir.
	Dir string
	// Statuses are the host's plugins (host.Host.Statuses).
	Statuses []host.PluginStatus
	// Checksums are the pins of plugins.checksums.
	Checksums map[string]string
	// RequireChecksums is plugins.requireChecksums.
	RequireChecksums bool
	// Err is why the plugin host could not open, if it could not.
	Err error
}

// DrillStore is what the leftover check reads from the drill database:
// control/sqlite's DB.
type DrillStore interface {
	Drills(ctx context.Context, f control.DrillFilter) ([]control.DrillSummary, error)
	Events(ctx context.Context, drillID string, afterSeq int64, limit int) ([]control.Event, error)
}

// Cluster is what doctor asks the cluster: the Kubernetes injector's check
// API (kubernetes.Injector, or helper.Client through the helper process).
type Cluster interface {
	// Context is the kubeconfig context, "" when none is configured.
	Context() string
	ServerInfo(ctx context.Context) (catalog.ServerInfo, error)
	Namespace(ctx context.Context, ns string) (catalog.ObjectInfo, error)
	Object(ctx context.Context, kind, namespace, name string) (catalog.ObjectInfo, error)
	CountPods(ctx context.Context, namespace string, selector map[string]string) (int, error)
	OptedInNamespaces(ctx context.Context) ([]string, error)
	ReviewAccess(ctx context.Context, accesses []catalog.Access) ([]catalog.AccessReview, error)
	FindLeftovers(ctx context.Context, drillID string) ([]catalog.Leftover, error)
}

// Kubernetes is the configuration of the built-in injector, as serve
// would build it, and how to reach its cluster.
type Kubernetes struct {
	// Context is kubernetes.context as configured ("" for the kubeconfig's
	// current context).
	Context             string
	AllowedContexts     []string
	ProtectedNamespaces []string
	ServiceURLs         map[string]string
	// Connect opens the cluster of the configuration, each request bounded
	// by requestTimeout; its error (an unreadable kubeconfig, a context it
	// does not have) is the failed kubeconfig check. A context that is not
	// allowed is not an error: doctor says so itself.
	Connect func(ctx context.Context, requestTimeout time.Duration) (Cluster, error)
	// Records opens firedrill's own state in the cluster, for the records
	// check when RecordsNamespace is set.
	Records func(ctx context.Context) (*ha.Client, error)
}

// Options say what to check.
type Options struct {
	// Kubernetes is the configuration of the built-in injector and how to
	// reach its cluster.
	Kubernetes Kubernetes
	// Scenarios are the loaded scenario files (LoadScenarios).
	Scenarios []ScenarioFile
	// Plugins, when set, are checked; nil skips the plugin checks.
	Plugins *Plugins
	// Drills is the drill database, nil when there is none; DatabasePath
	// names it in messages either way.
	Drills       DrillStore
	DatabasePath string
	// OpenRecord opens a sealed revert record of the drill database (see
	// control/seal); nil leaves records as they are.
	OpenRecord func([]byte) ([]byte, error)
	// RecordsNamespace is ha.namespace: where firedrill keeps revert
	// records in the cluster; empty when it keeps none.
	RecordsNamespace string
	// Clock times the API server's answer; default the real clock.
	Clock clock.PassiveClock
}

// Run runs every check and returns the report. It never fails: what cannot
// be checked is a check with its reason.
func Run(ctx context.Context, opts Options) *Report {
	if opts.Clock == nil {
		opts.Clock = clock.RealClock{}
	}
	r := &Report{Checks: []Check{}}
	cl := checkConfig(ctx, r, opts)
	if cl != nil {
		r.Context = cl.context
	}
	uses := collectUses(r, opts.Scenarios)
	if cl == nil {
		skip := "no cluster to ask: fix the configuration first"
		r.add(Check{Section: SectionScenarios, Name: "targets", Status: Skip, Detail: skip})
		r.add(Check{Section: SectionRBAC, Name: "permissions", Status: Skip, Detail: skip})
	} else {
		checkTargets(ctx, r, cl, uses, opts)
		checkRBAC(ctx, r, cl, uses, opts)
	}
	checkPlugins(r, opts.Plugins)
	if cl == nil {
		r.add(Check{Section: SectionLeftovers, Name: "scan", Status: Skip, Detail: "no cluster to ask: fix the configuration first"})
	} else {
		checkLeftovers(ctx, r, cl, opts)
		if opts.RecordsNamespace != "" {
			checkClusterRecords(ctx, r, cl, opts)
		}
	}
	return r
}

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

var markers = map[Status]string{OK: "✓", Info: "i", Warn: "!", Fail: "✗", Skip: "-"}

// WriteText writes the report for people: the checks by section, aligned,
// each fix indented under its check, and a summary line.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	ctxName := r.Context
	if ctxName == "" {
		ctxName = "(none)"
	}
	fmt.Fprintf(&b, "firedrill doctor: context %s\n", ctxName)
	width := 0
	for _, c := range r.Checks {
		if n := utf8.RuneCountInString(c.Name); n > width && n <= 32 {
			width = n
		}
	}
	for _, s := range sectionOrder {
		first := true
		for _, c := range r.Checks {
			if c.Section != s {
				continue
			}
			if first {
				fmt.Fprintf(&b, "\n%s\n", sectionTitles[s])
				first = false
			}
			pad := width - utf8.RuneCountInString(c.Name)
			if pad < 0 {
				pad = 0
			}
			fmt.Fprintf(&b, "  %s %s%s  %s\n", markers[c.Status], c.Name, strings.Repeat(" ", pad), c.Detail)
			if c.Fix != "" && (c.Status == Warn || c.Status == Fail || c.Status == Info) {
				// Under the detail: the markers column, the name column and
				// the two spaces after it.
				indent := strings.Repeat(" ", 4+width+2)
				for i, line := range strings.Split(c.Fix, "\n") {
					lead := "fix: "
					if i > 0 {
						lead = "     "
					}
					fmt.Fprintf(&b, "%s%s%s\n", indent, lead, line)
				}
			}
		}
	}
	s := r.Summary
	verdict := "ready for a drill"
	if s.Fail > 0 {
		verdict = "NOT ready: fix the failures above"
	} else if s.Warn > 0 {
		verdict = "ready, with warnings"
	}
	fmt.Fprintf(&b, "\n%d ok, %d info, %d %s, %d %s, %d skipped: %s\n",
		s.OK, s.Info, s.Warn, plural(s.Warn, "warning", "warnings"), s.Fail, plural(s.Fail, "failure", "failures"), s.Skip, verdict)
	_, err := io.WriteString(w, b.String())
	return err
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
