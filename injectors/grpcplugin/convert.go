package grpcplugin

import (
	"context"
	"errors"
	"fmt"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/firedrill/firedrill/injectors"
	pb "github.com/firedrill/firedrill/injectors/proto"
)

func targetToProto(t injectors.Target) *pb.Target {
	return &pb.Target{Namespace: t.Namespace, Kind: t.Kind, Name: t.Name, Selector: t.Selector}
}

func targetFromProto(t *pb.Target) injectors.Target {
	if t == nil {
		return injectors.Target{}
	}
	return injectors.Target{Namespace: t.GetNamespace(), Kind: t.GetKind(), Name: t.GetName(), Selector: t.GetSelector()}
}

func faultToProto(f injectors.Fault) *pb.Fault {
	return &pb.Fault{DrillId: f.DrillID, FaultId: f.FaultID, Type: f.Type, Target: targetToProto(f.Target), Params: f.Params}
}

func faultFromProto(f *pb.Fault) injectors.Fault {
	if f == nil {
		return injectors.Fault{}
	}
	return injectors.Fault{DrillID: f.GetDrillId(), FaultID: f.GetFaultId(), Type: f.GetType(), Target: targetFromProto(f.GetTarget()), Params: f.GetParams()}
}

func probeToProto(p injectors.Probe) *pb.Probe {
	return &pb.Probe{Type: p.Type, Target: targetToProto(p.Target), Params: p.Params}
}

func probeFromProto(p *pb.Probe) injectors.Probe {
	if p == nil {
		return injectors.Probe{}
	}
	return injectors.Probe{Type: p.GetType(), Target: targetFromProto(p.GetTarget()), Params: p.GetParams()}
}

func typesToProto(ts []injectors.TypeInfo) []*pb.TypeInfo {
	out := make([]*pb.TypeInfo, 0, len(ts))
	for _, t := range ts {
		out = append(out, &pb.TypeInfo{Name: t.Name, Description: t.Description, TargetKinds: t.TargetKinds, ParamsSchema: t.ParamsSchema})
	}
	return out
}

func typesFromProto(ts []*pb.TypeInfo) []injectors.TypeInfo {
	out := make([]injectors.TypeInfo, 0, len(ts))
	for _, t := range ts {
		out = append(out, injectors.TypeInfo{Name: t.GetName(), Description: t.GetDescription(), TargetKinds: t.GetTargetKinds(), ParamsSchema: t.GetParamsSchema()})
	}
	return out
}

func effectToProto(e injectors.Effect) (pb.Effect, error) {
	switch e {
	case injectors.InEffect:
		return pb.Effect_EFFECT_IN_EFFECT, nil
	case injectors.Drifted:
		return pb.Effect_EFFECT_DRIFTED, nil
	case injectors.Reverted:
		return pb.Effect_EFFECT_REVERTED, nil
	}
	return pb.Effect_EFFECT_UNSPECIFIED, fmt.Errorf("status effect %q is not one of %q, %q, %q", e, injectors.InEffect, injectors.Drifted, injectors.Reverted)
}

func effectFromProto(e pb.Effect) (injectors.Effect, error) {
	switch e {
	case pb.Effect_EFFECT_IN_EFFECT:
		return injectors.InEffect, nil
	case pb.Effect_EFFECT_DRIFTED:
		return injectors.Drifted, nil
	case pb.Effect_EFFECT_REVERTED:
		return injectors.Reverted, nil
	}
	return "", fmt.Errorf("plugin answered status with effect %v, expected in-effect, drifted or reverted", e)
}

// codeToGRPC maps a firedrill error code to the gRPC status code that carries
// it across the wire, and back in codeFromGRPC.
var codeToGRPC = map[string]codes.Code{
	injectors.EINVALID:        codes.InvalidArgument,
	injectors.ENOTFOUND:       codes.NotFound,
	injectors.ECONFLICT:       codes.FailedPrecondition,
	injectors.EFORBIDDEN:      codes.PermissionDenied,
	injectors.EUNAUTHORIZED:   codes.Unauthenticated,
	injectors.ENOTIMPLEMENTED: codes.Unimplemented,
}

var codeFromGRPC = map[codes.Code]string{
	codes.InvalidArgument:    injectors.EINVALID,
	codes.NotFound:           injectors.ENOTFOUND,
	codes.FailedPrecondition: injectors.ECONFLICT,
	codes.AlreadyExists:      injectors.ECONFLICT,
	codes.PermissionDenied:   injectors.EFORBIDDEN,
	codes.Unauthenticated:    injectors.EUNAUTHORIZED,
	codes.Unimplemented:      injectors.ENOTIMPLEMENTED,
}

// toStatus turns an error returned by a plugin's Injector into a gRPC status
// error. A *injectors.Error keeps its code and message; context errors become
// DeadlineExceeded or Canceled; anything else is Internal.
func toStatus(err error) error {
	if err == nil {
		return nil
	}
	var ce *injectors.Error
	if errors.As(err, &ce) {
		if c, ok := codeToGRPC[ce.Code]; ok {
			return status.Error(c, ce.Message)
		}
		return status.Error(codes.Internal, ce.Message)
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, err.Error())
	case errors.Is(err, context.Canceled):
		return status.Error(codes.Canceled, err.Error())
	}
	return status.Error(codes.Internal, err.Error())
}

// fromStatus turns an error from a gRPC call into the error the plugin meant:
// a *injectors.Error with the plugin's message for the codes that carry a
// firedrill error code, the context error for DeadlineExceeded and Canceled,
// and a *CallError for everything else, so that callers can tell that the
// plugin process was unreachable (Unavailable).
func fromStatus(method string, err error) error {
	if err == nil {
		return nil
	}
	st, ok := status.FromError(err)
	if !ok {
		return fmt.Errorf("%s: %w", method, err)
	}
	if code, ok := codeFromGRPC[st.Code()]; ok {
		return &injectors.Error{Code: code, Message: st.Message()}
	}
	switch st.Code() {
	case codes.DeadlineExceeded:
		return fmt.Errorf("%s: %s: %w", method, st.Message(), context.DeadlineExceeded)
	case codes.Canceled:
		return fmt.Errorf("%s: %s: %w", method, st.Message(), context.Canceled)
	}
	return &CallError{Method: method, Code: st.Code(), Message: st.Message()}
}

// CallError is a failed call to a plugin that carries no firedrill error code:
// the plugin failed internally (codes.Internal) or could not be reached
// (codes.Unavailable, typically because its process died).
type CallError struct {
	Method  string
	Code    codes.Code
	Message string
}

// Error implements the error interface.
func (e *CallError) Error() string {
	return fmt.Sprintf("%s: %s: %s", e.Method, e.Code, e.Message)
}

// Unreachable reports whether the call failed because the plugin process
// could not be reached, so that nothing was done and the call may be retried
// on a new process.
func (e *CallError) Unreachable() bool { return e.Code == codes.Unavailable }
