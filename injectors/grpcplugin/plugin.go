package grpcplugin

import (
	"context"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/firedrill/firedrill/injectors"
	pb "github.com/firedrill/firedrill/injectors/proto"
)

// ProtocolVersion is the go-plugin protocol version of the injector
// protocol. It changes only when injector.proto changes incompatibly; the
// contract version a plugin implements is checked separately through
// Info.APIVersions.
const ProtocolVersion = 1

// PluginName is the name the injector is dispensed under in PluginMap.
const PluginName = "injector"

// Handshake is the go-plugin handshake shared by the host and every plugin.
// The magic cookie is not a security measure; it only makes a plugin binary
// that is run by hand say that it is a plugin instead of waiting silently.
var Handshake = plugin.HandshakeConfig{
	ProtocolVersion:  ProtocolVersion,
	MagicCookieKey:   "FIREDRILL_PLUGIN",
	MagicCookieValue: "injector-5f1c0a7e",
}

// PluginMap is the set of plugins a firedrill plugin process serves: exactly
// one injector.
var PluginMap = map[string]plugin.Plugin{
	PluginName: &GRPCPlugin{},
}

// GRPCPlugin is the go-plugin plugin of the injector protocol. On the plugin
// side Impl is the injector being served; on the host side it is empty and
// GRPCClient returns an Injector that calls the plugin process.
type GRPCPlugin struct {
	plugin.NetRPCUnsupportedPlugin
	Impl injectors.Injector
}

// GRPCServer registers Impl on the plugin's gRPC server.
func (p *GRPCPlugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	pb.RegisterInjectorServer(s, &GRPCServer{Impl: p.Impl})
	return nil
}

// GRPCClient returns an Injector that calls the plugin over conn.
func (p *GRPCPlugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, conn *grpc.ClientConn) (any, error) {
	return NewGRPCClient(conn), nil
}

var _ plugin.GRPCPlugin = (*GRPCPlugin)(nil)
