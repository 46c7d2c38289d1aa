package main

import (
	"context"
	"errors"
	"time"

	"github.com/spf13/cobra"

	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/internal/doctor"
	"github.com/firedrill/firedrill/internal/ha"
	"github.com/firedrill/firedrill/scenarios"
)

func newDoctorCmd(m *Main) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "doctor [SCENARIO_FILE...]",
		Short: "Check that firedrill can run drills on the beta cluster: context, namespaces, RBAC, plugins, leftovers",
		Long: `Doctor checks, before a drill day, everything a drill needs from its environment:

  configuration  a context is configured and in kubernetes.allowedContexts, the
                 kubeconfig loads, the API server answers (version, latency, user)
  scenarios      for every fault at every difficulty of the scenarios (scenarios.dirs,
                 or the files given), the target namespace exists, is opted in
                 (firedrill.dev/drill-target=true) and not protected; the target
                 objects exist
  rbac           every permission each fault and probe needs, asked with
                 SelfSubjectAccessReview as firedrill's user (deploy/base/rbac.yaml)
  plugins        each plugin starts and handshakes; checksum pins match
  leftovers      objects still marked by a fault of an earlier drill, with the
                 drill's state from the drill database and how to revert them

Each check is ok, info, warn or fail, with the fix on warn and fail. Exit
status 0 when nothing fails, 1 otherwise.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			opts, err := m.doctorOptions(cmd, args)
			if err != nil {
				return err
			}
			r := doctor.Run(cmd.Context(), opts)
			if output == "json" {
				err = r.WriteJSON(m.Stdout)
			} else {
				err = r.WriteText(m.Stdout)
			}
			if err != nil {
				return err
			}
			if r.Failed() {
				return &ExitError{Code: 1}
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "text", "output format: text or json")
	addSettingFlag(cmd, "kubernetes.kubeconfig")
	addSettingFlag(cmd, "kubernetes.context")
	addSettingFlag(cmd, "plugins.dir")
	return cmd
}

// doctorOptions gathers what the doctor checks: the Kubernetes and plugin
// configuration, the plugins as they start, the scenarios (the files given,
// or scenarios.dirs) and, when there is one, the drill database.
func (m *Main) doctorOptions(cmd *cobra.Command, files []string) (doctor.Options, error) {
	ctx := cmd.Context()
	k := m.Config.Kubernetes
	opts := doctor.Options{
		Kubernetes: doctor.Kubernetes{
			Context: k.Context, AllowedContexts: k.AllowedContexts,
			ProtectedNamespaces: k.ProtectedNamespaces, ServiceURLs: k.ServiceURLs,
			// The cluster is asked through the Kubernetes helper process, as
			// the plugin would ask it (same flags), each request bounded.
			Connect: func(ctx context.Context, timeout time.Duration) (doctor.Cluster, error) {
				s := kubernetesSettings(k, m.Config.HA)
				s.HideMarks, s.RequestTimeout = false, timeout
				c, err := m.startKubeHelper(ctx, s)
				if err != nil {
					return nil, err
				}
				m.OnClose(c.Close)
				return c, nil
			},
			Records: func(context.Context) (*ha.Client, error) { return m.haClient() },
		},
		RecordsNamespace: m.Config.HA.Namespace,
		Plugins: &doctor.Plugins{
			Dir: m.Config.Plugins.Dir, Checksums: m.Config.Plugins.Checksums, RequireChecksums: m.Config.Plugins.RequireChecksums,
		},
	}
	var loadOpts []scenarios.Option
	if h, err := m.openPluginHost(ctx, cmd); err != nil {
		opts.Plugins.Err = err
	} else {
		opts.Plugins.Statuses = h.Statuses()
		if len(opts.Plugins.Statuses) > 0 {
			loadOpts = append(loadOpts, scenarios.WithCatalog(h))
		}
	}
	dirs := m.Config.Scenarios.Dirs
	if len(files) > 0 {
		dirs = nil
	}
	opts.Scenarios = doctor.LoadScenarios(dirs, files, loadOpts...)
	opts.DatabasePath = m.storeWhere(m.Config.Store.Driver)
	db, err := m.openJournalOf(ctx, m.Config.Store.Driver, false)
	var exit *ExitError
	switch {
	case err == nil:
		opts.Drills = db
		if keys, err := m.recordKeyring(); err == nil {
			opts.OpenRecord = keys.Open
		}
	case errors.As(err, &exit) && m.Config.Store.Driver != driverPostgres:
		// No SQLite file: no drill database to ask.
	case injectors.ErrorCode(err) == injectors.ENOTFOUND:
		// A PostgreSQL database without firedrill's journal.
	default:
		return opts, err
	}
	return opts, nil
}
