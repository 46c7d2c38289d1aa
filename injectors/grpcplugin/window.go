package grpcplugin

import "google.golang.org/grpc"

// windowSize is the fixed HTTP/2 flow-control window, per stream and per
// connection, between the plugin host and a plugin process. Both ends
// set it, which turns off gRPC's bandwidth-delay estimation: with it on,
// every call's request and every answer made the receiving end send a
// PING (and the other end its ack) — two more TLS records and wake-ups
// per call on the path of a fire, to size a window for a local socket
// whose messages are a few KiB. A fixed 1 MiB window never limits those.
const windowSize = 1 << 20

// DialOptions are the gRPC options the plugin host dials a plugin with.
func DialOptions() []grpc.DialOption {
	return []grpc.DialOption{grpc.WithInitialWindowSize(windowSize), grpc.WithInitialConnWindowSize(windowSize)}
}

// streamWorkers is how many goroutines of a plugin's gRPC server serve
// calls and stay for the next ones; a call that finds them all busy gets a
// goroutine of its own, as without them.
const streamWorkers = 4

// ServerOptions are the gRPC options a plugin serves with (Serve): the
// fixed window, and calls served by goroutines kept from call to call,
// whose stacks have grown already, instead of a new goroutine per call
// that grows its stack again down to the API server's client.
func ServerOptions() []grpc.ServerOption {
	return []grpc.ServerOption{grpc.InitialWindowSize(windowSize), grpc.InitialConnWindowSize(windowSize), grpc.NumStreamWorkers(streamWorkers)}
}
