package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/firedrill/firedrill/internal/storecopy"
)

func newStoreCmd(m *Main) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "store",
		Short: "Prepare the drill database, or move an installation to another one",
		Long: `store works on the database firedrill keeps drills in, chosen by store.driver:
sqlite (files in dataDir, one controller) or postgres (store.dsn, a database that
controller replicas share).`,
	}
	cmd.AddCommand(newStoreMigrateCmd(m), newStoreCopyCmd(m))
	return cmd
}

func newStoreMigrateCmd(m *Main) *cobra.Command {
	return &cobra.Command{
		Use:   "migrate",
		Short: "Create the configured store's tables or bring them to this firedrill's schema",
		Long: `migrate creates the tables of the configured store (store.driver) or applies
the schema changes this firedrill brings, and prints the schema versions.
serve and run migrate on start too; run migrate on its own before rolling out
several replicas, or to check a database with a firedrill that will not serve.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			driver := m.Config.Store.Driver
			db, err := m.openJournal(ctx)
			if err != nil {
				return err
			}
			if _, err := m.openRoomStore(ctx, driver); err != nil {
				return err
			}
			v, err := db.Version(ctx)
			if err != nil {
				return err
			}
			fmt.Fprintf(m.Stdout, "%s store %s: journal at schema version %d, drill room tables ready\n", driver, m.storeWhere(driver), v)
			return nil
		},
	}
}

func newStoreCopyCmd(m *Main) *cobra.Command {
	var from, to string
	cmd := &cobra.Command{
		Use:   "copy --from sqlite --to postgres",
		Short: "Copy every drill, plan, join link and session from one store to the other",
		Long: `copy moves an installation between stores: the SQLite files in dataDir and the
PostgreSQL database of store.dsn. It copies every drill's journal as it is (the
hash chain checked on the way), the program's plans with their journals, and the
drill room's join links and sessions, then checks that every drill has the same
head in both. Stop the controller first. A copy can be run again: what the
target holds already is skipped, and anything that differs is refused rather
than overwritten. Configure the new installation first (store.driver: postgres
and store.dsn; dataDir still names the SQLite files), copy, then start it.`,
		Example: "  FIREDRILL_STORE_DRIVER=postgres FIREDRILL_STORE_DSN=postgres://firedrill@db:5432/firedrill \\\n    firedrill store copy --from sqlite --to postgres --data-dir /var/lib/firedrill",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			for _, d := range []struct{ flag, v string }{{"--from", from}, {"--to", to}} {
				if d.v != driverSQLite && d.v != driverPostgres {
					return &ExitError{Code: 2, Err: fmt.Errorf("%s %q is not a store, expected sqlite or postgres", d.flag, d.v)}
				}
			}
			if from == to {
				return &ExitError{Code: 2, Err: fmt.Errorf("--from and --to are both %s: nothing to copy", from)}
			}
			if m.Config.Store.DSN == "" {
				dir := "from"
				if to == driverPostgres {
					dir = "to"
				}
				return &ExitError{Code: 2, Err: fmt.Errorf("store copy: store.dsn is empty: set store.driver to postgres and store.dsn (or FIREDRILL_STORE_DSN) to the PostgreSQL database to copy %s", dir)}
			}
			return m.copyStore(cmd, from, to)
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "the store to copy from: sqlite or postgres")
	cmd.Flags().StringVar(&to, "to", "", "the store to copy to: sqlite or postgres")
	return cmd
}

// copyStore copies the journal and the room from one driver's store to the
// other's and compares the drills' heads.
func (m *Main) copyStore(cmd *cobra.Command, from, to string) error {
	ctx := cmd.Context()
	src, err := m.openJournalOf(ctx, from, false)
	if err != nil {
		return storeError(err)
	}
	dst, err := m.openJournalOf(ctx, to, true)
	if err != nil {
		return storeError(err)
	}
	srcRoom, err := m.openRoomStore(ctx, from)
	if err != nil {
		return err
	}
	dstRoom, err := m.openRoomStore(ctx, to)
	if err != nil {
		return err
	}
	var rep storecopy.Report
	if err := storecopy.Journal(ctx, src, dst, &rep); err != nil {
		return storeError(err)
	}
	if err := storecopy.Room(ctx, srcRoom, dstRoom, &rep); err != nil {
		return err
	}
	n, err := storecopy.Compare(ctx, src, dst)
	if err != nil {
		return storeError(err)
	}
	fmt.Fprintf(m.Stdout, "copied %d drills (%d events) and %d plans from %s to %s; %d drills and %d plans were there already\n",
		rep.Drills, rep.Events, rep.Plans, m.storeWhere(from), m.storeWhere(to), rep.DrillsThere, rep.PlansThere)
	fmt.Fprintf(m.Stdout, "copied %d join links, %d sessions and %d identity links of the drill room\n", rep.Tokens, rep.Sessions, rep.Links)
	fmt.Fprintf(m.Stdout, "copied %d studio scenario versions\n", rep.ScenarioVersions)
	fmt.Fprintf(m.Stdout, "verified: all %d drills have the same journal head in both stores; serve with store.driver %s\n", n, to)
	return nil
}
