package qq_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/kefu-hub/kefu/connectors"
	"github.com/kefu-hub/kefu/connectors/qq"
	"github.com/kefu-hub/kefu/connectors/qq/qqtest"
	"github.com/kefu-hub/kefu/hub"
)

// rig is the connector on a real HTTP server, a QQ channel and the fake.
type rig struct {
	c    *qq.Connector
	fake *qqtest.Platform
	ch   *hub.Channel
	app  qqtest.App
	url  string // the channel's callback URL
	mu   sync.Mutex
	pub  []hub.Inbound
}

func newRig(t testing.TB) *rig {
	gin.SetMode(gin.ReleaseMode)
	r := &rig{fake: qqtest.New(t)}
	r.app = r.fake.NewApp()
	r.ch = &hub.Channel{ID: "ch_qq1", TenantID: "tn_1", Type: qq.Type, Name: "QQ"}
	d := connectors.Deps{
		Channel: func(_ context.Context, id string) (*hub.Channel, error) {
			if id != r.ch.ID {
				return nil, hub.ErrNotFound
			}
			c := *r.ch
			return &c, nil
		},
		Publish: func(_ context.Context, in hub.Inbound) error {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.pub = append(r.pub, in)
			return nil
		},
		HTTP: connectors.NewHTTPClient(true), MaxBody: 64 << 10, Tolerance: 5 * time.Minute, AllowPrivate: true,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: time.Now,
	}
	r.c = qq.New(d, r.fake.URL)
	cfg, _ := json.Marshal(map[string]string{"app_id": r.app.AppID, "app_secret": r.app.Secret})
	if err := r.c.Setup(r.ch, cfg, false); err != nil {
		t.Fatal(err)
	}
	e := gin.New()
	connectors.Registry{qq.Type: r.c}.Mount(e)
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	r.url = srv.URL + "/webhooks/qq/" + r.ch.ID
	return r
}

func (r *rig) published() []hub.Inbound {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]hub.Inbound(nil), r.pub...)
}

// The address check is answered with the Ed25519 signature of
// event_ts+plain_token; a forged one is refused.
func TestValidation(t *testing.T) {
	r := newRig(t)
	if err := qqtest.Validate(r.url, r.app); err != nil {
		t.Fatal(err)
	}
	hb := qqtest.Send(nil, r.url, r.app, qq.Payload{Op: qq.OpHeartbeat, D: []byte("42")}, qqtest.Opts{})
	if hb.Status != 200 || string(hb.Body) != `{"d":42,"op":11}` {
		t.Fatalf("a heartbeat answered %d %s, want {\"op\":11,\"d\":42}", hb.Status, hb.Body)
	}
	forged := qqtest.Send(nil, r.url, r.app, qqtest.Validation("p", "1"), qqtest.Opts{Secret: "notTheSecret"})
	if forged.Status != 401 {
		t.Fatalf("a forged address check answered %d, want 401", forged.Status)
	}
}

// What a callback can get wrong, and what the hub answers; nothing is
// published for any of them.
func TestCallbackRefusals(t *testing.T) {
	r := newRig(t)
	msg := qqtest.C2C("u1", "ROBOT1.0_x", "hi")
	cases := []struct {
		what string
		pl   qq.Payload
		o    qqtest.Opts
		want int
	}{
		{"a forged signature", msg, qqtest.Opts{Secret: "stolenSecret"}, 401},
		{"a stale timestamp", msg, qqtest.Opts{Timestamp: time.Now().Add(-time.Hour).Unix()}, 401},
		{"a garbage signature", msg, qqtest.Opts{Signature: "zz"}, 401},
		{"another bot's appid", msg, qqtest.Opts{AppID: "999999"}, 403},
		{"malformed JSON", msg, qqtest.Opts{Body: []byte(`{"op":0,"t":`)}, 400},
		{"no author", msg, qqtest.Opts{Body: []byte(`{"op":0,"t":"C2C_MESSAGE_CREATE","d":{"id":"m"}}`)}, 400},
		{"an unknown op", msg, qqtest.Opts{Body: []byte(`{"op":7}`)}, 400},
		{"oversize", qqtest.C2C("u1", "ROBOT1.0_big", strings.Repeat("大", 40<<10)), qqtest.Opts{}, 413},
		{"oversize, chunked", qqtest.C2C("u1", "ROBOT1.0_big", strings.Repeat("大", 40<<10)), qqtest.Opts{Chunked: true}, 413},
	}
	for _, c := range cases {
		if res := qqtest.Send(nil, r.url, r.app, c.pl, c.o); res.Status != c.want {
			t.Errorf("%s: %d %s, want %d", c.what, res.Status, res.Body, c.want)
		}
	}
	if p := r.published(); len(p) != 0 {
		t.Fatalf("refused callbacks published %+v", p)
	}
	// A chunked body of normal size is read and acknowledged (botgo's
	// handler panics on it).
	if res := qqtest.Send(nil, r.url, r.app, msg, qqtest.Opts{Chunked: true}); !res.Acked() {
		t.Fatalf("a chunked dispatch answered %d %s, want 200 {op:12,d:0}", res.Status, res.Body)
	}
}

// A reply answers the customer's message with msg_id and msg_seq; retries
// of a delivery the platform took are not sent twice; 22009 is retried,
// a closed window fails the message with a reason; an expired token is
// renewed once; a group member is answered in the group; images are
// uploaded.
func TestSend(t *testing.T) {
	r := newRig(t)
	ctx := t.Context()
	if res := r.fake.Push(r.url, r.app, qqtest.C2C("u1", "ROBOT1.0_m1", "在吗"), qqtest.Opts{}); !res.Acked() {
		t.Fatalf("push: %d %s", res.Status, res.Body)
	}
	out := func(to, text string, n int, msgID string) *hub.Outbound {
		return &hub.Outbound{TenantID: "tn_1", Kind: hub.OutboundMessage, Message: &hub.Message{Type: "text", Text: text},
			Contact: &hub.Contact{ExternalID: to}, ReplyTo: &hub.ReplyTo{ExternalID: msgID, N: n}}
	}
	if res := r.c.Send(ctx, r.ch, out("u1", "您好", 1, "ROBOT1.0_m1")); res.Err != nil {
		t.Fatal(res.Err)
	}
	if res := r.c.Send(ctx, r.ch, out("u1", "您好", 1, "ROBOT1.0_m1")); res.Err != nil {
		t.Fatalf("a retried delivery: %v, want success (the platform deduplicates msg_seq)", res.Err)
	}
	r.fake.FailSends(qqtest.CodeRateLimited)
	if res := r.c.Send(ctx, r.ch, out("u1", "第二条", 2, "ROBOT1.0_m1")); res.Err == nil || res.Permanent {
		t.Fatalf("22009: %+v, want a retryable error", res)
	}
	r.fake.ExpireTokens(r.app.AppID)
	if res := r.c.Send(ctx, r.ch, out("u1", "第二条", 2, "ROBOT1.0_m1")); res.Err != nil {
		t.Fatalf("after the token expired: %v", res.Err)
	}
	sent := r.fake.Sends()
	if len(sent) != 2 || sent[0].MsgSeq != 1 || sent[1].MsgSeq != 2 || sent[1].Text != "第二条" || sent[0].MsgID != "ROBOT1.0_m1" {
		t.Fatalf("the platform holds %+v", sent)
	}
	if n := r.fake.CallCount("token", 0); n != 2 {
		t.Errorf("tokens fetched %d times, want 2 (one renewal)", n)
	}
	r.fake.Age("ROBOT1.0_m1", time.Hour)
	res := r.c.Send(ctx, r.ch, out("u1", "太晚了", 3, "ROBOT1.0_m1"))
	if res.Err == nil || !res.Permanent || !strings.Contains(res.Err.Error(), "40034102") {
		t.Fatalf("after the window: %+v, want a permanent failure with the code", res)
	}
	if res := r.c.Send(ctx, r.ch, &hub.Outbound{Kind: hub.OutboundMessage, Message: &hub.Message{Text: "主动"},
		Contact: &hub.Contact{ExternalID: "u1"}}); res.Err == nil || !res.Permanent {
		t.Fatalf("a message answering nothing: %+v, want a permanent failure", res)
	}

	member := qq.GroupContact("g1", "m1")
	r.fake.Push(r.url, r.app, qqtest.GroupAt("g1", "m1", "ROBOT1.0_g1", "订单呢"), qqtest.Opts{})
	if res := r.c.Send(ctx, r.ch, out(member, "在查", 1, "ROBOT1.0_g1")); res.Err != nil {
		t.Fatal(res.Err)
	}
	if s := r.fake.Sends(); s[len(s)-1].To != member || s[len(s)-1].Text != "在查" {
		t.Fatalf("group answer %+v", s[len(s)-1])
	}
	png := []byte("\x89PNG\r\n\x1a\n" + strings.Repeat("\x00", 40))
	img := r.fake.MediaURL("reply.png")
	r.fake.AddMedia("reply.png", png)
	o := out("u1", "", 1, "ROBOT1.0_m2")
	o.Message.Attachments = []hub.Attachment{{URL: img, Name: "reply.png", Type: "image/png"}}
	r.fake.Push(r.url, r.app, qqtest.C2C("u1", "ROBOT1.0_m2", "图片呢"), qqtest.Opts{})
	if res := r.c.Send(ctx, r.ch, o); res.Err != nil {
		t.Fatal(res.Err)
	}
	if s := r.fake.Sends(); s[len(s)-1].MsgType != 7 || string(s[len(s)-1].File) != string(png) {
		t.Fatalf("image answer %+v", s[len(s)-1])
	}
}
