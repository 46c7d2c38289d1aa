package kubernetes

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/injectors/kubernetes/helper"
)

// maxHelperRequest bounds one request line of the helper protocol.
const maxHelperRequest = 16 << 20

// ServeHelper answers the helper protocol (injectors/kubernetes/helper) on
// r and w with an injector of cfg until r ends: firedrill's rehearsal
// robots, leftover scan and doctor ask the cluster through it without
// linking this package. A configuration New refuses is the answer to
// hello (and to every later request).
func ServeHelper(ctx context.Context, cfg Config, r io.Reader, w io.Writer) error {
	in, newErr := New(cfg)
	h := &helperServer{in: in, newErr: newErr}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxHelperRequest)
	bw := bufio.NewWriter(w)
	for sc.Scan() {
		var req helper.Request
		resp := helper.Response{}
		if err := json.Unmarshal(sc.Bytes(), &req); err != nil {
			resp.Error = helper.ErrorOf(injectors.Errorf(injectors.EINVALID, "helper request: %v", err), "")
		} else {
			resp = h.answer(ctx, req)
		}
		line, err := helper.EncodeLine(resp)
		if err != nil {
			return err
		}
		if _, err := bw.Write(line); err != nil {
			return err
		}
		if err := bw.Flush(); err != nil {
			return err
		}
	}
	return sc.Err()
}

type helperServer struct {
	in     *Injector
	newErr error
	p      *Participant
}

// answer answers one request.
func (h *helperServer) answer(ctx context.Context, req helper.Request) helper.Response {
	resp := helper.Response{ID: req.ID}
	if h.newErr != nil {
		resp.Error = wireError(h.newErr)
		return resp
	}
	var err error
	switch req.Method {
	case helper.MethodHello:
		resp.Version, resp.Context = helper.Version, h.in.Context()
		resp.Refused = wireError(h.in.ready())
	case helper.MethodBaseline, helper.MethodFix, helper.MethodIsolate:
		err = h.robot(ctx, req, &resp)
	case helper.MethodFindLeftovers:
		resp.Leftovers, err = h.in.FindLeftovers(ctx, req.DrillID)
	case helper.MethodServerInfo:
		var si ServerInfo
		si, err = h.in.ServerInfo(ctx)
		resp.Server = &si
	case helper.MethodNamespace:
		var o ObjectInfo
		o, err = h.in.Namespace(ctx, req.Namespace)
		resp.Object = &o
	case helper.MethodObject:
		var o ObjectInfo
		o, err = h.in.Object(ctx, req.Kind, req.Namespace, req.Name)
		resp.Object = &o
	case helper.MethodCountPods:
		resp.Count, err = h.in.CountPods(ctx, req.Namespace, req.Selector)
	case helper.MethodOptedInNamespaces:
		resp.Namespaces, err = h.in.OptedInNamespaces(ctx)
	case helper.MethodReviewAccess:
		resp.Reviews, err = h.in.ReviewAccess(ctx, req.Accesses)
	default:
		err = injectors.Errorf(injectors.EINVALID, "helper: method %q is not one of protocol version %d", req.Method, helper.Version)
	}
	resp.Error = wireError(err)
	return resp
}

// robot answers the robots' kubectl: one participant, made at the first
// request, keeps the baseline for the later fixes.
func (h *helperServer) robot(ctx context.Context, req helper.Request, resp *helper.Response) error {
	if h.p == nil && req.Method == helper.MethodFix {
		// A fresh helper (the one that took the baseline died or was
		// stopped) knows no object from before the drill: a fix would
		// skip every object and report success with nothing done.
		return injectors.Errorf(injectors.ECONFLICT, "helper: no baseline to fix from: the Kubernetes helper was restarted since the rehearsal's baseline")
	}
	if h.p == nil {
		p, err := h.in.Participant()
		if err != nil {
			return err
		}
		h.p = p
	}
	var err error
	switch req.Method {
	case helper.MethodBaseline:
		err = h.p.Baseline(ctx, req.Targets)
	case helper.MethodFix:
		resp.Did, err = h.p.Fix(ctx, req.Target, req.Key, req.StrayPolicies)
	case helper.MethodIsolate:
		resp.Did, err = h.p.Isolate(ctx, req.Target)
	default:
		err = fmt.Errorf("helper: %s is not a robot method", req.Method)
	}
	return err
}

// wireError returns err as an answer, with the injectors code of the API
// server's status when it has no code of its own.
func wireError(err error) *helper.Error {
	code := ""
	switch {
	case err == nil:
		return nil
	case apierrors.IsForbidden(err):
		code = injectors.EFORBIDDEN
	case apierrors.IsNotFound(err):
		code = injectors.ENOTFOUND
	case apierrors.IsConflict(err), apierrors.IsAlreadyExists(err):
		code = injectors.ECONFLICT
	case apierrors.IsUnauthorized(err):
		code = injectors.EUNAUTHORIZED
	case apierrors.IsInvalid(err), apierrors.IsBadRequest(err):
		code = injectors.EINVALID
	}
	return helper.ErrorOf(err, code)
}
