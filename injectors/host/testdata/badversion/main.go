// Command badversion is a test plugin that speaks only an injector API
// version this firedrill does not support; the host must refuse it.
package main

import (
	"context"

	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/injectors/sdk"
)

type old struct{}

func (old) Info(context.Context) (injectors.Info, error) {
	return injectors.Info{Name: "badversion", Version: "0.0.1", APIVersions: []string{"v0"}}, nil
}

func unsupported() error { return injectors.Errorf(injectors.ENOTIMPLEMENTED, "not supported") }

func (old) Validate(context.Context, injectors.Fault) error { return unsupported() }
func (old) Prepare(context.Context, injectors.Fault) ([]byte, error) {
	return nil, unsupported()
}
func (old) Inject(context.Context, injectors.Fault, []byte) ([]byte, error) {
	return nil, unsupported()
}
func (old) Status(context.Context, injectors.Fault, []byte) (injectors.Status, error) {
	return injectors.Status{}, unsupported()
}
func (old) Revert(context.Context, []byte) error { return unsupported() }
func (old) Probe(context.Context, injectors.Probe) (injectors.ProbeResult, error) {
	return injectors.ProbeResult{}, unsupported()
}

func main() { sdk.Serve(old{}) }
