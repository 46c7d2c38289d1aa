package grpcplugin

import (
	"os"
	"sync"
	"time"

	"google.golang.org/grpc"
)

// stopGrace bounds how long a plugin whose host is gone waits for its calls
// in flight to return before it exits anyway. Those calls' contexts are
// cancelled as soon as the host's connection drops, so they normally return
// at once. It is a bound on the plugin process's own shutdown, read from the
// system clock like the gRPC server's own deadlines; no drill time depends
// on it.
const stopGrace = 5 * time.Second

// stdoutFD is the plugin's original standard output, the pipe to its host.
// go-plugin replaces the os.Stdout variable after the handshake; the
// descriptor stays open.
const stdoutFD = 1

// serverRef holds the plugin's gRPC server once go-plugin has created it.
type serverRef struct {
	mu  sync.Mutex
	srv *grpc.Server
}

func (r *serverRef) set(s *grpc.Server) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.srv = s
}

func (r *serverRef) get() *grpc.Server {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.srv
}

// exitWhenHostGone makes the plugin process exit when the host process that
// launched it is gone, for whatever reason: go-plugin stops a plugin only on
// the host's clean Kill, so a host that was SIGKILLed or crashed used to
// leave its plugins running forever, re-parented to init.
//
// The host is the only reader of the pipe that is the plugin's standard
// output (go-plugin reads the handshake and stray output from it for as
// long as the host lives), so the kernel reports an error on the pipe's
// write end the moment the host's end is closed: when the host exits, dies
// or is killed, even before this function runs. The watch waits for that
// in one blocking system call; it costs no polling, reads no clock and is
// immune to pid reuse and to re-parenting to a subreaper. A plugin whose
// standard output is not a pipe (run by hand) is not watched.
//
// When the host is gone, the plugin stops its gRPC server, waiting up to
// stopGrace for calls in flight (their contexts are cancelled by the lost
// connection), and exits with status 0. Abandoning a call is safe: the host
// persisted the fault's revert record in its journal before Inject, and an
// Inject or Revert cut short is reverted again, idempotently, by the next
// host from that journal, exactly as when the plugin process is killed.
func exitWhenHostGone(srv *serverRef) {
	if err := waitHostGone(stdoutFD); err != nil {
		return // not watchable; the host's Kill remains the only way out
	}
	// Nobody reads the plugin's stderr any more: a log line written to it
	// must fail rather than kill the process with SIGPIPE mid-call.
	ignoreBrokenPipe()
	if s := srv.get(); s != nil {
		stopped := make(chan struct{})
		go func() {
			s.GracefulStop()
			close(stopped)
		}()
		grace := time.NewTimer(stopGrace)
		select {
		case <-stopped:
		case <-grace.C:
			s.Stop()
		}
		grace.Stop()
	}
	os.Exit(0)
}
