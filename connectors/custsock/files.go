package custsock

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/kefu-hub/kefu/connectors"
	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/files"
)

// ServeFile answers a customer's client asking for a file of its channel
// by a signed link: 403 when the signature (checked by the channel) is
// wrong, 404 when there is no such file or it is not fetched yet, 503 when
// the store does not answer.
func ServeFile(g *gin.Context, store connectors.Files, tenantID, id string, signed bool) {
	if !signed {
		connectors.Fail(g, http.StatusForbidden, "bad_signature", "this link is not valid")
		return
	}
	f, err := store.Get(g.Request.Context(), tenantID, id)
	if errors.Is(err, hub.ErrNotFound) || (err == nil && f.Status != files.FileReady) {
		connectors.Fail(g, http.StatusNotFound, "not_found", "no such file")
		return
	}
	if err != nil {
		connectors.Fail(g, http.StatusServiceUnavailable, "unavailable", "try again")
		return
	}
	connectors.ServeFile(g, f)
}
