package qq

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/files"
)

// reserveMedia records the dispatch's media as pending files before it is
// acknowledged, so the message's attachment URLs always resolve: the
// download follows the acknowledgement, and an agent opening a file still
// pending fetches it then (FetchFile).
func (c *Connector) reserveMedia(ctx context.Context, ch *hub.Channel, refs []mediaRef) error {
	if c.deps.Files == nil {
		return nil
	}
	for _, r := range refs {
		f := &files.File{ID: r.fileID, TenantID: ch.TenantID, ChannelID: ch.ID, Name: r.name, ContentType: r.contentType,
			Source: r.url, Status: files.FilePending}
		if err := c.deps.Files.Save(ctx, f); err != nil {
			return err
		}
	}
	return nil
}

// fetchLater downloads the media after the acknowledgement, a few at a time.
func (c *Connector) fetchLater(ch *hub.Channel, refs []mediaRef) {
	if c.deps.Files == nil || len(refs) == 0 {
		return
	}
	select {
	case c.fetches <- struct{}{}:
	default:
		return // busy: the files stay pending and are fetched when an agent opens them
	}
	c.later(2*time.Minute, func(ctx context.Context) {
		defer func() { <-c.fetches }()
		for _, r := range refs {
			f, err := c.deps.Files.Get(ctx, ch.TenantID, r.fileID)
			if err != nil || f.Status != files.FilePending {
				continue // a retried dispatch whose media is already here
			}
			if _, err := c.FetchFile(ctx, ch, f); err != nil {
				c.deps.Log.Warn("qq media download failed; it is retried when an agent opens it", "channel", ch.ID,
					"file", r.fileID, "err", err)
			}
		}
	})
}

// FetchFile downloads a pending file from the URL the platform gave and
// stores it; a failure is recorded on the file and returned. The URL came
// in a signed callback but names a host the hub did not configure, so it
// is fetched through the hub's guarded client.
func (c *Connector) FetchFile(ctx context.Context, ch *hub.Channel, f *files.File) (*files.File, error) {
	if f.Status != files.FilePending || c.deps.Files == nil {
		return f, nil
	}
	data, ctype, err := c.fetch(ctx, c.deps.HTTP, f.Source)
	if err != nil {
		if ferr := c.deps.Files.Fill(ctx, f.TenantID, f.ID, "", nil, err.Error()); ferr != nil {
			return nil, errors.Join(err, ferr)
		}
		return nil, err
	}
	if ctype == "" || ctype == "application/octet-stream" {
		ctype = f.ContentType
	}
	if err := c.deps.Files.Fill(ctx, f.TenantID, f.ID, ctype, data, ""); err != nil {
		return nil, err
	}
	g := *f
	g.Data, g.ContentType, g.Size, g.Status, g.Error = data, ctype, int64(len(data)), files.FileReady, ""
	return &g, nil
}

// fetch GETs a URL, refusing bodies beyond the attachment limit.
func (c *Connector) fetch(ctx context.Context, client *http.Client, u string) ([]byte, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, "", err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, "", fmt.Errorf("%s answered %s", req.URL.Path, resp.Status)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, files.MaxFileSize+1))
	if err != nil {
		return nil, "", fmt.Errorf("read %s: %w", req.URL.Path, err)
	}
	if len(data) > files.MaxFileSize {
		return nil, "", fmt.Errorf("media is larger than the %d-byte attachment limit", files.MaxFileSize)
	}
	return data, resp.Header.Get("Content-Type"), nil
}
