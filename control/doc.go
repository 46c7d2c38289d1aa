// Package control is firedrill's core: the drill domain types, the engine that
// runs a drill, and the small interfaces it needs from the outside world
// (storage, fault injection, the clock). It imports no I/O adapters; those live
// in their own packages (control/sqlite, injectors/host, ui) and are wired
// together only in cmd/firedrill.
//
// Faults and probes are handed to the injector layer in the shapes of the
// plugin contract (package injectors), with the name of the plugin that
// handles them; errors are the contract's *injectors.Error with its codes.
package control
