//go:build unix

package grpcplugin

import (
	"errors"
	"os/signal"
	"syscall"

	"golang.org/x/sys/unix"
)

// errNotWatchable says that the plugin's standard output is not a pipe, so
// its host cannot be watched through it.
var errNotWatchable = errors.New("standard output is not a pipe")

// waitHostGone blocks until fd, the write end of a pipe, has no reader left,
// and returns nil then. It returns an error at once when fd is not a pipe.
func waitHostGone(fd int) error {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFIFO {
		return errNotWatchable
	}
	// Asking for no event still reports POLLERR, which a pipe's write end
	// raises when its last reader is closed.
	fds := []unix.PollFd{{Fd: int32(fd)}}
	for {
		_, err := unix.Poll(fds, -1)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return err
		}
		switch r := fds[0].Revents; {
		case r&unix.POLLNVAL != 0:
			return errNotWatchable // fd was closed under us
		case r&(unix.POLLERR|unix.POLLHUP) != 0:
			return nil
		}
		return errNotWatchable // an event not asked for: do not spin on it
	}
}

// ignoreBrokenPipe makes writes to a pipe without reader return EPIPE
// instead of killing the process, stdout and stderr included.
func ignoreBrokenPipe() { signal.Ignore(syscall.SIGPIPE) }
