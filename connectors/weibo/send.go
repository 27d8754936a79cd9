package weibo

import (
	"bytes"
	"cmp"
	"context"
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

// MaxText is the most characters Weibo takes in one text reply. A longer
// reply is split into parts of at most MaxText characters — at a line
// break or after punctuation when there is one near the end — sent in
// order.
const MaxText = 300

// apiError is Weibo's error answer: {"error","error_code","request"}.
type apiError struct {
	Code    int64  `json:"error_code"`
	Msg     string `json:"error"`
	Request string `json:"request"`
	API     string `json:"-"`
}

func (e *apiError) Error() string {
	return fmt.Sprintf("weibo %s: error_code %d: %s", e.API, e.Code, e.Msg)
}

// transient error codes: a retry later can succeed.
var transient = map[int64]bool{
	10001: true, // system error
	10002: true, // service unavailable
	10003: true, // remote service error
	10009: true, // too many pending tasks
	10022: true, // IP requests out of rate limit
	10023: true, // user requests out of rate limit
	10024: true, // user requests for this API out of rate limit
}

// reasons says what the common permanent refusals mean, for the agent.
var reasons = map[int64]string{
	21301: "the channel's access_token is not valid; paste the current one from the developer-mode page (access_token 无效)",
	21314: "the channel's access_token was used up; paste a new one (access_token 已失效)",
	21315: "the channel's access_token expired; paste a new one (access_token 已过期)",
	21316: "the channel's access_token was revoked; paste a new one (access_token 已被撤销)",
	21317: "the channel's access_token was refused; paste a new one (access_token 不合法)",
	21327: "the channel's access_token expired; paste a new one (access_token 已过期)",
	21332: "the channel's access_token is not valid; paste the current one (access_token 无效)",
	20003: "the Weibo user does not exist (用户不存在)",
	10008: "Weibo refused the parameters: the reply may be too long or outside the 48-hour window (参数错误)",
	10006: "the channel's App Key is missing or wrong (缺少 source/appkey)",
}

// Send delivers an agent's reply (or an automatic one) through the
// customer-service API: the text (in parts when longer than MaxText), then
// each attachment as a link card, since the API sends no media. A failure
// after some parts went out is permanent, naming what was sent, so a retry
// never repeats them to the customer.
func (c *Connector) Send(ctx context.Context, ch *hub.Channel, out *hub.Outbound) hub.SendResult {
	if out.Kind == hub.OutboundEvent {
		return hub.SendResult{} // Weibo takes no conversation events
	}
	a, err := accountOf(ch)
	if err != nil {
		return hub.SendResult{Err: fmt.Errorf("channel config: %w", err), Permanent: true}
	}
	if out.Message == nil || out.Contact == nil || !positiveInt(json.Number(out.Contact.ExternalID)) {
		return hub.SendResult{Err: errors.New("the delivery names no Weibo user"), Permanent: true}
	}
	type part struct {
		typ  string
		data any
	}
	var parts []part
	for _, t := range Split(out.Message.Text, MaxText) {
		parts = append(parts, part{"text", map[string]string{"text": t}})
	}
	for _, att := range out.Message.Attachments {
		card, err := c.card(ch, a, att)
		if err != nil {
			return hub.SendResult{Err: err, Permanent: true}
		}
		parts = append(parts, part{"articles", map[string]any{"articles": []any{card}}})
	}
	for i, p := range parts {
		if err := c.reply(ctx, a, out.Contact.ExternalID, p.typ, p.data); err != nil {
			res := classify(err)
			if i > 0 {
				res.Permanent = true
				res.Err = fmt.Errorf("%d of %d parts were sent; the rest were not (send them again): %w", i, len(parts), res.Err)
			}
			return res
		}
	}
	return hub.SendResult{StatusCode: http.StatusOK}
}

// card is an attachment as a Weibo article: a hub file through the
// channel's signed public link, or an http(s) URL as it is.
func (c *Connector) card(ch *hub.Channel, a *account, att hub.Attachment) (map[string]string, error) {
	link := att.URL
	if id := files.FileIDFromURL(att.URL); id != "" {
		if c.deps.PublicURL == "" {
			return nil, errors.New("images go to Weibo as links to the hub: set KEFU_PUBLIC_URL to the hub's public https address")
		}
		link = strings.TrimSuffix(c.deps.PublicURL, "/") + "/webhooks/weibo/" + url.PathEscape(ch.ID) + "/files/" +
			url.PathEscape(id) + "?s=" + a.linkSig(id)
	} else if u, err := url.Parse(att.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("attachment URL %q is neither a hub file nor an http(s) URL", att.URL)
	}
	name, summary := att.Name, "点击查看图片"
	if att.Type == hub.AttachmentLink {
		card := map[string]string{"display_name": cmp.Or(name, link), "summary": cmp.Or(att.Description, link), "url": link}
		if att.Picture != "" {
			card["image"] = att.Picture
		}
		return card, nil
	}
	if !strings.HasPrefix(att.Type, "image/") {
		summary = "点击下载文件"
	}
	if name == "" {
		name = "附件"
	}
	card := map[string]string{"display_name": name, "summary": summary, "url": link}
	if strings.HasPrefix(att.Type, "image/") {
		card["image"] = link
	}
	return card, nil
}

// reply makes one /2/messages/reply.json call: form-encoded, data the
// message as JSON.
func (c *Connector) reply(ctx context.Context, a *account, receiver, typ string, data any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(data); err != nil {
		return err
	}
	form := url.Values{"access_token": {a.sec.AccessToken}, "receiver_id": {receiver}, "type": {typ},
		"data": {strings.TrimSpace(buf.String())}, "save_sender_box": {"1"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/2/messages/reply.json", strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := c.api.Do(req)
	if err != nil {
		return redact(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var e apiError
	if json.Unmarshal(body, &e) == nil && e.Code != 0 {
		e.API = "messages/reply"
		return &e
	}
	if resp.StatusCode != http.StatusOK {
		return &statusError{resp.StatusCode}
	}
	return nil
}

// statusError is an HTTP failure without Weibo's error body.
type statusError struct{ code int }

func (e *statusError) Error() string {
	return fmt.Sprintf("weibo messages/reply answered HTTP %d", e.code)
}

// classify turns a failed call into a send result.
func classify(err error) hub.SendResult {
	var ae *apiError
	if errors.As(err, &ae) {
		if transient[ae.Code] {
			return hub.SendResult{StatusCode: http.StatusOK, Err: err}
		}
		why := reasons[ae.Code]
		if why == "" {
			why = ae.Msg
		}
		return hub.SendResult{StatusCode: http.StatusOK, Permanent: true,
			Err: fmt.Errorf("weibo refused the message (error_code %d): %s", ae.Code, why)}
	}
	var se *statusError
	if errors.As(err, &se) {
		return hub.SendResult{StatusCode: se.code, Err: err,
			Permanent: se.code >= 400 && se.code < 500 && se.code != http.StatusTooManyRequests && se.code != http.StatusRequestTimeout}
	}
	return hub.SendResult{Err: err}
}

// Split cuts a text into parts of at most n characters, preferring to end a
// part at a line break or after punctuation in its last third; parts of
// only white space are dropped.
func Split(s string, n int) []string {
	r := []rune(s)
	var out []string
	add := func(p []rune) {
		if t := string(p); strings.TrimSpace(t) != "" {
			out = append(out, t)
		}
	}
	for len(r) > n {
		cut := n
		for i := n; i > n*2/3; i-- {
			if strings.ContainsRune("\n。！？；!?;，, ", r[i-1]) {
				cut = i
				break
			}
		}
		add([]rune(strings.TrimRight(string(r[:cut]), "\n")))
		r = r[cut:]
	}
	add(r)
	return out
}
