package ha

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/firedrill/firedrill/injectors"
)

// The objects below are the fields of a core/v1 Secret and a
// coordination.k8s.io/v1 Lease that ha reads and writes. Every field they
// do not name (uid, owner references, finalizers, a Lease's strategy, …)
// is kept as read and written back unchanged, so that an update never
// drops what another client set.

// fields is a JSON object's members as read.
type fields map[string]json.RawMessage

// decode reads b into f and the named members into their targets.
func (f *fields) decode(b []byte, into map[string]any) error {
	if err := json.Unmarshal(b, f); err != nil {
		return err
	}
	for k, v := range into {
		if raw, ok := (*f)[k]; ok && string(raw) != "null" {
			if err := json.Unmarshal(raw, v); err != nil {
				return fmt.Errorf("%s: %w", k, err)
			}
		}
	}
	return nil
}

// encode returns f with the named members set (omitted when nil or empty).
func (f fields) encode(set map[string]any) ([]byte, error) {
	out := make(map[string]json.RawMessage, len(f)+len(set))
	for k, v := range f {
		out[k] = v
	}
	for k, v := range set {
		if isEmpty(v) {
			delete(out, k)
			continue
		}
		b, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
		out[k] = b
	}
	return json.Marshal(out)
}

func isEmpty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case map[string]string:
		return len(x) == 0
	case map[string][]byte:
		return len(x) == 0
	case *string:
		return x == nil
	case *int32:
		return x == nil
	case *microTime:
		return x == nil
	}
	return false
}

// objectMeta is an object's metadata.
type objectMeta struct {
	Name, Namespace, ResourceVersion string
	Labels, Annotations              map[string]string
	rest                             fields
}

func (m *objectMeta) UnmarshalJSON(b []byte) error {
	return m.rest.decode(b, map[string]any{"name": &m.Name, "namespace": &m.Namespace, "resourceVersion": &m.ResourceVersion,
		"labels": &m.Labels, "annotations": &m.Annotations})
}

func (m objectMeta) MarshalJSON() ([]byte, error) {
	return m.rest.encode(map[string]any{"name": m.Name, "namespace": m.Namespace, "resourceVersion": m.ResourceVersion,
		"labels": m.Labels, "annotations": m.Annotations})
}

// secretTypeOpaque is the type of the records Secrets.
const secretTypeOpaque = "Opaque"

// secret is a core/v1 Secret.
type secret struct {
	objectMeta
	Type string
	// Data holds the decoded values (base64 in JSON).
	Data map[string][]byte
	rest fields
}

func (s *secret) UnmarshalJSON(b []byte) error {
	return s.rest.decode(b, map[string]any{"metadata": &s.objectMeta, "type": &s.Type, "data": &s.Data})
}

func (s secret) MarshalJSON() ([]byte, error) {
	return s.rest.encode(map[string]any{"apiVersion": "v1", "kind": "Secret", "metadata": s.objectMeta, "type": s.Type, "data": s.Data})
}

// secretList is a core/v1 SecretList.
type secretList struct {
	Items []secret `json:"items"`
}

// microTime is a Lease's time: RFC 3339 with microseconds, in UTC
// (apimachinery's MicroTime).
type microTime struct{ time.Time }

const rfc3339Micro = "2006-01-02T15:04:05.000000Z07:00"

func (t microTime) MarshalJSON() ([]byte, error) {
	return json.Marshal(t.UTC().Format(rfc3339Micro))
}

func (t *microTime) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	if s == "" {
		t.Time = time.Time{}
		return nil
	}
	v, err := time.Parse(rfc3339Micro, s)
	if err != nil {
		return err
	}
	t.Time = v.Local()
	return nil
}

// leaseSpec is a Lease's spec.
type leaseSpec struct {
	HolderIdentity         *string
	LeaseDurationSeconds   *int32
	AcquireTime, RenewTime *microTime
	LeaseTransitions       *int32
	rest                   fields
}

func (s *leaseSpec) UnmarshalJSON(b []byte) error {
	return s.rest.decode(b, map[string]any{"holderIdentity": &s.HolderIdentity, "leaseDurationSeconds": &s.LeaseDurationSeconds,
		"acquireTime": &s.AcquireTime, "renewTime": &s.RenewTime, "leaseTransitions": &s.LeaseTransitions})
}

func (s leaseSpec) MarshalJSON() ([]byte, error) {
	return s.rest.encode(map[string]any{"holderIdentity": s.HolderIdentity, "leaseDurationSeconds": s.LeaseDurationSeconds,
		"acquireTime": s.AcquireTime, "renewTime": s.RenewTime, "leaseTransitions": s.LeaseTransitions})
}

// lease is a coordination.k8s.io/v1 Lease.
type lease struct {
	objectMeta
	Spec leaseSpec
	rest fields
}

func (l *lease) UnmarshalJSON(b []byte) error {
	return l.rest.decode(b, map[string]any{"metadata": &l.objectMeta, "spec": &l.Spec})
}

func (l lease) MarshalJSON() ([]byte, error) {
	return l.rest.encode(map[string]any{"apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": l.objectMeta, "spec": l.Spec})
}

// StatusError is an answer of the API server that is not a success: its
// HTTP code and the Status it sent (reason, message). It unwraps to an
// *injectors.Error with the matching code (ENOTFOUND, ECONFLICT,
// EFORBIDDEN, EUNAUTHORIZED, EINVALID, EINTERNAL).
type StatusError struct {
	Code    int
	Reason  string
	Message string
}

// Error returns the API server's message, as kubectl shows it.
func (e *StatusError) Error() string { return e.Message }

// Unwrap returns the error as an *injectors.Error.
func (e *StatusError) Unwrap() error {
	code := injectors.EINTERNAL
	switch {
	case e.Code == http.StatusNotFound:
		code = injectors.ENOTFOUND
	case e.Code == http.StatusConflict:
		code = injectors.ECONFLICT
	case e.Code == http.StatusForbidden:
		code = injectors.EFORBIDDEN
	case e.Code == http.StatusUnauthorized:
		code = injectors.EUNAUTHORIZED
	case e.Code == http.StatusBadRequest || e.Code == http.StatusUnprocessableEntity:
		code = injectors.EINVALID
	}
	return injectors.Errorf(code, "%s", e.Message)
}

func statusError(code int, body []byte) *StatusError {
	var st struct {
		Reason  string `json:"reason"`
		Message string `json:"message"`
	}
	if json.Unmarshal(body, &st) != nil || st.Message == "" {
		st.Message = fmt.Sprintf("the server answered %d %s", code, http.StatusText(code))
	}
	return &StatusError{Code: code, Reason: st.Reason, Message: st.Message}
}

func hasReason(err error, code int, reason string) bool {
	var e *StatusError
	return errors.As(err, &e) && e.Code == code && (reason == "" || e.Reason == reason)
}

// isNotFound: the object does not exist.
func isNotFound(err error) bool { return hasReason(err, http.StatusNotFound, "") }

// isConflict: another writer changed the object (or a precondition failed).
func isConflict(err error) bool { return hasReason(err, http.StatusConflict, "Conflict") }

// isAlreadyExists: a create found the object there.
func isAlreadyExists(err error) bool { return hasReason(err, http.StatusConflict, "AlreadyExists") }
