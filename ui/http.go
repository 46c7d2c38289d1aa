package ui

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/firedrill/firedrill/injectors"
	"github.com/firedrill/firedrill/ui/wire"
)

// maxBodyBytes bounds every JSON request body.
const maxBodyBytes = 64 << 10

// statusOf maps an error code to its HTTP status. It is the only place the
// mapping lives.
func statusOf(code string) int {
	switch code {
	case injectors.EINVALID:
		return http.StatusBadRequest
	case injectors.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case injectors.EFORBIDDEN:
		return http.StatusForbidden
	case injectors.ENOTFOUND:
		return http.StatusNotFound
	case injectors.ECONFLICT:
		return http.StatusConflict
	case injectors.ENOTIMPLEMENTED:
		return http.StatusNotImplemented
	case "":
		return http.StatusOK
	}
	return http.StatusInternalServerError
}

// FieldError is an EINVALID error about specific form fields.
type FieldError struct {
	Message string
	Fields  []string
	// Problems maps a field to its problem (scenarios.ProblemRequired, …).
	Problems map[string]string
}

// Error returns the message.
func (e *FieldError) Error() string { return e.Message }

// writeError answers with err's code and message. Internal errors are logged
// and answered with a generic message, so details never leak.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var fe *FieldError
	if errors.As(err, &fe) {
		writeJSON(w, http.StatusBadRequest, wire.ErrorResponse{Code: injectors.EINVALID, Message: fe.Message, Fields: fe.Fields, Problems: fe.Problems})
		return
	}
	code := injectors.ErrorCode(err)
	if code == injectors.EINTERNAL {
		s.logf("%s %s: %v", r.Method, r.URL.Path, err)
	}
	writeJSON(w, statusOf(code), wire.ErrorResponse{Code: code, Message: injectors.ErrorMessage(err)})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// decodeOptionalJSON is decodeJSON for routes whose body may be left out.
func decodeOptionalJSON(w http.ResponseWriter, r *http.Request, v any) error {
	if r.ContentLength == 0 {
		return nil
	}
	return decodeJSON(w, r, v)
}

// decodeJSON reads a JSON request body into v, refusing unknown fields,
// bodies over maxBodyBytes and anything but application/json.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != "application/json" {
		return injectors.Errorf(injectors.EINVALID, "Content-Type must be application/json.")
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &mbe):
			return injectors.Errorf(injectors.EINVALID, "Request body is larger than %d bytes.", maxBodyBytes)
		case errors.As(err, &se):
			return injectors.Errorf(injectors.EINVALID, "Request body is not valid JSON at byte %d.", se.Offset)
		case errors.As(err, &te):
			return injectors.Errorf(injectors.EINVALID, "Field %q must be a %s.", te.Field, te.Type.String())
		case errors.Is(err, io.EOF):
			return injectors.Errorf(injectors.EINVALID, "Request body is empty; expected a JSON object.")
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			return injectors.Errorf(injectors.EINVALID, "Unknown field %s.", strings.TrimPrefix(err.Error(), "json: unknown field "))
		}
		return injectors.Errorf(injectors.EINVALID, "Request body is not valid JSON.")
	}
	if dec.More() {
		return injectors.Errorf(injectors.EINVALID, "Request body must hold one JSON object.")
	}
	return nil
}

// contentSecurityPolicy allows nothing inline and nothing from elsewhere:
// scripts, styles, images and sockets come from this server only.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; font-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// securityHeaders sets the headers every answer carries.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		// Join tokens never travel in URLs the server sees, but a page
		// must not leak its address to anyone anyway.
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
		next.ServeHTTP(w, r)
	})
}
