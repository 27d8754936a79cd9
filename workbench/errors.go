package workbench

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/bus"
	"github.com/kefu-hub/kefu/hub/db"
	"github.com/kefu-hub/kefu/tickets"
)

func fail(g *gin.Context, status int, code, msg string) {
	g.AbortWithStatusJSON(status, gin.H{"error": gin.H{"code": code, "message": msg}})
}

// respond writes v, or maps err to its HTTP status: the one place errors
// become statuses.
func (s *Server) respond(g *gin.Context, status int, v any, err error) {
	if err == nil {
		g.JSON(status, v)
		return
	}
	var invalid *hub.InvalidError
	switch {
	case errors.As(err, &invalid), errors.Is(err, tickets.ErrInvalid):
		fail(g, http.StatusBadRequest, "invalid", err.Error())
	case errors.Is(err, hub.ErrNotFound), errors.Is(err, tickets.ErrNotFound):
		fail(g, http.StatusNotFound, "not_found", "not found")
	case errors.Is(err, hub.ErrUnauthorized):
		fail(g, http.StatusUnauthorized, "unauthorized", err.Error())
	case errors.Is(err, hub.ErrForbidden):
		fail(g, http.StatusForbidden, "forbidden", err.Error())
	case errors.Is(err, hub.ErrConflict):
		fail(g, http.StatusConflict, "conflict", err.Error())
	case errors.Is(err, db.ErrUnavailable), errors.Is(err, bus.ErrUnavailable):
		s.Log.Error("unavailable", "path", g.FullPath(), "err", err)
		fail(g, http.StatusServiceUnavailable, "unavailable", "temporarily unavailable, retry")
	default:
		s.Log.Error("internal error", "path", g.FullPath(), "err", err)
		fail(g, http.StatusInternalServerError, "internal", "internal error")
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
	return true
}
