// Package pluginargs carries the kubernetes.* settings of firedrill's
// configuration from firedrill to its built-in Kubernetes plugin process
// (cmd/firedrill-injector-kubernetes) as command-line flags. firedrill
// resolves its configuration (file, environment, flags) and writes Args;
// the plugin reads them back with Parse. It imports no Kubernetes client, so
// that firedrill does not link the plugin's.
package pluginargs

import (
	"flag"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Settings are the Kubernetes injector's settings, as in
// injectors/kubernetes.Config.
type Settings struct {
	Kubeconfig          string
	Context             string
	AllowedContexts     []string
	ProtectedNamespaces []string
	ServiceURLs         map[string]string
	HideMarks           bool
	RevertQPS           float64
	RevertBurst         int
	// RequestTimeout, when positive, bounds every request to the API
	// server (firedrill doctor's helper).
	RequestTimeout time.Duration
}

// Args returns the flags that Parse reads back into s.
func (s Settings) Args() []string {
	var args []string
	if s.Kubeconfig != "" {
		args = append(args, "--kubeconfig", s.Kubeconfig)
	}
	if s.Context != "" {
		args = append(args, "--context", s.Context)
	}
	for _, c := range s.AllowedContexts {
		args = append(args, "--allowed-context", c)
	}
	for _, ns := range s.ProtectedNamespaces {
		args = append(args, "--protected-namespace", ns)
	}
	svcs := make([]string, 0, len(s.ServiceURLs))
	for svc := range s.ServiceURLs {
		svcs = append(svcs, svc)
	}
	sort.Strings(svcs)
	for _, svc := range svcs {
		args = append(args, "--service-url", svc+"="+s.ServiceURLs[svc])
	}
	if s.HideMarks {
		args = append(args, "--hide-marks")
	}
	if s.RevertQPS != 0 {
		args = append(args, "--revert-qps", strconv.FormatFloat(s.RevertQPS, 'g', -1, 64))
	}
	if s.RevertBurst != 0 {
		args = append(args, "--revert-burst", strconv.Itoa(s.RevertBurst))
	}
	if s.RequestTimeout > 0 {
		args = append(args, "--request-timeout", s.RequestTimeout.String())
	}
	return args
}

// Parse returns the settings the flags in args give; usage and flag errors
// are also written to out. -h gives flag.ErrHelp.
func Parse(name string, args []string, out io.Writer) (Settings, error) {
	var s Settings
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(out)
	fs.Usage = func() {
		fmt.Fprintf(out, "usage: %s [flags]\n\nfiredrill's Kubernetes injector plugin; firedrill launches it with the kubernetes.* settings of its configuration.\n\n", name)
		fs.PrintDefaults()
	}
	fs.StringVar(&s.Kubeconfig, "kubeconfig", "", "kubeconfig file (kubernetes.kubeconfig); empty uses $KUBECONFIG or ~/.kube/config")
	fs.StringVar(&s.Context, "context", "", "kubeconfig context (kubernetes.context); empty uses the current context")
	fs.Func("allowed-context", "a context the injector may touch (kubernetes.allowedContexts); repeat for each", func(v string) error {
		s.AllowedContexts = append(s.AllowedContexts, v)
		return nil
	})
	fs.Func("protected-namespace", "a namespace always refused (kubernetes.protectedNamespaces); repeat for each", func(v string) error {
		s.ProtectedNamespaces = append(s.ProtectedNamespaces, v)
		return nil
	})
	fs.Func("service-url", "namespace/service=URL for http-get probes (kubernetes.serviceURLs); repeat for each", func(v string) error {
		svc, url, ok := strings.Cut(v, "=")
		if !ok || !strings.Contains(svc, "/") || url == "" {
			return fmt.Errorf("%q: expected namespace/service=URL", v)
		}
		if s.ServiceURLs == nil {
			s.ServiceURLs = map[string]string{}
		}
		s.ServiceURLs[svc] = url
		return nil
	})
	fs.BoolVar(&s.HideMarks, "hide-marks", false, "write no firedrill annotations on the objects faults change")
	fs.Float64Var(&s.RevertQPS, "revert-qps", 0, "rate limit of the revert client (kubernetes.revertQPS); 0 is the default")
	fs.IntVar(&s.RevertBurst, "revert-burst", 0, "burst of the revert client (kubernetes.revertBurst); 0 is the default")
	fs.DurationVar(&s.RequestTimeout, "request-timeout", 0, "bound on every request to the API server; 0 is none")
	if err := fs.Parse(args); err != nil {
		return Settings{}, err
	}
	if fs.NArg() > 0 {
		return Settings{}, fmt.Errorf("unexpected arguments %q: every setting is a flag", fs.Args())
	}
	if s.RevertQPS < 0 || s.RevertBurst < 0 || s.RequestTimeout < 0 {
		return Settings{}, fmt.Errorf("--revert-qps %v, --revert-burst %d and --request-timeout %v must not be negative", s.RevertQPS, s.RevertBurst, s.RequestTimeout)
	}
	return s, nil
}
