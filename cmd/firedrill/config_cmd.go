package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/firedrill/firedrill/internal/pgdb"
)

func newConfigCmd(m *Main) *cobra.Command {
	return &cobra.Command{
		Use:   "config",
		Short: "Print the effective configuration (secrets masked)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c := m.Config
			if c.Auth.AdminToken != "" {
				c.Auth.AdminToken = "********"
			}
			if c.Auth.AdminPasswordHash != "" {
				c.Auth.AdminPasswordHash = "********"
			}
			if c.Auth.OIDC.ClientSecret != "" {
				c.Auth.OIDC.ClientSecret = "********"
			}
			if c.Metrics.Token != "" {
				c.Metrics.Token = "********"
			}
			masked := make([]string, len(c.Records.Keys))
			for i, k := range c.Records.Keys {
				id, _, _ := strings.Cut(k, ":")
				masked[i] = id + ":********"
			}
			c.Records.Keys = masked
			c.Store.DSN = pgdb.Redact(c.Store.DSN)
			_, err := fmt.Fprintf(m.Stdout, "%+v\n", c)
			return err
		},
	}
}
