package web

import (
	"crypto/hmac"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"golang.org/x/time/rate"

	"github.com/kefu-hub/kefu/connectors"
	"github.com/kefu-hub/kefu/connectors/custsock"
	"github.com/kefu-hub/kefu/hub/files"
)

// upload stores a file a visitor attaches (multipart field "file", header
// X-Kefu-Visitor: "<visitor id>:<token>"). Its type is what the bytes are,
// checked against the channel's allowed types; its size against the limit.
func (c *Connector) upload(g *gin.Context) {
	ch, cfg, ok := c.channel(g)
	if !ok || !cors(g, &cfg) {
		return
	}
	id, token, _ := strings.Cut(g.GetHeader("X-Kefu-Visitor"), ":")
	if !validVisitor(ch, id, token) {
		fail(g, http.StatusUnauthorized, "bad_visitor", "X-Kefu-Visitor must carry the visitor id and token from welcome")
		return
	}
	if !c.limits.Allow("upload:"+id, rate.Every(time.Minute/uploadsPerMinute), uploadsPerMinute) {
		fail(g, http.StatusTooManyRequests, "rate_limited", "too many uploads; wait a minute")
		return
	}
	name, data, ok := connectors.ReadUpload(g, cfg.Upload.MaxBytes)
	if !ok {
		return
	}
	ctype := http.DetectContentType(data)
	if !cfg.Upload.Allows(ctype) {
		fail(g, http.StatusUnsupportedMediaType, "type_not_allowed", "files of this type are not accepted: "+ctype)
		return
	}
	f := &files.File{TenantID: ch.TenantID, ChannelID: ch.ID, Name: name, ContentType: ctype, Data: data,
		CreatedBy: "visitor:" + id}
	if err := c.deps.Files.Save(g.Request.Context(), f); err != nil {
		fail(g, http.StatusServiceUnavailable, "unavailable", "not stored; try again")
		return
	}
	g.JSON(http.StatusCreated, gin.H{"id": f.ID, "url": FileURL(ch, f.ID), "name": f.Name, "type": f.ContentType,
		"size": f.Size})
}

// file serves a file of a visitor's conversation to the widget; the
// signature in the URL (given only in the visitor's own frames) is the key.
func (c *Connector) file(g *gin.Context) {
	ch, _, ok := c.channel(g)
	if !ok {
		return
	}
	id := g.Param("file_id")
	g.Header("Access-Control-Allow-Origin", "*") // a signed link; images load cross-origin
	custsock.ServeFile(g, c.deps.Files, ch.TenantID, id, hmac.Equal([]byte(g.Query("s")), []byte(fileSig(ch, id))))
}
