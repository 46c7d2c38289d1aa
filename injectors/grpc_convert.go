package injectors

import (
	"context"
	"errors"
	"fmt"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/firedrill/firedrill/control"
	pb "github.com/firedrill/firedrill/injectors/proto"
)

func targetToProto(t Target) *pb.Target {
	return &pb.Target{Namespace: t.Namespace, Kind: t.Kind, Name: t.Name, Selector: t.Selector}
}

func targetFromProto(t *pb.Target) Target {
	if t == nil {
		return Target{}
	}
	return Target{Namespace: t.GetNamespace(), Kind: t.GetKind(), Name: t.GetName(), Selector: t.GetSelector()}
}

func faultToProto(f Fault) *pb.Fault {
	return &pb.Fault{DrillId: f.DrillID, FaultId: f.FaultID, Type: f.Type, Target: targetToProto(f.Target), Params: f.Params}
}

func faultFromProto(f *pb.Fault) Fault {
	if f == nil {
		return Fault{}
	}
	return Fault{DrillID: f.GetDrillId(), FaultID: f.GetFaultId(), Type: f.GetType(), Target: targetFromProto(f.GetTarget()), Params: f.GetParams()}
}

func probeToProto(p Probe) *pb.Probe {
	return &pb.Probe{Type: p.Type, Target: targetToProto(p.Target), Params: p.Params}
}

func probeFromProto(p *pb.Probe) Probe {
	if p == nil {
		return Probe{}
	}
	return Probe{Type: p.GetType(), Target: targetFromProto(p.GetTarget()), Params: p.GetParams()}
}

func typesToProto(ts []TypeInfo) []*pb.TypeInfo {
	out := make([]*pb.TypeInfo, 0, len(ts))
	for _, t := range ts {
		out = append(out, &pb.TypeInfo{Name: t.Name, Description: t.Description, TargetKinds: t.TargetKinds, ParamsSchema: t.ParamsSchema})
	}
	return out
}

func typesFromProto(ts []*pb.TypeInfo) []TypeInfo {
	out := make([]TypeInfo, 0, len(ts))
	for _, t := range ts {
		out = append(out, TypeInfo{Name: t.GetName(), Description: t.GetDescription(), TargetKinds: t.GetTargetKinds(), ParamsSchema: t.GetParamsSchema()})
	}
	return out
}

func effectToProto(e Effect) (pb.Effect, error) {
	switch e {
	case InEffect:
		return pb.Effect_EFFECT_IN_EFFECT, nil
	case Drifted:
		return pb.Effect_EFFECT_DRIFTED, nil
	case Reverted:
		return pb.Effect_EFFECT_REVERTED, nil
	}
	return pb.Effect_EFFECT_UNSPECIFIED, fmt.Errorf("status effect %q is not one of %q, %q, %q", e, InEffect, Drifted, Reverted)
}

func effectFromProto(e pb.Effect) (Effect, error) {
	switch e {
	case pb.Effect_EFFECT_IN_EFFECT:
		return InEffect, nil
	case pb.Effect_EFFECT_DRIFTED:
		return Drifted, nil
	case pb.Effect_EFFECT_REVERTED:
		return Reverted, nil
	}
	return "", fmt.Errorf("plugin answered status with effect %v, expected in-effect, drifted or reverted", e)
}

// codeToGRPC maps a control error code to the gRPC status code that carries
// it across the wire, and back in codeFromGRPC.
var codeToGRPC = map[string]codes.Code{
	control.EINVALID:        codes.InvalidArgument,
	control.ENOTFOUND:       codes.NotFound,
	control.ECONFLICT:       codes.FailedPrecondition,
	control.EFORBIDDEN:      codes.PermissionDenied,
	control.EUNAUTHORIZED:   codes.Unauthenticated,
	control.ENOTIMPLEMENTED: codes.Unimplemented,
}

var codeFromGRPC = map[codes.Code]string{
	codes.InvalidArgument:    control.EINVALID,
	codes.NotFound:           control.ENOTFOUND,
	codes.FailedPrecondition: control.ECONFLICT,
	codes.AlreadyExists:      control.ECONFLICT,
	codes.PermissionDenied:   control.EFORBIDDEN,
	codes.Unauthenticated:    control.EUNAUTHORIZED,
	codes.Unimplemented:      control.ENOTIMPLEMENTED,
}

// toStatus turns an error returned by a plugin's Injector into a gRPC status
// error. A *control.Error keeps its code and message; context errors become
// DeadlineExceeded or Canceled; anything else is Internal.
func toStatus(err error) error {
	if err == nil {
		return nil
	}
	var ce *control.Error
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
// a *control.Error with the plugin's message for the codes that carry a
// control error code, the context error for DeadlineExceeded and Canceled,
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
		return &control.Error{Code: code, Message: st.Message()}
	}
	switch st.Code() {
	case codes.DeadlineExceeded:
		return fmt.Errorf("%s: %s: %w", method, st.Message(), context.DeadlineExceeded)
	case codes.Canceled:
		return fmt.Errorf("%s: %s: %w", method, st.Message(), context.Canceled)
	}
	return &CallError{Method: method, Code: st.Code(), Message: st.Message()}
}

// CallError is a failed call to a plugin that carries no control error code:
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
