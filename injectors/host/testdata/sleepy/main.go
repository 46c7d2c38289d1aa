// Command sleepy is a test plugin whose probe "sleep" takes as long as its
// params say, so that the host's per-call timeout can be observed, and whose
// probe "crash" makes the process die in the middle of the call, and whose
// probe "print" writes to stdout instead of logging, and whose probe "mtls"
// says whether the host asked for mutual TLS. The sleep probe logs
// "sleeping" when it starts sleeping, so that a test knows the call is in
// flight.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/injectors/sdk"
)

var sleepSchema = sdk.MustSchema(`{"type":"object","required":["for"],"properties":{"for":{"type":"string"}},"additionalProperties":false}`)

type sleepy struct{}

func (sleepy) Info(context.Context) (injectors.Info, error) {
	return injectors.Info{Name: "sleepy", Version: "0.0.1", APIVersions: []string{injectors.APIVersion},
		ProbeTypes: []injectors.TypeInfo{{Name: "sleep", ParamsSchema: sleepSchema.JSON()}, {Name: "crash"}, {Name: "print"}, {Name: "mtls"}}}, nil
}

func unsupported() error { return injectors.Errorf(injectors.ENOTIMPLEMENTED, "not supported") }

func (sleepy) Validate(context.Context, injectors.Fault) error { return unsupported() }
func (sleepy) Prepare(context.Context, injectors.Fault) ([]byte, error) {
	return nil, unsupported()
}
func (sleepy) Inject(context.Context, injectors.Fault, []byte) ([]byte, error) {
	return nil, unsupported()
}
func (sleepy) Status(context.Context, injectors.Fault, []byte) (injectors.Status, error) {
	return injectors.Status{}, unsupported()
}
func (sleepy) Revert(context.Context, []byte) error { return nil }

func (sleepy) Probe(ctx context.Context, p injectors.Probe) (injectors.ProbeResult, error) {
	switch p.Type {
	case "crash":
		panic("crashing on purpose")
	case "print":
		fmt.Println("printed, not logged")
		return injectors.ProbeResult{OK: true}, nil
	case "mtls":
		// go-plugin hands the host's certificate to a plugin it wants to
		// talk mutual TLS with.
		return injectors.ProbeResult{OK: os.Getenv("PLUGIN_CLIENT_CERT") != ""}, nil
	}
	var params struct {
		For string `json:"for"`
	}
	if err := sleepSchema.Decode(p.Params, &params); err != nil {
		return injectors.ProbeResult{}, err
	}
	d, err := time.ParseDuration(params.For)
	if err != nil {
		return injectors.ProbeResult{}, injectors.Errorf(injectors.EINVALID, "params.for: %v", err)
	}
	slog.Info("sleeping", "for", d.String())
	select {
	case <-time.After(d):
		return injectors.ProbeResult{OK: true, Detail: "slept " + d.String()}, nil
	case <-ctx.Done():
		return injectors.ProbeResult{}, ctx.Err()
	}
}

func main() { sdk.Serve(sleepy{}) }
