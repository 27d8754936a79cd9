package connectors

import (
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/gin-gonic/gin"
)

// Fail answers a platform with the hub's error shape and stops the handler.
func Fail(g *gin.Context, status int, code, msg string) {
	g.AbortWithStatusJSON(status, gin.H{"error": gin.H{"code": code, "message": msg}})
}

// ReadBody reads an inbound webhook body of at most max bytes. When it
// cannot (413 for oversize, 400 otherwise) it has already answered and
// returns false.
func ReadBody(g *gin.Context, max int64) ([]byte, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(g.Writer, g.Request.Body, max))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		Fail(g, http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("body is larger than %d bytes", max))
		return nil, false
	}
	if err != nil {
		Fail(g, http.StatusBadRequest, "bad_request", "could not read body")
		return nil, false
	}
	return body, true
}
