package web

import (
	"crypto/hmac"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"golang.org/x/time/rate"

	"github.com/kefu-hub/kefu/connectors"
	"github.com/kefu-hub/kefu/hub"
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
	if !hmac.Equal([]byte(g.Query("s")), []byte(fileSig(ch, id))) {
		fail(g, http.StatusForbidden, "bad_signature", "this link is not valid")
		return
	}
	f, err := c.deps.Files.Get(g.Request.Context(), ch.TenantID, id)
	if errors.Is(err, hub.ErrNotFound) || (err == nil && f.Status != files.FileReady) {
		fail(g, http.StatusNotFound, "not_found", "no such file")
		return
	}
	if err != nil {
		fail(g, http.StatusServiceUnavailable, "unavailable", "try again")
		return
	}
	g.Header("Access-Control-Allow-Origin", "*") // a signed link; images load cross-origin
	connectors.ServeFile(g, f)
}
