// Package injectors is firedrill's fault-injector plugin contract: the
// Injector interface a plugin implements, the shapes that cross it (Info,
// TypeInfo, Target, Fault, Probe, ProbeResult, Effect, Status), the contract's
// APIVersion, and firedrill's one error type (Error, with its codes EINVALID,
// ENOTFOUND, ECONFLICT, EFORBIDDEN, EUNAUTHORIZED, EINTERNAL and
// ENOTIMPLEMENTED) that plugins, the engine, the web UI and the CLI all use.
//
// The package is a leaf: it imports only the standard library, so a plugin
// that implements the contract pulls in neither the drill engine nor the
// scenario language nor any transport.
//
// A fault's life: Prepare changes nothing and returns the revert record,
// which the caller persists before Inject; Revert is idempotent. When
// Inject fails after changing something it returns its partial-inject
// record with the error, and the caller persists it and reverts with it
// (see Injector.Inject).
//
// Around it:
//   - injectors/sdk is what a plugin's main function uses: Serve, and helpers
//     for params schemas and revert records.
//   - injectors/grpcplugin carries the contract across the process boundary
//     (the go-plugin handshake, the plugin map, the gRPC client and server).
//   - injectors/host discovers, verifies, starts and calls plugins for the
//     engine.
package injectors
