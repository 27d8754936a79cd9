package main

// WeChat Official Account channel, end to end: a real hub (embedded and
// cluster), the fake WeChat platform pushing over real HTTP in each message
// mode (plain, compat, safe), and the hub calling the fake's API.

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/connectors/wechat/wechattest"
)

var wxModes = []string{"plain", "compat", "safe"}

// wechatHub starts a hub whose WeChat API is the fake.
func wechatHub(t *testing.T, m mode) (*env, *hubProc, *client, *wechattest.Platform) {
	t.Helper()
	fake := wechattest.New(t)
	e := newEnv(t, m)
	e.vars["KEFU_WECHAT_API_BASE"] = fake.URL
	h := e.start()
	return e, h, h.admin(), fake
}

// wxChannel is a WeChat channel as both sides know it.
type wxChannel struct {
	ID, URL string
	App     wechattest.App
	Setup   map[string]any
}

// newWechatChannel binds a fresh account the way an admin does: AppID and
// AppSecret into Kefu, then the server URL, Token and EncodingAESKey Kefu
// shows into WeChat.
// newWechatChannels binds one account in each message mode (plain,
// compatible, safe), by mode.
func (c *client) newWechatChannels(fake *wechattest.Platform, extra map[string]any) map[string]wxChannel {
	c.t.Helper()
	chans := map[string]wxChannel{}
	for _, wm := range wxModes {
		chans[wm] = c.newWechatChannel(fake, wm, extra)
	}
	return chans
}

func (c *client) newWechatChannel(fake *wechattest.Platform, mode string, extra map[string]any) wxChannel {
	c.t.Helper()
	app := fake.NewApp(mode)
	cfg := map[string]any{"app_id": app.AppID, "app_secret": app.Secret, "mode": mode,
		"welcome_message": "感谢关注 " + mode + "！有问题请直接留言。",
		"menu": map[string]any{
			"PRICE": map[string]any{"reply": "价格表：https://example.com/price"},
			"HUMAN": map[string]any{"open_conversation": true, "reply": "正在为您转接人工客服"},
		}}
	body := map[string]any{"type": "wechat", "name": "公众号 " + mode, "config": cfg}
	for k, v := range extra {
		body[k] = v
	}
	r := c.must(201, "POST", "/api/v1/channels", body)
	var v struct {
		ID         string         `json:"id"`
		WebhookURL string         `json:"webhook_url"`
		Setup      map[string]any `json:"setup"`
		Config     map[string]any `json:"config"`
	}
	r.json(c.t, &v)
	if bytes.Contains(r.body, []byte(app.Secret)) {
		c.t.Fatalf("the channel answer shows the AppSecret: %s", r.body)
	}
	app.Token, _ = v.Setup["token"].(string)
	app.AESKey, _ = v.Setup["encoding_aes_key"].(string)
	if app.Token == "" || app.AESKey == "" || !strings.HasSuffix(v.WebhookURL, "/webhooks/wechat/"+v.ID) {
		c.t.Fatalf("setup %v, webhook_url %q: want the token, key and server URL to paste into WeChat", v.Setup, v.WebhookURL)
	}
	fake.AddApp(app)
	return wxChannel{ID: v.ID, URL: v.WebhookURL, App: app, Setup: v.Setup}
}

var wxMsgID atomic.Int64

func init() { wxMsgID.Store(time.Now().UnixNano() / 1000) }

func nextMsgID() int64 { return wxMsgID.Add(1) }

func (w wxChannel) push(t *testing.T, m wechattest.Msg, o wechattest.PushOpts) wechattest.Result {
	t.Helper()
	r := wechattest.Push(http.DefaultClient, w.URL, w.App, m, o)
	if r.Err != nil {
		t.Fatalf("push: %v", r.Err)
	}
	return r
}

func (w wxChannel) mustPush(t *testing.T, m wechattest.Msg) {
	t.Helper()
	if r := w.push(t, m, wechattest.PushOpts{}); !r.OK() {
		t.Fatalf("push %s: %d %q, want 200 success", m.MsgType, r.Status, r.Body)
	}
}

// verify is WeChat's URL check: a signed GET with an echostr.
func (w wxChannel) verify(t *testing.T, token string) (int, string) {
	t.Helper()
	ts, nonce, echo := strconv.FormatInt(time.Now().Unix(), 10), "38271", "echo"+randHex(6)
	q := url.Values{"signature": {wechattest.Signature(token, ts, nonce)}, "timestamp": {ts}, "nonce": {nonce}, "echostr": {echo}}
	res, err := http.Get(w.URL + "?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode == 200 && string(b) != echo {
		t.Fatalf("verification answered %q, want the echostr %q", b, echo)
	}
	return res.StatusCode, string(b)
}

type wxMsg struct {
	ID, Type, Text, Status, Error, Direction, SenderType string
	Seq                                                  int64
	Attachments                                          []struct{ URL, Name, Type string }
}

// conversationOf finds the contact's active conversation (as an admin sees it).
func (c *client) conversationOf(openid string, within time.Duration) map[string]any {
	c.t.Helper()
	var found map[string]any
	eventually(c.t, within, "a conversation of "+openid, func() bool {
		var list struct{ Conversations []struct{ ID string } }
		c.must(200, "GET", "/api/v1/conversations", nil).json(c.t, &list)
		for _, cv := range list.Conversations {
			var full map[string]any
			c.must(200, "GET", "/api/v1/conversations/"+cv.ID, nil).json(c.t, &full)
			if dig(full, "contact", "external_id") == openid {
				found = full
				return true
			}
		}
		return false
	})
	return found
}

// hasConversation reports whether the contact has any active conversation.
func (c *client) hasConversation(openid string) bool {
	c.t.Helper()
	var list struct{ Conversations []struct{ ID string } }
	c.must(200, "GET", "/api/v1/conversations", nil).json(c.t, &list)
	for _, cv := range list.Conversations {
		if dig(c.must(200, "GET", "/api/v1/conversations/"+cv.ID, nil).jsonMap(c.t), "contact", "external_id") == openid {
			return true
		}
	}
	return false
}

func (r resp) jsonMap(t *testing.T) map[string]any {
	var m map[string]any
	r.json(t, &m)
	return m
}

func (c *client) messages(convID string) []wxMsg {
	c.t.Helper()
	var ms struct{ Messages []wxMsg }
	c.must(200, "GET", "/api/v1/conversations/"+convID+"/messages?limit=500", nil).json(c.t, &ms)
	return ms.Messages
}

// waitMessages waits until the conversation holds n messages.
func (c *client) waitMessages(convID string, n int) []wxMsg {
	c.t.Helper()
	var ms []wxMsg
	eventually(c.t, 15*time.Second, strconv.Itoa(n)+" messages in "+convID, func() bool {
		ms = c.messages(convID)
		return len(ms) >= n
	})
	if len(ms) != n {
		c.t.Fatalf("conversation has %d messages, want %d: %+v", len(ms), n, ms)
	}
	return ms
}

// upload attaches a file the way the workbench does (multipart "file").
func (c *client) upload(name string, data []byte) resp {
	c.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(data)
	mw.Close()
	req, _ := http.NewRequest("POST", c.base+"/api/v1/attachments", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+c.token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 201 {
		c.t.Fatalf("upload %s: %d %s", name, res.StatusCode, b)
	}
	return resp{res.StatusCode, b}
}

// download fetches an attachment with its headers.
func (c *client) download(u string) (*http.Response, []byte) {
	c.t.Helper()
	req, _ := http.NewRequest("GET", c.base+u, nil)
	req.Header.Set("Authorization", "Bearer "+c.token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, b
}

func pngBytes(t *testing.T) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	for i := range 8 {
		img.Set(i, i, color.RGBA{R: 200, A: 255})
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// Customers write every kind of message in every mode; each lands in the
// inbox once, with its media fetched from WeChat; WeChat's retries store it
// once; forged, malformed and oversize pushes store nothing.
func TestWechatInbound(t *testing.T) {
	forModes(t, func(t *testing.T, m mode) {
		_, h, adm, fake := wechatHub(t, m)
		adm.must(201, "POST", "/api/v1/groups", map[string]any{"name": "微信客服"})
		agent := adm.newAgent("wx-inbound@kefu.test", 50, "微信客服")
		agent.setStatus("online")
		chans := adm.newWechatChannels(fake, map[string]any{"default_group_id": "微信客服"})
		for _, wm := range wxModes {
			t.Run(wm, func(t *testing.T) {
				wx := chans[wm]
				adm, agent := &client{t: t, base: h.base, token: adm.token}, &client{t: t, base: h.base, token: agent.token}
				if st, _ := wx.verify(t, wx.App.Token); st != 200 {
					t.Fatalf("URL verification: %d", st)
				}
				if st, _ := wx.verify(t, "wrongToken"); st != 401 && st != 403 {
					t.Fatalf("URL verification with a wrong Token: %d, want 401/403", st)
				}
				if plain := wx.Setup["warning"]; (wm == "plain") != (plain != nil) || wx.Setup["recommended_mode"] != "safe" {
					t.Errorf("setup %v: want safe recommended and a warning exactly for plain mode", wx.Setup)
				}

				user := "o" + wm + "_" + randHex(6)
				img, voice, video := pngBytes(t), append([]byte("#!AMR\n"), randHex(200)...), append([]byte("\x00\x00\x00\x18ftypmp42"), randHex(300)...)
				fake.AddMedia("IMG_"+user, wechattest.Media{ContentType: "image/png", Data: img})
				fake.AddMedia("VOICE_"+user, wechattest.Media{ContentType: "audio/amr", Data: voice})
				fake.AddMedia("VIDEO_"+user, wechattest.Media{Video: true, Data: video})
				fake.AddMedia("SHORT_"+user, wechattest.Media{Video: true, Data: video})
				pushes := []wechattest.Msg{
					wechattest.Text(user, "你好，我想咨询订单 <b>#123</b>", nextMsgID()),
					wechattest.Image(user, "IMG_"+user, nextMsgID()),
					wechattest.Voice(user, "VOICE_"+user, "amr", "我的快递到哪了", nextMsgID()),
					wechattest.Video(user, "VIDEO_"+user, "THUMB", nextMsgID()),
					wechattest.ShortVideo(user, "SHORT_"+user, "THUMB", nextMsgID()),
					wechattest.Location(user, 23.134521, 113.358803, 20, "广州市天河区体育西路", nextMsgID()),
					wechattest.Link(user, "订单详情", "我的订单", "https://example.com/order/123", nextMsgID()),
				}
				for _, p := range pushes {
					wx.mustPush(t, p)
				}
				conv := adm.conversationOf(user, 15*time.Second)
				convID := conv["id"].(string)
				ms := adm.waitMessages(convID, len(pushes))
				want := []struct{ typ, text string }{{"text", "你好，我想咨询订单 <b>#123</b>"}, {"image", ""},
					{"audio", "我的快递到哪了"}, {"video", ""}, {"video", ""},
					{"location", "[位置] 广州市天河区体育西路 (23.134521, 113.358803)"}, {"link", "订单详情\n我的订单\nhttps://example.com/order/123"}}
				for i, w := range want {
					if ms[i].Type != w.typ || ms[i].Text != w.text || ms[i].Seq != int64(i+1) {
						t.Errorf("message %d: %s %q seq %d, want %s %q seq %d", i, ms[i].Type, ms[i].Text, ms[i].Seq, w.typ, w.text, i+1)
					}
				}
				// Media were fetched from WeChat into the attachment store and
				// are served to agents: images inline, the rest as downloads.
				for i, media := range map[int][]byte{1: img, 2: voice, 3: video, 4: video} {
					if len(ms[i].Attachments) != 1 {
						t.Fatalf("message %d has attachments %+v", i, ms[i].Attachments)
					}
					res, b := agent.download(ms[i].Attachments[0].URL)
					if res.StatusCode != 200 || !bytes.Equal(b, media) {
						t.Fatalf("attachment of message %d: %d, %d bytes, want the %d bytes WeChat served", i, res.StatusCode, len(b), len(media))
					}
					disp := res.Header.Get("Content-Disposition")
					if res.Header.Get("X-Content-Type-Options") != "nosniff" || (i == 1) != strings.HasPrefix(disp, "inline") ||
						(i != 1 && !strings.HasPrefix(disp, "attachment")) {
						t.Errorf("attachment of message %d served with nosniff %q, disposition %q", i, res.Header.Get("X-Content-Type-Options"), disp)
					}
				}
				// Another tenant's agents cannot fetch them: a foreign id is a 404.
				if ms[5].Attachments[0].Type != "location" || !strings.HasPrefix(ms[5].Attachments[0].URL, "https://") {
					t.Errorf("location attachment %+v", ms[5].Attachments)
				}

				// WeChat's retries — three requests, the later ones sent while the
				// first is still running — store the message once.
				retried := wechattest.Text(user, "重试的消息", nextMsgID())
				results := wechattest.PushRetrying(wx.URL, wx.App, retried, wechattest.Retry{Tries: 3, Wait: 0})
				if len(results) != 3 {
					t.Fatalf("the fake made %d requests, want 3 overlapping ones", len(results))
				}
				for _, r := range results {
					if !r.OK() {
						t.Errorf("a retry answered %d %q, want success", r.Status, r.Body)
					}
				}
				wx.mustPush(t, retried) // and once more, later
				ms = adm.waitMessages(convID, len(pushes)+1)
				if ms[len(ms)-1].Text != "重试的消息" {
					t.Fatalf("last message %+v", ms[len(ms)-1])
				}

				// Forgeries, broken bodies and oversize bodies store nothing.
				forger := "oforged_" + randHex(6)
				bad := []struct {
					what string
					msg  wechattest.Msg
					o    wechattest.PushOpts
					want []int
				}{
					{"a wrong Token", wechattest.Text(forger, "伪造", nextMsgID()), wechattest.PushOpts{Token: "stolenToken"}, []int{401, 403}},
					{"another channel's Token", wechattest.Text(forger, "伪造", nextMsgID()), wechattest.PushOpts{Token: chans[other(wm)].App.Token}, []int{401, 403}},
					{"a stale timestamp", wechattest.Text(forger, "旧的", nextMsgID()), wechattest.PushOpts{Timestamp: time.Now().Add(-time.Hour).Unix()}, []int{401}},
					{"malformed XML", wechattest.Text(forger, "x", nextMsgID()), wechattest.PushOpts{Body: []byte("<xml><FromUserName>" + forger)}, []int{400, 401}},
					{"deep XML", wechattest.Text(forger, "x", nextMsgID()), wechattest.PushOpts{Body: []byte("<xml>" + strings.Repeat("<a>", 5000) + strings.Repeat("</a>", 5000) + "</xml>")}, []int{400, 401}},
					{"an oversize body", wechattest.Text(forger, strings.Repeat("大", 400_000), nextMsgID()), wechattest.PushOpts{}, []int{413}},
				}
				if wm != "plain" {
					bad = append(bad, struct {
						what string
						msg  wechattest.Msg
						o    wechattest.PushOpts
						want []int
					}{"a wrong msg_signature", wechattest.Text(forger, "篡改", nextMsgID()), wechattest.PushOpts{MsgSignature: strings.Repeat("a", 40)}, []int{401}})
				}
				if wm == "safe" {
					bad = append(bad, struct {
						what string
						msg  wechattest.Msg
						o    wechattest.PushOpts
						want []int
					}{"plaintext in safe mode", wechattest.Text(forger, "明文", nextMsgID()), wechattest.PushOpts{Mode: "plain"}, []int{403}})
				}
				for _, b := range bad {
					r := wx.push(t, b.msg, b.o)
					ok := false
					for _, s := range b.want {
						ok = ok || r.Status == s
					}
					if !ok {
						t.Errorf("%s: %d %q, want one of %v", b.what, r.Status, r.Body, b.want)
					}
				}
				// A valid message after them shows the pipeline has caught up.
				wx.mustPush(t, wechattest.Text(user, "最后一条", nextMsgID()))
				ms = adm.waitMessages(convID, len(pushes)+2)

				// Media WeChat could not serve at first (the download after the
				// acknowledgement failed) is fetched when an agent opens it.
				late := "LATE_" + user
				wx.mustPush(t, wechattest.Image(user, late, nextMsgID()))
				ms = adm.waitMessages(convID, len(pushes)+3)
				u := ms[len(ms)-1].Attachments[0].URL
				if res, b := agent.download(u); res.StatusCode != http.StatusBadGateway || !bytes.Contains(b, []byte("media_unavailable")) {
					t.Fatalf("media WeChat does not serve yet: %d %s, want 502 media_unavailable", res.StatusCode, b)
				}
				fake.AddMedia(late, wechattest.Media{ContentType: "image/png", Data: img})
				if res, b := agent.download(u); res.StatusCode != 200 || !bytes.Equal(b, img) {
					t.Fatalf("media fetched on demand: %d, %d bytes, want the image", res.StatusCode, len(b))
				}
				if adm.hasConversation(forger) {
					t.Fatal("a rejected push opened a conversation")
				}
				for _, msg := range ms {
					if strings.Contains(msg.Text, "伪造") || strings.Contains(msg.Text, "篡改") || strings.Contains(msg.Text, "明文") {
						t.Fatalf("a rejected push was stored: %+v", msg)
					}
				}
			})
		}
	})
}

func other(wm string) string {
	if wm == "safe" {
		return "plain"
	}
	return "safe"
}

// Following sends the welcome message and creates the contact (with the
// QR scene); a menu click answers its keyword or opens a conversation;
// unfollowing marks the contact and closes the reply window.
func TestWechatEvents(t *testing.T) {
	forModes(t, func(t *testing.T, m mode) {
		_, h, adm, fake := wechatHub(t, m)
		agent := adm.newAgent("wx-events@kefu.test", 50)
		agent.setStatus("online")
		chans := adm.newWechatChannels(fake, nil)
		watch := adm.dial(-1)
		for _, wm := range wxModes {
			t.Run(wm, func(t *testing.T) {
				wx := chans[wm]
				adm := &client{t: t, base: h.base, token: adm.token}
				watch.t = t
				user := "o" + wm + "_" + randHex(6)
				sends := func(text string) int {
					n := 0
					for _, s := range fake.Sends() {
						if s.ToUser == user && s.AppID == wx.App.AppID && s.Text == text {
							n++
						}
					}
					return n
				}

				follow := wechattest.Subscribe(user, "promo42")
				wx.mustPush(t, follow)
				ev := watch.waitFor("contact.updated", 15*time.Second, func(f map[string]any) bool {
					return dig(f, "data", "contact", "external_id") == user && dig(f, "data", "event") == "subscribe"
				})
				if dig(ev, "data", "contact", "source") != "qrscene_promo42" {
					t.Errorf("the follower's contact %v, want source qrscene_promo42", dig(ev, "data", "contact"))
				}
				welcome := "感谢关注 " + wm + "！有问题请直接留言。"
				eventually(t, 15*time.Second, "the welcome message reaches the follower", func() bool { return sends(welcome) == 1 })
				wx.mustPush(t, follow) // WeChat retries the event: still one welcome
				wx.mustPush(t, wechattest.Click(user, "PRICE"))
				eventually(t, 15*time.Second, "the keyword reply reaches the customer", func() bool { return sends("价格表：https://example.com/price") == 1 })
				if n := sends(welcome); n != 1 {
					t.Fatalf("the welcome message was sent %d times", n)
				}
				if adm.hasConversation(user) {
					t.Fatal("following or a keyword click opened a conversation")
				}

				wx.mustPush(t, wechattest.Click(user, "HUMAN"))
				conv := adm.conversationOf(user, 15*time.Second)
				convID := conv["id"].(string)
				ms := adm.waitMessages(convID, 2)
				if ms[0].Type != "event" || ms[0].Text != "[菜单] HUMAN" || ms[1].Direction != "out" || ms[1].Text != "正在为您转接人工客服" {
					t.Fatalf("the menu click's conversation holds %+v", ms)
				}
				eventually(t, 15*time.Second, "the transfer notice reaches the customer", func() bool { return sends("正在为您转接人工客服") == 1 })
				if w := dig(conv, "reply_window"); dig(w, "open") != true || dig(w, "max") != float64(3) {
					t.Errorf("after a menu click the window is %v, want open for 3 messages (WeChat's rule after a click)", w)
				}
				wx.mustPush(t, wechattest.Text(user, "我要退货", nextMsgID()))
				adm.waitMessages(convID, 3)

				wx.mustPush(t, wechattest.Unsubscribe(user))
				watch.waitFor("contact.updated", 15*time.Second, func(f map[string]any) bool {
					return dig(f, "data", "contact", "external_id") == user && dig(f, "data", "event") == "unsubscribe"
				})
				full := adm.must(200, "GET", "/api/v1/conversations/"+convID, nil).jsonMap(t)
				if dig(full, "contact", "unsubscribed_at") == nil || dig(full, "reply_window", "open") != false ||
					dig(full, "reply_window", "reason") != "unsubscribed" {
					t.Fatalf("after unfollowing: contact %v, window %v", dig(full, "contact"), dig(full, "reply_window"))
				}
				r := adm.do("POST", "/api/v1/conversations/"+convID+"/messages", map[string]any{"content": "还在吗？"})
				if r.status != 409 || r.str("error.code") != "reply_window_closed" {
					t.Fatalf("a reply to an unfollowed customer: %d %s, want 409 reply_window_closed", r.status, r.body)
				}
			})
		}
	})
}

// Agents' replies reach the customer through the customer-service API with
// the right touser and content, images as uploaded temporary media; the
// typing indicator shows; a revoked token is renewed and the send retried
// once; 45015 fails the message visibly; the 5-message quota is told
// before sending.
func TestWechatReplies(t *testing.T) {
	forModes(t, func(t *testing.T, m mode) {
		e, h, adm, fake := wechatHub(t, m)
		agent := adm.newAgent("wx-replies@kefu.test", 50)
		agent.setStatus("online")
		chans := adm.newWechatChannels(fake, nil)
		sock := agent.dial(-1)
		for _, wm := range wxModes {
			t.Run(wm, func(t *testing.T) {
				wx := chans[wm]
				agent := &client{t: t, base: h.base, token: agent.token}
				sock.t = t
				user := "o" + wm + "_" + randHex(6)
				wx.mustPush(t, wechattest.Text(user, "在吗？", nextMsgID()))
				ev := sock.waitFor("conversation.assigned", 15*time.Second, func(f map[string]any) bool {
					return dig(f, "data", "conversation", "contact", "external_id") == user
				})
				convID := dig(ev, "data", "conversation", "id").(string)
				w := agent.must(200, "GET", "/api/v1/conversations/"+convID, nil).jsonMap(t)["reply_window"]
				if dig(w, "open") != true || dig(w, "remaining") != float64(5) || dig(w, "expires_at") == nil {
					t.Fatalf("a fresh conversation's reply window %v, want open with 5 replies left", w)
				}
				sentTo := func(typ string) []wechattest.Sent {
					var out []wechattest.Sent
					for _, s := range fake.Sends() {
						if s.ToUser == user && s.MsgType == typ {
							out = append(out, s)
						}
					}
					return out
				}
				status := func(id string) (string, string) {
					for _, msg := range agent.messages(convID) {
						if msg.ID == id {
							return msg.Status, msg.Error
						}
					}
					return "", ""
				}
				waitStatus := func(id, want string) string {
					t.Helper()
					var errText string
					eventually(t, 15*time.Second, "message "+id+" "+want, func() bool {
						st, e := status(id)
						errText = e
						return st == want
					})
					return errText
				}

				// Text.
				id := agent.must(201, "POST", "/api/v1/conversations/"+convID+"/messages", map[string]any{"content": "您好，请问有什么可以帮您？"}).str("id")
				waitStatus(id, "sent")
				if got := sentTo("text"); len(got) != 1 || got[0].Text != "您好，请问有什么可以帮您？" || got[0].AppID != wx.App.AppID {
					t.Fatalf("custom/send received %+v", got)
				}
				// Typing.
				agent.must(202, "POST", "/api/v1/conversations/"+convID+"/typing", map[string]any{"typing": true})
				eventually(t, 10*time.Second, "the typing indicator reaches WeChat", func() bool {
					for _, s := range fake.Typings() {
						if s.ToUser == user && s.Text == "Typing" {
							return true
						}
					}
					return false
				})
				// An image: uploaded by the agent, sent as temporary media.
				img := pngBytes(t)
				up := agent.upload("截图.png", img)
				id = agent.must(201, "POST", "/api/v1/conversations/"+convID+"/messages", map[string]any{"type": "image",
					"attachments": []any{map[string]any{"url": up.str("url"), "name": "截图.png", "type": "image/png"}}}).str("id")
				waitStatus(id, "sent")
				imgs := sentTo("image")
				if len(imgs) != 1 || !bytes.Equal(fake.Uploaded(imgs[0].MediaID), img) {
					t.Fatalf("custom/send images %+v: want the uploaded image's media_id", imgs)
				}

				// A revoked token: 40001, renewed, the send retried once.
				rejected, refreshed := fake.CallCount("/cgi-bin/message/custom/send", 40001), fake.CallCount("/cgi-bin/stable_token", 0)
				fake.RevokeTokens(wx.App.AppID)
				id = agent.must(201, "POST", "/api/v1/conversations/"+convID+"/messages", map[string]any{"content": "令牌过期后"}).str("id")
				waitStatus(id, "sent")
				if n := fake.CallCount("/cgi-bin/message/custom/send", 40001); n != rejected+1 {
					t.Errorf("custom/send answered 40001 %d times, want once", n-rejected)
				}
				if n := fake.CallCount("/cgi-bin/stable_token", 0); n != refreshed+1 {
					t.Errorf("the token was fetched %d times after the revocation, want once", n-refreshed)
				}
				if got := sentTo("text"); len(got) != 2 || got[1].Text != "令牌过期后" {
					t.Fatalf("after the renewal custom/send holds %+v", got)
				}

				// 45015: the message fails, visibly, with the reason.
				fake.FailSends(45015)
				id = agent.must(201, "POST", "/api/v1/conversations/"+convID+"/messages", map[string]any{"content": "超时的回复"}).str("id")
				errText := waitStatus(id, "failed")
				if !strings.Contains(errText, "45015") || !strings.Contains(errText, "48") {
					t.Errorf("the failed message's error %q does not say what happened", errText)
				}
				sock.waitFor("message.updated", 15*time.Second, func(f map[string]any) bool {
					return dig(f, "data", "message", "id") == id && dig(f, "data", "message", "status") == "failed"
				})

				// The quota: 3 sent so far (the failed one does not count), 2 left.
				w = agent.must(200, "GET", "/api/v1/conversations/"+convID, nil).jsonMap(t)["reply_window"]
				if dig(w, "remaining") != float64(2) {
					t.Fatalf("window %v, want 2 replies left", w)
				}
				for i := range 2 {
					agent.must(201, "POST", "/api/v1/conversations/"+convID+"/messages", map[string]any{"content": "第" + strconv.Itoa(i+4) + "条"})
				}
				r := agent.do("POST", "/api/v1/conversations/"+convID+"/messages", map[string]any{"content": "第6条"})
				if r.status != 409 || r.str("error.code") != "reply_window_closed" || !strings.Contains(r.str("error.message"), "5") {
					t.Fatalf("a 6th reply: %d %s, want 409 reply_window_closed", r.status, r.body)
				}
				w = agent.must(200, "GET", "/api/v1/conversations/"+convID, nil).jsonMap(t)["reply_window"]
				if dig(w, "open") != false || dig(w, "reason") != "quota" {
					t.Fatalf("window %v, want closed for quota", w)
				}
				// The customer writes again: a fresh window.
				wx.mustPush(t, wechattest.Text(user, "还有一个问题", nextMsgID()))
				eventually(t, 15*time.Second, "the window reopens", func() bool {
					w := agent.must(200, "GET", "/api/v1/conversations/"+convID, nil).jsonMap(t)["reply_window"]
					return dig(w, "open") == true && dig(w, "remaining") == float64(5)
				})
			})
		}
		if !m.cluster {
			return
		}
		// Cluster: a second hub process shares the stored token instead of
		// fetching its own (which would invalidate the first one's).
		t.Run("shared token", func(t *testing.T) {
			h2 := e.start()
			wx := chans["safe"]
			fetched := fake.CallCount("/cgi-bin/stable_token", wechattest.AnyErrCode) + fake.CallCount("/cgi-bin/token", wechattest.AnyErrCode)
			user := "oshared_" + randHex(6)
			wx.mustPush(t, wechattest.Text(user, "两台服务器", nextMsgID()))
			a2 := (&client{t: t, base: h.base, token: agent.token}).on(h2)
			conv := a2.conversationOf(user, 15*time.Second)
			for i := range 4 {
				a2.must(201, "POST", "/api/v1/conversations/"+conv["id"].(string)+"/messages", map[string]any{"content": "回复 " + strconv.Itoa(i)})
			}
			eventually(t, 15*time.Second, "4 replies reach WeChat", func() bool {
				n := 0
				for _, s := range fake.Sends() {
					if s.ToUser == user {
						n++
					}
				}
				return n == 4
			})
			if n := fake.CallCount("/cgi-bin/stable_token", wechattest.AnyErrCode) + fake.CallCount("/cgi-bin/token", wechattest.AnyErrCode) - fetched; n != 0 {
				t.Errorf("the second process fetched %d tokens of its own, want 0 (it reads the stored one)", n)
			}
		})
	})
}
