// Package sdk is what an injector plugin's main function uses besides the
// contract (package injectors): Serve, which runs an injectors.Injector as a
// plugin process, a slog handler whose lines the host shows under the
// plugin's name, compiled JSON Schemas for fault and probe params, and
// helpers to encode and decode revert records. A plugin imports
// github.com/firedrill/firedrill/injectors and this package only; neither
// pulls in the drill engine or the scenario language.
package sdk
