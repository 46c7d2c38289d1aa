package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/firedrill/firedrill/control/seal"
	"github.com/firedrill/firedrill/internal/ha"
)

func newSweepCmd(m *Main) *cobra.Command {
	var output string
	var failReverted bool
	cmd := &cobra.Command{
		Use:   "sweep",
		Short: "Dead man's switch: revert the faults of drills whose controller stopped renewing its Lease",
		Long: `sweep reads the revert records firedrill keeps in the cluster (one Secret per
drill in ha.namespace) and, for every drill whose controller has not renewed
its Lease for safety.deadManAfter (default 5m), reverts each recorded fault
through the plugins and removes its record. It needs neither the controller
nor its database, only the records, the record keys (records.keys or
records.keyFile) and the plugins: deploy/ runs it as a CronJob.

A revert only restores fields that still hold the injected value, so a fix
a person made since is never overwritten. A fault that fails to revert stays
recorded for the next sweep. Exit status 0 when nothing failed, 1 otherwise;
with --fail-when-reverted, 3 when it reverted something (the dead man's
switch fired: the CronJob's Job fails, which alerts).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			ctx := cmd.Context()
			if m.Config.HA.Namespace == "" {
				return &ExitError{Code: 2, Err: fmt.Errorf("sweep: ha.namespace is not set: there are no revert records in the cluster to sweep")}
			}
			cs, err := m.haClient()
			if err != nil {
				return fmt.Errorf("sweep: %w", err)
			}
			keys, err := m.recordKeyring()
			if err != nil {
				return err
			}
			h, err := m.openPluginHost(ctx, cmd)
			if err != nil {
				return err
			}
			swept, err := ha.Sweep(ctx, ha.SweepConfig{
				Client: cs, Namespace: m.Config.HA.Namespace, DeadManAfter: m.Config.Safety.DeadManAfter,
				Reverter: seal.Injector(h, keys),
			})
			if err != nil {
				return fmt.Errorf("sweep: %w", err)
			}
			if output == "json" {
				enc := json.NewEncoder(m.Stdout)
				enc.SetIndent("", "  ")
				if swept == nil {
					swept = []ha.SweptDrill{}
				}
				err = enc.Encode(swept)
			} else {
				err = writeSweep(m, swept)
			}
			if err != nil {
				return err
			}
			reverted := false
			for _, s := range swept {
				if len(s.Failed) > 0 {
					return &ExitError{Code: 1}
				}
				reverted = reverted || len(s.Reverted) > 0
			}
			if reverted && failReverted {
				return &ExitError{Code: 3}
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "text", "output format: text or json")
	cmd.Flags().BoolVar(&failReverted, "fail-when-reverted", false, "exit with status 3 when a fault was reverted (for an alert on the CronJob's failed Job)")
	return cmd
}

func writeSweep(m *Main, swept []ha.SweptDrill) error {
	if len(swept) == 0 {
		_, err := fmt.Fprintf(m.Stdout, "no revert records in namespace %s: nothing to sweep\n", m.Config.HA.Namespace)
		return err
	}
	tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "DRILL\tLEASE\tLAST RENEWED\tOUTCOME")
	for _, s := range swept {
		last := "never"
		if s.LastRenew != nil {
			last = s.LastRenew.UTC().Format(time.RFC3339)
		}
		outcome := "alive: left alone"
		if !s.Alive {
			outcome = fmt.Sprintf("reverted %d: %s", len(s.Reverted), strings.Join(s.Reverted, ", "))
			if len(s.Failed) > 0 {
				outcome += fmt.Sprintf("; FAILED %d: %s", len(s.Failed), strings.Join(s.Failed, "; "))
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", s.DrillID, s.Lease, last, outcome)
	}
	return tw.Flush()
}
