// Package proto is the generated gRPC code of the injector plugin protocol
// (injector.proto). Regenerate it with `make proto`; do not edit the .pb.go
// files by hand. Plugin authors never use this package directly: the
// injectors/grpcplugin package maps it to and from the Go contract in
// package injectors.
package proto
