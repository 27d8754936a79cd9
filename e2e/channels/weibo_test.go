package channels

// Weibo fans-service channel, end to end: a real hub (embedded and
// cluster), the fake Weibo pushing signed JSON over real HTTP, and the hub
// calling the fake's API for media and replies.

import (
	"bytes"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/connectors/weibo/weibotest"
	"github.com/kefu-hub/kefu/e2e/kit"
)

// weiboPublicURL is the public address the test hubs are given (a loopback
// port nothing listens on): image links in replies and webhook URLs start
// with it; the test sends their paths to the hub itself.
const weiboPublicURL = "http://127.0.0.1:9"

// weiboHub starts a hub whose Weibo API is a fake Weibo.
func weiboHub(t testing.TB, m kit.Mode) (*kit.Env, *kit.Hub, *kit.Client, *weibotest.Platform) {
	t.Helper()
	fake := weibotest.New(t)
	e := kit.NewEnv(t, m)
	e.Vars["KEFU_WEIBO_API_BASE"], e.Vars["KEFU_PUBLIC_URL"] = fake.URL, weiboPublicURL
	h := e.Start()
	return e, h, h.Admin(), fake
}

// wbChannel is a Weibo channel as both sides know it.
type wbChannel struct {
	ID, URL string
	App     weibotest.App
	Setup   map[string]any
}

// newWeiboChannel binds a fresh account the way an admin does: App Key,
// App Secret, access token and uid from Weibo's developer page into Kefu,
// then the webhook URL Kefu shows into Weibo.
func newWeiboChannel(c *kit.Client, fake *weibotest.Platform, extra map[string]any) wbChannel {
	c.T.Helper()
	app := fake.NewApp()
	body := map[string]any{"type": "weibo", "name": "微博 " + app.UID,
		"config": map[string]any{"app_key": app.AppKey, "app_secret": app.Secret, "access_token": app.AccessToken, "uid": app.UID}}
	for k, v := range extra {
		body[k] = v
	}
	r := c.Must(201, "POST", "/api/v1/channels", body)
	var v struct {
		ID         string         `json:"id"`
		WebhookURL string         `json:"webhook_url"`
		Setup      map[string]any `json:"setup"`
	}
	r.JSON(c.T, &v)
	if bytes.Contains(r.Body, []byte(app.Secret)) || bytes.Contains(r.Body, []byte(app.AccessToken)) {
		c.T.Fatalf("the channel answer shows the App Secret or the access token: %s", r.Body)
	}
	if !strings.HasSuffix(v.WebhookURL, "/webhooks/weibo/"+v.ID) || v.Setup["app_key"] != app.AppKey || v.Setup["uid"] != app.UID ||
		v.Setup["app_secret_set"] != true || v.Setup["instructions"] == nil {
		c.T.Fatalf("setup %v, webhook_url %q: want the callback URL and what to paste into Weibo", v.Setup, v.WebhookURL)
	}
	return wbChannel{ID: v.ID, URL: c.Base + "/webhooks/weibo/" + v.ID, App: app, Setup: v.Setup}
}

func (w wbChannel) push(t testing.TB, m weibotest.Msg, o weibotest.PushOpts) weibotest.Result {
	t.Helper()
	r := weibotest.Push(http.DefaultClient, w.URL, w.App, m, o)
	if r.Err != nil {
		t.Fatalf("push: %v", r.Err)
	}
	return r
}

// mustPush sends m and fails the test unless the hub answers 200 with an
// empty body (stored, no passive reply).
func (w wbChannel) mustPush(t testing.TB, m weibotest.Msg) {
	t.Helper()
	if r := w.push(t, m, weibotest.PushOpts{}); !r.OK() {
		t.Fatalf("push %s: %d %q, want 200 with an empty body", m.Type, r.Status, r.Body)
	}
}

// Customers write every kind of message; each lands in the inbox once,
// media fetched from Weibo; Weibo's overlapping retries store a message
// once; forged, stale, malformed and oversize pushes store nothing and
// never answer 5xx.
func TestWeiboInbound(t *testing.T) {
	t.Parallel()
	kit.ForModes(t, func(t *testing.T, m kit.Mode) {
		_, _, adm, fake := weiboHub(t, m)
		adm.Must(201, "POST", "/api/v1/groups", map[string]any{"name": "微博客服"})
		agent := adm.NewAgent("wb-inbound@kefu.test", 50, "微博客服")
		agent.SetStatus("online")
		wb := newWeiboChannel(adm, fake, map[string]any{"default_group_id": "微博客服"})
		other := newWeiboChannel(adm, fake, nil)

		echo := "echo" + kit.RandHex(6)
		if st, body, err := weibotest.Verify(http.DefaultClient, wb.URL, wb.App.Secret, echo); err != nil || st != 200 || body != echo {
			t.Fatalf("URL check: %d %q %v", st, body, err)
		}
		if st, body, _ := weibotest.Verify(http.DefaultClient, wb.URL, other.App.Secret, echo); st != 403 || body == echo {
			t.Fatalf("URL check signed with another channel's secret: %d %q, want 403", st, body)
		}

		user := weibotest.NewUID()
		img, voice := pngBytes(t), append([]byte("#!AMR\n"), kit.RandHex(200)...)
		fake.AddMedia(strconv.FormatInt(user+2, 10), weibotest.Media{ContentType: "image/png", Data: img})
		fake.AddMedia(strconv.FormatInt(user+4, 10), weibotest.Media{ContentType: "audio/amr", Data: voice})
		pushes := []weibotest.Msg{
			weibotest.Text(user, "你好，我想咨询订单 <b>#123</b>"),
			weibotest.Image(user, user+1, user+2),
			weibotest.Voice(user, user+3, user+4),
			weibotest.Position(user, "116.308586", "39.982525"),
			weibotest.Mention(user, "@客服 我的快递丢了"),
		}
		for _, p := range pushes {
			wb.mustPush(t, p)
		}
		uid := strconv.FormatInt(user, 10)
		conv := adm.ConversationOf(uid, 15*time.Second)
		convID := conv["id"].(string)
		ms := adm.WaitMessages(convID, len(pushes))
		want := []struct{ typ, text string }{{"text", "你好，我想咨询订单 <b>#123</b>"}, {"image", "分享图片"}, {"audio", ""},
			{"location", "[位置] (39.982525, 116.308586)"}, {"mention", "@客服 我的快递丢了"}}
		for i, w := range want {
			if ms[i].Type != w.typ || ms[i].Text != w.text || ms[i].Seq != int64(i+1) {
				t.Errorf("message %d: %s %q seq %d, want %s %q seq %d", i, ms[i].Type, ms[i].Text, ms[i].Seq, w.typ, w.text, i+1)
			}
		}
		for i, media := range map[int][]byte{1: img, 2: voice} {
			if len(ms[i].Attachments) != 1 {
				t.Fatalf("message %d has attachments %+v", i, ms[i].Attachments)
			}
			res, b := agent.Download(ms[i].Attachments[0].URL)
			if res.StatusCode != 200 || !bytes.Equal(b, media) {
				t.Fatalf("attachment of message %d: %d, %d bytes, want the %d bytes Weibo served", i, res.StatusCode, len(b), len(media))
			}
		}

		// Weibo's retries — the later ones sent while the first still runs —
		// store the message once.
		retried := weibotest.Text(user, "重试的消息 "+kit.RandHex(3))
		results := weibotest.PushRetrying(wb.URL, wb.App, retried, weibotest.Retry{Tries: 4, Wait: 0})
		for _, r := range results {
			if !r.OK() {
				t.Errorf("a retry answered %d %q, want 200 and an empty body", r.Status, r.Body)
			}
		}
		wb.mustPush(t, retried) // and once more, later

		// Forgeries, stale, broken and oversize pushes store nothing.
		forger := weibotest.NewUID()
		sent := weibotest.Text(forger, "伪造")
		bad := []struct {
			what string
			o    weibotest.PushOpts
			want int
		}{
			{"no signature", weibotest.PushOpts{Unsigned: true}, 403},
			{"a wrong secret", weibotest.PushOpts{Secret: "stolen0123456789"}, 403},
			{"another channel's secret", weibotest.PushOpts{Secret: other.App.Secret}, 403},
			{"a stale timestamp", weibotest.PushOpts{Timestamp: time.Now().Add(-time.Hour)}, 403},
			{"not JSON", weibotest.PushOpts{Body: []byte("<xml><MsgType>text</MsgType></xml>")}, 400},
			{"truncated JSON", weibotest.PushOpts{Body: sent.JSON(wb.App.UID)[:30]}, 400},
			{"a float sender", weibotest.PushOpts{Body: []byte(`{"type":"text","sender_id":1.5,"created_at":"Mon Jul 16 18:09:20 +0800 2012","text":"伪造"}`)}, 400},
			{"a sender beyond int64", weibotest.PushOpts{Body: []byte(`{"type":"text","sender_id":92233720368547758070,"created_at":"Mon Jul 16 18:09:20 +0800 2012","text":"伪造"}`)}, 400},
			{"no created_at", weibotest.PushOpts{Body: []byte(`{"type":"text","sender_id":` + strconv.FormatInt(forger, 10) + `,"text":"伪造"}`)}, 400},
			{"an oversize body", weibotest.PushOpts{Body: []byte(`{"type":"text","sender_id":1,"text":"` + strings.Repeat("大", 400_000) + `"}`)}, 413},
		}
		for _, b := range bad {
			if r := wb.push(t, sent, b.o); r.Status != b.want {
				t.Errorf("%s: %d %q, want %d", b.what, r.Status, r.Body, b.want)
			}
		}
		// A valid message after them shows the pipeline has caught up.
		wb.mustPush(t, weibotest.Text(user, "最后一条"))
		ms = adm.WaitMessages(convID, len(pushes)+2)
		n := 0
		for _, msg := range ms {
			if msg.Text == retried.Text {
				n++
			}
			if strings.Contains(msg.Text, "伪造") {
				t.Fatalf("a refused push was stored: %+v", msg)
			}
		}
		if n != 1 || ms[len(ms)-1].Text != "最后一条" {
			t.Fatalf("the retried message is stored %d times (want 1); last %+v", n, ms[len(ms)-1])
		}
		if adm.HasConversation(strconv.FormatInt(forger, 10)) {
			t.Fatal("a refused push opened a conversation")
		}

		// Media Weibo could not serve at first is fetched when an agent opens it.
		wb.mustPush(t, weibotest.Image(user, user+5, user+6))
		ms = adm.WaitMessages(convID, len(pushes)+3)
		u := ms[len(ms)-1].Attachments[0].URL
		if res, b := agent.Download(u); res.StatusCode != http.StatusBadGateway || !bytes.Contains(b, []byte("media_unavailable")) {
			t.Fatalf("media Weibo does not serve yet: %d %s, want 502 media_unavailable", res.StatusCode, b)
		}
		fake.AddMedia(strconv.FormatInt(user+6, 10), weibotest.Media{ContentType: "image/png", Data: img})
		if res, b := agent.Download(u); res.StatusCode != 200 || !bytes.Equal(b, img) {
			t.Fatalf("media fetched on demand: %d, %d bytes, want the image", res.StatusCode, len(b))
		}
	})
}

// Agents' replies reach the user through /2/messages/reply.json: long
// texts in parts of at most 300 characters, images as link cards whose
// link serves the image; Weibo's refusals fail the message with a reason.
// The window counts no replies for 48 hours; an @mention allows one;
// following opens the window again and unfollowing closes it.
func TestWeiboReplies(t *testing.T) {
	t.Parallel()
	kit.ForModes(t, func(t *testing.T, m kit.Mode) {
		_, h, adm, fake := weiboHub(t, m)
		agent := adm.NewAgent("wb-replies@kefu.test", 50)
		agent.SetStatus("online")
		wb := newWeiboChannel(adm, fake, nil)
		sock := agent.Dial(-1)
		user := weibotest.NewUID()
		uid := strconv.FormatInt(user, 10)
		wb.mustPush(t, weibotest.Text(user, "在吗？"))
		ev := sock.WaitFor("conversation.assigned", 15*time.Second, func(f map[string]any) bool {
			return kit.Dig(f, "data", "conversation", "contact", "external_id") == uid
		})
		convID := kit.Dig(ev, "data", "conversation", "id").(string)
		window := func() map[string]any {
			w, _ := agent.Must(200, "GET", "/api/v1/conversations/"+convID, nil).JSONMap(t)["reply_window"].(map[string]any)
			return w
		}
		if w := window(); w["open"] != true || w["unlimited"] != true || w["remaining"] != nil || w["expires_at"] == nil {
			t.Fatalf("a fresh conversation's window %v, want open, unlimited, with an end", w)
		} else if exp, _ := time.Parse(time.RFC3339, w["expires_at"].(string)); time.Until(exp) < 47*time.Hour || time.Until(exp) > 49*time.Hour {
			t.Fatalf("the window ends at %v, want 48 hours from now", exp)
		}
		sentTo := func() []weibotest.Sent {
			var out []weibotest.Sent
			for _, s := range fake.Sends() {
				if s.ReceiverID == uid {
					out = append(out, s)
				}
			}
			return out
		}
		status := func(id, want string) string {
			t.Helper()
			var errText string
			kit.Eventually(t, 15*time.Second, "message "+id+" "+want, func() bool {
				for _, msg := range agent.Messages(convID) {
					if msg.ID == id {
						errText = msg.Error
						return msg.Status == want
					}
				}
				return false
			})
			return errText
		}
		send := func(body map[string]any) string {
			return agent.Must(201, "POST", "/api/v1/conversations/"+convID+"/messages", body).Str("id")
		}

		status(send(map[string]any{"content": "您好，请问有什么可以帮您？"}), "sent")
		long := strings.Repeat("退款会在三个工作日内原路返回。", 30) // 450 characters
		status(send(map[string]any{"content": long}), "sent")
		got := sentTo()
		if len(got) != 3 || got[0].Text != "您好，请问有什么可以帮您？" || got[1].Text+got[2].Text != long || got[0].UID != wb.App.UID {
			t.Fatalf("reply.json received %+v", got)
		}
		// Eight more replies: no quota on Weibo.
		for i := range 8 {
			send(map[string]any{"content": "第" + strconv.Itoa(i+3) + "条"})
		}
		kit.Eventually(t, 15*time.Second, "11 replies reach Weibo", func() bool { return len(sentTo()) == 11 })

		// An image: a link card whose link serves the image without a login.
		img := pngBytes(t)
		up := agent.Upload("截图.png", img)
		status(send(map[string]any{"type": "image", "attachments": []any{map[string]any{"url": up.Str("url"), "name": "截图.png", "type": "image/png"}}}), "sent")
		got = sentTo()
		last := got[len(got)-1]
		if last.Type != "articles" || len(last.Articles) != 1 || !strings.HasPrefix(last.Articles[0].URL, weiboPublicURL+"/webhooks/weibo/"+wb.ID+"/files/") {
			t.Fatalf("the image went out as %+v", last)
		}
		link, _ := url.Parse(last.Articles[0].URL)
		res, err := http.Get(h.Base + link.RequestURI())
		if err != nil {
			t.Fatal(err)
		}
		var body bytes.Buffer
		body.ReadFrom(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || !bytes.Equal(body.Bytes(), img) {
			t.Fatalf("the image link answered %d with %d bytes", res.StatusCode, body.Len())
		}
		if res, _ := http.Get(h.Base + link.Path + "?s=" + strings.Repeat("0", 32)); res.StatusCode != 403 {
			t.Fatalf("a forged image link answered %d, want 403", res.StatusCode)
		}

		// An expired token: the message fails, visibly, saying what to do.
		fake.FailReplies(21327)
		errText := status(send(map[string]any{"content": "令牌过期"}), "failed")
		if !strings.Contains(errText, "21327") || !strings.Contains(errText, "access_token") {
			t.Errorf("the failed message's error %q does not say what happened", errText)
		}

		// An @mention allows one reply.
		wb.mustPush(t, weibotest.Mention(user, "@客服 还有一个问题"))
		kit.Eventually(t, 15*time.Second, "the @mention's window", func() bool {
			w := window()
			return w["open"] == true && w["remaining"] == float64(1) && w["unlimited"] == nil
		})
		send(map[string]any{"content": "已收到您的提及"})
		r := agent.Do("POST", "/api/v1/conversations/"+convID+"/messages", map[string]any{"content": "第二条"})
		if r.Status != 409 || r.Str("error.code") != "reply_window_closed" {
			t.Fatalf("a second reply to an @mention: %d %s, want 409 reply_window_closed", r.Status, r.Body)
		}
		// Following opens a fresh 48-hour window; unfollowing closes it.
		wb.mustPush(t, weibotest.Event(user, "follow", ""))
		kit.Eventually(t, 15*time.Second, "following reopens the window", func() bool {
			w := window()
			return w["open"] == true && w["unlimited"] == true
		})
		wb.mustPush(t, weibotest.Event(user, "unfollow", ""))
		kit.Eventually(t, 15*time.Second, "unfollowing closes the window", func() bool {
			return window()["reason"] == "unsubscribed"
		})
		r = agent.Do("POST", "/api/v1/conversations/"+convID+"/messages", map[string]any{"content": "还在吗？"})
		if r.Status != 409 || r.Str("error.code") != "reply_window_closed" {
			t.Fatalf("a reply after unfollowing: %d %s, want 409", r.Status, r.Body)
		}
		// The follow's automatic welcome is delivered after the event is
		// stored: wait for it, then the count must be exactly 13.
		kit.Eventually(t, 15*time.Second, "Weibo holds 13 replies to the user", func() bool { return len(sentTo()) >= 13 })
		if n := len(sentTo()); n != 13 {
			t.Fatalf("Weibo holds %d replies to the user, want 13", n)
		}
	})
}
