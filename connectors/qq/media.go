package qq

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/files"
)

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
