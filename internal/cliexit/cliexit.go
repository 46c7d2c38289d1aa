// Package cliexit is what firedrill's executables share to turn a cobra
// command's outcome into a process exit status.
package cliexit

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"
)

// ExitError carries a process exit code through cobra; its message has
// already been printed when Code is set without one.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}

func (e *ExitError) Unwrap() error { return e.Err }

// Run executes root with args on the given streams and returns the exit
// status: 0, an ExitError's code, or 1 for any other error, which is said
// on errOut as "firedrill: <error>".
func Run(ctx context.Context, root *cobra.Command, args []string, in io.Reader, out, errOut io.Writer) int {
	root.SetArgs(args)
	root.SetIn(in)
	root.SetOut(out)
	root.SetErr(errOut)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	var exit *ExitError
	if errors.As(err, &exit) {
		if exit.Err != nil {
			fmt.Fprintln(errOut, "firedrill:", exit.Err)
		}
		return exit.Code
	}
	fmt.Fprintln(errOut, "firedrill:", err)
	return 1
}
