package weibo_test

import (
	"bytes"
	"net/http"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/connectors/weibo/weibotest"
	"github.com/kefu-hub/kefu/hub"
)

func (r *rig) published() []hub.Inbound {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]hub.Inbound(nil), r.pub...)
}

// The URL check echoes echostr only to Weibo's signature; pushes answer an
// empty 200 (no passive reply), refuse what is unsigned, stale or broken
// with nothing published, ignore types the hub does not know, and fetch an
// image's file from Weibo after the acknowledgement.
func TestInbound(t *testing.T) {
	r := newRig(t)
	app := weibotest.AppOf(r.ch)
	u := r.url + "/webhooks/weibo/" + r.ch.ID
	if st, body, err := weibotest.Verify(http.DefaultClient, u, app.Secret, "echo123"); err != nil || st != 200 || body != "echo123" {
		t.Fatalf("URL check: %d %q %v", st, body, err)
	}
	if st, body, _ := weibotest.Verify(http.DefaultClient, u, "wrongsecret", "echo123"); st != 403 || body == "echo123" {
		t.Fatalf("URL check with another secret: %d %q", st, body)
	}
	push := func(m weibotest.Msg, o weibotest.PushOpts) weibotest.Result {
		t.Helper()
		res := weibotest.Push(http.DefaultClient, u, app, m, o)
		if res.Err != nil {
			t.Fatal(res.Err)
		}
		return res
	}
	for what, c := range map[string]struct {
		o    weibotest.PushOpts
		want int
	}{
		"unsigned":    {weibotest.PushOpts{Unsigned: true}, 403},
		"forged":      {weibotest.PushOpts{Secret: "0123456789abcdef"}, 403},
		"stale":       {weibotest.PushOpts{Timestamp: time.Now().Add(-time.Hour)}, 403},
		"not JSON":    {weibotest.PushOpts{Body: []byte("<xml/>")}, 400},
		"float id":    {weibotest.PushOpts{Body: []byte(`{"type":"text","sender_id":1.5,"created_at":"Mon Jul 16 18:09:20 +0800 2012"}`)}, 400},
		"bad time":    {weibotest.PushOpts{Body: []byte(`{"type":"text","sender_id":15,"created_at":"yesterday"}`)}, 400},
		"too big":     {weibotest.PushOpts{Body: bytes.Repeat([]byte("x"), 2<<20)}, 413},
		"empty body":  {weibotest.PushOpts{Body: []byte{}}, 400},
		"no receiver": {weibotest.PushOpts{Body: []byte(`{"type":"text","sender_id":15,"receiver_id":"me","created_at":"Mon Jul 16 18:09:20 +0800 2012"}`)}, 400},
	} {
		if res := push(weibotest.Text(2489518277, "伪造"), c.o); res.Status != c.want {
			t.Errorf("%s: %d %s, want %d", what, res.Status, res.Body, c.want)
		}
	}
	if n := len(r.published()); n != 0 {
		t.Fatalf("refused pushes published %d messages", n)
	}
	if res := push(weibotest.Event(2489518277, "brand_new_event", ""), weibotest.PushOpts{}); !res.OK() || len(r.published()) != 0 {
		t.Fatalf("an unknown event: %d %q, published %d", res.Status, res.Body, len(r.published()))
	}
	png := []byte("\x89PNG\r\n\x1a\nimage-bytes")
	r.fake.AddMedia("821804460", weibotest.Media{ContentType: "image/png", Data: png})
	if res := push(weibotest.Image(2489518277, 821804459, 821804460), weibotest.PushOpts{}); !res.OK() {
		t.Fatalf("image: %d %q, want 200 with an empty body", res.Status, res.Body)
	}
	pub := r.published()
	if len(pub) != 1 || pub[0].Type != "image" || len(pub[0].Attachments) != 1 {
		t.Fatalf("published %+v", pub)
	}
	id := pub[0].Attachments[0].URL[len("/api/v1/attachments/"):]
	deadline := time.Now().Add(5 * time.Second)
	for {
		f, err := r.files.Get(t.Context(), r.ch.TenantID, id)
		if err == nil && bytes.Equal(f.Data, png) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the image was not fetched from Weibo: %+v %v", f, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
