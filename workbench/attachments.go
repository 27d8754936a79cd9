package workbench

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/kefu-hub/kefu/connectors"
	"github.com/kefu-hub/kefu/hub/files"
)

// uploadAttachment stores a file an agent attaches to a reply (multipart
// field "file"); the answer's url goes into the reply's attachments.
func (s channelAPI) uploadAttachment(g *gin.Context) {
	name, data, ok := connectors.ReadUpload(g, files.MaxFileSize)
	if !ok {
		return
	}
	a := connectors.AgentOf(g)
	// The type is what the bytes are, never what the client claims.
	f := &files.File{TenantID: a.TenantID, Name: name, ContentType: http.DetectContentType(data), Data: data,
		CreatedBy: a.ID}
	err := s.Files.Save(g.Request.Context(), f)
	s.respond(g, http.StatusCreated, f, err)
}

// getAttachment serves a file to agents of its tenant. Media a customer
// sent that is not downloaded yet is fetched from the platform first.
// Everything is a download except images the bytes prove to be images, and
// nothing is sniffed by the browser or runs as a page.
func (s channelAPI) getAttachment(g *gin.Context) {
	ctx := g.Request.Context()
	a := connectors.AgentOf(g)
	f, err := s.Files.Get(ctx, a.TenantID, g.Param("id"))
	if err != nil {
		s.respond(g, 0, nil, err)
		return
	}
	if f.Status == files.FilePending {
		if f, err = s.fetchPending(ctx, a.TenantID, f); err != nil {
			fail(g, http.StatusBadGateway, "media_unavailable",
				"the file could not be fetched from the platform yet (temporary media expires after 3 days): "+err.Error())
			return
		}
	}
	connectors.ServeFile(g, f)
}

func (s channelAPI) fetchPending(ctx context.Context, tenantID string, f *files.File) (*files.File, error) {
	ch, err := s.Channels.ForTenant(ctx, tenantID, f.ChannelID)
	if err != nil {
		return nil, err
	}
	fetcher, ok := s.Connectors[ch.Type].(connectors.MediaFetcher)
	if !ok {
		return nil, errors.New("the channel cannot fetch media")
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	return fetcher.FetchFile(ctx, ch, f)
}
