package workbench

import (
	"errors"
	"net/http"
	"reflect"

	"github.com/gin-gonic/gin"

	"github.com/kefu-hub/kefu/connectors"
	"github.com/kefu-hub/kefu/hub"

	"github.com/kefu-hub/kefu/hub/identity"
	"github.com/kefu-hub/kefu/tickets"
	"github.com/kefu-hub/kefu/workbench/signin"
)

// fail answers an error: its class (code), a message for developers, and
// when the error carries one (hub.Coded), its stable reason and params,
// which the UI shows in the user's language.
func fail(g *gin.Context, status int, code, msg string, cause ...error) {
	body := gin.H{"code": code, "message": msg}
	var coded *hub.CodedError
	if len(cause) == 1 && errors.As(cause[0], &coded) {
		body["reason"], body["params"] = coded.Code, coded.Params
	}
	g.AbortWithStatusJSON(status, gin.H{"error": body})
}

// respond writes v, or maps err to its HTTP status: the one place errors
// become statuses.
func (s *Server) respond(g *gin.Context, status int, v any, err error) {
	if err == nil {
		g.JSON(status, v)
		return
	}
	var invalid *hub.InvalidError
	var closed *hub.WindowClosedError
	if signin.Refused(g, err) {
		return
	}
	switch {
	case errors.As(err, &closed):
		// The platform would refuse the reply: say so before it is sent,
		// with the window so a UI can show when the customer must write again.
		g.AbortWithStatusJSON(http.StatusConflict, gin.H{"error": gin.H{"code": "reply_window_closed",
			"message": closed.Error(), "window": closed.Window}})
	case errors.As(err, &invalid), errors.Is(err, tickets.ErrInvalid):
		fail(g, http.StatusBadRequest, "invalid", err.Error(), err)
	case errors.Is(err, identity.ErrTOTPRequired):
		fail(g, http.StatusUnauthorized, "totp_required", err.Error(), err)
	case errors.Is(err, identity.ErrTOTPInvalid):
		fail(g, http.StatusBadRequest, "totp_invalid", err.Error(), err)
	case errors.Is(err, identity.ErrTOTPLocked):
		fail(g, http.StatusTooManyRequests, "totp_locked", err.Error(), err)
	case errors.Is(err, hub.ErrNotFound), errors.Is(err, tickets.ErrNotFound):
		fail(g, http.StatusNotFound, "not_found", "not found", err)
	case errors.Is(err, hub.ErrUnauthorized):
		fail(g, http.StatusUnauthorized, "unauthorized", err.Error(), err)
	case errors.Is(err, hub.ErrForbidden):
		fail(g, http.StatusForbidden, "forbidden", err.Error(), err)
	case errors.Is(err, hub.ErrConflict):
		fail(g, http.StatusConflict, "conflict", err.Error(), err)
	case errors.Is(err, hub.ErrUnavailable):
		s.Log.Error("unavailable", "path", g.FullPath(), "err", err)
		connectors.Unavailable(g, err, "temporarily unavailable, retry")
	default:
		s.Log.Error("internal error", "path", g.FullPath(), "err", err)
		fail(g, http.StatusInternalServerError, "internal", "internal error", err)
	}
}

// bind decodes a JSON body; malformed JSON or a wrong field type is a 400.
func bind(g *gin.Context, v any) bool {
	g.Request.Body = http.MaxBytesReader(g.Writer, g.Request.Body, 1<<20)
	if err := g.ShouldBindJSON(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			fail(g, http.StatusRequestEntityTooLarge, "too_large", "body is larger than 1 MiB")
			return false
		}
		fail(g, http.StatusBadRequest, "bad_request", "body is not the expected JSON: "+err.Error())
		return false
	}
	cleanStrings(reflect.ValueOf(v))
	return true
}

// cleanStrings applies hub.Clean to every string reachable from v (struct
// fields, pointers, slices), so no NUL byte or invalid UTF-8 from a request
// body reaches the store: PostgreSQL rejects both in text, which would
// surface as a 500. Raw JSON ([]byte) is left to whoever parses it.
func cleanStrings(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			cleanStrings(v.Elem())
		}
	case reflect.Struct:
		for i := range v.NumField() {
			cleanStrings(v.Field(i))
		}
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() != reflect.Uint8 {
			for i := range v.Len() {
				cleanStrings(v.Index(i))
			}
		}
	case reflect.String:
		if v.CanSet() {
			v.SetString(hub.Clean(v.String()))
		}
	}
}

// cleanInput answers path ids and query parameters that carry NUL bytes or
// invalid UTF-8 before they reach the database (where PostgreSQL would turn
// them into a 5xx, and a platform into a retry loop): no id contains them,
// so a path id is a 404; a query parameter is a 400.
func cleanInput(g *gin.Context) {
	for _, p := range g.Params {
		if hub.Clean(p.Value) != p.Value {
			fail(g, http.StatusNotFound, "not_found", "not found")
			return
		}
	}
	for k, vs := range g.Request.URL.Query() {
		for _, v := range append(vs, k) {
			if hub.Clean(v) != v {
				fail(g, http.StatusBadRequest, "bad_request", "query parameters must be UTF-8 without NUL bytes")
				return
			}
		}
	}
	g.Next()
}
