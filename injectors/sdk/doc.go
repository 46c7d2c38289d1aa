// Package sdk is what an injector plugin's main function uses besides the
// contract (package injectors): Serve, which runs an injectors.Injector as a
// plugin process, a slog handler whose lines the host shows under the
// plugin's name, compiled JSON Schemas for fault and probe params, and
// helpers to encode and decode revert records. A plugin imports
// github.com/firedrill/firedrill/injectors and this package only; neither
// pulls in the drill engine or the scenario language.
//
// A plugin served by Serve exits when its host process is gone, even when
// the host was SIGKILLed and could not stop it: it watches the pipe to the
// host that go-plugin set up as its standard output, lets its calls in
// flight return for up to five seconds (their contexts are cancelled), and
// exits with status 0. A plugin must therefore keep no state that only its
// own process holds: whatever Revert needs is in the revert record.
package sdk
