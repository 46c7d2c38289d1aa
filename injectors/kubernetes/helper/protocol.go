// Package helper lets firedrill ask the cluster what the Kubernetes
// injector knows how to ask — the rehearsal robots' kubectl (baseline,
// fix, isolate), the leftover scan and `firedrill doctor`'s checks —
// without linking the injector's clients (k8s.io/api, client-go's REST
// machinery): those cost the drill room's process megabytes of resident
// memory for work it does a few times a day (issue 13).
//
// The questions go to a helper process, the plugin executable
// firedrill-injector-kubernetes run as `firedrill-injector-kubernetes
// helper FLAGS` with the same kubernetes.* flags as the plugin
// (pluginargs). The protocol, version 1, is one JSON object per line on the
// helper's stdin (a Request) and one per line on its stdout (the Response
// with the same ID), one request at a time; the helper exits when its
// stdin closes. Its first answer, to "hello", names the context it acts on
// or says why it cannot (an unreadable kubeconfig, a refused context).
// Errors keep their injectors code (EFORBIDDEN, ENOTFOUND, …) and message.
// docs/plugins.md describes it with the plugin contract.
package helper

import (
	"encoding/json"
	"errors"

	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/injectors/kubernetes/catalog"
)

// Version is the protocol version; hello answers it.
const Version = 1

// Subcommand is the plugin executable's argument that makes it a helper.
const Subcommand = "helper"

// Methods of the protocol.
const (
	MethodHello             = "hello"
	MethodBaseline          = "baseline"
	MethodFix               = "fix"
	MethodIsolate           = "isolate"
	MethodFindLeftovers     = "findLeftovers"
	MethodServerInfo        = "serverInfo"
	MethodNamespace         = "namespace"
	MethodObject            = "object"
	MethodCountPods         = "countPods"
	MethodOptedInNamespaces = "optedInNamespaces"
	MethodReviewAccess      = "reviewAccess"
)

// Request is one question.
type Request struct {
	ID     int64  `json:"id"`
	Method string `json:"method"`
	// Targets are baseline's.
	Targets []injectors.Target `json:"targets,omitempty"`
	// Target is fix's and isolate's.
	Target injectors.Target `json:"target,omitzero"`
	// Key and StrayPolicies are fix's.
	Key           string `json:"key,omitempty"`
	StrayPolicies bool   `json:"strayPolicies,omitempty"`
	// DrillID is findLeftovers' ("" for every drill).
	DrillID string `json:"drillId,omitempty"`
	// Kind, Namespace, Name and Selector name the object or pods of
	// namespace, object and countPods.
	Kind      string            `json:"kind,omitempty"`
	Namespace string            `json:"namespace,omitempty"`
	Name      string            `json:"name,omitempty"`
	Selector  map[string]string `json:"selector,omitempty"`
	// Accesses are reviewAccess's.
	Accesses []catalog.Access `json:"accesses,omitempty"`
}

// Response is the answer to the request with the same ID. Error, when
// set, is why it failed; some methods (fix) also say what they did before
// failing.
type Response struct {
	ID    int64  `json:"id"`
	Error *Error `json:"error,omitempty"`
	// Version and Context are hello's; Refused, when set, is why the
	// configuration does not allow touching the cluster of Context (every
	// other method then fails with it).
	Version int    `json:"version,omitempty"`
	Context string `json:"context,omitempty"`
	Refused *Error `json:"refused,omitempty"`
	// Did is what fix and isolate did, in kubectl's words.
	Did        []string               `json:"did,omitempty"`
	Leftovers  []catalog.Leftover     `json:"leftovers,omitempty"`
	Server     *catalog.ServerInfo    `json:"server,omitempty"`
	Object     *catalog.ObjectInfo    `json:"object,omitempty"`
	Count      int                    `json:"count,omitempty"`
	Namespaces []string               `json:"namespaces,omitempty"`
	Reviews    []catalog.AccessReview `json:"reviews,omitempty"`
}

// Error is a failed answer: the error's message as the injector said it,
// and, for an error with an injectors code, the code and the *injectors.Error's
// own message.
type Error struct {
	Message string `json:"message"`
	Code    string `json:"code,omitempty"`
	Detail  string `json:"detail,omitempty"`
}

// Error returns the message, as the injector said it.
func (e *Error) Error() string { return e.Message }

// Unwrap returns the error as an *injectors.Error when it has a code, so
// that injectors.ErrorCode sees it across the process boundary.
func (e *Error) Unwrap() error {
	if e.Code == "" {
		return nil
	}
	return &injectors.Error{Code: e.Code, Message: e.Detail}
}

// ErrorOf returns err as an answer: nil for nil, the code and message of
// an *injectors.Error in its chain, else code (the caller's mapping of
// the API server's status, "" for none).
func ErrorOf(err error, code string) *Error {
	if err == nil {
		return nil
	}
	e := &Error{Message: err.Error(), Code: code}
	var ie *injectors.Error
	if errors.As(err, &ie) {
		e.Code, e.Detail = ie.Code, ie.Message
	} else if code != "" {
		e.Detail = err.Error()
	}
	return e
}

// EncodeLine returns v (a Request or a Response) as one line of JSON.
func EncodeLine(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}
