package app

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/connectors/app/push/pushtest"
	kefuapp "github.com/kefu-hub/kefu/connectors/app/sdk/go"
	"github.com/kefu-hub/kefu/e2e/kit"
)

// pushApp is an app channel whose pushes go to the company's push webhook
// (the fake), a user with a registered device, and an agent who answers.
type pushApp struct {
	wh    *pushtest.Webhook
	c     *kefuapp.Client
	user  *kefuapp.Session
	agent *kit.Client
	adm   *kit.Client
	conv  string
	token string
}

func newPushApp(t *testing.T, h *kit.Hub) *pushApp {
	t.Helper()
	p := &pushApp{wh: pushtest.NewWebhook(t), adm: h.Admin(), token: pushtest.DeviceToken()}
	var secret string
	p.c, secret = newApp(t, p.adm, h.Base, map[string]any{"push": map[string]any{"webhook": p.wh.Config()}})
	// The channel shows its push config without the webhook's secret.
	if cfg := p.adm.Must(200, "GET", "/api/v1/channels/"+p.c.AppKey, nil); strings.Contains(string(cfg.Body), p.wh.Secret) ||
		cfg.Str("channel.config.push.webhook.url") != p.wh.URL {
		t.Fatalf("channel config %s", cfg.Body)
	}
	p.agent = p.adm.NewAgent("push-agent@kefu.test", 5)
	p.agent.SetStatus("online")
	as := p.agent.Dial(-1)
	ctx := context.Background()
	var err error
	if p.user, err = p.c.Identify(ctx, kefuapp.Identity{UserID: "p-1", UserHash: kefuapp.UserHash(secret, "p-1"),
		Device: &kefuapp.Device{Platform: "ios", OS: "iOS 18", AppVersion: "5.0.1", Model: "iPhone15,2"}}); err != nil {
		t.Fatal(err)
	}
	if err := p.user.RegisterPush(ctx, "ios", p.token); err != nil {
		t.Fatal(err)
	}
	sent, err := p.user.Send(ctx, "p-m1", "在吗")
	if err != nil || sent.ConversationID == "" {
		t.Fatalf("send %v %+v", err, sent)
	}
	p.conv = sent.ConversationID
	as.WaitFor("conversation.assigned", 15*time.Second, nil)
	return p
}

func (p *pushApp) reply(text string) {
	p.agent.Must(201, "POST", "/api/v1/conversations/"+p.conv+"/messages", map[string]any{"content": text})
}

// pushesOf are the delivered push requests that carry text.
func (p *pushApp) pushesOf(text string) []pushtest.WebhookDelivery {
	var out []pushtest.WebhookDelivery
	for _, d := range p.wh.Delivered() {
		if d.Body.Data.Body == text {
			out = append(out, d)
		}
	}
	return out
}

// online is whether agents see the app user online (a socket open, the
// app in the foreground).
func (p *pushApp) online(t *testing.T) bool {
	return kit.Dig(p.profile(t).JSONMap(t), "app", "online") == true
}

func (p *pushApp) profile(t *testing.T) kit.Resp {
	return p.adm.Must(200, "GET", "/api/v1/contacts/"+p.user.ContactID+"/app", nil)
}

// TestAppOfflinePush: an agent's reply to a user with an open socket is no
// push; to a user without one, exactly one, to the registered device,
// signed; a token the push service calls invalid is removed, and agents
// see the last result.
func TestAppOfflinePush(t *testing.T) {
	t.Parallel()
	kit.ForModes(t, func(t *testing.T, m kit.Mode) {
		h := kit.NewEnv(t, m).Start()
		p := newPushApp(t, h)
		ctx := context.Background()
		sock, err := p.user.Dial(ctx)
		if err != nil {
			t.Fatal(err)
		}
		next(t, sock, "welcome")
		p.reply("在的，请讲")
		waitMessage(t, sock, func(m map[string]any) bool { return m["text"] == "在的，请讲" })
		if !p.online(t) {
			t.Fatalf("profile while the socket is open: %s", p.profile(t).Body)
		}
		sock.Close()
		kit.Eventually(t, 5*time.Second, "the app offline", func() bool { return !p.online(t) })
		p.reply("您的快递明天到")
		kit.Eventually(t, 15*time.Second, "a push", func() bool { return len(p.pushesOf("您的快递明天到")) > 0 })
		time.Sleep(time.Second) // a second push would come now
		got := p.pushesOf("您的快递明天到")
		if len(got) != 1 {
			t.Fatalf("%d pushes for one reply, want 1", len(got))
		}
		d := got[0].Body.Data
		if d.Title != "push-agent" || d.ConversationID != p.conv || len(d.Targets) != 1 || d.Targets[0].Token != p.token ||
			d.Targets[0].Platform != "ios" || d.Badge < 1 || d.CollapseID == "" {
			t.Fatalf("push %+v", got[0].Body)
		}
		if len(p.pushesOf("在的，请讲")) != 0 {
			t.Fatal("a reply the open socket carried was pushed too")
		}
		if r := p.profile(t); !strings.HasPrefix(r.Str("app.push_result"), "sent 1/1") || r.Str("app.model") != "iPhone15,2" {
			t.Fatalf("profile after a push %s", r.Body)
		}
		// The push service says the token is gone: it is removed.
		p.wh.Invalidate(p.token)
		p.reply("还在吗")
		kit.Eventually(t, 15*time.Second, "the invalid token removed", func() bool {
			return strings.Contains(p.profile(t).Str("app.push_result"), "1 invalid token(s) removed")
		})
		if r := p.profile(t); strings.Contains(string(r.Body), p.token[len(p.token)-6:]) {
			t.Fatalf("the invalid token is still registered: %s", r.Body)
		}
		p.reply("最后一条")
		kit.Eventually(t, 15*time.Second, "no_token", func() bool { return p.profile(t).Str("app.push_result") == "no_token" })
		if n := len(p.pushesOf("最后一条")); n != 0 {
			t.Fatalf("%d pushes to a user without tokens", n)
		}
	})
}

// TestAppPushAcrossProcesses: a user whose socket is open on one hub
// process gets no push for a reply sent through another; once it closes,
// one push.
func TestAppPushAcrossProcesses(t *testing.T) {
	t.Parallel()
	e := kit.NewEnv(t, kit.ClusterOnly(t))
	h1, h2 := e.Start(), e.Start()
	p := newPushApp(t, h1)
	ctx := context.Background()
	sock, err := p.user.Dial(ctx) // on h1
	if err != nil {
		t.Fatal(err)
	}
	next(t, sock, "welcome")
	agent2 := p.agent.On(h2)
	agent2.Must(201, "POST", "/api/v1/conversations/"+p.conv+"/messages", map[string]any{"content": "从另一台发"})
	waitMessage(t, sock, func(m map[string]any) bool { return m["text"] == "从另一台发" })
	time.Sleep(time.Second)
	if n := len(p.pushesOf("从另一台发")); n != 0 {
		t.Fatalf("%d pushes while the user's socket is open on another process", n)
	}
	// The app goes to the background: its socket stays open but no longer
	// counts; the next reply through the other process is pushed once.
	if err := sock.State("background"); err != nil {
		t.Fatal(err)
	}
	kit.Eventually(t, 5*time.Second, "the app in the background", func() bool { return !p.online(t) })
	agent2.Must(201, "POST", "/api/v1/conversations/"+p.conv+"/messages", map[string]any{"content": "离线了"})
	kit.Eventually(t, 15*time.Second, "a push", func() bool { return len(p.pushesOf("离线了")) > 0 })
	waitMessage(t, sock, func(m map[string]any) bool { return m["text"] == "离线了" }) // the socket had it too
	time.Sleep(time.Second)
	if n := len(p.pushesOf("离线了")); n != 1 {
		t.Fatalf("%d pushes, want 1", n)
	}
}

// TestAppResumeOnAnotherProcess: a socket cut on one hub process resumes on
// another from the last seq it showed: what the agent wrote meanwhile
// arrives once, nothing shown before comes again.
func TestAppResumeOnAnotherProcess(t *testing.T) {
	t.Parallel()
	e := kit.NewEnv(t, kit.ClusterOnly(t))
	h1, h2 := e.Start(), e.Start()
	p := newPushApp(t, h1)
	ctx := context.Background()
	sock, err := p.user.Dial(ctx) // on h1
	if err != nil {
		t.Fatal(err)
	}
	next(t, sock, "welcome")
	p.reply("第一条")
	waitMessage(t, sock, func(m map[string]any) bool { return m["text"] == "第一条" })
	conv, seq := sock.LastSeq()
	sock.Cut()
	p.agent.On(h2).Must(201, "POST", "/api/v1/conversations/"+p.conv+"/messages", map[string]any{"content": "第二条"})
	p.reply("第三条")
	p.agent.WaitMessages(p.conv, 4)
	on2, err := kefuapp.New(h2.Base, p.c.AppKey).Session(p.user.Token).DialAfter(ctx, conv, seq)
	if err != nil {
		t.Fatal(err)
	}
	defer on2.Close()
	w := next(t, on2, "welcome")
	var texts []string
	for _, m := range framed(w) {
		texts = append(texts, m["text"].(string))
	}
	if strings.Join(texts, ",") != "第二条,第三条" {
		t.Fatalf("the welcome on the other process after seq %d carries %v, want the two missed replies once", seq, texts)
	}
}
