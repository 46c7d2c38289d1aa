// Package grpcplugin carries the injector contract (package injectors) across
// the process boundary between the plugin host and a plugin: the go-plugin
// handshake and plugin map, the gRPC server that serves an injectors.Injector
// inside the plugin process, the gRPC client that is one in the host, and the
// mapping of contract shapes and error codes to and from the wire
// (injectors/proto). Plugin authors do not use it directly: sdk.Serve does.
package grpcplugin
