// Package proto is the generated gRPC code of the injector plugin protocol
// (injector.proto). Regenerate it with `make proto`; do not edit the .pb.go
// files by hand. Plugin authors never use this package directly: the
// injectors package wraps it in the Go Injector interface.
package proto
