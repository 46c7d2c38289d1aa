package grpcplugin

import (
	"context"

	"google.golang.org/grpc/status"

	"github.com/firedrill/firedrill/injectors"
	pb "github.com/firedrill/firedrill/injectors/proto"
)

// GRPCServer serves an Injector over gRPC. A *injectors.Error returned by Impl
// crosses the wire as the gRPC status code of its code (EINVALID as
// InvalidArgument, ENOTFOUND as NotFound, ECONFLICT as FailedPrecondition,
// EFORBIDDEN as PermissionDenied) with its message intact.
type GRPCServer struct {
	pb.UnimplementedInjectorServer
	Impl injectors.Injector
}

var _ pb.InjectorServer = (*GRPCServer)(nil)

// Info serves Injector.Info.
func (s *GRPCServer) Info(ctx context.Context, _ *pb.InfoRequest) (*pb.InfoResponse, error) {
	info, err := s.Impl.Info(ctx)
	if err != nil {
		return nil, toStatus(err)
	}
	return &pb.InfoResponse{
		Name:        info.Name,
		Version:     info.Version,
		ApiVersions: info.APIVersions,
		FaultTypes:  typesToProto(info.FaultTypes),
		ProbeTypes:  typesToProto(info.ProbeTypes),
	}, nil
}

// Validate serves Injector.Validate.
func (s *GRPCServer) Validate(ctx context.Context, req *pb.ValidateRequest) (*pb.ValidateResponse, error) {
	if err := s.Impl.Validate(ctx, faultFromProto(req.GetFault())); err != nil {
		return nil, toStatus(err)
	}
	return &pb.ValidateResponse{}, nil
}

// Prepare serves Injector.Prepare.
func (s *GRPCServer) Prepare(ctx context.Context, req *pb.PrepareRequest) (*pb.PrepareResponse, error) {
	rec, err := s.Impl.Prepare(ctx, faultFromProto(req.GetFault()))
	if err != nil {
		return nil, toStatus(err)
	}
	return &pb.PrepareResponse{Record: rec}, nil
}

// Inject serves Injector.Inject.
func (s *GRPCServer) Inject(ctx context.Context, req *pb.InjectRequest) (*pb.InjectResponse, error) {
	rec, err := s.Impl.Inject(ctx, faultFromProto(req.GetFault()), req.GetRecord())
	if err != nil {
		return nil, withPartialRecord(toStatus(err), rec)
	}
	return &pb.InjectResponse{Record: rec}, nil
}

// Status serves Injector.Status.
func (s *GRPCServer) Status(ctx context.Context, req *pb.StatusRequest) (*pb.StatusResponse, error) {
	st, err := s.Impl.Status(ctx, faultFromProto(req.GetFault()), req.GetRecord())
	if err != nil {
		return nil, toStatus(err)
	}
	e, err := effectToProto(st.Effect)
	if err != nil {
		return nil, toStatus(err)
	}
	return &pb.StatusResponse{Effect: e, Detail: st.Detail}, nil
}

// Revert serves Injector.Revert.
func (s *GRPCServer) Revert(ctx context.Context, req *pb.RevertRequest) (*pb.RevertResponse, error) {
	if err := s.Impl.Revert(ctx, req.GetRecord()); err != nil {
		return nil, toStatus(err)
	}
	return &pb.RevertResponse{}, nil
}

// Probe serves Injector.Probe.
func (s *GRPCServer) Probe(ctx context.Context, req *pb.ProbeRequest) (*pb.ProbeResponse, error) {
	res, err := s.Impl.Probe(ctx, probeFromProto(req.GetProbe()))
	if err != nil {
		return nil, toStatus(err)
	}
	return &pb.ProbeResponse{Ok: res.OK, Detail: res.Detail}, nil
}

// withPartialRecord attaches the partial-inject record of a failed Inject to
// its status error, as an InjectResponse in the status details: the plugin
// changed something before it failed, and the caller must persist that
// record and revert with it.
func withPartialRecord(err error, rec []byte) error {
	if len(rec) == 0 {
		return err
	}
	st, derr := status.Convert(err).WithDetails(&pb.InjectResponse{Record: rec})
	if derr != nil {
		return err
	}
	return st.Err()
}

// partialRecord returns the partial-inject record a failed Inject carries
// in its status details, or nil.
func partialRecord(err error) []byte {
	st, ok := status.FromError(err)
	if !ok {
		return nil
	}
	for _, d := range st.Details() {
		if r, ok := d.(*pb.InjectResponse); ok {
			return r.GetRecord()
		}
	}
	return nil
}
