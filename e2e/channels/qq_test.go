package channels

// QQ bot channel, end to end: a real hub (embedded and cluster), the fake
// QQ open platform calling back over real HTTP with Ed25519-signed events
// (and overlapping retries), and the hub calling the fake's API.

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/connectors/qq"
	"github.com/kefu-hub/kefu/connectors/qq/qqtest"
	"github.com/kefu-hub/kefu/e2e/kit"
)

// qqHub starts a hub whose QQ API is a fake platform; window, when set,
// shortens the C2C reply window on both sides (groups get a fifth of it).
func qqHub(t *testing.T, m kit.Mode, window time.Duration) (*kit.Env, *kit.Hub, *kit.Client, *qqtest.Platform) {
	t.Helper()
	fake := qqtest.New(t)
	e := kit.NewEnv(t, m)
	e.Vars["KEFU_QQ_API_BASE"] = fake.URL
	if window > 0 {
		e.Vars["KEFU_QQ_REPLY_WINDOW"] = window.String()
		e.Vars["KEFU_QQ_GROUP_REPLY_WINDOW"] = (window / 5).String()
		fake.SetWindows(window, window/5)
	}
	h := e.Start()
	return e, h, h.Admin(), fake
}

// qqChannel is a QQ channel as both sides know it.
type qqChannel struct {
	ID, URL string
	App     qqtest.App
	Setup   map[string]any
}

// newQQChannel binds a fresh bot the way an admin does: AppID and
// AppSecret into Kefu, then the callback URL Kefu shows into q.qq.com.
func newQQChannel(t *testing.T, adm *kit.Client, fake *qqtest.Platform, extra map[string]any) qqChannel {
	t.Helper()
	app := fake.NewApp()
	body := map[string]any{"type": "qq", "name": "QQ 客服", "config": map[string]any{"app_id": app.AppID, "app_secret": app.Secret}}
	for k, v := range extra {
		body[k] = v
	}
	r := adm.Must(201, "POST", "/api/v1/channels", body)
	if bytes.Contains(r.Body, []byte(app.Secret)) {
		t.Fatalf("the channel answer shows the AppSecret: %s", r.Body)
	}
	var v struct {
		ID         string         `json:"id"`
		WebhookURL string         `json:"webhook_url"`
		Setup      map[string]any `json:"setup"`
	}
	r.JSON(t, &v)
	if !strings.HasSuffix(v.WebhookURL, "/webhooks/qq/"+v.ID) || v.Setup["app_id"] != app.AppID ||
		!strings.Contains(kit.Dig(v.Setup, "limits").(string), "60 分钟") {
		t.Fatalf("webhook_url %q, setup %v: want the callback URL and the platform's limits", v.WebhookURL, v.Setup)
	}
	return qqChannel{ID: v.ID, URL: v.WebhookURL, App: app, Setup: v.Setup}
}

// qqMsgID is a fresh msg_id.
func qqMsgID() string { return "ROBOT1.0_" + kit.RandHex(12) }

func (q qqChannel) mustPush(t *testing.T, fake *qqtest.Platform, pl qq.Payload) {
	t.Helper()
	if r := fake.Push(q.URL, q.App, pl, qqtest.Opts{}); !r.Acked() {
		t.Fatalf("push %s: %d %s, want 200 {\"op\":12,\"d\":0}", pl.T, r.Status, r.Body)
	}
}

// The address check is answered; customers' messages (text, image, group
// @-mentions) land in the inbox once, media fetched; overlapping retries
// store one message; forged, stale, malformed and oversize callbacks store
// nothing; removing the bot closes the reply window.
func TestQQInbound(t *testing.T) {
	t.Parallel()
	kit.ForModes(t, func(t *testing.T, m kit.Mode) {
		_, _, adm, fake := qqHub(t, m, 0)
		adm.NewAgent("qq-inbound@kefu.test", 50).SetStatus("online")
		ch := newQQChannel(t, adm, fake, nil)
		other := newQQChannel(t, adm, fake, nil)
		if err := qqtest.Validate(ch.URL, ch.App); err != nil {
			t.Fatalf("the op 13 address check: %v", err)
		}

		user := "U" + strings.ToUpper(kit.RandHex(8))
		img := pngBytes(t)
		fake.AddMedia("img-"+user, img)
		ch.mustPush(t, fake, qqtest.C2C(user, qqMsgID(), "你好，我的订单 <b>#123</b> 还没发货"))
		ch.mustPush(t, fake, qqtest.C2C(user, qqMsgID(), "看截图", qqtest.Att{ContentType: "image/png", Filename: "shot.png",
			URL: fake.MediaURL("img-" + user)}))
		conv := adm.ConversationOf(user, 15*time.Second)
		convID := conv["id"].(string)
		if kit.Dig(conv, "contact", "name") != "QQ用户 "+user[len(user)-4:] {
			t.Errorf("contact %v", kit.Dig(conv, "contact"))
		}
		ms := adm.WaitMessages(convID, 2)
		if ms[0].Text != "你好，我的订单 <b>#123</b> 还没发货" || ms[1].Type != "image" || len(ms[1].Attachments) != 1 {
			t.Fatalf("messages %+v", ms)
		}
		kit.Eventually(t, 15*time.Second, "the image is downloaded from QQ", func() bool {
			res, b := adm.Download(ms[1].Attachments[0].URL)
			return res.StatusCode == 200 && bytes.Equal(b, img)
		})

		// The platform's retries, the later ones sent while the first still
		// runs, store the message once; so does one more, later.
		retried := qqtest.C2C(user, qqMsgID(), "重试的消息")
		for i, r := range fake.PushRetrying(ch.URL, ch.App, retried, 4) {
			if !r.Acked() {
				t.Errorf("retry %d answered %d %s", i, r.Status, r.Body)
			}
		}
		ch.mustPush(t, fake, retried)

		// A group member's @-mention: their own conversation.
		group, member := "G"+strings.ToUpper(kit.RandHex(8)), "M"+strings.ToUpper(kit.RandHex(8))
		ch.mustPush(t, fake, qqtest.GroupAt(group, member, qqMsgID(), "群里问一下价格"))
		gconv := adm.ConversationOf(qq.GroupContact(group, member), 15*time.Second)
		if gms := adm.WaitMessages(gconv["id"].(string), 1); gms[0].Text != "群里问一下价格" {
			t.Errorf("group message %+v", gms)
		}
		if w := kit.Dig(gconv, "reply_window"); kit.Dig(w, "open") != true || kit.Dig(w, "max") != float64(5) {
			t.Errorf("group window %v", w)
		}

		forger := "F" + strings.ToUpper(kit.RandHex(8))
		bad := []struct {
			what string
			pl   qq.Payload
			o    qqtest.Opts
			want int
		}{
			{"a forged signature", qqtest.C2C(forger, qqMsgID(), "伪造"), qqtest.Opts{Secret: "stolenSecret123"}, 401},
			{"another channel's secret", qqtest.C2C(forger, qqMsgID(), "伪造"), qqtest.Opts{Secret: other.App.Secret}, 401},
			{"a stale timestamp", qqtest.C2C(forger, qqMsgID(), "旧的"), qqtest.Opts{Timestamp: time.Now().Add(-time.Hour).Unix()}, 401},
			{"another bot's appid", qqtest.C2C(forger, qqMsgID(), "伪造"), qqtest.Opts{AppID: other.App.AppID}, 403},
			{"malformed JSON", qqtest.C2C(forger, qqMsgID(), "x"), qqtest.Opts{Body: []byte(`{"op":0,"t":"C2C_MESSAGE_CREATE","d":{"id":`)}, 400},
			{"an oversize body", qqtest.C2C(forger, qqMsgID(), strings.Repeat("大", 400_000)), qqtest.Opts{}, 413},
			{"an oversize chunked body", qqtest.C2C(forger, qqMsgID(), strings.Repeat("大", 400_000)), qqtest.Opts{Chunked: true}, 413},
		}
		for _, b := range bad {
			if r := qqtest.Send(nil, ch.URL, ch.App, b.pl, b.o); r.Status != b.want {
				t.Errorf("%s: %d %s, want %d", b.what, r.Status, r.Body, b.want)
			}
		}
		ch.mustPush(t, fake, qqtest.C2C(user, qqMsgID(), "最后一条"))
		ms = adm.WaitMessages(convID, 4)
		if ms[2].Text != "重试的消息" || ms[3].Text != "最后一条" {
			t.Fatalf("after retries and refusals: %+v", ms)
		}
		if adm.HasConversation(forger) {
			t.Fatal("a refused callback opened a conversation")
		}

		// Media QQ could not serve at first (the download after the
		// acknowledgement failed) is fetched when an agent opens it.
		late := "late-" + user
		ch.mustPush(t, fake, qqtest.C2C(user, qqMsgID(), "", qqtest.Att{ContentType: "image/png", URL: fake.MediaURL(late)}))
		ms = adm.WaitMessages(convID, 5)
		if res, b := adm.Download(ms[4].Attachments[0].URL); res.StatusCode != http.StatusBadGateway || !bytes.Contains(b, []byte("media_unavailable")) {
			t.Fatalf("media QQ does not serve yet: %d %s, want 502 media_unavailable", res.StatusCode, b)
		}
		fake.AddMedia(late, img)
		if res, b := adm.Download(ms[4].Attachments[0].URL); res.StatusCode != 200 || !bytes.Equal(b, img) {
			t.Fatalf("media fetched on demand: %d, %d bytes, want the image", res.StatusCode, len(b))
		}

		// Removing the bot (FRIEND_DEL) closes the window; events open no conversation.
		friend := "N" + strings.ToUpper(kit.RandHex(8))
		ch.mustPush(t, fake, qqtest.UserEvent(qq.EventFriendAdd, friend))
		ch.mustPush(t, fake, qqtest.UserEvent(qq.EventFriendDel, user))
		kit.Eventually(t, 15*time.Second, "the window closes after FRIEND_DEL", func() bool {
			full := adm.Must(200, "GET", "/api/v1/conversations/"+convID, nil).JSONMap(t)
			return kit.Dig(full, "reply_window", "reason") == "unsubscribed"
		})
		if adm.HasConversation(friend) {
			t.Fatal("FRIEND_ADD opened a conversation")
		}
	})
}

// Agents' replies answer the customer's message (msg_id) with msg_seq 1,
// 2 …; a 22009 is retried with the same msg_seq; images are uploaded; the
// composer's window counts down the 5 replies and a sixth is a 409 with
// the reason; a group member is answered in the group.
func TestQQReplies(t *testing.T) {
	t.Parallel()
	kit.ForModes(t, func(t *testing.T, m kit.Mode) {
		e, h, adm, fake := qqHub(t, m, 0)
		agent := adm.NewAgent("qq-replies@kefu.test", 50)
		agent.SetStatus("online")
		ch := newQQChannel(t, adm, fake, nil)
		sock := agent.Dial(-1)
		_ = h

		user := "U" + strings.ToUpper(kit.RandHex(8))
		first := qqMsgID()
		ch.mustPush(t, fake, qqtest.C2C(user, first, "在吗？"))
		ev := sock.WaitFor("conversation.assigned", 15*time.Second, func(f map[string]any) bool {
			return kit.Dig(f, "data", "conversation", "contact", "external_id") == user
		})
		convID := kit.Dig(ev, "data", "conversation", "id").(string)
		w := agent.Must(200, "GET", "/api/v1/conversations/"+convID, nil).JSONMap(t)["reply_window"]
		exp, _ := time.Parse(time.RFC3339Nano, kit.Dig(w, "expires_at").(string))
		if kit.Dig(w, "open") != true || kit.Dig(w, "remaining") != float64(5) || time.Until(exp) < 55*time.Minute || time.Until(exp) > 61*time.Minute {
			t.Fatalf("a fresh conversation's window %v, want open, 5 replies, closing in 60 minutes", w)
		}
		sent := func() []qqtest.Sent {
			var out []qqtest.Sent
			for _, s := range fake.Sends() {
				if s.To == user {
					out = append(out, s)
				}
			}
			return out
		}
		status := func(id string) string {
			for _, msg := range agent.Messages(convID) {
				if msg.ID == id {
					return msg.Status
				}
			}
			return ""
		}
		reply := func(body map[string]any) string {
			id := agent.Must(201, "POST", "/api/v1/conversations/"+convID+"/messages", body).Str("id")
			kit.Eventually(t, 30*time.Second, "reply "+id+" sent", func() bool { return status(id) == "sent" })
			return id
		}
		reply(map[string]any{"content": "您好，请问有什么可以帮您？"})
		fake.FailSends(qqtest.CodeRateLimited)
		reply(map[string]any{"content": "限流后重试"})
		up := agent.Upload("截图.png", pngBytes(t))
		reply(map[string]any{"type": "image", "attachments": []any{map[string]any{"url": up.Str("url"), "name": "截图.png", "type": "image/png"}}})
		got := sent()
		if len(got) != 3 || got[0].MsgID != first || got[0].MsgSeq != 1 || got[1].MsgSeq != 2 || got[1].Text != "限流后重试" ||
			got[2].MsgSeq != 3 || got[2].MsgType != 7 || !bytes.Equal(got[2].File, pngBytes(t)) {
			t.Fatalf("the platform received %+v, want 3 answers to %s with msg_seq 1, 2, 3", got, first)
		}
		if n := fake.CallCount("messages", qqtest.CodeRateLimited); n != 1 {
			t.Errorf("22009 answered %d times, want 1 (then the retry went through)", n)
		}
		reply(map[string]any{"content": "第4条"})
		reply(map[string]any{"content": "第5条"})
		w = agent.Must(200, "GET", "/api/v1/conversations/"+convID, nil).JSONMap(t)["reply_window"]
		if kit.Dig(w, "open") != false || kit.Dig(w, "reason") != "quota" {
			t.Fatalf("after 5 replies the window is %v, want closed for quota", w)
		}
		r := agent.Do("POST", "/api/v1/conversations/"+convID+"/messages", map[string]any{"content": "第6条"})
		if r.Status != 409 || r.Str("error.code") != "reply_window_closed" || !strings.Contains(r.Str("error.message"), "QQ") ||
			!strings.Contains(r.Str("error.message"), "主动") {
			t.Fatalf("a 6th reply: %d %s, want 409 reply_window_closed with QQ's rule in Chinese", r.Status, r.Body)
		}
		// The customer writes again: a fresh window, answers to the new msg_id.
		second := qqMsgID()
		ch.mustPush(t, fake, qqtest.C2C(user, second, "还有一个问题"))
		kit.Eventually(t, 15*time.Second, "the window reopens", func() bool {
			w := agent.Must(200, "GET", "/api/v1/conversations/"+convID, nil).JSONMap(t)["reply_window"]
			return kit.Dig(w, "open") == true && kit.Dig(w, "remaining") == float64(5)
		})
		reply(map[string]any{"content": "请讲"})
		if got := sent(); got[len(got)-1].MsgID != second || got[len(got)-1].MsgSeq != 1 {
			t.Fatalf("the answer to the new message: %+v", got[len(got)-1])
		}

		// A group member is answered in the group, to their message.
		group, member, gmsg := "G"+strings.ToUpper(kit.RandHex(8)), "M"+strings.ToUpper(kit.RandHex(8)), qqMsgID()
		ch.mustPush(t, fake, qqtest.GroupAt(group, member, gmsg, "价格多少"))
		gconv := agent.ConversationOf(qq.GroupContact(group, member), 15*time.Second)
		id := agent.Must(201, "POST", "/api/v1/conversations/"+gconv["id"].(string)+"/messages", map[string]any{"content": "99元"}).Str("id")
		kit.Eventually(t, 15*time.Second, "the group answer reaches QQ", func() bool {
			for _, s := range fake.Sends() {
				if s.To == qq.GroupContact(group, member) && s.MsgID == gmsg && s.Text == "99元" {
					return true
				}
			}
			return false
		})
		_ = id
		if !m.Cluster {
			return
		}
		// Cluster: a second hub process uses the stored token instead of
		// fetching its own.
		h2 := e.Start()
		fetched := fake.CallCount("token", -1)
		other := "U" + strings.ToUpper(kit.RandHex(8))
		ch.mustPush(t, fake, qqtest.C2C(other, qqMsgID(), "两台服务器"))
		a2 := (&kit.Client{T: t, Base: h.Base, Token: agent.Token}).On(h2)
		oconv := a2.ConversationOf(other, 15*time.Second)["id"].(string)
		for i := range 3 {
			a2.Must(201, "POST", "/api/v1/conversations/"+oconv+"/messages", map[string]any{"content": "回复 " + strconv.Itoa(i)})
		}
		kit.Eventually(t, 15*time.Second, "3 answers reach QQ", func() bool {
			n := 0
			for _, s := range fake.Sends() {
				if s.To == other {
					n++
				}
			}
			return n == 3
		})
		if n := fake.CallCount("token", -1) - fetched; n != 0 {
			t.Errorf("the second process fetched %d tokens of its own, want 0 (it reads the stored one)", n)
		}
	})
}

// When the window closes on a message nobody answered, the customer's
// messages become a ticket and the timeline says so; a reply then is a 409
// (and the platform would refuse it); an answered conversation gets no ticket.
func TestQQWindowCloses(t *testing.T) {
	t.Parallel()
	kit.ForModes(t, func(t *testing.T, m kit.Mode) {
		_, _, adm, fake := qqHub(t, m, 5*time.Second)
		agent := adm.NewAgent("qq-window@kefu.test", 50)
		agent.SetStatus("online")
		ch := newQQChannel(t, adm, fake, nil)

		late, answered := "L"+strings.ToUpper(kit.RandHex(8)), "A"+strings.ToUpper(kit.RandHex(8))
		ch.mustPush(t, fake, qqtest.C2C(late, qqMsgID(), "有人吗"))
		ch.mustPush(t, fake, qqtest.C2C(late, qqMsgID(), "急！订单 778 没到"))
		ch.mustPush(t, fake, qqtest.C2C(answered, qqMsgID(), "咨询一下"))
		lconv := agent.ConversationOf(late, 15*time.Second)["id"].(string)
		aconv := agent.ConversationOf(answered, 15*time.Second)["id"].(string)
		agent.Must(201, "POST", "/api/v1/conversations/"+aconv+"/messages", map[string]any{"content": "您好"})

		tk := kit.WaitTicket(t, adm, []string{"有人吗", "急！订单 778 没到"})
		if tk.ConversationID != lconv {
			t.Errorf("ticket for conversation %s, want %s", tk.ConversationID, lconv)
		}
		kit.Eventually(t, 10*time.Second, "the timeline notes the ticket", func() bool {
			for _, msg := range agent.Messages(lconv) {
				if msg.Direction == "internal" && strings.Contains(msg.Text, tk.ID) {
					return true
				}
			}
			return false
		})
		r := agent.Do("POST", "/api/v1/conversations/"+lconv+"/messages", map[string]any{"content": "抱歉来晚了"})
		if r.Status != http.StatusConflict || r.Str("error.code") != "reply_window_closed" || !strings.Contains(r.Str("error.message"), "工单") {
			t.Fatalf("a reply after the window: %d %s, want 409 reply_window_closed", r.Status, r.Body)
		}
		time.Sleep(2 * time.Second) // the answered conversation's window closed too
		for _, tk := range kit.ListTickets(t, adm) {
			if tk.ConversationID == aconv {
				t.Fatalf("the answered conversation got a ticket: %+v", tk)
			}
		}
	})
}
