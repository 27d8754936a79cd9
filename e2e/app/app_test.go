package app

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/connectors/app"
	kefuapp "github.com/kefu-hub/kefu/connectors/app/sdk/go"
	"github.com/kefu-hub/kefu/e2e/kit"
)

// newApp creates an app channel; it returns the SDK client and the secret.
func newApp(t *testing.T, adm *kit.Client, base string, cfg map[string]any) (*kefuapp.Client, string) {
	t.Helper()
	r := adm.Must(201, "POST", "/api/v1/channels", map[string]any{"type": "app", "name": "商城App", "config": cfg})
	key, secret := r.Str("setup.app_key"), r.Str("setup.identity_secret")
	if key == "" || secret == "" {
		t.Fatalf("setup %s", r.Body)
	}
	return kefuapp.New(base, key), secret
}

func status(err error) int {
	var e *kefuapp.Error
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}

func contacts(t *testing.T, adm *kit.Client) int {
	var list struct {
		Contacts []any `json:"contacts"`
	}
	adm.Must(200, "GET", "/api/v1/contacts?limit=100", nil).JSON(t, &list)
	return len(list.Contacts)
}

func TestAppIdentity(t *testing.T) {
	t.Parallel()
	kit.ForModes(t, func(t *testing.T, m kit.Mode) {
		h := kit.NewEnv(t, m).Start()
		adm := h.Admin()
		ctx := context.Background()
		c, secret := newApp(t, adm, h.Base, map[string]any{"identity": "hmac"})
		before := contacts(t, adm)

		// A wrong hash, a hash made with another secret, anonymous: refused, nothing created.
		for _, id := range []kefuapp.Identity{
			{UserID: "42", UserHash: kefuapp.UserHash(secret, "43")},
			{UserID: "42", UserHash: kefuapp.UserHash("asec_other", "42")},
			{UserID: "42"},
		} {
			if _, err := c.Identify(ctx, id); status(err) != 401 {
				t.Fatalf("identify %+v: %v, want 401", id, err)
			}
		}
		if _, err := c.Identify(ctx, kefuapp.Identity{Anonymous: true, DeviceID: "dev-1"}); status(err) != 403 {
			t.Fatalf("anonymous on an hmac app: %v, want 403", err)
		}
		if n := contacts(t, adm); n != before {
			t.Fatalf("refused identifies created contacts: %d → %d", before, n)
		}
		s, err := c.Identify(ctx, kefuapp.Identity{UserID: "42", UserHash: kefuapp.UserHash(secret, "42"), Name: "王小明",
			Traits: map[string]any{"plan": "pro"}, Device: &kefuapp.Device{Platform: "ios", OS: "iOS 18.1", AppVersion: "3.2.0"}})
		if err != nil || s.Token == "" || s.ContactID == "" {
			t.Fatalf("identify: %v %+v", err, s)
		}
		// Agents see the device and traits beside the customer.
		p := adm.Must(200, "GET", "/api/v1/contacts/"+s.ContactID+"/app", nil)
		if p.Str("app.platform") != "ios" || p.Str("app.app_version") != "3.2.0" || p.Str("app.traits.plan") != "pro" {
			t.Fatalf("app profile %s", p.Body)
		}
		// Another app's users are not this one's.
		other, _ := newApp(t, adm, h.Base, nil)
		if _, err := kefuapp.New(h.Base, other.AppKey).Identify(ctx, kefuapp.Identity{UserID: "42", UserHash: kefuapp.UserHash(secret, "42")}); status(err) != 401 {
			t.Fatalf("another app's hash: %v, want 401", err)
		}

		// JWT: expired, too long-lived, wrong secret refused; a good one accepted.
		j, _ := newApp(t, adm, h.Base, map[string]any{"identity": "jwt"})
		jsecret := adm.Must(200, "GET", "/api/v1/channels/"+j.AppKey, nil).Str("channel.setup.identity_secret")
		now := time.Now().Unix()
		for name, tok := range map[string]string{
			"expired":    app.SignJWT(jsecret, map[string]any{"sub": "7", "iat": now - 7200, "exp": now - 3600}),
			"too long":   app.SignJWT(jsecret, map[string]any{"sub": "7", "iat": now, "exp": now + 86400}),
			"wrong key":  app.SignJWT("nope", map[string]any{"sub": "7", "iat": now, "exp": now + 600}),
			"no subject": app.SignJWT(jsecret, map[string]any{"iat": now, "exp": now + 600}),
		} {
			if _, err := j.Identify(ctx, kefuapp.Identity{JWT: tok}); status(err) != 401 {
				t.Fatalf("jwt %s: %v, want 401", name, err)
			}
		}
		if _, err := j.Identify(ctx, kefuapp.Identity{JWT: app.SignJWT(jsecret, map[string]any{"sub": "7", "iat": now,
			"exp": now + 600, "name": "李雷"})}); err != nil {
			t.Fatalf("good jwt: %v", err)
		}

		// Rotation: the old secret's hashes stay valid (for a day), the new one works.
		r := adm.Must(200, "POST", "/api/v1/channels/"+c.AppKey+"/rotate_identity_secret", nil)
		fresh := r.Str("setup.identity_secret")
		if fresh == "" || fresh == secret {
			t.Fatalf("rotated secret %q", fresh)
		}
		for _, sec := range []string{secret, fresh} {
			if _, err := c.Identify(ctx, kefuapp.Identity{UserID: "42", UserHash: kefuapp.UserHash(sec, "42")}); err != nil {
				t.Fatalf("after rotation: %v", err)
			}
		}
		if _, err := s.Conversations(ctx); err != nil {
			t.Fatalf("a token from before the rotation: %v", err)
		}
	})
}

// TestAppChat: messages idempotent by client_msg_id, listed with seq and
// text, an agent's reply on the socket, and resume after a network cut
// losing and doubling nothing.
func TestAppChat(t *testing.T) {
	t.Parallel()
	kit.ForModes(t, func(t *testing.T, m kit.Mode) {
		h := kit.NewEnv(t, m).Start()
		adm := h.Admin()
		ctx := context.Background()
		c, secret := newApp(t, adm, h.Base, nil)
		agent := adm.NewAgent("app-agent@kefu.test", 5)
		agent.SetStatus("online")
		as := agent.Dial(-1)
		s, sock := userSocket(t, ctx, c, secret, "u-1")
		if w := next(t, sock, "welcome"); w["conversation"] != nil {
			t.Fatalf("welcome %v", w)
		}
		sent, err := s.Send(ctx, "cm-1", "你好，订单没到")
		if err != nil || sent.ConversationID == "" {
			t.Fatalf("send: %v %+v", err, sent)
		}
		if again, err := s.Send(ctx, "cm-1", "你好，订单没到"); err != nil || again.ConversationID != sent.ConversationID {
			t.Fatalf("resend: %v %+v", err, again)
		}
		conv := sent.ConversationID
		as.WaitFor("conversation.assigned", 15*time.Second, nil)
		own := waitMessage(t, sock, func(m map[string]any) bool { return m["client_id"] == "cm-1" })
		if own["direction"] != "in" || own["seq"] != float64(1) {
			t.Fatalf("own message %v", own)
		}
		agent.Must(201, "POST", "/api/v1/conversations/"+conv+"/messages", map[string]any{"content": "马上查"})
		reply := waitMessage(t, sock, func(m map[string]any) bool { return m["direction"] == "out" })
		if reply["text"] != "马上查" || reply["sender_name"] != "app-agent" {
			t.Fatalf("reply %v", reply)
		}
		// Stored once, with seq and text, customer and agent.
		page, err := s.Messages(ctx, "", 0)
		if err != nil || len(page.Messages) != 2 || page.Messages[0].Text != "你好，订单没到" || page.Messages[1].Text != "马上查" ||
			page.Messages[1].Seq != 2 {
			t.Fatalf("messages: %v %+v", err, page)
		}
		if n := len(agent.Messages(conv)); n != 2 {
			t.Fatalf("the agent sees %d messages, want 2", n)
		}

		// A network cut: while the socket is down the agent writes twice and
		// the user sends from REST; resume delivers each once.
		sock.Cut()
		drain(sock)
		agent.Must(201, "POST", "/api/v1/conversations/"+conv+"/messages", map[string]any{"content": "快递在路上"})
		if _, err := s.Send(ctx, "cm-2", "好的"); err != nil {
			t.Fatal(err)
		}
		agent.Must(201, "POST", "/api/v1/conversations/"+conv+"/messages", map[string]any{"content": "明天到"})
		agent.WaitMessages(conv, 5)
		if err := sock.Resume(ctx); err != nil {
			t.Fatal(err)
		}
		got := map[string]int{}
		deadline := time.After(10 * time.Second)
		for got["明天到"] == 0 || got["好的"] == 0 || got["快递在路上"] == 0 {
			select {
			case f, ok := <-sock.Frames:
				if !ok {
					t.Fatal("socket closed")
				}
				for _, m := range framed(f) {
					got[m["text"].(string)]++
				}
			case <-deadline:
				t.Fatalf("after resume got %v", got)
			}
		}
		// Nothing more (no doubles) within a moment.
		quiet := time.After(700 * time.Millisecond)
		for done := false; !done; {
			select {
			case f := <-sock.Frames:
				for _, m := range framed(f) {
					got[m["text"].(string)]++
				}
			case <-quiet:
				done = true
			}
		}
		for text, n := range got {
			if n != 1 || text == "你好，订单没到" || text == "马上查" {
				t.Fatalf("after resume %q arrived %d times (%v)", text, n, got)
			}
		}
		// Unread and read.
		list, err := s.Conversations(ctx)
		if err != nil || len(list) != 1 || list[0].Unread != 3 || list[0].LastSeq != 5 {
			t.Fatalf("conversations %v %+v", err, list)
		}
		if err := s.Read(ctx, conv, 5); err != nil {
			t.Fatal(err)
		}
		if list, _ = s.Conversations(ctx); list[0].Unread != 0 {
			t.Fatalf("unread after read %+v", list)
		}
	})
}

func framed(f kefuapp.Frame) []map[string]any {
	var out []map[string]any
	switch f.Type() {
	case "welcome":
		for _, m := range f["messages"].([]any) {
			out = append(out, m.(map[string]any))
		}
	case "message":
		out = append(out, f["message"].(map[string]any))
	}
	return out
}

func drain(s *kefuapp.Socket) {
	for range s.Frames {
	}
}

// userSocket identifies an app user (signed with the app's secret) and
// opens their socket, closed when the test ends.
func userSocket(t *testing.T, ctx context.Context, c *kefuapp.Client, secret, userID string) (*kefuapp.Session, *kefuapp.Socket) {
	t.Helper()
	s, err := c.Identify(ctx, kefuapp.Identity{UserID: userID, UserHash: kefuapp.UserHash(secret, userID)})
	if err != nil {
		t.Fatal(err)
	}
	sock, err := s.Dial(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sock.Close() })
	return s, sock
}

func next(t *testing.T, s *kefuapp.Socket, typ string) kefuapp.Frame {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case f, ok := <-s.Frames:
			if !ok {
				t.Fatalf("socket closed waiting for %s", typ)
			}
			if f.Type() == typ {
				return f
			}
		case <-deadline:
			t.Fatalf("no %s frame", typ)
		}
	}
}

func waitMessage(t *testing.T, s *kefuapp.Socket, pred func(map[string]any) bool) map[string]any {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case f, ok := <-s.Frames:
			if !ok {
				t.Fatal("socket closed waiting for a message")
			}
			for _, m := range framed(f) {
				if pred(m) {
					return m
				}
			}
		case <-deadline:
			t.Fatal("no such message")
		}
	}
}
