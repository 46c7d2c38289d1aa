//go:build !unix

package grpcplugin

import "errors"

// waitHostGone is not implemented outside Unix: there, a plugin stops only
// when its host kills it.
func waitHostGone(int) error { return errors.New("watching the host is not supported on this system") }

func ignoreBrokenPipe() {}
