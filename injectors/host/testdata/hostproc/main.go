// Command hostproc is a plugin host process for tests that kill it: it opens
// a host.Host on the plugin directory given as its argument and prints one
// line "<plugin> <pid>" for each plugin process it launched. When the
// directory holds the sleepy plugin, it then starts a "sleep" probe of an
// hour on it and waits for the plugin to log that it sleeps, so that a call
// is in flight. It prints "ready" and waits to be killed.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/firedrill/firedrill/control"
	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/injectors/host"
)

// sleepWatch is a slog handler that writes to stderr and closes sleeping
// when the sleepy plugin logs that its probe sleeps.
type sleepWatch struct {
	slog.Handler
	sleeping chan struct{}
}

func (w sleepWatch) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == "sleeping" {
		close(w.sleeping) // logged once: there is one call
	}
	return w.Handler.Handle(ctx, r)
}

func (w sleepWatch) WithAttrs(as []slog.Attr) slog.Handler {
	return sleepWatch{Handler: w.Handler.WithAttrs(as), sleeping: w.sleeping}
}

func (w sleepWatch) WithGroup(name string) slog.Handler {
	return sleepWatch{Handler: w.Handler.WithGroup(name), sleeping: w.sleeping}
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: hostproc PLUGIN-DIR")
		os.Exit(2)
	}
	ctx := context.Background()
	sleeping := make(chan struct{})
	h, err := host.Open(ctx, host.Config{
		Dir: os.Args[1], CallTimeout: 2 * time.Hour, StartTimeout: time.Minute,
		Logger: slog.New(sleepWatch{Handler: slog.NewTextHandler(os.Stderr, nil), sleeping: sleeping}),
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "hostproc:", err)
		os.Exit(1)
	}
	for _, st := range h.Statuses() {
		pid, ok := h.Pid(st.Name)
		if !ok {
			fmt.Fprintf(os.Stderr, "hostproc: plugin %s is not running: %v\n", st.Name, st.Err)
			os.Exit(1)
		}
		fmt.Printf("%s %d\n", st.Name, pid)
	}
	if _, ok := h.Pid("sleepy"); ok {
		go func() {
			_, err := h.Probe(ctx, control.ProbeSpec{Plugin: "sleepy", Probe: injectors.Probe{Type: "sleep", Params: []byte(`{"for":"1h"}`)}})
			fmt.Fprintln(os.Stderr, "hostproc: the hour-long probe returned:", err)
			os.Exit(1)
		}()
		<-sleeping
	}
	fmt.Println("ready")
	select {}
}
