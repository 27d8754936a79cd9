package wechat

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/files"
)

// FetchFile downloads a pending file's media from WeChat (/cgi-bin/media/get)
// and stores it; a failure is recorded on the file and returned.
func (c *Connector) FetchFile(ctx context.Context, ch *hub.Channel, f *files.File) (*files.File, error) {
	if f.Status != files.FilePending || c.deps.Files == nil {
		return f, nil
	}
	a, err := accountOf(ch)
	if err != nil {
		return nil, err
	}
	var data []byte
	var ctype string
	err = c.withToken(ctx, a, func(tok string) error {
		data, ctype, err = c.mediaGet(ctx, tok, f.Source)
		return err
	})
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

// mediaGet fetches temporary media. WeChat answers errors as JSON, and a
// video as JSON with a video_url to download it from.
func (c *Connector) mediaGet(ctx context.Context, tok, mediaID string) ([]byte, string, error) {
	u := c.base + "/cgi-bin/media/get?" + url.Values{"access_token": {tok}, "media_id": {mediaID}}.Encode()
	data, ctype, err := c.fetch(ctx, c.api, u)
	if err != nil {
		return nil, "", err
	}
	if !isJSON(ctype, data) {
		return data, ctype, nil
	}
	var r struct {
		ErrCode  int64  `json:"errcode"`
		ErrMsg   string `json:"errmsg"`
		VideoURL string `json:"video_url"`
	}
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, "", fmt.Errorf("media/get answered unreadable JSON: %w", err)
	}
	if r.ErrCode != 0 || r.VideoURL == "" {
		return nil, "", &apiError{Code: r.ErrCode, Msg: r.ErrMsg, API: "media/get"}
	}
	// The video itself comes from a URL WeChat names: fetched through the
	// hub's guarded client, like any URL the hub did not configure itself.
	data, ctype, err = c.fetch(ctx, c.deps.HTTP, r.VideoURL)
	if err != nil {
		return nil, "", fmt.Errorf("download video: %w", err)
	}
	return data, ctype, nil
}

func isJSON(ctype string, data []byte) bool {
	mt, _, _ := mime.ParseMediaType(ctype)
	return mt == "application/json" || mt == "text/plain" || mt == "text/json" ||
		(mt == "" && len(data) > 0 && bytes.TrimSpace(data)[0] == '{')
}

// fetch GETs a URL, refusing bodies beyond the attachment limit.
func (c *Connector) fetch(ctx context.Context, client *http.Client, u string) ([]byte, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, "", err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, "", redact(err)
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

// redact keeps access tokens out of errors (they end up in logs and in
// the delivery log admins see).
func redact(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		if u, perr := url.Parse(ue.URL); perr == nil {
			u.RawQuery = ""
			return fmt.Errorf("%s %s: %w", ue.Op, u.String(), ue.Err)
		}
	}
	return errors.New(stripTokens(err.Error()))
}

// stripTokens masks every access_token=… in a text.
func stripTokens(s string) string {
	const key = "access_token="
	var b strings.Builder
	for {
		i := strings.Index(s, key)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i+len(key)] + "***")
		s = s[i+len(key):]
		if k := strings.IndexAny(s, "&\" ,"); k >= 0 {
			s = s[k:]
		} else {
			s = ""
		}
	}
}
