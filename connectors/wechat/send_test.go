package wechat_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/connectors"
	"github.com/kefu-hub/kefu/connectors/wechat"
	"github.com/kefu-hub/kefu/connectors/wechat/wechattest"
	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/richtext"
)

// sendRig is the connector against the fake, with one bound channel.
func sendRig(t *testing.T) (*wechat.Connector, *wechattest.Platform, *hub.Channel, wechattest.App) {
	t.Helper()
	fake := wechattest.New(t)
	c := wechat.New(connectors.Deps{HTTP: connectors.NewHTTPClient(true), AllowPrivate: true, MaxBody: 1 << 20,
		Tolerance: 5 * time.Minute, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: time.Now}, fake.URL)
	app := fake.NewApp("safe")
	ch := &hub.Channel{ID: "ch_send", TenantID: "tn_send", Type: wechat.Type, Name: "send"}
	cfg, _ := json.Marshal(map[string]any{"app_id": app.AppID, "app_secret": app.Secret})
	if err := c.Setup(ch, cfg, false); err != nil {
		t.Fatal(err)
	}
	fake.Bind(ch)
	return c, fake, ch, wechattest.AppOf(ch)
}

func reply(ch *hub.Channel, openid, text string) *hub.Outbound {
	return &hub.Outbound{ID: "msg_x", TenantID: ch.TenantID, Kind: hub.OutboundMessage,
		Message: &hub.Message{Type: "text", Text: text}, Contact: &hub.Contact{ExternalID: openid}}
}

// An expired token (42001) is renewed and the send retried once; an
// invalid one (40001) too. Errors never carry the access token.
func TestTokenRenewal(t *testing.T) {
	c, fake, ch, app := sendRig(t)
	ctx := context.Background()
	if res := c.Send(ctx, ch, reply(ch, "oA", "first")); res.Err != nil {
		t.Fatal(res.Err)
	}
	fake.ExpireTokens(app.AppID)
	if res := c.Send(ctx, ch, reply(ch, "oA", "after expiry")); res.Err != nil {
		t.Fatalf("after 42001: %v", res.Err)
	}
	fake.RevokeTokens(app.AppID)
	if res := c.Send(ctx, ch, reply(ch, "oA", "after revocation")); res.Err != nil {
		t.Fatalf("after 40001: %v", res.Err)
	}
	if n := fake.CallCount("/cgi-bin/message/custom/send", 42001); n != 1 {
		t.Errorf("42001 answered %d times, want once", n)
	}
	if n := fake.CallCount("/cgi-bin/message/custom/send", 40001); n != 1 {
		t.Errorf("40001 answered %d times, want once", n)
	}
	if n := fake.CallCount("/cgi-bin/stable_token", 0); n != 3 {
		t.Errorf("%d stable_token calls, want 3 (first, after expiry, after revocation)", n)
	}
	if got := fake.Received(); len(got) != 3 || got[2].Text != "after revocation" {
		t.Fatalf("received %+v", got)
	}
	// Refusals no retry fixes are permanent and say why.
	for code, want := range map[int64]string{45015: "48", 45047: "used up", 48001: "permission"} {
		fake.FailSends(code)
		res := c.Send(ctx, ch, reply(ch, "oA", "refused"))
		if res.Err == nil || !res.Permanent || !strings.Contains(res.Err.Error(), want) {
			t.Errorf("errcode %d: %+v, want a permanent error mentioning %q", code, res, want)
		}
	}
	// A busy platform is retried; a rejected token twice in a row is too.
	fake.FailSends(-1)
	if res := c.Send(ctx, ch, reply(ch, "oA", "busy")); res.Err == nil || res.Permanent {
		t.Errorf("errcode -1: %+v, want a retryable error", res)
	}
	fake.FailSends(40001)
	fake.RevokeTokens(app.AppID)
	res := c.Send(ctx, ch, reply(ch, "oA", "twice"))
	if res.Err == nil || res.Permanent || strings.Contains(res.Err.Error(), "AT_") {
		t.Errorf("a token rejected after renewal: %+v, want a retryable error without the token", res)
	}
}

// Typing is throttled per customer and cancelled only after typing.
func TestTypingThrottled(t *testing.T) {
	c, fake, ch, _ := sendRig(t)
	ctx, stop := context.WithCancel(context.Background())
	ran := make(chan error)
	go func() { ran <- c.Run(ctx) }()
	for range 5 {
		c.Typing(ch, "oB", true)
	}
	c.Typing(ch, "oB", false)
	c.Typing(ch, "oB", false)
	stop()
	<-ran // the hub stopping waits for the calls in flight
	var cmds []string
	for _, s := range fake.Typings() {
		cmds = append(cmds, s.Text)
	}
	if strings.Join(cmds, ",") != "Typing,CancelTyping" {
		t.Fatalf("typing commands %v, want one Typing then one CancelTyping", cmds)
	}
}

// A link card (a keyword rule's rich reply) goes out as a news message (图
// 文消息) with one article, after the lead text; the text lines that spell
// the card out for other channels are not sent twice.
func TestLinkCardIsANewsMessage(t *testing.T) {
	c, fake, ch, _ := sendRig(t)
	out := reply(ch, "oCard", "开票说明：\n如何开发票\n在订单页申请电子发票\nhttps://shop.example.com/invoice")
	out.Message.Type = "answer"
	out.Message.Attachments = []hub.Attachment{{Type: hub.AttachmentLink, Name: "如何开发票", URL: "https://shop.example.com/invoice",
		Description: "在订单页申请电子发票", Picture: "https://shop.example.com/i.png"}}
	if res := c.Send(context.Background(), ch, out); res.Err != nil {
		t.Fatal(res.Err)
	}
	got := fake.Sends()
	if len(got) != 2 || got[0].MsgType != "text" || got[0].Text != "开票说明：" || got[1].MsgType != "news" || got[1].Article == nil {
		t.Fatalf("received %+v", got)
	}
	want := wechattest.Article{Title: "如何开发票", Description: "在订单页申请电子发票", URL: "https://shop.example.com/invoice",
		PicURL: "https://shop.example.com/i.png"}
	if *got[1].Article != want {
		t.Errorf("article %+v, want %+v", *got[1].Article, want)
	}
}

// A robot's rich answer with a title, a link and an https picture goes
// out as one news message (图文消息: the title, the rest of its words, the
// first link, the picture), its picture not sent again as an image; an
// answer without a picture goes as text with its links written out, and
// never with markup.
func TestRichAnswerIsANewsMessage(t *testing.T) {
	c, fake, ch, _ := sendRig(t)
	doc := richtext.Sanitize(`<h3>运费说明</h3><p><strong>满99元包邮</strong>，偏远地区除外。</p>` +
		`<p><img src="https://cdn.example.com/ship.png"></p><p>详见<a href="https://shop.example.com/ship">运费规则</a></p>`)
	out := reply(ch, "oRich", doc.Text)
	out.Message.Type, out.Message.SenderType, out.Message.Rich = "answer", hub.SenderRobot, doc.HTML
	out.Message.Attachments = []hub.Attachment{{URL: "https://cdn.example.com/ship.png", Name: "图片", Type: "image/*"}}
	if res := c.Send(context.Background(), ch, out); res.Err != nil {
		t.Fatal(res.Err)
	}
	got := fake.Sends()
	if len(got) != 1 || got[0].MsgType != "news" || got[0].Article == nil {
		t.Fatalf("received %+v, want one news message", got)
	}
	want := wechattest.Article{Title: "运费说明", Description: "满99元包邮，偏远地区除外。\n详见运费规则 (https://shop.example.com/ship)",
		URL: "https://shop.example.com/ship", PicURL: "https://cdn.example.com/ship.png"}
	if *got[0].Article != want {
		t.Errorf("article %+v, want %+v", *got[0].Article, want)
	}

	// No picture: text, the link written out.
	doc = richtext.Sanitize(`<p><strong>满99元包邮</strong></p><ul><li>江浙沪次日达</li></ul><p>详见<a href="https://shop.example.com/ship">运费规则</a></p>`)
	out = reply(ch, "oRich", doc.Text)
	out.Message.Type, out.Message.SenderType, out.Message.Rich = "answer", hub.SenderRobot, doc.HTML
	if res := c.Send(context.Background(), ch, out); res.Err != nil {
		t.Fatal(res.Err)
	}
	got = fake.Sends()[1:]
	if len(got) != 1 || got[0].MsgType != "text" || got[0].Text != "满99元包邮\n\n• 江浙沪次日达\n\n详见运费规则 (https://shop.example.com/ship)" {
		t.Fatalf("received %+v, want the answer as text", got)
	}
}
