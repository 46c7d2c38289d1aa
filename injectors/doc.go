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
// A plugin process lives only as long as its host. The host stops it when
// it is done with it; when the host process dies instead (a crash, a
// SIGKILL, a lost node), a plugin served by sdk.Serve notices at once, lets
// its calls in flight return for up to five seconds (their contexts are
// cancelled) and exits, so that no plugin is left running orphaned. A call
// cut short that way is safe for the same reason a killed plugin is: the
// revert record is persisted before Inject, and the next host reverts from
// it, idempotently.
//
// Around it:
//   - injectors/sdk is what a plugin's main function uses: Serve, and helpers
//     for params schemas and revert records.
//   - injectors/grpcplugin carries the contract across the process boundary
//     (the go-plugin handshake, the plugin map, the gRPC client and server).
//   - injectors/host discovers, verifies, starts and calls plugins for the
//     engine.
package injectors
