package weibo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/files"
)

// FetchFile downloads a pending file from Weibo (/2/mss/msget with the
// message's tovfid) and stores it; a failure is recorded on the file and
// returned.
func (c *Connector) FetchFile(ctx context.Context, ch *hub.Channel, f *files.File) (*files.File, error) {
	if f.Status != files.FilePending || c.deps.Files == nil {
		return f, nil
	}
	a, err := accountOf(ch)
	if err != nil {
		return nil, err
	}
	data, ctype, err := c.msget(ctx, a.sec.AccessToken, f.Source)
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

// msget fetches one file. Weibo answers errors as JSON.
func (c *Connector) msget(ctx context.Context, tok, fid string) ([]byte, string, error) {
	u := c.base + "/2/mss/msget?" + url.Values{"access_token": {tok}, "fid": {fid}}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, "", err
	}
	resp, err := c.api.Do(req)
	if err != nil {
		return nil, "", redact(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, files.MaxFileSize+1))
	if err != nil {
		return nil, "", fmt.Errorf("read /2/mss/msget: %w", err)
	}
	if len(data) > files.MaxFileSize {
		return nil, "", fmt.Errorf("media is larger than the %d-byte attachment limit", files.MaxFileSize)
	}
	ctype := resp.Header.Get("Content-Type")
	if mt, _, _ := mime.ParseMediaType(ctype); mt == "application/json" || resp.StatusCode != http.StatusOK {
		var e apiError
		if json.Unmarshal(data, &e) == nil && e.Code != 0 {
			e.API = "mss/msget"
			return nil, "", &e
		}
		if resp.StatusCode != http.StatusOK {
			return nil, "", fmt.Errorf("/2/mss/msget answered %s", resp.Status)
		}
	}
	return data, ctype, nil
}

// redact keeps the access token out of errors (they end up in logs and in
// the delivery log admins see).
func redact(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		if u, perr := url.Parse(ue.URL); perr == nil {
			u.RawQuery = ""
			return fmt.Errorf("%s %s: %w", ue.Op, u.String(), ue.Err)
		}
	}
	return err
}
