package qq

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/files"
)

// Send delivers an agent's reply (or an automatic one) as an answer to the
// customer's last message: the text, then each image uploaded as rich
// media. Each platform call carries that message's msg_id and a msg_seq
// unique among its answers and stable across retries, so a retried
// delivery the platform already took is deduplicated (40054005) rather
// than sent twice.
func (c *Connector) Send(ctx context.Context, ch *hub.Channel, out *hub.Outbound) hub.SendResult {
	if out.Kind == hub.OutboundEvent {
		return hub.SendResult{} // QQ takes no conversation events
	}
	a, err := accountOf(ch)
	if err != nil {
		return hub.SendResult{Err: fmt.Errorf("channel config: %w", err), Permanent: true}
	}
	if out.Message == nil || out.Contact == nil || out.Contact.ExternalID == "" {
		return hub.SendResult{Err: errors.New("the delivery names no QQ user"), Permanent: true}
	}
	if out.ReplyTo == nil || out.ReplyTo.ExternalID == "" {
		return hub.SendResult{Err: errProactive, Permanent: true}
	}
	t := target(c.base, out.Contact.ExternalID)
	part := 0
	if text := strings.TrimSpace(out.Message.Text); text != "" {
		body := map[string]any{"content": out.Message.Text, "msg_type": 0}
		if err := c.post(ctx, a, t.messages, out.ReplyTo, part, body); err != nil {
			return classify(err)
		}
		part++
	}
	for _, att := range out.Message.Attachments {
		if att.Type == hub.AttachmentLink {
			continue // a link card: the text carries its link
		}
		if res := c.sendImage(ctx, a, out, t, part, att); res.Err != nil {
			return res
		}
		part++
	}
	return hub.SendResult{StatusCode: http.StatusOK}
}

var errProactive = errors.New("QQ takes no message the bot starts (主动消息) since 2025-04-21: a reply must answer a customer's message (需等待客户先发消息)")

// endpoints are a contact's message and file URLs: a user's, or their group's.
type endpoints struct{ messages, files string }

func target(base, contactID string) endpoints {
	if group, _, ok := splitGroup(contactID); ok {
		p := base + "/v2/groups/" + url.PathEscape(group)
		return endpoints{p + "/messages", p + "/files"}
	}
	p := base + "/v2/users/" + url.PathEscape(contactID)
	return endpoints{p + "/messages", p + "/files"}
}

// msgSeq is a call's msg_seq: the reply's number among the answers to the
// customer's message, plus 100 per earlier call of the same reply.
func msgSeq(r *hub.ReplyTo, part int) int { return r.N + 100*part }

// post sends one message call as an answer to r.
func (c *Connector) post(ctx context.Context, a *account, u string, r *hub.ReplyTo, part int, body map[string]any) error {
	body["msg_id"], body["msg_seq"] = r.ExternalID, msgSeq(r, part)
	err := c.call(ctx, a, u, body, nil)
	var ae *APIError
	if errors.As(err, &ae) && ae.Code == codeDuplicate {
		return nil // an earlier attempt of this delivery got through
	}
	return err
}

// sendImage uploads an image attachment (file_data) and sends it as rich
// media (msg_type 7).
func (c *Connector) sendImage(ctx context.Context, a *account, out *hub.Outbound, t endpoints, part int, att hub.Attachment) hub.SendResult {
	data, err := c.attachmentData(ctx, out.TenantID, att.URL)
	if err != nil {
		return hub.SendResult{Err: err, Permanent: errors.Is(err, errUnsendable)}
	}
	if ct := http.DetectContentType(data); ct != "image/jpeg" && ct != "image/png" && ct != "image/gif" {
		return hub.SendResult{Err: fmt.Errorf("%w: QQ replies carry text and images (JPG, PNG, GIF); %q is %s",
			errUnsendable, att.Name, ct), Permanent: true}
	}
	var up struct {
		FileInfo string `json:"file_info"`
	}
	err = c.call(ctx, a, t.files, map[string]any{"file_type": 1, "file_data": base64.StdEncoding.EncodeToString(data),
		"srv_send_msg": false}, &up)
	if err == nil && up.FileInfo == "" {
		err = errors.New("QQ files: the upload answered no file_info")
	}
	if err == nil {
		err = c.post(ctx, a, t.messages, out.ReplyTo, part, map[string]any{"msg_type": 7, "content": " ",
			"media": map[string]string{"file_info": up.FileInfo}})
	}
	if err != nil {
		return classify(err)
	}
	return hub.SendResult{StatusCode: http.StatusOK}
}

// call POSTs a JSON body with the bot's token and decodes the answer into
// v (nil: ignored); a non-2xx answer is an *APIError.
func (c *Connector) call(ctx context.Context, a *account, u string, body, v any) error {
	b, _ := json.Marshal(body)
	return c.withToken(ctx, a, func(tok string) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(b))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "QQBot "+tok)
		req.Header.Set("X-Union-Appid", a.AppID)
		res, err := c.api.Do(req)
		if err != nil {
			return err
		}
		defer res.Body.Close()
		raw, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
		if res.StatusCode/100 != 2 {
			var e struct {
				Code    int64  `json:"code"`
				ErrCode int64  `json:"err_code"`
				Message string `json:"message"`
			}
			_ = json.Unmarshal(raw, &e)
			if e.Code == 0 {
				e.Code = e.ErrCode
			}
			return &APIError{Status: res.StatusCode, Code: e.Code, Message: hub.Truncate(e.Message, 300), API: apiPath(u)}
		}
		if v != nil {
			return json.Unmarshal(raw, v)
		}
		return nil
	})
}

func apiPath(u string) string {
	if p, err := url.Parse(u); err == nil {
		return p.Path
	}
	return u
}

// Platform codes the connector acts on.
const (
	codeRateLimited = 22009    // sending too often: retry later
	codeDuplicate   = 40054005 // this msg_id + msg_seq was already sent
)

// permanent are the refusals no retry can fix, with what the agent sees.
var permanent = map[int64]string{
	40034102: "the reply window has closed or the bot may not start messages (已超过可回复时间，QQ 不再允许主动消息)",
	11255:    "the message was not accepted as an answer to the customer's message (msg_id 无效或已过期)",
	304023:   "the bot may not send rich media to this user (富媒体发送受限)",
}

var errUnsendable = errors.New("cannot be sent")

// classify turns a failed platform call into a send result: 5xx, 429,
// 22009 and transport errors are retried; other refusals fail the
// message with the platform's reason.
func classify(err error) hub.SendResult {
	var ae *APIError
	if !errors.As(err, &ae) {
		return hub.SendResult{Err: err}
	}
	if why, ok := permanent[ae.Code]; ok {
		return hub.SendResult{StatusCode: ae.Status, Err: fmt.Errorf("QQ refused the message (code %d): %s", ae.Code, why), Permanent: true}
	}
	if ae.Code == codeRateLimited || ae.Status >= 500 || ae.Status == http.StatusTooManyRequests || ae.Status == http.StatusUnauthorized {
		return hub.SendResult{StatusCode: ae.Status, Err: err}
	}
	return hub.SendResult{StatusCode: ae.Status, Err: fmt.Errorf("QQ refused the message: %w", err), Permanent: true}
}

// attachmentData reads an outgoing attachment: a file stored in the hub, or
// an http(s) URL fetched through the hub's guarded client.
func (c *Connector) attachmentData(ctx context.Context, tenantID, raw string) ([]byte, error) {
	if id := files.FileIDFromURL(raw); id != "" && c.deps.Files != nil {
		f, err := c.deps.Files.Get(ctx, tenantID, id)
		if errors.Is(err, hub.ErrNotFound) {
			return nil, fmt.Errorf("%w: attachment %s does not exist", errUnsendable, id)
		}
		if err != nil {
			return nil, err
		}
		if f.Status != files.FileReady {
			return nil, fmt.Errorf("attachment %s is not downloaded yet", id)
		}
		return f.Data, nil
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("%w: attachment URL %q is neither a hub file nor an http(s) URL", errUnsendable, raw)
	}
	data, _, err := c.fetch(ctx, c.deps.HTTP, raw)
	return data, err
}
