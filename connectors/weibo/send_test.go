package weibo_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/kefu-hub/kefu/connectors"
	"github.com/kefu-hub/kefu/connectors/weibo"
	"github.com/kefu-hub/kefu/connectors/weibo/weibotest"
	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/files"
)

// memFiles is an attachment store in memory.
type memFiles struct {
	mu sync.Mutex
	m  map[string]*files.File
}

func (f *memFiles) Save(_ context.Context, x *files.File) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.m[x.ID]; !ok {
		cp := *x
		f.m[x.ID] = &cp
	}
	return nil
}

func (f *memFiles) Fill(_ context.Context, _, id, ctype string, data []byte, fetchErr string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	x, ok := f.m[id]
	if !ok {
		return hub.ErrNotFound
	}
	if fetchErr != "" {
		x.Error = fetchErr
		return nil
	}
	x.ContentType, x.Data, x.Size, x.Status = ctype, data, int64(len(data)), files.FileReady
	return nil
}

func (f *memFiles) Get(_ context.Context, tenantID, id string) (*files.File, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	x, ok := f.m[id]
	if !ok || x.TenantID != tenantID {
		return nil, fmt.Errorf("file %s: %w", id, hub.ErrNotFound)
	}
	cp := *x
	return &cp, nil
}

// rig is the connector mounted on a test server against the fake, with one
// bound channel.
type rig struct {
	mu    sync.Mutex
	pub   []hub.Inbound
	c     *weibo.Connector
	fake  *weibotest.Platform
	ch    *hub.Channel
	files *memFiles
	url   string
}

func newRig(t *testing.T) *rig {
	t.Helper()
	gin.SetMode(gin.ReleaseMode)
	r := &rig{fake: weibotest.New(t), files: &memFiles{m: map[string]*files.File{}}}
	e := gin.New()
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	r.url = srv.URL
	r.ch = &hub.Channel{ID: "ch_send", TenantID: "tn_send", Type: weibo.Type, Name: "send"}
	r.c = weibo.New(connectors.Deps{HTTP: connectors.NewHTTPClient(true), AllowPrivate: true, MaxBody: 1 << 20,
		Tolerance: 5 * time.Minute, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: time.Now, Files: r.files,
		PublicURL: srv.URL, Publish: func(_ context.Context, in hub.Inbound) error {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.pub = append(r.pub, in)
			return nil
		}, Channel: func(_ context.Context, id string) (*hub.Channel, error) {
			if id != r.ch.ID {
				return nil, hub.ErrNotFound
			}
			return r.ch, nil
		}}, r.fake.URL)
	connectors.Registry{weibo.Type: r.c}.Mount(e)
	if err := r.c.Setup(r.ch, r.fake.Config(), false); err != nil {
		t.Fatal(err)
	}
	r.fake.Bind(r.ch)
	return r
}

func reply(ch *hub.Channel, uid, text string, atts ...hub.Attachment) *hub.Outbound {
	return &hub.Outbound{ID: "msg_x", TenantID: ch.TenantID, Kind: hub.OutboundMessage,
		Message: &hub.Message{Type: "text", Text: text, Attachments: atts}, Contact: &hub.Contact{ExternalID: uid}}
}

// A reply longer than Weibo's 300 characters reaches the user in parts, in
// order, each within the limit; together they are the agent's text.
func TestSendLongText(t *testing.T) {
	r := newRig(t)
	long := strings.Repeat("您好，这是一段很长的说明。", 50) // 650 characters
	if res := r.c.Send(t.Context(), r.ch, reply(r.ch, "2489518277", long)); res.Err != nil {
		t.Fatal(res.Err)
	}
	got := r.fake.Sends()
	if len(got) != 3 {
		t.Fatalf("the fake received %d parts, want 3", len(got))
	}
	var all string
	for _, s := range got {
		if s.Type != "text" || s.ReceiverID != "2489518277" || s.UID != weibotest.AppOf(r.ch).UID {
			t.Fatalf("part %+v", s)
		}
		all += s.Text
	}
	if all != long {
		t.Fatal("the parts do not add up to the reply")
	}
}

// An image the agent uploaded goes out as a link card whose link serves the
// image to anyone holding it (the Weibo user's browser) — and only with the
// channel's signature.
func TestSendImageAsLink(t *testing.T) {
	r := newRig(t)
	png := []byte("\x89PNG\r\n\x1a\n" + strings.Repeat("x", 64))
	r.files.Save(t.Context(), &files.File{ID: "at_img1", TenantID: r.ch.TenantID, Name: "截图.png", Status: files.FileReady,
		ContentType: "image/png", Data: png})
	res := r.c.Send(t.Context(), r.ch, reply(r.ch, "2489518277", "请看截图",
		hub.Attachment{URL: files.FileURL("at_img1"), Name: "截图.png", Type: "image/png"}))
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	got := r.fake.Sends()
	if len(got) != 2 || got[0].Text != "请看截图" || got[1].Type != "articles" || len(got[1].Articles) != 1 {
		t.Fatalf("the fake received %+v", got)
	}
	a := got[1].Articles[0]
	if a.DisplayName != "截图.png" || a.Image != a.URL || !strings.HasPrefix(a.URL, r.url+"/webhooks/weibo/ch_send/files/at_img1?s=") {
		t.Fatalf("article %+v", a)
	}
	resp, err := http.Get(a.URL)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(b) != string(png) || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("the link answered %d, %d bytes", resp.StatusCode, len(b))
	}
	forged := strings.Split(a.URL, "?")[0] + "?s=" + strings.Repeat("0", 32)
	if resp, _ := http.Get(forged); resp.StatusCode != 403 {
		t.Fatalf("a forged link answered %d, want 403", resp.StatusCode)
	}
	// A rotated link key ends the old links.
	if err := r.c.Setup(r.ch, r.ch.Config, true); err != nil {
		t.Fatal(err)
	}
	if resp, _ := http.Get(a.URL); resp.StatusCode != 403 {
		t.Fatalf("an old link after rotation answered %d, want 403", resp.StatusCode)
	}
}

// Weibo's refusals: a transient one is retried, a permanent one fails the
// message with a reason an agent can act on; a failure after a part went
// out is permanent so a retry never repeats it. No error carries the
// access token.
func TestSendErrors(t *testing.T) {
	r := newRig(t)
	tok := weibotest.AppOf(r.ch).AccessToken
	r.fake.FailReplies(10023)
	res := r.c.Send(t.Context(), r.ch, reply(r.ch, "2489518277", "限流"))
	if res.Err == nil || res.Permanent {
		t.Fatalf("rate limited: %+v, want a retryable error", res)
	}
	r.fake.FailReplies(21327)
	res = r.c.Send(t.Context(), r.ch, reply(r.ch, "2489518277", "过期"))
	if res.Err == nil || !res.Permanent || !strings.Contains(res.Err.Error(), "21327") || !strings.Contains(res.Err.Error(), "access_token") {
		t.Fatalf("expired token: %+v, want permanent naming the token", res)
	}
	r.fake.FailReplies(0, 10001) // the first part goes through, the second fails
	res = r.c.Send(t.Context(), r.ch, reply(r.ch, "2489518277", strings.Repeat("长", 450)))
	if res.Err == nil || !res.Permanent || !strings.Contains(res.Err.Error(), "1 of 2 parts") {
		t.Fatalf("a failure after one part: %+v", res)
	}
	r.fake.RevokeToken(tok)
	res = r.c.Send(t.Context(), r.ch, reply(r.ch, "2489518277", "撤销"))
	if res.Err == nil || !res.Permanent || strings.Contains(res.Err.Error(), tok) {
		t.Fatalf("revoked token: %+v", res)
	}
	if res := r.c.Send(t.Context(), r.ch, reply(r.ch, "not-a-uid", "x")); res.Err == nil || !res.Permanent {
		t.Fatalf("a non-numeric receiver: %+v", res)
	}
}
