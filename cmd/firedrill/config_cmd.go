package main

import (
	"fmt"

	"github.com/spf13/cobra"
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
			_, err := fmt.Fprintf(m.Stdout, "%+v\n", c)
			return err
		},
	}
}
