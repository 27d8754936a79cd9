package main

// The web channel over its wire protocol (connectors/web/doc.go), as the
// widget speaks it: a visitor socket on an allowed origin, messages on the
// durable inbound path, agent replies, typing preview, resume, identity,
// the leave-a-message form, visitor tracking, invites, proactive chat,
// uploads and ratings. The browser itself is driven in widget_test.go.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/kefu-hub/kefu/connectors/web"
)

// webChannel creates a web channel; it returns its id and identity secret.
func (c *client) newWebChannel(cfg map[string]any) (string, string) {
	c.t.Helper()
	if cfg["allowed_domains"] == nil {
		cfg["allowed_domains"] = []string{"shop.example.com"}
	}
	r := c.must(201, "POST", "/api/v1/channels", map[string]any{"type": "web", "name": "官网", "config": cfg})
	if s := r.str("setup.snippet"); !strings.Contains(s, `/widget.js" data-channel="`+r.str("id")+`"`) {
		c.t.Fatalf("snippet %q", s)
	}
	return r.str("id"), r.str("setup.identity_secret")
}

// visitor is a widget's socket.
type visitor struct {
	t      *testing.T
	conn   *websocket.Conn
	frames chan map[string]any
	id     string
	token  string
}

type visitorOpts struct {
	origin   string
	id       string
	token    string
	identity map[string]any
	page     map[string]any
	conv     map[string]any
	agent    string
	// forwardedFor is sent as X-Forwarded-For (a proxy's claim).
	forwardedFor string
}

// dialVisitor opens a visitor socket and reads welcome (or the refusal).
func dialVisitor(t *testing.T, base, channelID string, o visitorOpts) (*visitor, map[string]any, error) {
	t.Helper()
	if o.origin == "" {
		o.origin = "https://shop.example.com"
	}
	h := http.Header{"Origin": {o.origin}, "User-Agent": {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36"}}
	if o.forwardedFor != "" {
		h.Set("X-Forwarded-For", o.forwardedFor)
	}
	u := "ws" + strings.TrimPrefix(base, "http") + "/webhooks/web/" + channelID + "/ws"
	conn, res, err := websocket.DefaultDialer.Dial(u, h)
	if err != nil {
		if res != nil {
			return nil, nil, fmt.Errorf("status %d: %w", res.StatusCode, err)
		}
		return nil, nil, err
	}
	hello := map[string]any{"type": "hello", "lang": "zh-CN", "page": o.page}
	if o.page == nil {
		hello["page"] = map[string]any{"url": "https://shop.example.com/pricing", "title": "价格",
			"referrer": "https://www.baidu.com/s?ie=utf-8&wd=%E5%9C%A8%E7%BA%BF%E5%AE%A2%E6%9C%8D"}
	}
	if o.id != "" {
		hello["visitor"] = map[string]any{"id": o.id, "token": o.token}
	}
	if o.identity != nil {
		hello["identity"] = o.identity
	}
	if o.conv != nil {
		hello["conversation"] = o.conv
	}
	if o.agent != "" {
		hello["agent"] = o.agent
	}
	conn.WriteJSON(hello)
	v := &visitor{t: t, conn: conn, frames: make(chan map[string]any, 1000)}
	go func() {
		defer close(v.frames)
		for {
			var f map[string]any
			if conn.ReadJSON(&f) != nil {
				return
			}
			v.frames <- f
		}
	}()
	t.Cleanup(func() { conn.Close() })
	w := v.next(10 * time.Second)
	if w == nil {
		return v, nil, fmt.Errorf("socket closed before welcome")
	}
	if w["type"] == "welcome" {
		v.id, v.token = dig(w, "visitor", "id").(string), dig(w, "visitor", "token").(string)
	}
	return v, w, nil
}

func (v *visitor) next(d time.Duration) map[string]any {
	select {
	case f := <-v.frames:
		return f
	case <-time.After(d):
		return nil
	}
}

// waitFor returns the first frame of type typ matching pred.
func (v *visitor) waitFor(typ string, d time.Duration, pred func(map[string]any) bool) map[string]any {
	v.t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		f := v.next(time.Until(deadline))
		if f == nil {
			break
		}
		if f["type"] == typ && (pred == nil || pred(f)) {
			return f
		}
	}
	v.t.Fatalf("visitor: no %s frame within %s", typ, d)
	return nil
}

func (v *visitor) send(f map[string]any) {
	v.t.Helper()
	if err := v.conn.WriteJSON(f); err != nil {
		v.t.Fatalf("visitor send: %v", err)
	}
}

// say sends a message and waits for its ack.
func (v *visitor) say(clientID, text string) {
	v.t.Helper()
	v.send(map[string]any{"type": "message", "client_id": clientID, "text": text})
	v.waitFor("ack", 10*time.Second, func(f map[string]any) bool { return f["client_id"] == clientID })
}

func messageText(f map[string]any) string { s, _ := dig(f, "message", "text").(string); return s }

func TestWebVisitorChat(t *testing.T) {
	forModes(t, func(t *testing.T, m mode) {
		h := newEnv(t, m).start()
		adm := h.admin()
		chID, _ := adm.newWebChannel(map[string]any{"rating": true})
		agent := adm.newAgent("web-agent@kefu.test", 5)
		agent.setStatus("online")
		as := agent.dial(-1)

		v, w, err := dialVisitor(t, h.base, chID, visitorOpts{})
		if err != nil {
			t.Fatal(err)
		}
		if w["online"] != true || w["conversation"] != nil || !strings.HasPrefix(v.id, "v_") || v.token == "" {
			t.Fatalf("welcome %v", w)
		}
		v.say("c-1", "你好，我想问价格")
		ev := as.waitFor("conversation.assigned", 10*time.Second, nil)
		convID := ev["conversation_id"].(string)
		v.waitFor("agent", 10*time.Second, func(f map[string]any) bool { return f["name"] == "web-agent" })

		// The agent's list shows the channel, the customer and the last message.
		var list struct {
			Conversations []struct {
				ID          string         `json:"id"`
				ChannelType string         `json:"channel_type"`
				Contact     map[string]any `json:"contact"`
				LastMessage map[string]any `json:"last_message"`
			} `json:"conversations"`
		}
		agent.must(200, "GET", "/api/v1/conversations", nil).json(t, &list)
		if len(list.Conversations) != 1 || list.Conversations[0].ChannelType != "web" ||
			list.Conversations[0].Contact["external_id"] != v.id || list.Conversations[0].LastMessage["text"] != "你好，我想问价格" {
			t.Fatalf("conversation list %+v", list)
		}

		// Typing preview (消息预知): the agent sees the text before it is sent.
		v.send(map[string]any{"type": "typing", "text": "还有运费"})
		typing := as.waitFor("typing", 10*time.Second, nil)
		if dig(typing, "data", "preview") != "还有运费" || dig(typing, "data", "by") != "contact" {
			t.Fatalf("typing preview %v", typing)
		}

		agent.must(201, "POST", "/api/v1/conversations/"+convID+"/messages", map[string]any{"content": "您好，199 元"})
		reply := v.waitFor("message", 10*time.Second, func(f map[string]any) bool { return dig(f, "message", "direction") == "out" })
		if messageText(reply) != "您好，199 元" || dig(reply, "message", "sender_name") != "web-agent" {
			t.Fatalf("reply frame %v", reply)
		}
		// An internal note (if the hub has them) never reaches the visitor.
		agent.do("POST", "/api/v1/conversations/"+convID+"/notes", map[string]any{"text": "VIP 客户"})
		agent.must(201, "POST", "/api/v1/conversations/"+convID+"/messages", map[string]any{"content": "还有别的吗"})
		next := v.waitFor("message", 10*time.Second, func(f map[string]any) bool { return dig(f, "message", "direction") != "in" })
		if messageText(next) != "还有别的吗" {
			t.Fatalf("the visitor saw %v before the next reply (a note leaked?)", next)
		}

		// Reload: the same visitor id, the same conversation, nothing twice;
		// a message resent with the same client id is stored once.
		v.conn.Close()
		v2, w2, err := dialVisitor(t, h.base, chID, visitorOpts{id: v.id, token: v.token})
		if err != nil {
			t.Fatal(err)
		}
		if v2.id != v.id || dig(w2, "conversation", "id") != convID {
			t.Fatalf("resume welcome %v", w2)
		}
		msgs := w2["messages"].([]any)
		if len(msgs) != 3 {
			t.Fatalf("welcome shows %d messages, want 3 (no note): %v", len(msgs), msgs)
		}
		if dig(msgs[0], "client_id") != "c-1" {
			t.Fatalf("the visitor's own message lost its client id: %v", msgs[0])
		}
		v2.say("c-1", "你好，我想问价格")
		v2.say("c-2", "谢谢")
		var page struct {
			Messages []struct {
				Direction string `json:"direction"`
				Text      string `json:"text"`
			} `json:"messages"`
		}
		eventually(t, 10*time.Second, "the second message stored", func() bool {
			agent.must(200, "GET", "/api/v1/conversations/"+convID+"/messages", nil).json(t, &page)
			return len(page.Messages) >= 4 && page.Messages[len(page.Messages)-1].Text == "谢谢"
		})
		in := 0
		for _, m := range page.Messages {
			if m.Direction == "in" {
				in++
			}
		}
		if in != 2 {
			t.Fatalf("%d customer messages stored, want 2 (c-1 once, c-2)", in)
		}

		// A resume from an older seq gets exactly what it missed.
		v3, w3, _ := dialVisitor(t, h.base, chID, visitorOpts{id: v.id, token: v.token,
			conv: map[string]any{"id": convID, "after_seq": 2}})
		defer v3.conn.Close()
		if got := len(w3["messages"].([]any)); got < 2 {
			t.Fatalf("resume after seq 2 returned %d messages", got)
		}
		for _, m := range w3["messages"].([]any) {
			if dig(m, "seq").(float64) <= 2 {
				t.Fatalf("resume after seq 2 repeated %v", m)
			}
		}

		// The agent asks for a rating; the widget is told to show the form.
		agent.must(202, "POST", "/api/v1/conversations/"+convID+"/rating-request", nil)
		v2.waitFor("rate", 10*time.Second, func(f map[string]any) bool { return f["conversation_id"] == convID })

		// Close with a rating request; the visitor rates once.
		agent.must(200, "POST", "/api/v1/conversations/"+convID+"/close", map[string]any{})
		closed := v2.waitFor("closed", 10*time.Second, nil)
		if closed["rate"] != true {
			t.Fatalf("closed frame %v", closed)
		}
		v2.send(map[string]any{"type": "rate", "conversation_id": convID, "score": 5, "comment": "很好"})
		v2.waitFor("ack", 10*time.Second, func(f map[string]any) bool { return f["rate"] == convID })
		as.waitFor("conversation.rated", 10*time.Second, func(f map[string]any) bool { return dig(f, "data", "score") == 5.0 })
		if r := agent.must(200, "GET", "/api/v1/conversations/"+convID, nil); !bytes.Contains(r.body, []byte(`"rating":{"score":5,"comment":"很好"`)) {
			t.Fatalf("conversation after rating: %s", r.body)
		}
		v2.send(map[string]any{"type": "rate", "conversation_id": convID, "score": 1})
		again := v2.waitFor("error", 10*time.Second, func(f map[string]any) bool { return f["rate"] == convID })
		if dig(again, "error", "code") != "conflict" {
			t.Fatalf("second rating %v", again)
		}
	})
}

func TestWebOriginAndIdentity(t *testing.T) {
	h := newEnv(t, mode{name: "embedded"}).start()
	adm := h.admin()
	open, _ := adm.newWebChannel(map[string]any{"allowed_domains": []string{"*.example.com"}})
	strict, secret := adm.newWebChannel(map[string]any{"allowed_domains": []string{"shop.example.com"}, "identity_required": true})

	// A page elsewhere is refused before the socket opens; nothing is recorded.
	if _, _, err := dialVisitor(t, h.base, open, visitorOpts{origin: "https://evil.test"}); err == nil || !strings.Contains(err.Error(), "403") {
		t.Fatalf("foreign origin: %v, want 403", err)
	}
	if _, _, err := dialVisitor(t, h.base, open, visitorOpts{origin: "https://example.com.evil.test"}); err == nil {
		t.Fatal("a look-alike origin was accepted")
	}
	if _, w, err := dialVisitor(t, h.base, open, visitorOpts{origin: "https://a.b.example.com"}); err != nil || w["type"] != "welcome" {
		t.Fatalf("subdomain of *.example.com: %v %v", w, err)
	}
	// The hub's own direct chat page is always allowed.
	if _, w, err := dialVisitor(t, h.base, strict, visitorOpts{origin: h.base, identity: map[string]any{"id": "42",
		"hash": web.IdentityHash(secret, "42")}}); err != nil || w["type"] != "welcome" {
		t.Fatalf("hub origin: %v %v", w, err)
	}
	var list struct {
		Visitors []map[string]any `json:"visitors"`
	}
	adm.must(200, "GET", "/api/v1/visitors?channel_id="+open, nil).json(t, &list)
	if len(list.Visitors) != 1 {
		t.Fatalf("%d visitors recorded on the open channel, want 1 (refused origins record nothing)", len(list.Visitors))
	}

	// Identity: required and missing → refused; wrong hash → refused; right → the user's contact.
	for name, id := range map[string]map[string]any{
		"missing":  nil,
		"no hash":  {"id": "42", "name": "王五"},
		"bad hash": {"id": "42", "hash": web.IdentityHash(secret, "43")},
	} {
		_, f, err := dialVisitor(t, h.base, strict, visitorOpts{identity: id})
		if err != nil || f["type"] != "error" {
			t.Fatalf("%s identity: %v %v, want an error frame", name, f, err)
		}
		if code := dig(f, "error", "code"); code != "identity_required" && code != "bad_identity" {
			t.Fatalf("%s identity: code %v", name, code)
		}
	}
	v, w, err := dialVisitor(t, h.base, strict, visitorOpts{identity: map[string]any{"id": "42", "name": "王五",
		"hash": web.IdentityHash(secret, "42")}})
	if err != nil || w["type"] != "welcome" {
		t.Fatalf("good identity: %v %v", w, err)
	}
	v.say("id-1", "登录用户的消息")
	var convs struct {
		Conversations []struct {
			ID        string `json:"id"`
			ChannelID string `json:"channel_id"`
		} `json:"conversations"`
	}
	convID := ""
	eventually(t, 10*time.Second, "the identified visitor's conversation", func() bool {
		adm.must(200, "GET", "/api/v1/conversations", nil).json(t, &convs)
		for _, c := range convs.Conversations {
			if c.ChannelID == strict {
				convID = c.ID
			}
		}
		return convID != ""
	})
	c := adm.must(200, "GET", "/api/v1/conversations/"+convID, nil)
	if c.str("contact.external_id") != "u:42" || c.str("contact.name") != "王五" {
		t.Fatalf("identified contact: %s", c.body)
	}
}

func TestWebLeaveMessageAndTracking(t *testing.T) {
	forModes(t, func(t *testing.T, m mode) {
		h := newEnv(t, m).start()
		adm := h.admin()
		chID, _ := adm.newWebChannel(map[string]any{})
		// Nobody is online: the launcher is offline and the form makes a ticket.
		v, w, err := dialVisitor(t, h.base, chID, visitorOpts{})
		if err != nil || w["online"] != false {
			t.Fatalf("welcome %v %v", w, err)
		}
		v.send(map[string]any{"type": "leave_message", "client_id": "lm-1", "fields": map[string]string{"name": "张三"}})
		bad := v.waitFor("error", 10*time.Second, nil)
		if bad["client_id"] != "lm-1" || !strings.Contains(dig(bad, "error", "message").(string), "留言内容") {
			t.Fatalf("missing required field: %v", bad)
		}
		v.send(map[string]any{"type": "leave_message", "client_id": "lm-2", "fields": map[string]string{
			"name": "张三", "phone": "13800000000", "message": "请回电 <b>谢谢</b>"}})
		v.waitFor("ack", 10*time.Second, func(f map[string]any) bool { return f["client_id"] == "lm-2" })
		var tks struct {
			Tickets []struct {
				ID        string `json:"id"`
				ChannelID string `json:"channel_id"`
			} `json:"tickets"`
		}
		eventually(t, 10*time.Second, "a ticket from the form", func() bool {
			adm.must(200, "GET", "/api/v1/tickets", nil).json(t, &tks)
			return len(tks.Tickets) == 1 && tks.Tickets[0].ChannelID == chID
		})
		tk := adm.must(200, "GET", "/api/v1/tickets/"+tks.Tickets[0].ID, nil)
		if s := tk.str("subject"); !strings.Contains(s, "留言内容: 请回电 <b>谢谢</b>") || !strings.Contains(s, "电话: 13800000000") {
			t.Fatalf("ticket %s", tk.body)
		}

		// The visitor list: source, keyword, browser, OS, page trail, state.
		v.send(map[string]any{"type": "page", "url": "https://shop.example.com/checkout", "title": "结算"})
		var got map[string]any
		eventually(t, 10*time.Second, "the page trail", func() bool {
			adm.must(200, "GET", "/api/v1/visitors/"+v.id, nil).json(t, &got)
			pages, _ := got["pages"].([]any)
			return len(pages) == 2 && got["page_url"] == "https://shop.example.com/checkout"
		})
		for k, want := range map[string]any{"engine": "baidu", "keyword": "在线客服", "browser": "Chrome 126",
			"os": "Windows 10/11", "page_url": "https://shop.example.com/checkout", "state": "leaving_message",
			"online": true, "visits": 1.0} {
			if got[k] != want {
				t.Errorf("visitor %s = %v, want %v", k, got[k], want)
			}
		}
		// Leaving: the visitor goes offline in the list.
		v.conn.Close()
		eventually(t, 10*time.Second, "the visitor left", func() bool {
			adm.must(200, "GET", "/api/v1/visitors/"+v.id, nil).json(t, &got)
			return got["online"] == false
		})
	})
}

func TestWebInviteAndProactiveChat(t *testing.T) {
	forModes(t, func(t *testing.T, m mode) {
		h := newEnv(t, m).start()
		adm := h.admin()
		chID, _ := adm.newWebChannel(map[string]any{})
		agent := adm.newAgent("inviter@kefu.test", 3)
		v, w, err := dialVisitor(t, h.base, chID, visitorOpts{})
		if err != nil || w["online"] != false {
			t.Fatalf("welcome %v %v", w, err)
		}
		// The launcher follows availability live.
		agent.setStatus("online")
		v.waitFor("online", 10*time.Second, func(f map[string]any) bool { return f["online"] == true })

		as := agent.dial(-1)
		r := agent.must(202, "POST", "/api/v1/visitors/"+v.id+"/invite", map[string]any{"text": "需要帮忙吗？"})
		inv := v.waitFor("invite", 10*time.Second, nil)
		if inv["text"] != "需要帮忙吗？" || inv["invite_id"] != r.str("invite_id") || dig(inv, "agent", "name") != "inviter" {
			t.Fatalf("invite frame %v", inv)
		}
		as.waitFor("visitor.updated", 10*time.Second, func(f map[string]any) bool {
			return dig(f, "data", "visitor", "state") == "invited"
		})
		v.send(map[string]any{"type": "invite_reply", "invite_id": inv["invite_id"], "accepted": false})
		as.waitFor("visitor.updated", 10*time.Second, func(f map[string]any) bool {
			return dig(f, "data", "visitor", "state") == "browsing" && dig(f, "data", "visitor", "declined_at") != nil
		})

		// Proactive chat: the agent's first message opens in the widget.
		agent.must(201, "POST", "/api/v1/visitors/"+v.id+"/chat", map[string]any{"text": "您好，我是客服小王"})
		msg := v.waitFor("message", 10*time.Second, nil)
		if messageText(msg) != "您好，我是客服小王" || dig(msg, "message", "sender_name") != "inviter" {
			t.Fatalf("proactive message %v", msg)
		}
		v.say("p-1", "好的")
		as.waitFor("message.created", 10*time.Second, func(f map[string]any) bool { return dig(f, "data", "message", "text") == "好的" })

		// A visitor who left cannot be invited.
		v.conn.Close()
		eventually(t, 10*time.Second, "invite refused after leaving", func() bool {
			return agent.do("POST", "/api/v1/visitors/"+v.id+"/invite", map[string]any{}).status == 409
		})
	})
}

func TestWebUploads(t *testing.T) {
	h := newEnv(t, mode{name: "embedded"}).start()
	adm := h.admin()
	chID, _ := adm.newWebChannel(map[string]any{"upload": map[string]any{"max_bytes": 4096, "types": []string{"image/*"}}})
	agent := adm.newAgent("files@kefu.test", 3)
	agent.setStatus("online")
	as := agent.dial(-1)
	v, _, err := dialVisitor(t, h.base, chID, visitorOpts{})
	if err != nil {
		t.Fatal(err)
	}
	upload := func(name string, data []byte, who string) (int, map[string]any) {
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		fw, _ := mw.CreateFormFile("file", name)
		fw.Write(data)
		mw.Close()
		req, _ := http.NewRequest("POST", h.base+"/webhooks/web/"+chID+"/upload", &b)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.Header.Set("Origin", "https://shop.example.com")
		req.Header.Set("X-Kefu-Visitor", who)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var out map[string]any
		bb, _ := io.ReadAll(res.Body)
		_ = json.Unmarshal(bb, &out)
		return res.StatusCode, out
	}
	png := append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 100)...)
	me := v.id + ":" + v.token
	if st, _ := upload("x.png", png, v.id+":wrong"); st != 401 {
		t.Fatalf("bad visitor token: %d", st)
	}
	if st, _ := upload("page.html", []byte("<html><script>alert(1)</script></html>"), me); st != 415 {
		t.Fatalf("html upload: %d, want 415", st)
	}
	if st, _ := upload("big.png", append(png, make([]byte, 5000)...), me); st != 413 {
		t.Fatalf("oversize upload: %d, want 413", st)
	}
	st, f := upload("photo.png", png, me)
	if st != 201 {
		t.Fatalf("upload: %d %v", st, f)
	}
	v.send(map[string]any{"type": "message", "client_id": "img-1", "text": "", "attachments": []any{map[string]any{"id": f["id"]}}})
	v.waitFor("ack", 10*time.Second, func(x map[string]any) bool { return x["client_id"] == "img-1" })
	ev := as.waitFor("conversation.assigned", 10*time.Second, nil)
	if m := dig(ev, "data", "messages").([]any); len(m) != 1 || dig(m[0], "type") != "image" {
		t.Fatalf("agent got %v", ev)
	}
	// The visitor's own frame carries a link the page can load; files are
	// never sniffed and only real images are inline.
	own := v.waitFor("message", 10*time.Second, nil)
	atts := dig(own, "message", "attachments").([]any)
	res, err := http.Get(h.base + dig(atts[0], "url").(string))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("X-Content-Type-Options") != "nosniff" ||
		!strings.HasPrefix(res.Header.Get("Content-Disposition"), "inline") || res.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("file: %d %v", res.StatusCode, res.Header)
	}
	if res, _ := http.Get(h.base + "/webhooks/web/" + chID + "/files/" + f["id"].(string) + "?s=forged"); res.StatusCode != 403 {
		t.Fatalf("forged file link: %d", res.StatusCode)
	}
	// Another visitor cannot send this visitor's file.
	other, _, _ := dialVisitor(t, h.base, chID, visitorOpts{})
	other.send(map[string]any{"type": "message", "client_id": "steal", "attachments": []any{map[string]any{"id": f["id"]}}})
	if e := other.waitFor("error", 10*time.Second, nil); e["client_id"] != "steal" {
		t.Fatalf("stolen attachment: %v", e)
	}
}

func TestWebPagesServed(t *testing.T) {
	h := newEnv(t, mode{name: "embedded"}).start()
	adm := h.admin()
	chID, _ := adm.newWebChannel(map[string]any{})
	for _, p := range []string{"/widget.js", "/widget/chat.js"} {
		res, err := http.Get(h.base + p)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/javascript") {
			t.Fatalf("%s: %d %v", p, res.StatusCode, res.Header)
		}
	}
	res, err := http.Get(h.base + "/chat/" + chID + "?group=%22%3E%3Cscript%3Ealert(1)%3C/script%3E&lang=en")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !bytes.Contains(body, []byte(`data-channel="`+chID+`" data-mode="page"`)) ||
		bytes.Contains(body, []byte("<script>alert")) || res.Header.Get("Content-Security-Policy") == "" {
		t.Fatalf("direct chat page: %d %s", res.StatusCode, body)
	}
	if res, _ := http.Get(h.base + "/chat/nope"); res.StatusCode != 404 {
		t.Fatalf("unknown channel page: %d", res.StatusCode)
	}
	// The public config answers allowed origins only.
	req, _ := http.NewRequest("GET", h.base+"/webhooks/web/"+chID+"/config", nil)
	req.Header.Set("Origin", "https://evil.test")
	if res, _ := http.DefaultClient.Do(req); res.StatusCode != 403 {
		t.Fatalf("config for a foreign origin: %d", res.StatusCode)
	}
	req.Header.Set("Origin", "https://shop.example.com")
	res, _ = http.DefaultClient.Do(req)
	body, _ = io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("Access-Control-Allow-Origin") != "https://shop.example.com" ||
		!bytes.Contains(body, []byte(`"online":false`)) || bytes.Contains(body, []byte("wsec_")) {
		t.Fatalf("config: %d %v %s", res.StatusCode, res.Header, body)
	}
}

// The client address comes from X-Forwarded-For only when the direct peer
// is a configured trusted proxy; a visitor cannot flood the inbox.
func TestWebClientIPAndRateLimit(t *testing.T) {
	for _, c := range []struct {
		trusted, want string
	}{{"", "127.0.0.1"}, {"127.0.0.1", "203.0.113.7"}} {
		e := newEnv(t, mode{name: "embedded"})
		if c.trusted != "" {
			e.vars["KEFU_TRUSTED_PROXIES"] = c.trusted
		}
		ipdb := filepath.Join(t.TempDir(), "ip.txt")
		os.WriteFile(ipdb, []byte("203.0.113.0|203.0.113.255|中国|0|广东省|深圳市|电信\n"), 0o600)
		e.vars["KEFU_IPDB_PATH"] = ipdb
		h := e.start()
		adm := h.admin()
		chID, _ := adm.newWebChannel(map[string]any{})
		v, _, err := dialVisitor(t, h.base, chID, visitorOpts{forwardedFor: "203.0.113.7"})
		if err != nil {
			t.Fatal(err)
		}
		r := adm.must(200, "GET", "/api/v1/visitors/"+v.id, nil)
		if got := r.str("ip"); got != c.want {
			t.Fatalf("trusted proxies %q: visitor ip %q, want %q", c.trusted, got, c.want)
		}
		// The region comes from the IP database for the address believed.
		if region := r.str("region"); (c.trusted != "") != strings.Contains(region, "广东") {
			t.Fatalf("trusted proxies %q: region %q", c.trusted, region)
		}
		if c.trusted != "" {
			continue
		}
		// A malformed frame is answered, and the socket goes on; an oversize
		// one closes it (the widget reconnects).
		v.conn.WriteMessage(websocket.TextMessage, []byte(`{"type":"message","text":`))
		if f := v.waitFor("error", 10*time.Second, nil); dig(f, "error", "code") != "bad_frame" {
			t.Fatalf("malformed frame: %v", f)
		}
		v.say("after-bad", "still here \x00\xff")
		// A burst beyond the per-visitor budget is refused, not stored.
		for i := 0; i < 30; i++ {
			v.send(map[string]any{"type": "message", "client_id": fmt.Sprintf("flood-%d", i), "text": "spam"})
		}
		acked, limited := 0, 0
		for acked+limited < 30 {
			f := v.next(10 * time.Second)
			if f == nil {
				t.Fatalf("only %d acks and %d refusals for 30 messages", acked, limited)
			}
			switch {
			case f["type"] == "ack":
				acked++
			case f["type"] == "error" && dig(f, "error", "code") == "rate_limited":
				limited++
			}
		}
		if limited == 0 || acked > 12 {
			t.Fatalf("30 messages at once: %d accepted, %d refused", acked, limited)
		}
		big := `{"type":"typing","text":"` + strings.Repeat("字", 8000) + `"}`
		v.conn.WriteMessage(websocket.TextMessage, []byte(big))
		timeout := time.After(10 * time.Second)
	drain:
		for {
			select {
			case _, open := <-v.frames:
				if !open {
					break drain // the hub closed the socket
				}
			case <-timeout:
				t.Fatal("a 24 KB frame did not close the socket")
			}
		}
	}
}

// The launcher is offline outside the default group's business hours even
// with its agents online (the message would become a ticket anyway), and
// online when the group overflows to a group that is open.
func TestWebAvailabilityFollowsBusinessHours(t *testing.T) {
	h := newEnv(t, mode{name: "embedded"}).start()
	adm := h.admin()
	today := strings.ToLower(time.Now().UTC().Weekday().String()[:3])
	closed := map[string]any{"timezone": "UTC", "holidays": []string{time.Now().UTC().Format("2006-01-02")},
		"weekly": []any{map[string]any{"days": []string{today}, "from": "00:00", "to": "24:00"}}}
	night := adm.must(201, "POST", "/api/v1/groups", map[string]any{"name": "夜班", "business_hours": closed}).str("id")
	agent := adm.newAgent("night@kefu.test", 3, "夜班")
	agent.setStatus("online")
	chID, _ := adm.newWebChannel(map[string]any{})
	adm.must(200, "PATCH", "/api/v1/channels/"+chID, map[string]any{"default_group_id": night})
	if _, w, err := dialVisitor(t, h.base, chID, visitorOpts{}); err != nil || w["online"] != false {
		t.Fatalf("closed group: welcome %v %v", w, err)
	}
	day := adm.must(201, "POST", "/api/v1/groups", map[string]any{"name": "白班"}).str("id")
	adm.newAgent("day@kefu.test", 3, "白班").setStatus("online")
	adm.must(200, "PATCH", "/api/v1/groups/"+night, map[string]any{"overflow_group_id": day})
	eventually(t, 15*time.Second, "online through the overflow group", func() bool {
		_, w, err := dialVisitor(t, h.base, chID, visitorOpts{})
		return err == nil && w["online"] == true
	})
}

// Two hub processes share the cluster: a visitor connected to one is served
// by an agent on the other — messages, replies, typing, the invite and the
// availability all cross processes.
func TestWebVisitorAcrossProcesses(t *testing.T) {
	cm := clusterOnly(t)
	e := newEnv(t, cm)
	h1, h2 := e.spawn(""), e.spawn("")
	adm := h1.admin()
	chID, _ := adm.newWebChannel(map[string]any{})
	agent := adm.newAgent("cross-web@kefu.test", 5)
	v, w, err := dialVisitor(t, h1.base, chID, visitorOpts{})
	if err != nil || w["online"] != false {
		t.Fatalf("welcome %v %v", w, err)
	}
	onB := agent.on(h2)
	onB.setStatus("online")
	v.waitFor("online", 15*time.Second, func(f map[string]any) bool { return f["online"] == true })
	as := onB.dial(-1)
	onB.must(202, "POST", "/api/v1/visitors/"+v.id+"/invite", map[string]any{"text": "跨进程邀请"})
	v.waitFor("invite", 15*time.Second, func(f map[string]any) bool { return f["text"] == "跨进程邀请" })
	v.say("x-1", "在 A 上发的")
	ev := as.waitFor("conversation.assigned", 15*time.Second, nil)
	convID := ev["conversation_id"].(string)
	onB.must(201, "POST", "/api/v1/conversations/"+convID+"/messages", map[string]any{"content": "在 B 上回的"})
	if m := v.waitFor("message", 15*time.Second, func(f map[string]any) bool { return dig(f, "message", "direction") == "out" }); messageText(m) != "在 B 上回的" {
		t.Fatalf("reply across processes: %v", m)
	}
	v.send(map[string]any{"type": "typing", "text": "正在输入"})
	as.waitFor("typing", 15*time.Second, func(f map[string]any) bool { return dig(f, "data", "preview") == "正在输入" })
	// The visitor moves to the other process (a reload behind a load
	// balancer) and sees the same conversation.
	v.conn.Close()
	_, w2, err := dialVisitor(t, h2.base, chID, visitorOpts{id: v.id, token: v.token})
	if err != nil || dig(w2, "conversation", "id") != convID || len(w2["messages"].([]any)) != 2 {
		t.Fatalf("resume on the other process: %v %v", w2, err)
	}
}
