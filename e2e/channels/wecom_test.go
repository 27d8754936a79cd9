package channels

// WeCom 微信客服 (kf), end to end: a real hub (embedded and cluster), the
// fake WeCom calling back over real HTTP with encrypted, signed notices
// (overlapping ones too), and the hub pulling sync_msg from its stored
// cursor and answering through send_msg.

import (
	"bytes"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/connectors/wecom"
	"github.com/kefu-hub/kefu/connectors/wecom/wecomtest"
	"github.com/kefu-hub/kefu/e2e/kit"
)

func wecomHub(t *testing.T, m kit.Mode) (*kit.Env, *kit.Hub, *kit.Client, *wecomtest.Platform) {
	t.Helper()
	fake := wecomtest.New(t)
	e := kit.NewEnv(t, m)
	e.Vars["KEFU_WECOM_API_BASE"] = fake.URL
	h := e.Start()
	return e, h, h.Admin(), fake
}

// wecomChannel is a 微信客服 channel as both sides know it.
type wecomChannel struct {
	ID, URL string
	Acct    wecomtest.Account
}

// newWecomChannel binds a fresh account the way an admin does: corp_id,
// Secret and open_kfid into Kefu; then the URL, Token and EncodingAESKey
// Kefu shows into WeCom's callback settings.
func newWecomChannel(t *testing.T, adm *kit.Client, fake *wecomtest.Platform, welcome string) wecomChannel {
	t.Helper()
	a := fake.NewAccount()
	cfg := map[string]any{"corp_id": a.CorpID, "secret": a.Secret, "open_kfid": a.OpenKfID, "welcome_message": welcome}
	r := adm.Must(201, "POST", "/api/v1/channels", map[string]any{"type": "wecom_kf", "name": "微信客服", "config": cfg})
	if bytes.Contains(r.Body, []byte(a.Secret)) {
		t.Fatalf("the channel answer shows the Secret: %s", r.Body)
	}
	var v struct {
		ID         string         `json:"id"`
		WebhookURL string         `json:"webhook_url"`
		Setup      map[string]any `json:"setup"`
	}
	r.JSON(t, &v)
	tok, _ := v.Setup["token"].(string)
	key, _ := v.Setup["encoding_aes_key"].(string)
	if !strings.HasSuffix(v.WebhookURL, "/webhooks/wecom_kf/"+v.ID) || tok == "" || len(key) != 43 ||
		!strings.Contains(fmt.Sprint(v.Setup["limits"]), "48 小时") {
		t.Fatalf("webhook_url %q, setup %v: want the URL, Token, EncodingAESKey to paste and the limits", v.WebhookURL, v.Setup)
	}
	a.Token, a.EncodingAESKey = tok, key
	fake.BindAccount(a)
	return wecomChannel{ID: v.ID, URL: v.WebhookURL, Acct: a}
}

// send adds customers' messages to the account and notifies the hub.
func (w wecomChannel) send(t *testing.T, fake *wecomtest.Platform, ms ...wecom.Message) {
	t.Helper()
	fake.Add(w.Acct.OpenKfID, ms...)
	if r := fake.Notify(w.URL, w.Acct, wecomtest.Opts{}); !r.OK() || r.Body != "success" {
		t.Fatalf("callback: %d %s, want 200 success", r.Status, r.Body)
	}
}

func wecomUser() string { return "wm" + kit.RandHex(10) }

// The URL check is answered; customers' messages (text, image, pages of
// them) are pulled once; overlapping callbacks store each message once;
// forged, stale, undecryptable, malformed and oversize callbacks pull
// nothing; an expired access token is renewed; a customer entering the
// chat gets the welcome message (send_msg_on_event) and no conversation.
func TestWecomKfInbound(t *testing.T) {
	t.Parallel()
	kit.ForModes(t, func(t *testing.T, m kit.Mode) {
		_, _, adm, fake := wecomHub(t, m)
		adm.NewAgent("wecom-inbound@kefu.test", 50).SetStatus("online")
		ch := newWecomChannel(t, adm, fake, "您好，欢迎咨询！")
		other := newWecomChannel(t, adm, fake, "")
		if _, err := wecomtest.Verify(ch.URL, ch.Acct, wecomtest.Opts{}); err != nil {
			t.Fatalf("URL check: %v", err)
		}
		if r, _ := wecomtest.Verify(ch.URL, ch.Acct, wecomtest.Opts{Token: other.Acct.Token}); r.Status != http.StatusUnauthorized {
			t.Fatalf("URL check signed with another Token: %d %s, want 401", r.Status, r.Body)
		}

		user, img := wecomUser(), pngBytes(t)
		fake.AddMedia("MEDIA-"+user, img)
		ch.send(t, fake, wecomtest.Text(fake.MsgID(), user, "你好，订单 <b>#123</b> 还没发货"),
			wecomtest.MediaMsg(fake.MsgID(), user, "image", "MEDIA-"+user))
		conv := adm.ConversationOf(user, 15*time.Second)
		convID := conv["id"].(string)
		if kit.Dig(conv, "contact", "name") != "微信客户 "+user[len(user)-4:] {
			t.Errorf("contact %v", kit.Dig(conv, "contact"))
		}
		ms := adm.WaitMessages(convID, 2)
		if ms[0].Text != "你好，订单 <b>#123</b> 还没发货" || ms[1].Type != "image" || len(ms[1].Attachments) != 1 {
			t.Fatalf("messages %+v", ms)
		}
		kit.Eventually(t, 15*time.Second, "the image is downloaded through media/get", func() bool {
			res, b := adm.Download(ms[1].Attachments[0].URL)
			return res.StatusCode == 200 && bytes.Equal(b, img)
		})
		if w := kit.Dig(conv, "reply_window"); kit.Dig(w, "open") != true || kit.Dig(w, "max") != float64(5) {
			t.Errorf("window %v, want open with 5 replies", w)
		}

		// Three messages, five overlapping callbacks: each stored once.
		fake.Add(ch.Acct.OpenKfID, wecomtest.Text(fake.MsgID(), user, "三"), wecomtest.Text(fake.MsgID(), user, "四"),
			wecomtest.Text(fake.MsgID(), user, "五"))
		for i, r := range fake.NotifyOverlapping(ch.URL, ch.Acct, 5) {
			if !r.OK() {
				t.Errorf("overlapping callback %d: %d %s", i, r.Status, r.Body)
			}
		}
		adm.WaitMessages(convID, 5)

		// More than a page: has_more is followed.
		fake.SetPageSize(2)
		var page []wecom.Message
		for i := range 7 {
			page = append(page, wecomtest.Text(fake.MsgID(), user, fmt.Sprintf("第%d条", i+1)))
		}
		ch.send(t, fake, page...)
		ms = adm.WaitMessages(convID, 12)
		if ms[5].Text != "第1条" || ms[11].Text != "第7条" {
			t.Fatalf("paged messages out of order: %+v", ms[5:])
		}
		fake.SetPageSize(1000)

		// A shared position and a link: cards the workbench shows.
		now := time.Now().Unix()
		ch.send(t, fake, wecom.Message{MsgID: fake.MsgID(), ExternalUserID: user, SendTime: now, Origin: wecom.OriginCustomer,
			MsgType: "location", Location: &wecom.Location{Latitude: 23.1065, Longitude: 113.3245, Name: "广州塔", Address: "海珠区阅江西路"}},
			wecom.Message{MsgID: fake.MsgID(), ExternalUserID: user, SendTime: now, Origin: wecom.OriginCustomer,
				MsgType: "link", Link: &wecom.Link{Title: "我的订单", Desc: "订单 #123", URL: "https://shop.example.com/o/123"}})
		ms = adm.WaitMessages(convID, 14)
		if ms[12].Type != "location" || !strings.Contains(ms[12].Text, "广州塔") || len(ms[12].Attachments) != 1 ||
			ms[13].Type != "link" || len(ms[13].Attachments) != 1 || ms[13].Attachments[0].URL != "https://shop.example.com/o/123" {
			t.Fatalf("location and link: %+v", ms[12:])
		}

		// Refused callbacks pull nothing (the forger's message waits in
		// WeCom until a genuine callback).
		forger := wecomUser()
		fake.Add(ch.Acct.OpenKfID, wecomtest.Text(fake.MsgID(), forger, "伪造"))
		pulls := len(fake.Cursors())
		bad := []struct {
			what string
			o    wecomtest.Opts
			want int
		}{
			{"a forged signature", wecomtest.Opts{Token: "forgedToken123"}, 401},
			{"another channel's Token", wecomtest.Opts{Token: other.Acct.Token}, 401},
			{"a stale timestamp", wecomtest.Opts{Timestamp: time.Now().Add(-time.Hour).Unix()}, 401},
			{"another key (signed with the right Token)", wecomtest.Opts{AESKey: other.Acct.EncodingAESKey}, 400},
			{"another corp_id inside", wecomtest.Opts{CorpID: other.Acct.CorpID}, 400},
			{"malformed XML", wecomtest.Opts{Body: []byte("<xml><Encrypt><![CDATA[abc")}, 400},
			{"a DTD", wecomtest.Opts{Body: []byte(`<!DOCTYPE x [<!ENTITY a "b">]><xml><Encrypt>&a;</Encrypt></xml>`)}, 400},
			{"an oversize body", wecomtest.Opts{Body: bytes.Repeat([]byte("A"), 2<<20)}, 413},
			{"an oversize chunked body", wecomtest.Opts{Body: bytes.Repeat([]byte("A"), 2<<20), Chunked: true}, 413},
		}
		for _, b := range bad {
			if r := fake.Notify(ch.URL, ch.Acct, b.o); r.Status != b.want {
				t.Errorf("%s: %d %s, want %d", b.what, r.Status, r.Body, b.want)
			}
		}
		time.Sleep(3 * time.Second) // a sweep would have pulled by now
		if n := len(fake.Cursors()); n != pulls || adm.HasConversation(forger) {
			t.Fatalf("refused callbacks made %d sync_msg calls, conversation opened: %v", n-pulls, adm.HasConversation(forger))
		}

		// An expired access token is renewed (42001), the pull retried.
		fake.ExpireTokens()
		ch.send(t, fake, wecomtest.Text(fake.MsgID(), user, "令牌过期后"))
		adm.WaitMessages(convID, 15)
		expired := 0
		for _, c := range fake.Calls() {
			if c.Path == "sync_msg" && c.Code == wecomtest.CodeTokenExpired {
				expired++
			}
		}
		if expired != 1 {
			t.Errorf("sync_msg answered 42001 %d times, want once (then a fresh token)", expired)
		}
		// A sync token WeCom no longer takes (95007): pulled without one.
		fake.Add(ch.Acct.OpenKfID, wecomtest.Text(fake.MsgID(), user, "同步令牌过期后"))
		if r := fake.Notify(ch.URL, ch.Acct, wecomtest.Opts{SyncToken: "ENCstale" + kit.RandHex(6)}); !r.OK() {
			t.Fatalf("a callback with a stale sync token: %d %s", r.Status, r.Body)
		}
		if ms := adm.WaitMessages(convID, 16); ms[15].Text != "同步令牌过期后" {
			t.Fatalf("after a stale sync token: %+v", ms[15])
		}
		kit.Eventually(t, 15*time.Second, "the forger's message, fetched by the genuine callback", func() bool {
			return adm.HasConversation(forger)
		})

		// Entering the chat: a welcome through send_msg_on_event, no conversation.
		visitor, code := wecomUser(), "WELCOME"+kit.RandHex(8)
		ch.send(t, fake, wecomtest.EnterSession(fake.MsgID(), visitor, "官网", code))
		kit.Eventually(t, 15*time.Second, "the welcome is sent with the welcome_code", func() bool {
			for _, s := range fake.Sent() {
				if s.Code == code && s.Text == "您好，欢迎咨询！" {
					return true
				}
			}
			return false
		})
		if adm.HasConversation(visitor) {
			t.Error("enter_session opened a conversation")
		}

		// A wrong Secret: WeCom refuses the token, the callback answers 503
		// (WeCom retries) and the channel's health says why; the right
		// Secret clears it and the waiting message is pulled.
		wrong := fake.NewAccount()
		cfg := map[string]any{"corp_id": wrong.CorpID, "secret": "WrongSecret0123", "open_kfid": wrong.OpenKfID}
		cr := adm.Must(201, "POST", "/api/v1/channels", map[string]any{"type": "wecom_kf", "name": "错误的 Secret", "config": cfg})
		wrong.Token, wrong.EncodingAESKey = cr.Str("setup.token"), cr.Str("setup.encoding_aes_key")
		fake.BindAccount(wrong)
		wch := wecomChannel{ID: cr.Str("id"), URL: cr.Str("webhook_url"), Acct: wrong}
		waiting := wecomUser()
		fake.Add(wrong.OpenKfID, wecomtest.Text(fake.MsgID(), waiting, "Secret 配错时发的"))
		if r := fake.Notify(wch.URL, wrong, wecomtest.Opts{}); r.Status != http.StatusServiceUnavailable {
			t.Fatalf("a callback the hub cannot pull for: %d %s, want 503", r.Status, r.Body)
		}
		lastError := func() string {
			return adm.Must(200, "GET", "/api/v1/channels/"+wch.ID, nil).Str("channel.last_error")
		}
		kit.Eventually(t, 15*time.Second, "the channel's last_error explains WeCom's 40001", func() bool {
			e := lastError()
			return strings.Contains(e, "40001") && strings.Contains(e, "Secret 无效")
		})
		cfg["secret"] = wrong.Secret
		adm.Must(200, "PATCH", "/api/v1/channels/"+wch.ID, map[string]any{"config": cfg})
		kit.Eventually(t, 20*time.Second, "the waiting message is pulled once the Secret is right", func() bool {
			fake.Notify(wch.URL, wrong, wecomtest.Opts{})
			return adm.HasConversation(waiting)
		})
		kit.Eventually(t, 15*time.Second, "the channel's last_error clears", func() bool {
			fake.Notify(wch.URL, wrong, wecomtest.Opts{})
			return lastError() == ""
		})
	})
}

// Agents' replies go out through send_msg; taking the customer moves
// WeCom's session to the API (state 1); -1 is retried; images are
// uploaded; the composer's window counts the 5 replies and a sixth is a
// 409 with the rule in Chinese; a new customer message reopens it; a
// session WeCom gave a servicer fails the reply with the reason.
func TestWecomKfReplies(t *testing.T) {
	t.Parallel()
	kit.ForModes(t, func(t *testing.T, m kit.Mode) {
		_, _, adm, fake := wecomHub(t, m)
		agent := adm.NewAgent("wecom-replies@kefu.test", 50)
		agent.SetStatus("online")
		ch := newWecomChannel(t, adm, fake, "")
		sock := agent.Dial(-1)

		user := wecomUser()
		ch.send(t, fake, wecomtest.Text(fake.MsgID(), user, "在吗？"))
		ev := sock.WaitFor("conversation.assigned", 15*time.Second, func(f map[string]any) bool {
			return kit.Dig(f, "data", "conversation", "contact", "external_id") == user
		})
		convID := kit.Dig(ev, "data", "conversation", "id").(string)
		kit.Eventually(t, 15*time.Second, "WeCom's session is moved to the API (state 1)", func() bool {
			return fake.State(ch.Acct.OpenKfID, user) == 1
		})
		w := agent.Must(200, "GET", "/api/v1/conversations/"+convID, nil).JSONMap(t)["reply_window"]
		exp, _ := time.Parse(time.RFC3339Nano, fmt.Sprint(kit.Dig(w, "expires_at")))
		if kit.Dig(w, "open") != true || kit.Dig(w, "remaining") != float64(5) || time.Until(exp) < 47*time.Hour {
			t.Fatalf("a fresh conversation's window %v, want open, 5 replies, 48 hours", w)
		}
		status := func(id string) kit.Msg {
			for _, msg := range agent.Messages(convID) {
				if msg.ID == id {
					return msg
				}
			}
			return kit.Msg{}
		}
		reply := func(body map[string]any, want string) kit.Msg {
			id := agent.Must(201, "POST", "/api/v1/conversations/"+convID+"/messages", body).Str("id")
			kit.Eventually(t, 30*time.Second, "reply "+id+" "+want, func() bool { return status(id).Status == want })
			return status(id)
		}
		sent := func() []wecomtest.Sent {
			var out []wecomtest.Sent
			for _, s := range fake.Sent() {
				if s.To == user {
					out = append(out, s)
				}
			}
			return out
		}
		reply(map[string]any{"content": "您好，请问有什么可以帮您？"}, "sent")
		fake.FailNext(1)
		reply(map[string]any{"content": "系统繁忙后重试"}, "sent")
		up := agent.Upload("截图.png", pngBytes(t))
		reply(map[string]any{"type": "image", "attachments": []any{map[string]any{"url": up.Str("url"), "name": "截图.png", "type": "image/png"}}}, "sent")
		got := sent()
		if len(got) != 3 || got[1].Text != "系统繁忙后重试" || got[2].MsgType != "image" || !bytes.Equal(fake.Media(got[2].MediaID), pngBytes(t)) {
			t.Fatalf("WeCom received %+v, want 2 texts and the image", got)
		}
		reply(map[string]any{"content": "第4条"}, "sent")
		reply(map[string]any{"content": "第5条"}, "sent")
		w = agent.Must(200, "GET", "/api/v1/conversations/"+convID, nil).JSONMap(t)["reply_window"]
		if kit.Dig(w, "open") != false || kit.Dig(w, "reason") != "quota" {
			t.Fatalf("after 5 replies the window is %v, want closed for quota", w)
		}
		r := agent.Do("POST", "/api/v1/conversations/"+convID+"/messages", map[string]any{"content": "第6条"})
		if r.Status != http.StatusConflict || r.Str("error.code") != "reply_window_closed" || !strings.Contains(r.Str("error.message"), "微信客服") ||
			!strings.Contains(r.Str("error.message"), "48 小时") {
			t.Fatalf("a 6th reply: %d %s, want 409 reply_window_closed with 微信客服's rule in Chinese", r.Status, r.Body)
		}
		if len(sent()) != 5 {
			t.Fatalf("WeCom received %d messages, want 5", len(sent()))
		}

		// The customer writes again: a fresh window.
		ch.send(t, fake, wecomtest.Text(fake.MsgID(), user, "还有一个问题"))
		kit.Eventually(t, 15*time.Second, "the window reopens", func() bool {
			w := agent.Must(200, "GET", "/api/v1/conversations/"+convID, nil).JSONMap(t)["reply_window"]
			return kit.Dig(w, "open") == true && kit.Dig(w, "remaining") == float64(5)
		})
		reply(map[string]any{"content": "请讲"}, "sent")

		// WeCom took a reply, then reports it undelivered (the
		// customer refuses messages): the agent sees it failed, with why.
		undelivered := reply(map[string]any{"content": "您稍等"}, "sent")
		fake.Add(ch.Acct.OpenKfID, wecomtest.MsgSendFail(fake.MsgID(), user, sent()[len(sent())-1].MsgID, 10))
		if r := fake.Notify(ch.URL, ch.Acct, wecomtest.Opts{}); !r.OK() {
			t.Fatalf("callback: %d %s", r.Status, r.Body)
		}
		kit.Eventually(t, 15*time.Second, "the undelivered reply is marked failed", func() bool {
			m := status(undelivered.ID)
			return m.Status == "failed" && strings.Contains(m.Error, "用户拒收")
		})

		// A servicer took the customer in the WeCom app: WeCom refuses the
		// API's messages (95018); the reply fails with the reason.
		fake.SetState(ch.Acct.OpenKfID, user, 3)
		failed := reply(map[string]any{"content": "还在吗"}, "failed")
		if !strings.Contains(failed.Error, "95018") || !strings.Contains(failed.Error, "会话状态") {
			t.Fatalf("the refused reply's reason %q, want errcode 95018 explained", failed.Error)
		}
	})
}

// A pull that dies mid-stream (the hub killed while WeCom holds the third
// page) resumes from the stored cursor when the hub is back: every message
// stored once, none pulled from the start again. In the cluster, two hub
// processes then take overlapping callbacks: 0 lost, 0 duplicated.
func TestWecomKfCursorResumes(t *testing.T) {
	t.Parallel()
	kit.ForModes(t, func(t *testing.T, m kit.Mode) {
		e, h, adm, fake := wecomHub(t, m)
		adm.NewAgent("wecom-resume@kefu.test", 50).SetStatus("online")
		ch := newWecomChannel(t, adm, fake, "")
		user := wecomUser()
		fake.SetPageSize(2)
		release := fake.HoldSync(2)
		var ms []wecom.Message
		for i := range 10 {
			ms = append(ms, wecomtest.Text(fake.MsgID(), user, fmt.Sprintf("m%02d", i+1)))
		}
		fake.Add(ch.Acct.OpenKfID, ms...)
		before := len(fake.Cursors())
		go fake.Notify(ch.URL, ch.Acct, wecomtest.Opts{})
		kit.Eventually(t, 15*time.Second, "the pull is held at its third page", func() bool { return len(fake.Cursors()) >= before+3 })
		h.Kill()
		release()
		var cur string
		db := kit.StoreDB(t, e)
		if err := db.Get(&cur, db.Rebind(`SELECT sync_cursor FROM wecom_kf_sync WHERE channel_id = ?`), ch.ID); err != nil {
			t.Fatal(err)
		}
		if cur != wecomtest.CursorAt(4) {
			t.Fatalf("stored cursor %q after two pages, want %q", cur, wecomtest.CursorAt(4))
		}

		h2 := e.StartAt(h.Addr)
		resumed := len(fake.Cursors())
		if r := fake.Notify(ch.URL, ch.Acct, wecomtest.Opts{}); !r.OK() {
			t.Fatalf("callback after the restart: %d %s", r.Status, r.Body)
		}
		a2 := adm.On(h2)
		conv := a2.ConversationOf(user, 15*time.Second)["id"].(string)
		var got []kit.Msg
		kit.Eventually(t, 45*time.Second, "all 10 messages, the dead pull's lease expired", func() bool {
			got = a2.Messages(conv)
			return len(got) >= 10
		})
		for i, msg := range got {
			if msg.Text != fmt.Sprintf("m%02d", i+1) {
				t.Fatalf("after the restart the conversation holds %d messages: %+v, want m01…m10 once each", len(got), got)
			}
		}
		if after := fake.Cursors()[resumed:]; len(after) == 0 || after[0] != wecomtest.CursorAt(4) || slices.Contains(after, "") {
			t.Fatalf("sync_msg after the restart asked from %q, want the stored cursor %q first", after, wecomtest.CursorAt(4))
		}
		fake.SetPageSize(1000)
		if !m.Cluster {
			return
		}
		// Two processes, overlapping callbacks to both, while customers write.
		h3 := e.Start()
		url3 := h3.Base + "/webhooks/wecom_kf/" + ch.ID
		var wg sync.WaitGroup
		users := []string{wecomUser(), wecomUser(), wecomUser()}
		for i := range 30 {
			fake.Add(ch.Acct.OpenKfID, wecomtest.Text(fake.MsgID(), users[i%3], fmt.Sprintf("c%02d", i/3+1)))
			for _, u := range []string{ch.URL, url3, ch.URL, url3} {
				wg.Go(func() {
					if r := fake.Notify(u, ch.Acct, wecomtest.Opts{}); !r.OK() {
						t.Errorf("callback to %s: %d %s", u, r.Status, r.Body)
					}
				})
			}
		}
		wg.Wait()
		for _, u := range users {
			c := a2.ConversationOf(u, 30*time.Second)["id"].(string)
			kit.Eventually(t, 30*time.Second, "10 messages of "+u, func() bool { return len(a2.Messages(c)) >= 10 })
			time.Sleep(500 * time.Millisecond)
			for i, msg := range a2.Messages(c) {
				if i >= 10 || msg.Text != fmt.Sprintf("c%02d", i+1) {
					t.Fatalf("customer %s: %+v, want c01…c10 once each", u, a2.Messages(c))
				}
			}
		}
	})
}
