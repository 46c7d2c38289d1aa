package grpcplugin

import (
	"context"

	"google.golang.org/grpc"

	"github.com/firedrill/firedrill/injectors"
	pb "github.com/firedrill/firedrill/injectors/proto"
)

// GRPCClient is an Injector that calls a plugin over gRPC. Errors that the
// plugin returned as a *injectors.Error arrive as a *injectors.Error with the same
// code and message.
type GRPCClient struct {
	client pb.InjectorClient
}

// NewGRPCClient returns an Injector that calls the plugin served on conn.
func NewGRPCClient(conn grpc.ClientConnInterface) *GRPCClient {
	return &GRPCClient{client: pb.NewInjectorClient(conn)}
}

var _ injectors.Injector = (*GRPCClient)(nil)

// Info describes the plugin.
func (c *GRPCClient) Info(ctx context.Context) (injectors.Info, error) {
	resp, err := c.client.Info(ctx, &pb.InfoRequest{})
	if err != nil {
		return injectors.Info{}, fromStatus("info", err)
	}
	return injectors.Info{
		Name:        resp.GetName(),
		Version:     resp.GetVersion(),
		APIVersions: resp.GetApiVersions(),
		FaultTypes:  typesFromProto(resp.GetFaultTypes()),
		ProbeTypes:  typesFromProto(resp.GetProbeTypes()),
	}, nil
}

// Validate checks a fault without changing anything.
func (c *GRPCClient) Validate(ctx context.Context, f injectors.Fault) error {
	_, err := c.client.Validate(ctx, &pb.ValidateRequest{Fault: faultToProto(f)})
	return fromStatus("validate", err)
}

// Prepare returns the fault's revert record.
func (c *GRPCClient) Prepare(ctx context.Context, f injectors.Fault) ([]byte, error) {
	resp, err := c.client.Prepare(ctx, &pb.PrepareRequest{Fault: faultToProto(f)})
	if err != nil {
		return nil, fromStatus("prepare", err)
	}
	return resp.GetRecord(), nil
}

// Inject applies the fault and returns the record to keep. When the plugin
// failed after changing something, the error comes with the partial-inject
// record the plugin returned (see injectors.Injector).
func (c *GRPCClient) Inject(ctx context.Context, f injectors.Fault, record []byte) ([]byte, error) {
	resp, err := c.client.Inject(ctx, &pb.InjectRequest{Fault: faultToProto(f), Record: record})
	if err != nil {
		return partialRecord(err), fromStatus("inject", err)
	}
	return resp.GetRecord(), nil
}

// Status reports whether the fault is in effect, drifted or reverted.
func (c *GRPCClient) Status(ctx context.Context, f injectors.Fault, record []byte) (injectors.Status, error) {
	resp, err := c.client.Status(ctx, &pb.StatusRequest{Fault: faultToProto(f), Record: record})
	if err != nil {
		return injectors.Status{}, fromStatus("status", err)
	}
	e, err := effectFromProto(resp.GetEffect())
	if err != nil {
		return injectors.Status{}, err
	}
	return injectors.Status{Effect: e, Detail: resp.GetDetail()}, nil
}

// Revert undoes the fault recorded in record.
func (c *GRPCClient) Revert(ctx context.Context, record []byte) error {
	_, err := c.client.Revert(ctx, &pb.RevertRequest{Record: record})
	return fromStatus("revert", err)
}

// Probe evaluates a check.
func (c *GRPCClient) Probe(ctx context.Context, p injectors.Probe) (injectors.ProbeResult, error) {
	resp, err := c.client.Probe(ctx, &pb.ProbeRequest{Probe: probeToProto(p)})
	if err != nil {
		return injectors.ProbeResult{}, fromStatus("probe", err)
	}
	return injectors.ProbeResult{OK: resp.GetOk(), Detail: resp.GetDetail()}, nil
}
