package channels

// WeChat Official Account channel, end to end: a real hub (embedded and
// cluster), the fake WeChat platform pushing over real HTTP in each message
// mode (plain, compat, safe), and the hub calling the fake's API.

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/connectors/wechat/wechattest"
	"github.com/kefu-hub/kefu/e2e/kit"
)

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
	t.Parallel()
	kit.ForModes(t, func(t *testing.T, m kit.Mode) {
		_, h, adm, fake := kit.WechatHub(t, m)
		adm.Must(201, "POST", "/api/v1/groups", map[string]any{"name": "微信客服"})
		agent := adm.NewAgent("wx-inbound@kefu.test", 50, "微信客服")
		agent.SetStatus("online")
		chans := adm.NewWechatChannels(fake, map[string]any{"default_group_id": "微信客服"})
		for _, wm := range kit.WxModes {
			t.Run(wm, func(t *testing.T) {
				wx := chans[wm]
				adm, agent := &kit.Client{T: t, Base: h.Base, Token: adm.Token}, &kit.Client{T: t, Base: h.Base, Token: agent.Token}
				if st, _ := wx.Verify(t, wx.App.Token); st != 200 {
					t.Fatalf("URL verification: %d", st)
				}
				if st, _ := wx.Verify(t, "wrongToken"); st != 401 && st != 403 {
					t.Fatalf("URL verification with a wrong Token: %d, want 401/403", st)
				}
				if plain := wx.Setup["warning"]; (wm == "plain") != (plain != nil) || wx.Setup["recommended_mode"] != "safe" {
					t.Errorf("setup %v: want safe recommended and a warning exactly for plain mode", wx.Setup)
				}

				user := "o" + wm + "_" + kit.RandHex(6)
				img, voice, video := pngBytes(t), append([]byte("#!AMR\n"), kit.RandHex(200)...), append([]byte("\x00\x00\x00\x18ftypmp42"), kit.RandHex(300)...)
				fake.AddMedia("IMG_"+user, wechattest.Media{ContentType: "image/png", Data: img})
				fake.AddMedia("VOICE_"+user, wechattest.Media{ContentType: "audio/amr", Data: voice})
				fake.AddMedia("VIDEO_"+user, wechattest.Media{Video: true, Data: video})
				fake.AddMedia("SHORT_"+user, wechattest.Media{Video: true, Data: video})
				pushes := []wechattest.Msg{
					wechattest.Text(user, "你好，我想咨询订单 <b>#123</b>", kit.NextMsgID()),
					wechattest.Image(user, "IMG_"+user, kit.NextMsgID()),
					wechattest.Voice(user, "VOICE_"+user, "amr", "我的快递到哪了", kit.NextMsgID()),
					wechattest.Video(user, "VIDEO_"+user, "THUMB", kit.NextMsgID()),
					wechattest.ShortVideo(user, "SHORT_"+user, "THUMB", kit.NextMsgID()),
					wechattest.Location(user, 23.134521, 113.358803, 20, "广州市天河区体育西路", kit.NextMsgID()),
					wechattest.Link(user, "订单详情", "我的订单", "https://example.com/order/123", kit.NextMsgID()),
				}
				for _, p := range pushes {
					wx.MustPush(t, p)
				}
				conv := adm.ConversationOf(user, 15*time.Second)
				convID := conv["id"].(string)
				ms := adm.WaitMessages(convID, len(pushes))
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
					res, b := agent.Download(ms[i].Attachments[0].URL)
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
				retried := wechattest.Text(user, "重试的消息", kit.NextMsgID())
				results := wechattest.PushRetrying(wx.URL, wx.App, retried, wechattest.Retry{Tries: 3, Wait: 0})
				if len(results) != 3 {
					t.Fatalf("the fake made %d requests, want 3 overlapping ones", len(results))
				}
				for _, r := range results {
					if !r.OK() {
						t.Errorf("a retry answered %d %q, want success", r.Status, r.Body)
					}
				}
				wx.MustPush(t, retried) // and once more, later
				ms = adm.WaitMessages(convID, len(pushes)+1)
				if ms[len(ms)-1].Text != "重试的消息" {
					t.Fatalf("last message %+v", ms[len(ms)-1])
				}

				// Forgeries, broken bodies and oversize bodies store nothing.
				forger := "oforged_" + kit.RandHex(6)
				bad := []struct {
					what string
					msg  wechattest.Msg
					o    wechattest.PushOpts
					want []int
				}{
					{"a wrong Token", wechattest.Text(forger, "伪造", kit.NextMsgID()), wechattest.PushOpts{Token: "stolenToken"}, []int{401, 403}},
					{"another channel's Token", wechattest.Text(forger, "伪造", kit.NextMsgID()), wechattest.PushOpts{Token: chans[other(wm)].App.Token}, []int{401, 403}},
					{"a stale timestamp", wechattest.Text(forger, "旧的", kit.NextMsgID()), wechattest.PushOpts{Timestamp: time.Now().Add(-time.Hour).Unix()}, []int{401}},
					{"malformed XML", wechattest.Text(forger, "x", kit.NextMsgID()), wechattest.PushOpts{Body: []byte("<xml><FromUserName>" + forger)}, []int{400, 401}},
					{"deep XML", wechattest.Text(forger, "x", kit.NextMsgID()), wechattest.PushOpts{Body: []byte("<xml>" + strings.Repeat("<a>", 5000) + strings.Repeat("</a>", 5000) + "</xml>")}, []int{400, 401}},
					{"an oversize body", wechattest.Text(forger, strings.Repeat("大", 400_000), kit.NextMsgID()), wechattest.PushOpts{}, []int{413}},
				}
				if wm != "plain" {
					bad = append(bad, struct {
						what string
						msg  wechattest.Msg
						o    wechattest.PushOpts
						want []int
					}{"a wrong msg_signature", wechattest.Text(forger, "篡改", kit.NextMsgID()), wechattest.PushOpts{MsgSignature: strings.Repeat("a", 40)}, []int{401}})
				}
				if wm == "safe" {
					bad = append(bad, struct {
						what string
						msg  wechattest.Msg
						o    wechattest.PushOpts
						want []int
					}{"plaintext in safe mode", wechattest.Text(forger, "明文", kit.NextMsgID()), wechattest.PushOpts{Mode: "plain"}, []int{403}})
				}
				for _, b := range bad {
					r := wx.Push(t, b.msg, b.o)
					ok := false
					for _, s := range b.want {
						ok = ok || r.Status == s
					}
					if !ok {
						t.Errorf("%s: %d %q, want one of %v", b.what, r.Status, r.Body, b.want)
					}
				}
				// A valid message after them shows the pipeline has caught up.
				wx.MustPush(t, wechattest.Text(user, "最后一条", kit.NextMsgID()))
				adm.WaitMessages(convID, len(pushes)+2)

				// Media WeChat could not serve at first (the download after the
				// acknowledgement failed) is fetched when an agent opens it.
				late := "LATE_" + user
				wx.MustPush(t, wechattest.Image(user, late, kit.NextMsgID()))
				ms = adm.WaitMessages(convID, len(pushes)+3)
				u := ms[len(ms)-1].Attachments[0].URL
				if res, b := agent.Download(u); res.StatusCode != http.StatusBadGateway || !bytes.Contains(b, []byte("media_unavailable")) {
					t.Fatalf("media WeChat does not serve yet: %d %s, want 502 media_unavailable", res.StatusCode, b)
				}
				fake.AddMedia(late, wechattest.Media{ContentType: "image/png", Data: img})
				if res, b := agent.Download(u); res.StatusCode != 200 || !bytes.Equal(b, img) {
					t.Fatalf("media fetched on demand: %d, %d bytes, want the image", res.StatusCode, len(b))
				}
				if adm.HasConversation(forger) {
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
	t.Parallel()
	kit.ForModes(t, func(t *testing.T, m kit.Mode) {
		_, h, adm, fake := kit.WechatHub(t, m)
		agent := adm.NewAgent("wx-events@kefu.test", 50)
		agent.SetStatus("online")
		chans := adm.NewWechatChannels(fake, nil)
		watch := adm.Dial(-1)
		for _, wm := range kit.WxModes {
			t.Run(wm, func(t *testing.T) {
				wx := chans[wm]
				adm := &kit.Client{T: t, Base: h.Base, Token: adm.Token}
				watch.T = t
				user := "o" + wm + "_" + kit.RandHex(6)
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
				wx.MustPush(t, follow)
				ev := watch.WaitFor("contact.updated", 15*time.Second, func(f map[string]any) bool {
					return kit.Dig(f, "data", "contact", "external_id") == user && kit.Dig(f, "data", "event") == "subscribe"
				})
				if kit.Dig(ev, "data", "contact", "source") != "qrscene_promo42" {
					t.Errorf("the follower's contact %v, want source qrscene_promo42", kit.Dig(ev, "data", "contact"))
				}
				welcome := "感谢关注 " + wm + "！有问题请直接留言。"
				kit.Eventually(t, 15*time.Second, "the welcome message reaches the follower", func() bool { return sends(welcome) == 1 })
				wx.MustPush(t, follow) // WeChat retries the event: still one welcome
				wx.MustPush(t, wechattest.Click(user, "PRICE"))
				kit.Eventually(t, 15*time.Second, "the keyword reply reaches the customer", func() bool { return sends("价格表：https://example.com/price") == 1 })
				if n := sends(welcome); n != 1 {
					t.Fatalf("the welcome message was sent %d times", n)
				}
				if adm.HasConversation(user) {
					t.Fatal("following or a keyword click opened a conversation")
				}

				wx.MustPush(t, wechattest.Click(user, "HUMAN"))
				conv := adm.ConversationOf(user, 15*time.Second)
				convID := conv["id"].(string)
				ms := adm.WaitMessages(convID, 2)
				if ms[0].Type != "event" || ms[0].Text != "[菜单] HUMAN" || ms[1].Direction != "out" || ms[1].Text != "正在为您转接人工客服" {
					t.Fatalf("the menu click's conversation holds %+v", ms)
				}
				kit.Eventually(t, 15*time.Second, "the transfer notice reaches the customer", func() bool { return sends("正在为您转接人工客服") == 1 })
				if w := kit.Dig(conv, "reply_window"); kit.Dig(w, "open") != true || kit.Dig(w, "max") != float64(3) {
					t.Errorf("after a menu click the window is %v, want open for 3 messages (WeChat's rule after a click)", w)
				}
				wx.MustPush(t, wechattest.Text(user, "我要退货", kit.NextMsgID()))
				adm.WaitMessages(convID, 3)

				wx.MustPush(t, wechattest.Unsubscribe(user))
				watch.WaitFor("contact.updated", 15*time.Second, func(f map[string]any) bool {
					return kit.Dig(f, "data", "contact", "external_id") == user && kit.Dig(f, "data", "event") == "unsubscribe"
				})
				full := adm.Must(200, "GET", "/api/v1/conversations/"+convID, nil).JSONMap(t)
				if kit.Dig(full, "contact", "unsubscribed_at") == nil || kit.Dig(full, "reply_window", "open") != false ||
					kit.Dig(full, "reply_window", "reason") != "unsubscribed" {
					t.Fatalf("after unfollowing: contact %v, window %v", kit.Dig(full, "contact"), kit.Dig(full, "reply_window"))
				}
				r := adm.Do("POST", "/api/v1/conversations/"+convID+"/messages", map[string]any{"content": "还在吗？"})
				if r.Status != 409 || r.Str("error.code") != "reply_window_closed" {
					t.Fatalf("a reply to an unfollowed customer: %d %s, want 409 reply_window_closed", r.Status, r.Body)
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
	t.Parallel()
	kit.ForModes(t, func(t *testing.T, m kit.Mode) {
		e, h, adm, fake := kit.WechatHub(t, m)
		agent := adm.NewAgent("wx-replies@kefu.test", 50)
		agent.SetStatus("online")
		chans := adm.NewWechatChannels(fake, nil)
		sock := agent.Dial(-1)
		for _, wm := range kit.WxModes {
			t.Run(wm, func(t *testing.T) {
				wx := chans[wm]
				agent := &kit.Client{T: t, Base: h.Base, Token: agent.Token}
				sock.T = t
				user := "o" + wm + "_" + kit.RandHex(6)
				wx.MustPush(t, wechattest.Text(user, "在吗？", kit.NextMsgID()))
				ev := sock.WaitFor("conversation.assigned", 15*time.Second, func(f map[string]any) bool {
					return kit.Dig(f, "data", "conversation", "contact", "external_id") == user
				})
				convID := kit.Dig(ev, "data", "conversation", "id").(string)
				w := agent.Must(200, "GET", "/api/v1/conversations/"+convID, nil).JSONMap(t)["reply_window"]
				if kit.Dig(w, "open") != true || kit.Dig(w, "remaining") != float64(5) || kit.Dig(w, "expires_at") == nil {
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
					for _, msg := range agent.Messages(convID) {
						if msg.ID == id {
							return msg.Status, msg.Error
						}
					}
					return "", ""
				}
				waitStatus := func(id, want string) string {
					t.Helper()
					var errText string
					kit.Eventually(t, 15*time.Second, "message "+id+" "+want, func() bool {
						st, e := status(id)
						errText = e
						return st == want
					})
					return errText
				}

				// Text.
				id := agent.Must(201, "POST", "/api/v1/conversations/"+convID+"/messages", map[string]any{"content": "您好，请问有什么可以帮您？"}).Str("id")
				waitStatus(id, "sent")
				if got := sentTo("text"); len(got) != 1 || got[0].Text != "您好，请问有什么可以帮您？" || got[0].AppID != wx.App.AppID {
					t.Fatalf("custom/send received %+v", got)
				}
				// Typing.
				agent.Must(202, "POST", "/api/v1/conversations/"+convID+"/typing", map[string]any{"typing": true})
				kit.Eventually(t, 10*time.Second, "the typing indicator reaches WeChat", func() bool {
					for _, s := range fake.Typings() {
						if s.ToUser == user && s.Text == "Typing" {
							return true
						}
					}
					return false
				})
				// An image: uploaded by the agent, sent as temporary media.
				img := pngBytes(t)
				up := agent.Upload("截图.png", img)
				id = agent.Must(201, "POST", "/api/v1/conversations/"+convID+"/messages", map[string]any{"type": "image",
					"attachments": []any{map[string]any{"url": up.Str("url"), "name": "截图.png", "type": "image/png"}}}).Str("id")
				waitStatus(id, "sent")
				imgs := sentTo("image")
				if len(imgs) != 1 || !bytes.Equal(fake.Uploaded(imgs[0].MediaID), img) {
					t.Fatalf("custom/send images %+v: want the uploaded image's media_id", imgs)
				}

				// A revoked token: 40001, renewed, the send retried once.
				rejected, refreshed := fake.CallCount("/cgi-bin/message/custom/send", 40001), fake.CallCount("/cgi-bin/stable_token", 0)
				fake.RevokeTokens(wx.App.AppID)
				id = agent.Must(201, "POST", "/api/v1/conversations/"+convID+"/messages", map[string]any{"content": "令牌过期后"}).Str("id")
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
				id = agent.Must(201, "POST", "/api/v1/conversations/"+convID+"/messages", map[string]any{"content": "超时的回复"}).Str("id")
				errText := waitStatus(id, "failed")
				if !strings.Contains(errText, "45015") || !strings.Contains(errText, "48") {
					t.Errorf("the failed message's error %q does not say what happened", errText)
				}
				sock.WaitFor("message.updated", 15*time.Second, func(f map[string]any) bool {
					return kit.Dig(f, "data", "message", "id") == id && kit.Dig(f, "data", "message", "status") == "failed"
				})

				// The quota: 3 sent so far (the failed one does not count), 2 left.
				w = agent.Must(200, "GET", "/api/v1/conversations/"+convID, nil).JSONMap(t)["reply_window"]
				if kit.Dig(w, "remaining") != float64(2) {
					t.Fatalf("window %v, want 2 replies left", w)
				}
				for i := range 2 {
					agent.Must(201, "POST", "/api/v1/conversations/"+convID+"/messages", map[string]any{"content": "第" + strconv.Itoa(i+4) + "条"})
				}
				r := agent.Do("POST", "/api/v1/conversations/"+convID+"/messages", map[string]any{"content": "第6条"})
				if r.Status != 409 || r.Str("error.code") != "reply_window_closed" || !strings.Contains(r.Str("error.message"), "5") {
					t.Fatalf("a 6th reply: %d %s, want 409 reply_window_closed", r.Status, r.Body)
				}
				w = agent.Must(200, "GET", "/api/v1/conversations/"+convID, nil).JSONMap(t)["reply_window"]
				if kit.Dig(w, "open") != false || kit.Dig(w, "reason") != "quota" {
					t.Fatalf("window %v, want closed for quota", w)
				}
				// The customer writes again: a fresh window.
				wx.MustPush(t, wechattest.Text(user, "还有一个问题", kit.NextMsgID()))
				kit.Eventually(t, 15*time.Second, "the window reopens", func() bool {
					w := agent.Must(200, "GET", "/api/v1/conversations/"+convID, nil).JSONMap(t)["reply_window"]
					return kit.Dig(w, "open") == true && kit.Dig(w, "remaining") == float64(5)
				})
			})
		}
		if !m.Cluster {
			return
		}
		// Cluster: a second hub process shares the stored token instead of
		// fetching its own (which would invalidate the first one's).
		t.Run("shared token", func(t *testing.T) {
			h2 := e.Start()
			wx := chans["safe"]
			fetched := fake.CallCount("/cgi-bin/stable_token", wechattest.AnyErrCode) + fake.CallCount("/cgi-bin/token", wechattest.AnyErrCode)
			user := "oshared_" + kit.RandHex(6)
			wx.MustPush(t, wechattest.Text(user, "两台服务器", kit.NextMsgID()))
			a2 := (&kit.Client{T: t, Base: h.Base, Token: agent.Token}).On(h2)
			conv := a2.ConversationOf(user, 15*time.Second)
			for i := range 4 {
				a2.Must(201, "POST", "/api/v1/conversations/"+conv["id"].(string)+"/messages", map[string]any{"content": "回复 " + strconv.Itoa(i)})
			}
			kit.Eventually(t, 15*time.Second, "4 replies reach WeChat", func() bool {
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
