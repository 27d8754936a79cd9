package wechat

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/silenceper/wechat/v2/officialaccount"
	offConfig "github.com/silenceper/wechat/v2/officialaccount/config"
	"github.com/silenceper/wechat/v2/officialaccount/customerservice"
	"github.com/silenceper/wechat/v2/officialaccount/material"
	"github.com/silenceper/wechat/v2/officialaccount/message"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/files"
	"github.com/kefu-hub/kefu/hub/richtext"
)

// fixedToken hands the library the token withToken chose, so a rejected
// token is known exactly.
type fixedToken string

func (t fixedToken) GetAccessToken() (string, error) { return string(t), nil }

// official is the library's account client for one call.
func (c *Connector) official(a *account, tok string) *officialaccount.OfficialAccount {
	oa := officialaccount.NewOfficialAccount(&offConfig.Config{AppID: a.AppID, AppSecret: a.sec.AppSecret,
		Token: a.sec.Token, EncodingAESKey: a.sec.AESKey, Cache: c.mem})
	oa.SetAccessTokenHandle(fixedToken(tok))
	return oa
}

// Send delivers an agent's reply (or an automatic one) as customer-service
// messages: the text, then each image, uploaded as temporary media first.
// WeChat's refusals that no retry can fix (45015 outside the 48-hour window
// or unfollowed, 45047 quota used up …) are permanent: the message is marked
// failed with the reason.
func (c *Connector) Send(ctx context.Context, ch *hub.Channel, out *hub.Outbound) hub.SendResult {
	if out.Kind == hub.OutboundEvent {
		return hub.SendResult{} // WeChat takes no conversation events
	}
	a, err := accountOf(ch)
	if err != nil {
		return hub.SendResult{Err: fmt.Errorf("channel config: %w", err), Permanent: true}
	}
	if out.Message == nil || out.Contact == nil {
		return hub.SendResult{Err: errors.New("the delivery carries no message"), Permanent: true}
	}
	openid, msg := out.Contact.ExternalID, out.Message
	if openid == "" {
		return hub.SendResult{Err: errors.New("the delivery names no WeChat user"), Permanent: true}
	}
	card, asCard := richCard(msg)
	if asCard { // the news message says the answer: its title, words, link and picture
		if err := c.send(ctx, a, newsMessage(openid, card)); err != nil {
			return classify(err)
		}
	} else if text := withoutCards(msg); strings.TrimSpace(text) != "" {
		if err := c.send(ctx, a, message.NewCustomerTextMessage(openid, text)); err != nil {
			return classify(err)
		}
	}
	for _, att := range msg.Attachments {
		if asCard && att.URL == card.Picture {
			continue // the card's picture
		}
		if att.Type == hub.AttachmentLink {
			if err := c.send(ctx, a, newsMessage(openid, att)); err != nil {
				return classify(err)
			}
			continue
		}
		if res := c.sendImage(ctx, a, out.TenantID, openid, att); res.Err != nil {
			return res
		}
	}
	return hub.SendResult{StatusCode: http.StatusOK}
}

// newsMessage is a link card as a customer-service news message (图文消息:
// one article that opens the link).
func newsMessage(openid string, att hub.Attachment) *message.CustomerMessage {
	return &message.CustomerMessage{ToUser: openid, Msgtype: message.MsgTypeNews, News: &message.MediaNews{
		Articles: []message.MediaArticles{{Title: att.Name, Description: att.Description, URL: att.URL, Picurl: att.Picture}}}}
}

// richCard is a robot's rich answer as one news message (图文消息), when it
// has what one needs: a title (its first heading, else its first line), an
// http(s) link (the card opens the first) and a picture WeChat can fetch
// (the first https image; the hub's own files need a signed-in agent).
// The card's description is the rest of the text. Otherwise the answer
// goes as text, its links written out, and its images as image messages.
func richCard(m *hub.Message) (hub.Attachment, bool) {
	if m.Rich == "" {
		return hub.Attachment{}, false
	}
	nodes := richtext.Nodes(m.Rich)
	links := richtext.Links(nodes)
	pic := ""
	for _, src := range richtext.Sanitize(m.Rich).Images {
		if strings.HasPrefix(src, "https://") {
			pic = src
			break
		}
	}
	lines := strings.Split(strings.TrimSpace(m.Text), "\n")
	title, rest := richtext.Heading(nodes), lines
	if title == "" {
		title, rest = strings.TrimSpace(lines[0]), lines[1:]
	} else if strings.TrimSpace(lines[0]) == title {
		rest = lines[1:]
	}
	if len(links) == 0 || pic == "" || title == "" || title == richtext.ImageText {
		return hub.Attachment{}, false
	}
	var desc []string
	for _, l := range rest {
		if l = strings.TrimSpace(strings.ReplaceAll(l, richtext.ImageText, "")); l != "" {
			desc = append(desc, l)
		}
	}
	return hub.Attachment{Type: hub.AttachmentLink, Name: clip(title, 64), URL: links[0].Href,
		Description: clip(strings.Join(desc, "\n"), 120), Picture: pic}, true
}

// clip cuts s to n characters (an ellipsis marks a cut).
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// withoutCards is a message's text without the lines that spell out its
// link cards for channels that show none (the card itself says them).
func withoutCards(m *hub.Message) string {
	text := m.Text
	for _, att := range m.Attachments {
		if att.Type != hub.AttachmentLink {
			continue
		}
		var lines []string
		for _, s := range []string{att.Name, att.Description, att.URL} {
			if s != "" {
				lines = append(lines, s)
			}
		}
		text = strings.TrimSpace(strings.TrimSuffix(text, strings.Join(lines, "\n")))
	}
	return text
}

func (c *Connector) send(ctx context.Context, a *account, m *message.CustomerMessage) error {
	return c.withToken(ctx, a, func(tok string) error {
		return asAPIError(c.official(a, tok).GetCustomerMessageManager().Send(m), "message/custom/send")
	})
}

// sendImage uploads an image attachment as temporary media and sends it.
func (c *Connector) sendImage(ctx context.Context, a *account, tenantID, openid string, att hub.Attachment) hub.SendResult {
	data, err := c.attachmentData(ctx, tenantID, att.URL)
	if err != nil {
		return hub.SendResult{Err: err, Permanent: errors.Is(err, errUnsendable)}
	}
	ext, ok := imageExt[http.DetectContentType(data)]
	if !ok {
		return hub.SendResult{Err: fmt.Errorf("%w: WeChat replies carry text and images (JPG, PNG, GIF, BMP); %q is %s",
			errUnsendable, att.Name, http.DetectContentType(data)), Permanent: true}
	}
	var mediaID string
	err = c.withToken(ctx, a, func(tok string) error {
		m, err := c.official(a, tok).GetMaterial().MediaUploadFromReader(material.MediaTypeImage, "image"+ext, bytes.NewReader(data))
		mediaID = m.MediaID
		return asAPIError(err, "media/upload")
	})
	if err == nil {
		err = c.send(ctx, a, message.NewCustomerImgMessage(openid, mediaID))
	}
	if err != nil {
		return classify(err)
	}
	return hub.SendResult{StatusCode: http.StatusOK}
}

var imageExt = map[string]string{"image/jpeg": ".jpg", "image/png": ".png", "image/gif": ".gif", "image/bmp": ".bmp"}

var errUnsendable = errors.New("cannot be sent")

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

// Permanent errcodes: retrying cannot help.
var permanent = map[int64]string{
	45015: "more than 48 hours since the customer's last message, or the customer unfollowed the account (已超过48小时回复时限或用户已取消关注)",
	45047: "the replies allowed since the customer's last message are used up (客服消息下发条数已达上限)",
	40003: "the customer's OpenID is not valid for this account",
	43004: "the customer does not follow the account (需要接收者关注)",
	45002: "the message is too long for WeChat",
	40007: "WeChat does not know the media (invalid media_id)",
	40008: "WeChat does not accept this message type",
	48001: "the account has no permission for customer-service messages (a verified service or subscription account is needed)",
}

// classify turns a failed platform call into a send result.
func classify(err error) hub.SendResult {
	code := errCode(err)
	if why, ok := permanent[code]; ok {
		return hub.SendResult{StatusCode: http.StatusOK, Err: fmt.Errorf("WeChat refused the message (errcode %d): %s", code, why),
			Permanent: true}
	}
	if code != 0 {
		return hub.SendResult{StatusCode: http.StatusOK, Err: err}
	}
	return hub.SendResult{Err: err}
}

// typingEvery is how often the typing indicator is renewed while an agent
// types (WeChat shows it for up to 15 seconds).
const typingEvery = 10 * time.Second

// Typing shows (or clears) WeChat's typing indicator for the customer. Calls
// are throttled per customer; errors only matter to logs.
func (c *Connector) Typing(ch *hub.Channel, openid string, typing bool) {
	if !c.shouldType(openid, typing) {
		return
	}
	cmd := customerservice.CancelTyping
	if typing {
		cmd = customerservice.Typing
	}
	a, err := accountOf(ch)
	if err != nil {
		return
	}
	// In order: a "stopped typing" must not overtake the "typing" before it.
	c.typMu.Lock()
	c.typQ = append(c.typQ, typingCall{ch: ch, a: a, openid: openid, cmd: cmd})
	start := !c.typBusy
	c.typBusy = true
	c.typMu.Unlock()
	if start {
		c.later(time.Minute, c.sendTyping)
	}
}

// typingCall is one typing indicator to send.
type typingCall struct {
	ch     *hub.Channel
	a      *account
	openid string
	cmd    customerservice.TypingStatus
}

// sendTyping sends the queued typing indicators one after another.
func (c *Connector) sendTyping(ctx context.Context) {
	for {
		c.typMu.Lock()
		if len(c.typQ) == 0 || ctx.Err() != nil {
			c.typQ, c.typBusy = nil, false
			c.typMu.Unlock()
			return
		}
		t := c.typQ[0]
		c.typQ = c.typQ[1:]
		c.typMu.Unlock()
		err := c.withToken(ctx, t.a, func(tok string) error {
			return asAPIError(c.official(t.a, tok).GetCustomerServiceManager().SendTypingStatus(t.openid, t.cmd), "message/custom/typing")
		})
		if err != nil {
			c.deps.Log.Debug("wechat typing indicator", "channel", t.ch.ID, "err", err)
		}
	}
}

// shouldType throttles typing calls: "Typing" at most every typingEvery per
// customer, "CancelTyping" only after a "Typing". The map is pruned so it
// stays small.
func (c *Connector) shouldType(openid string, typing bool) bool {
	now := c.deps.Now()
	c.typMu.Lock()
	defer c.typMu.Unlock()
	last, seen := c.typing[openid]
	if !typing {
		delete(c.typing, openid)
		return seen
	}
	if seen && now.Sub(last) < typingEvery {
		return false
	}
	if len(c.typing) > 10000 {
		for k, t := range c.typing {
			if now.Sub(t) > time.Minute {
				delete(c.typing, k)
			}
		}
	}
	c.typing[openid] = now
	return true
}
