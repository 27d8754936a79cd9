package wecom

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/files"
)

// FetchFile downloads a pending file through media/get (its Source is the
// media_id) and stores it; a failure is recorded on the file and returned.
func (c *Connector) FetchFile(ctx context.Context, ch *hub.Channel, f *files.File) (*files.File, error) {
	if f.Status != files.FilePending || c.deps.Files == nil {
		return f, nil
	}
	a, err := accountOf(ch)
	if err != nil {
		return nil, fmt.Errorf("channel config: %w", err)
	}
	data, ctype, err := c.mediaGet(ctx, a, f.Source)
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

// mediaGet fetches temporary media by its media_id; WeCom answers the
// bytes, or JSON with an errcode.
func (c *Connector) mediaGet(ctx context.Context, a *account, mediaID string) ([]byte, string, error) {
	var data []byte
	var ctype string
	err := c.withToken(ctx, a, func(tok string) error {
		q := url.Values{"access_token": {tok}, "media_id": {mediaID}}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/cgi-bin/media/get?"+q.Encode(), nil)
		if err != nil {
			return err
		}
		res, err := c.api.Do(req)
		if err != nil {
			return fmt.Errorf("WeCom media/get: %w", err)
		}
		defer res.Body.Close()
		body, err := io.ReadAll(io.LimitReader(res.Body, files.MaxFileSize+1))
		if err != nil {
			return fmt.Errorf("WeCom media/get: read: %w", err)
		}
		ctype = res.Header.Get("Content-Type")
		if res.StatusCode != http.StatusOK || strings.HasPrefix(ctype, "application/json") || strings.HasPrefix(ctype, "text/plain") {
			var ans answer
			_ = json.Unmarshal(body, &ans)
			return &APIError{Status: res.StatusCode, Code: ans.ErrCode, Message: hub.Truncate(ans.ErrMsg, 300), API: "media/get"}
		}
		if len(body) > files.MaxFileSize {
			return fmt.Errorf("media is larger than the %d-byte attachment limit", files.MaxFileSize)
		}
		data = body
		return nil
	})
	return data, ctype, err
}

// sendMedia uploads an attachment (media/upload) and sends it: an image
// as an image message, anything else as a file.
func (c *Connector) sendMedia(ctx context.Context, a *account, out *hub.Outbound, to string, part int, att hub.Attachment) hub.SendResult {
	data, name, err := c.attachmentData(ctx, out.TenantID, att)
	if err != nil {
		return hub.SendResult{Err: err, Permanent: errors.Is(err, errUnsendable)}
	}
	typ := "file"
	if ct := http.DetectContentType(data); ct == "image/jpeg" || ct == "image/png" || ct == "image/gif" {
		typ = "image"
	}
	mediaID, err := c.upload(ctx, a, typ, name, data)
	if err != nil {
		return classify(err)
	}
	body := c.message(a, to, msgID(out, part), typ)
	body[typ] = map[string]string{"media_id": mediaID}
	if err := c.call(ctx, a, "/cgi-bin/kf/send_msg", body, nil); err != nil {
		return classify(err)
	}
	return hub.SendResult{StatusCode: http.StatusOK}
}

// upload puts bytes into WeCom's temporary media (3 days) and returns
// their media_id.
func (c *Connector) upload(ctx context.Context, a *account, typ, name string, data []byte) (string, error) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	fw, err := w.CreateFormFile("media", name)
	if err == nil {
		_, err = fw.Write(data)
	}
	if err == nil {
		err = w.Close()
	}
	if err != nil {
		return "", err
	}
	var up struct {
		MediaID string `json:"media_id"`
	}
	err = c.withToken(ctx, a, func(tok string) error {
		q := url.Values{"access_token": {tok}, "type": {typ}}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/cgi-bin/media/upload?"+q.Encode(), bytes.NewReader(buf.Bytes()))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", w.FormDataContentType())
		return c.do(req, "media/upload", &up)
	})
	if err == nil && up.MediaID == "" {
		err = errors.New("WeCom media/upload answered no media_id")
	}
	return up.MediaID, err
}

// attachmentData reads an outgoing attachment: a file stored in the hub, or
// an http(s) URL fetched through the hub's guarded client.
func (c *Connector) attachmentData(ctx context.Context, tenantID string, att hub.Attachment) ([]byte, string, error) {
	name := att.Name
	if name == "" {
		name = "file"
	}
	if id := files.FileIDFromURL(att.URL); id != "" && c.deps.Files != nil {
		f, err := c.deps.Files.Get(ctx, tenantID, id)
		if errors.Is(err, hub.ErrNotFound) {
			return nil, "", fmt.Errorf("%w: attachment %s does not exist", errUnsendable, id)
		}
		if err != nil {
			return nil, "", err
		}
		if f.Status != files.FileReady {
			return nil, "", fmt.Errorf("attachment %s is not downloaded yet", id)
		}
		return f.Data, name, nil
	}
	u, err := url.Parse(att.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, "", fmt.Errorf("%w: attachment URL %q is neither a hub file nor an http(s) URL", errUnsendable, att.URL)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, att.URL, nil)
	if err != nil {
		return nil, "", err
	}
	res, err := c.deps.HTTP.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, "", fmt.Errorf("%s answered %s", u.Path, res.Status)
	}
	data, err := io.ReadAll(io.LimitReader(res.Body, files.MaxFileSize+1))
	if err != nil || len(data) > files.MaxFileSize {
		return nil, "", fmt.Errorf("%w: the attachment cannot be read or is over the size limit", errUnsendable)
	}
	return data, name, nil
}
