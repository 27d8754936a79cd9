package channels

// The web channel over its wire protocol (connectors/web/doc.go), as the
// widget speaks it: a visitor socket on an allowed origin, messages on the
// durable inbound path, agent replies, typing preview, resume, identity,
// the leave-a-message form, visitor tracking, invites, proactive chat,
// uploads and ratings. The browser itself is driven in e2e/browser/widget_test.go.

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
	"github.com/kefu-hub/kefu/e2e/kit"
)

func TestWebVisitorChat(t *testing.T) {
	t.Parallel()
	kit.ForModes(t, func(t *testing.T, m kit.Mode) {
		h := kit.NewEnv(t, m).Start()
		adm := h.Admin()
		chID, _ := adm.NewWebChannel(map[string]any{"rating": true})
		agent := adm.NewAgent("web-agent@kefu.test", 5)
		agent.SetStatus("online")
		as := agent.Dial(-1)

		v, w, err := kit.DialVisitor(t, h.Base, chID, kit.VisitorOpts{})
		if err != nil {
			t.Fatal(err)
		}
		if w["online"] != true || w["conversation"] != nil || !strings.HasPrefix(v.ID, "v_") || v.Token == "" {
			t.Fatalf("welcome %v", w)
		}
		v.Say("c-1", "你好，我想问价格")
		ev := as.WaitFor("conversation.assigned", 10*time.Second, nil)
		convID := ev["conversation_id"].(string)
		v.WaitFor("agent", 10*time.Second, func(f map[string]any) bool { return f["name"] == "web-agent" })

		// The agent's list shows the channel, the customer and the last message.
		var list struct {
			Conversations []struct {
				ID          string         `json:"id"`
				ChannelType string         `json:"channel_type"`
				Contact     map[string]any `json:"contact"`
				LastMessage map[string]any `json:"last_message"`
			} `json:"conversations"`
		}
		agent.Must(200, "GET", "/api/v1/conversations", nil).JSON(t, &list)
		if len(list.Conversations) != 1 || list.Conversations[0].ChannelType != "web" ||
			list.Conversations[0].Contact["external_id"] != v.ID || list.Conversations[0].LastMessage["text"] != "你好，我想问价格" {
			t.Fatalf("conversation list %+v", list)
		}

		// Typing preview (消息预知): the agent sees the text before it is sent.
		v.Send(map[string]any{"type": "typing", "text": "还有运费"})
		typing := as.WaitFor("typing", 10*time.Second, nil)
		if kit.Dig(typing, "data", "preview") != "还有运费" || kit.Dig(typing, "data", "by") != "contact" {
			t.Fatalf("typing preview %v", typing)
		}

		agent.Must(201, "POST", "/api/v1/conversations/"+convID+"/messages", map[string]any{"content": "您好，199 元"})
		reply := v.WaitFor("message", 10*time.Second, func(f map[string]any) bool { return kit.Dig(f, "message", "direction") == "out" })
		if kit.MessageText(reply) != "您好，199 元" || kit.Dig(reply, "message", "sender_name") != "web-agent" {
			t.Fatalf("reply frame %v", reply)
		}
		// An internal note (if the hub has them) never reaches the visitor.
		agent.Do("POST", "/api/v1/conversations/"+convID+"/notes", map[string]any{"text": "VIP 客户"})
		agent.Must(201, "POST", "/api/v1/conversations/"+convID+"/messages", map[string]any{"content": "还有别的吗"})
		next := v.WaitFor("message", 10*time.Second, func(f map[string]any) bool { return kit.Dig(f, "message", "direction") != "in" })
		if kit.MessageText(next) != "还有别的吗" {
			t.Fatalf("the visitor saw %v before the next reply (a note leaked?)", next)
		}

		// Reload: the same visitor id, the same conversation, nothing twice;
		// a message resent with the same client id is stored once.
		v.Conn.Close()
		v2, w2, err := kit.DialVisitor(t, h.Base, chID, kit.VisitorOpts{ID: v.ID, Token: v.Token})
		if err != nil {
			t.Fatal(err)
		}
		if v2.ID != v.ID || kit.Dig(w2, "conversation", "id") != convID {
			t.Fatalf("resume welcome %v", w2)
		}
		msgs := w2["messages"].([]any)
		if len(msgs) != 3 {
			t.Fatalf("welcome shows %d messages, want 3 (no note): %v", len(msgs), msgs)
		}
		if kit.Dig(msgs[0], "client_id") != "c-1" {
			t.Fatalf("the visitor's own message lost its client id: %v", msgs[0])
		}
		v2.Say("c-1", "你好，我想问价格")
		v2.Say("c-2", "谢谢")
		var page struct {
			Messages []struct {
				Direction string `json:"direction"`
				Text      string `json:"text"`
			} `json:"messages"`
		}
		kit.Eventually(t, 10*time.Second, "the second message stored", func() bool {
			agent.Must(200, "GET", "/api/v1/conversations/"+convID+"/messages", nil).JSON(t, &page)
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
		v3, w3, _ := kit.DialVisitor(t, h.Base, chID, kit.VisitorOpts{ID: v.ID, Token: v.Token,
			Conv: map[string]any{"id": convID, "after_seq": 2}})
		defer v3.Conn.Close()
		if got := len(w3["messages"].([]any)); got < 2 {
			t.Fatalf("resume after seq 2 returned %d messages", got)
		}
		for _, m := range w3["messages"].([]any) {
			if kit.Dig(m, "seq").(float64) <= 2 {
				t.Fatalf("resume after seq 2 repeated %v", m)
			}
		}

		// The agent asks for a rating; the widget is told to show the form.
		agent.Must(202, "POST", "/api/v1/conversations/"+convID+"/rating-request", nil)
		v2.WaitFor("rate", 10*time.Second, func(f map[string]any) bool { return f["conversation_id"] == convID })

		// Close with a rating request; the visitor rates once.
		agent.Must(200, "POST", "/api/v1/conversations/"+convID+"/close", map[string]any{})
		closed := v2.WaitFor("closed", 10*time.Second, nil)
		if closed["rate"] != true {
			t.Fatalf("closed frame %v", closed)
		}
		v2.Send(map[string]any{"type": "rate", "conversation_id": convID, "score": 5, "comment": "很好"})
		v2.WaitFor("ack", 10*time.Second, func(f map[string]any) bool { return f["rate"] == convID })
		as.WaitFor("conversation.rated", 10*time.Second, func(f map[string]any) bool { return kit.Dig(f, "data", "score") == 5.0 })
		if r := agent.Must(200, "GET", "/api/v1/conversations/"+convID, nil); !bytes.Contains(r.Body, []byte(`"rating":{"score":5,"comment":"很好"`)) {
			t.Fatalf("conversation after rating: %s", r.Body)
		}
		v2.Send(map[string]any{"type": "rate", "conversation_id": convID, "score": 1})
		again := v2.WaitFor("error", 10*time.Second, func(f map[string]any) bool { return f["rate"] == convID })
		if kit.Dig(again, "error", "code") != "conflict" {
			t.Fatalf("second rating %v", again)
		}
	})
}

func TestWebOriginAndIdentity(t *testing.T) {
	t.Parallel()
	h := kit.NewEnv(t, kit.Embedded).Start()
	adm := h.Admin()
	open, _ := adm.NewWebChannel(map[string]any{"allowed_domains": []string{"*.example.com"}})
	strict, secret := adm.NewWebChannel(map[string]any{"allowed_domains": []string{"shop.example.com"}, "identity_required": true})

	// A page elsewhere is refused before the socket opens; nothing is recorded.
	if _, _, err := kit.DialVisitor(t, h.Base, open, kit.VisitorOpts{Origin: "https://evil.test"}); err == nil || !strings.Contains(err.Error(), "403") {
		t.Fatalf("foreign origin: %v, want 403", err)
	}
	if _, _, err := kit.DialVisitor(t, h.Base, open, kit.VisitorOpts{Origin: "https://example.com.evil.test"}); err == nil {
		t.Fatal("a look-alike origin was accepted")
	}
	if _, w, err := kit.DialVisitor(t, h.Base, open, kit.VisitorOpts{Origin: "https://a.b.example.com"}); err != nil || w["type"] != "welcome" {
		t.Fatalf("subdomain of *.example.com: %v %v", w, err)
	}
	// The hub's own direct chat page is always allowed.
	if _, w, err := kit.DialVisitor(t, h.Base, strict, kit.VisitorOpts{Origin: h.Base, Identity: map[string]any{"id": "42",
		"hash": web.IdentityHash(secret, "42")}}); err != nil || w["type"] != "welcome" {
		t.Fatalf("hub origin: %v %v", w, err)
	}
	var list struct {
		Visitors []map[string]any `json:"visitors"`
	}
	adm.Must(200, "GET", "/api/v1/visitors?channel_id="+open, nil).JSON(t, &list)
	if len(list.Visitors) != 1 {
		t.Fatalf("%d visitors recorded on the open channel, want 1 (refused origins record nothing)", len(list.Visitors))
	}

	// Identity: required and missing → refused; wrong hash → refused; right → the user's contact.
	for name, id := range map[string]map[string]any{
		"missing":  nil,
		"no hash":  {"id": "42", "name": "王五"},
		"bad hash": {"id": "42", "hash": web.IdentityHash(secret, "43")},
	} {
		_, f, err := kit.DialVisitor(t, h.Base, strict, kit.VisitorOpts{Identity: id})
		if err != nil || f["type"] != "error" {
			t.Fatalf("%s identity: %v %v, want an error frame", name, f, err)
		}
		if code := kit.Dig(f, "error", "code"); code != "identity_required" && code != "bad_identity" {
			t.Fatalf("%s identity: code %v", name, code)
		}
	}
	v, w, err := kit.DialVisitor(t, h.Base, strict, kit.VisitorOpts{Identity: map[string]any{"id": "42", "name": "王五",
		"hash": web.IdentityHash(secret, "42")}})
	if err != nil || w["type"] != "welcome" {
		t.Fatalf("good identity: %v %v", w, err)
	}
	v.Say("id-1", "登录用户的消息")
	var convs struct {
		Conversations []struct {
			ID        string `json:"id"`
			ChannelID string `json:"channel_id"`
		} `json:"conversations"`
	}
	convID := ""
	kit.Eventually(t, 10*time.Second, "the identified visitor's conversation", func() bool {
		adm.Must(200, "GET", "/api/v1/conversations", nil).JSON(t, &convs)
		for _, c := range convs.Conversations {
			if c.ChannelID == strict {
				convID = c.ID
			}
		}
		return convID != ""
	})
	c := adm.Must(200, "GET", "/api/v1/conversations/"+convID, nil)
	if c.Str("contact.external_id") != "u:42" || c.Str("contact.name") != "王五" {
		t.Fatalf("identified contact: %s", c.Body)
	}
}

func TestWebLeaveMessageAndTracking(t *testing.T) {
	t.Parallel()
	kit.ForModes(t, func(t *testing.T, m kit.Mode) {
		h := kit.NewEnv(t, m).Start()
		adm := h.Admin()
		chID, _ := adm.NewWebChannel(map[string]any{})
		// Nobody is online: the launcher is offline and the form makes a ticket.
		v, w, err := kit.DialVisitor(t, h.Base, chID, kit.VisitorOpts{})
		if err != nil || w["online"] != false {
			t.Fatalf("welcome %v %v", w, err)
		}
		v.Send(map[string]any{"type": "leave_message", "client_id": "lm-1", "fields": map[string]string{"name": "张三"}})
		bad := v.WaitFor("error", 10*time.Second, nil)
		if bad["client_id"] != "lm-1" || !strings.Contains(kit.Dig(bad, "error", "message").(string), "留言内容") {
			t.Fatalf("missing required field: %v", bad)
		}
		v.Send(map[string]any{"type": "leave_message", "client_id": "lm-2", "fields": map[string]string{
			"name": "张三", "phone": "13800000000", "message": "请回电 <b>谢谢</b>"}})
		v.WaitFor("ack", 10*time.Second, func(f map[string]any) bool { return f["client_id"] == "lm-2" })
		var tks struct {
			Tickets []struct {
				ID        string `json:"id"`
				ChannelID string `json:"channel_id"`
			} `json:"tickets"`
		}
		kit.Eventually(t, 10*time.Second, "a ticket from the form", func() bool {
			adm.Must(200, "GET", "/api/v1/tickets", nil).JSON(t, &tks)
			return len(tks.Tickets) == 1 && tks.Tickets[0].ChannelID == chID
		})
		tk := adm.Must(200, "GET", "/api/v1/tickets/"+tks.Tickets[0].ID, nil)
		if s := tk.Str("subject"); !strings.Contains(s, "留言内容: 请回电 <b>谢谢</b>") || !strings.Contains(s, "电话: 13800000000") {
			t.Fatalf("ticket %s", tk.Body)
		}

		// The visitor list: source, keyword, browser, OS, page trail, state.
		v.Send(map[string]any{"type": "page", "url": "https://shop.example.com/checkout", "title": "结算"})
		var got map[string]any
		kit.Eventually(t, 10*time.Second, "the page trail", func() bool {
			adm.Must(200, "GET", "/api/v1/visitors/"+v.ID, nil).JSON(t, &got)
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
		v.Conn.Close()
		kit.Eventually(t, 10*time.Second, "the visitor left", func() bool {
			adm.Must(200, "GET", "/api/v1/visitors/"+v.ID, nil).JSON(t, &got)
			return got["online"] == false
		})
	})
}

func TestWebInviteAndProactiveChat(t *testing.T) {
	t.Parallel()
	kit.ForModes(t, func(t *testing.T, m kit.Mode) {
		h := kit.NewEnv(t, m).Start()
		adm := h.Admin()
		chID, _ := adm.NewWebChannel(map[string]any{})
		agent := adm.NewAgent("inviter@kefu.test", 3)
		v, w, err := kit.DialVisitor(t, h.Base, chID, kit.VisitorOpts{})
		if err != nil || w["online"] != false {
			t.Fatalf("welcome %v %v", w, err)
		}
		// The launcher follows availability live.
		agent.SetStatus("online")
		v.WaitFor("online", 10*time.Second, func(f map[string]any) bool { return f["online"] == true })

		as := agent.Dial(-1)
		r := agent.Must(202, "POST", "/api/v1/visitors/"+v.ID+"/invite", map[string]any{"text": "需要帮忙吗？"})
		inv := v.WaitFor("invite", 10*time.Second, nil)
		if inv["text"] != "需要帮忙吗？" || inv["invite_id"] != r.Str("invite_id") || kit.Dig(inv, "agent", "name") != "inviter" {
			t.Fatalf("invite frame %v", inv)
		}
		as.WaitFor("visitor.updated", 10*time.Second, func(f map[string]any) bool {
			return kit.Dig(f, "data", "visitor", "state") == "invited"
		})
		v.Send(map[string]any{"type": "invite_reply", "invite_id": inv["invite_id"], "accepted": false})
		as.WaitFor("visitor.updated", 10*time.Second, func(f map[string]any) bool {
			return kit.Dig(f, "data", "visitor", "state") == "browsing" && kit.Dig(f, "data", "visitor", "declined_at") != nil
		})

		// Proactive chat: the agent's first message opens in the widget.
		agent.Must(201, "POST", "/api/v1/visitors/"+v.ID+"/chat", map[string]any{"text": "您好，我是客服小王"})
		msg := v.WaitFor("message", 10*time.Second, nil)
		if kit.MessageText(msg) != "您好，我是客服小王" || kit.Dig(msg, "message", "sender_name") != "inviter" {
			t.Fatalf("proactive message %v", msg)
		}
		v.Say("p-1", "好的")
		as.WaitFor("message.created", 10*time.Second, func(f map[string]any) bool { return kit.Dig(f, "data", "message", "text") == "好的" })

		// A visitor who left cannot be invited.
		v.Conn.Close()
		kit.Eventually(t, 10*time.Second, "invite refused after leaving", func() bool {
			return agent.Do("POST", "/api/v1/visitors/"+v.ID+"/invite", map[string]any{}).Status == 409
		})
	})
}

func TestWebUploads(t *testing.T) {
	t.Parallel()
	h := kit.NewEnv(t, kit.Embedded).Start()
	adm := h.Admin()
	chID, _ := adm.NewWebChannel(map[string]any{"upload": map[string]any{"max_bytes": 4096, "types": []string{"image/*"}}})
	agent := adm.NewAgent("files@kefu.test", 3)
	agent.SetStatus("online")
	as := agent.Dial(-1)
	v, _, err := kit.DialVisitor(t, h.Base, chID, kit.VisitorOpts{})
	if err != nil {
		t.Fatal(err)
	}
	upload := func(name string, data []byte, who string) (int, map[string]any) {
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		fw, _ := mw.CreateFormFile("file", name)
		fw.Write(data)
		mw.Close()
		req, _ := http.NewRequest("POST", h.Base+"/webhooks/web/"+chID+"/upload", &b)
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
	me := v.ID + ":" + v.Token
	if st, _ := upload("x.png", png, v.ID+":wrong"); st != 401 {
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
	v.Send(map[string]any{"type": "message", "client_id": "img-1", "text": "", "attachments": []any{map[string]any{"id": f["id"]}}})
	v.WaitFor("ack", 10*time.Second, func(x map[string]any) bool { return x["client_id"] == "img-1" })
	ev := as.WaitFor("conversation.assigned", 10*time.Second, nil)
	if m := kit.Dig(ev, "data", "messages").([]any); len(m) != 1 || kit.Dig(m[0], "type") != "image" {
		t.Fatalf("agent got %v", ev)
	}
	// The visitor's own frame carries a link the page can load; files are
	// never sniffed and only real images are inline.
	own := v.WaitFor("message", 10*time.Second, nil)
	atts := kit.Dig(own, "message", "attachments").([]any)
	res, err := http.Get(h.Base + kit.Dig(atts[0], "url").(string))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("X-Content-Type-Options") != "nosniff" ||
		!strings.HasPrefix(res.Header.Get("Content-Disposition"), "inline") || res.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("file: %d %v", res.StatusCode, res.Header)
	}
	if res, _ := http.Get(h.Base + "/webhooks/web/" + chID + "/files/" + f["id"].(string) + "?s=forged"); res.StatusCode != 403 {
		t.Fatalf("forged file link: %d", res.StatusCode)
	}
	// Another visitor cannot send this visitor's file.
	other, _, _ := kit.DialVisitor(t, h.Base, chID, kit.VisitorOpts{})
	other.Send(map[string]any{"type": "message", "client_id": "steal", "attachments": []any{map[string]any{"id": f["id"]}}})
	if e := other.WaitFor("error", 10*time.Second, nil); e["client_id"] != "steal" {
		t.Fatalf("stolen attachment: %v", e)
	}
}

func TestWebPagesServed(t *testing.T) {
	t.Parallel()
	h := kit.NewEnv(t, kit.Embedded).Start()
	adm := h.Admin()
	chID, _ := adm.NewWebChannel(map[string]any{})
	for _, p := range []string{"/widget.js", "/widget/chat.js"} {
		res, err := http.Get(h.Base + p)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/javascript") {
			t.Fatalf("%s: %d %v", p, res.StatusCode, res.Header)
		}
	}
	res, err := http.Get(h.Base + "/chat/" + chID + "?group=%22%3E%3Cscript%3Ealert(1)%3C/script%3E&lang=en")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !bytes.Contains(body, []byte(`data-channel="`+chID+`" data-mode="page"`)) ||
		bytes.Contains(body, []byte("<script>alert")) || res.Header.Get("Content-Security-Policy") == "" {
		t.Fatalf("direct chat page: %d %s", res.StatusCode, body)
	}
	if res, _ := http.Get(h.Base + "/chat/nope"); res.StatusCode != 404 {
		t.Fatalf("unknown channel page: %d", res.StatusCode)
	}
	// The public config answers allowed origins only.
	req, _ := http.NewRequest("GET", h.Base+"/webhooks/web/"+chID+"/config", nil)
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
	t.Parallel()
	for _, c := range []struct {
		trusted, want string
	}{{"", "127.0.0.1"}, {"127.0.0.1", "203.0.113.7"}} {
		e := kit.NewEnv(t, kit.Embedded)
		if c.trusted != "" {
			e.Vars["KEFU_TRUSTED_PROXIES"] = c.trusted
		}
		ipdb := filepath.Join(t.TempDir(), "ip.txt")
		os.WriteFile(ipdb, []byte("203.0.113.0|203.0.113.255|中国|0|广东省|深圳市|电信\n"), 0o600)
		e.Vars["KEFU_IPDB_PATH"] = ipdb
		h := e.Start()
		adm := h.Admin()
		chID, _ := adm.NewWebChannel(map[string]any{})
		v, _, err := kit.DialVisitor(t, h.Base, chID, kit.VisitorOpts{ForwardedFor: "203.0.113.7"})
		if err != nil {
			t.Fatal(err)
		}
		r := adm.Must(200, "GET", "/api/v1/visitors/"+v.ID, nil)
		if got := r.Str("ip"); got != c.want {
			t.Fatalf("trusted proxies %q: visitor ip %q, want %q", c.trusted, got, c.want)
		}
		// The region comes from the IP database for the address believed.
		if region := r.Str("region"); (c.trusted != "") != strings.Contains(region, "广东") {
			t.Fatalf("trusted proxies %q: region %q", c.trusted, region)
		}
		if c.trusted != "" {
			continue
		}
		// A malformed frame is answered, and the socket goes on; an oversize
		// one closes it (the widget reconnects).
		v.Conn.WriteMessage(websocket.TextMessage, []byte(`{"type":"message","text":`))
		if f := v.WaitFor("error", 10*time.Second, nil); kit.Dig(f, "error", "code") != "bad_frame" {
			t.Fatalf("malformed frame: %v", f)
		}
		v.Say("after-bad", "still here \x00\xff")
		// A burst beyond the per-visitor budget is refused, not stored.
		for i := 0; i < 30; i++ {
			v.Send(map[string]any{"type": "message", "client_id": fmt.Sprintf("flood-%d", i), "text": "spam"})
		}
		acked, limited := 0, 0
		for acked+limited < 30 {
			f := v.Next(10 * time.Second)
			if f == nil {
				t.Fatalf("only %d acks and %d refusals for 30 messages", acked, limited)
			}
			switch {
			case f["type"] == "ack":
				acked++
			case f["type"] == "error" && kit.Dig(f, "error", "code") == "rate_limited":
				limited++
			}
		}
		if limited == 0 || acked > 12 {
			t.Fatalf("30 messages at once: %d accepted, %d refused", acked, limited)
		}
		big := `{"type":"typing","text":"` + strings.Repeat("字", 8000) + `"}`
		v.Conn.WriteMessage(websocket.TextMessage, []byte(big))
		timeout := time.After(10 * time.Second)
	drain:
		for {
			select {
			case _, open := <-v.Frames:
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
	t.Parallel()
	h := kit.NewEnv(t, kit.Embedded).Start()
	adm := h.Admin()
	today := strings.ToLower(time.Now().UTC().Weekday().String()[:3])
	closed := map[string]any{"timezone": "UTC", "holidays": []string{time.Now().UTC().Format("2006-01-02")},
		"weekly": []any{map[string]any{"days": []string{today}, "from": "00:00", "to": "24:00"}}}
	night := adm.Must(201, "POST", "/api/v1/groups", map[string]any{"name": "夜班", "business_hours": closed}).Str("id")
	agent := adm.NewAgent("night@kefu.test", 3, "夜班")
	agent.SetStatus("online")
	chID, _ := adm.NewWebChannel(map[string]any{})
	adm.Must(200, "PATCH", "/api/v1/channels/"+chID, map[string]any{"default_group_id": night})
	if _, w, err := kit.DialVisitor(t, h.Base, chID, kit.VisitorOpts{}); err != nil || w["online"] != false {
		t.Fatalf("closed group: welcome %v %v", w, err)
	}
	day := adm.Must(201, "POST", "/api/v1/groups", map[string]any{"name": "白班"}).Str("id")
	adm.NewAgent("day@kefu.test", 3, "白班").SetStatus("online")
	adm.Must(200, "PATCH", "/api/v1/groups/"+night, map[string]any{"overflow_group_id": day})
	// Each probe is a new visitor whose socket closes at once: left open,
	// the probes reached the per-address socket cap under load before the
	// channel's cached availability (a few seconds) was checked again.
	kit.Eventually(t, 20*time.Second, "online through the overflow group", func() bool {
		defer time.Sleep(400 * time.Millisecond)
		v, w, err := kit.DialVisitor(t, h.Base, chID, kit.VisitorOpts{})
		if v != nil {
			v.Conn.Close()
		}
		return err == nil && w["online"] == true
	})
}

// Two hub processes share the cluster: a visitor connected to one is served
// by an agent on the other — messages, replies, typing, the invite and the
// availability all cross processes.
func TestWebVisitorAcrossProcesses(t *testing.T) {
	t.Parallel()
	cm := kit.ClusterOnly(t)
	e := kit.NewEnv(t, cm)
	h1, h2 := e.Start(), e.Start()
	adm := h1.Admin()
	chID, _ := adm.NewWebChannel(map[string]any{})
	agent := adm.NewAgent("cross-web@kefu.test", 5)
	v, w, err := kit.DialVisitor(t, h1.Base, chID, kit.VisitorOpts{})
	if err != nil || w["online"] != false {
		t.Fatalf("welcome %v %v", w, err)
	}
	onB := agent.On(h2)
	onB.SetStatus("online")
	v.WaitFor("online", 15*time.Second, func(f map[string]any) bool { return f["online"] == true })
	as := onB.Dial(-1)
	onB.Must(202, "POST", "/api/v1/visitors/"+v.ID+"/invite", map[string]any{"text": "跨进程邀请"})
	v.WaitFor("invite", 15*time.Second, func(f map[string]any) bool { return f["text"] == "跨进程邀请" })
	v.Say("x-1", "在 A 上发的")
	ev := as.WaitFor("conversation.assigned", 15*time.Second, nil)
	convID := ev["conversation_id"].(string)
	onB.Must(201, "POST", "/api/v1/conversations/"+convID+"/messages", map[string]any{"content": "在 B 上回的"})
	if m := v.WaitFor("message", 15*time.Second, func(f map[string]any) bool { return kit.Dig(f, "message", "direction") == "out" }); kit.MessageText(m) != "在 B 上回的" {
		t.Fatalf("reply across processes: %v", m)
	}
	v.Send(map[string]any{"type": "typing", "text": "正在输入"})
	as.WaitFor("typing", 15*time.Second, func(f map[string]any) bool { return kit.Dig(f, "data", "preview") == "正在输入" })
	// The visitor moves to the other process (a reload behind a load
	// balancer) and sees the same conversation.
	v.Conn.Close()
	_, w2, err := kit.DialVisitor(t, h2.Base, chID, kit.VisitorOpts{ID: v.ID, Token: v.Token})
	if err != nil || kit.Dig(w2, "conversation", "id") != convID || len(w2["messages"].([]any)) != 2 {
		t.Fatalf("resume on the other process: %v %v", w2, err)
	}
}
