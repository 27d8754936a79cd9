package kit

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/connectors/wechat/wechattest"
)

// WxModes are WeChat's message modes: plain, compatible, safe (encrypted).
var WxModes = []string{"plain", "compat", "safe"}

// WechatHub starts a hub whose WeChat API is a fake WeChat platform.
func WechatHub(t testing.TB, m Mode) (*Env, *Hub, *Client, *wechattest.Platform) {
	t.Helper()
	fake := wechattest.New(t)
	e := NewEnv(t, m)
	e.Vars["KEFU_WECHAT_API_BASE"] = fake.URL
	h := e.Start()
	return e, h, h.Admin(), fake
}

// WxChannel is a WeChat channel as both sides know it.
type WxChannel struct {
	ID, URL string
	App     wechattest.App
	Setup   map[string]any
}

// NewWechatChannels binds one account in each message mode (plain,
// compatible, safe), by mode.
func (c *Client) NewWechatChannels(fake *wechattest.Platform, extra map[string]any) map[string]WxChannel {
	c.T.Helper()
	chans := map[string]WxChannel{}
	for _, wm := range WxModes {
		chans[wm] = c.NewWechatChannel(fake, wm, extra)
	}
	return chans
}

// NewWechatChannel binds a fresh account the way an admin does: AppID and
// AppSecret into Kefu, then the server URL, Token and EncodingAESKey Kefu
// shows into WeChat.
func (c *Client) NewWechatChannel(fake *wechattest.Platform, mode string, extra map[string]any) WxChannel {
	c.T.Helper()
	app := fake.NewApp(mode)
	cfg := map[string]any{"app_id": app.AppID, "app_secret": app.Secret, "mode": mode,
		"welcome_message": "感谢关注 " + mode + "！有问题请直接留言。",
		"menu": map[string]any{
			"PRICE": map[string]any{"reply": "价格表：https://example.com/price"},
			"HUMAN": map[string]any{"open_conversation": true, "reply": "正在为您转接人工客服"},
		}}
	body := map[string]any{"type": "wechat", "name": "公众号 " + mode, "config": cfg}
	for k, v := range extra {
		body[k] = v
	}
	r := c.Must(201, "POST", "/api/v1/channels", body)
	var v struct {
		ID         string         `json:"id"`
		WebhookURL string         `json:"webhook_url"`
		Setup      map[string]any `json:"setup"`
		Config     map[string]any `json:"config"`
	}
	r.JSON(c.T, &v)
	if bytes.Contains(r.Body, []byte(app.Secret)) {
		c.T.Fatalf("the channel answer shows the AppSecret: %s", r.Body)
	}
	app.Token, _ = v.Setup["token"].(string)
	app.AESKey, _ = v.Setup["encoding_aes_key"].(string)
	if app.Token == "" || app.AESKey == "" || !strings.HasSuffix(v.WebhookURL, "/webhooks/wechat/"+v.ID) {
		c.T.Fatalf("setup %v, webhook_url %q: want the token, key and server URL to paste into WeChat", v.Setup, v.WebhookURL)
	}
	fake.AddApp(app)
	return WxChannel{ID: v.ID, URL: v.WebhookURL, App: app, Setup: v.Setup}
}

var wxMsgID atomic.Int64

func init() { wxMsgID.Store(time.Now().UnixNano() / 1000) }

// NextMsgID is a WeChat MsgId no other push of this test process used.
func NextMsgID() int64 { return wxMsgID.Add(1) }

// Push sends m as WeChat would.
func (w WxChannel) Push(t testing.TB, m wechattest.Msg, o wechattest.PushOpts) wechattest.Result {
	t.Helper()
	r := wechattest.Push(http.DefaultClient, w.URL, w.App, m, o)
	if r.Err != nil {
		t.Fatalf("push: %v", r.Err)
	}
	return r
}

// MustPush sends m and fails the test unless the hub answers success.
func (w WxChannel) MustPush(t testing.TB, m wechattest.Msg) {
	t.Helper()
	if r := w.Push(t, m, wechattest.PushOpts{}); !r.OK() {
		t.Fatalf("push %s: %d %q, want 200 success", m.MsgType, r.Status, r.Body)
	}
}

// Verify is WeChat's URL check: a signed GET with an echostr.
func (w WxChannel) Verify(t testing.TB, token string) (int, string) {
	t.Helper()
	ts, nonce, echo := strconv.FormatInt(time.Now().Unix(), 10), "38271", "echo"+RandHex(6)
	q := url.Values{"signature": {wechattest.Signature(token, ts, nonce)}, "timestamp": {ts}, "nonce": {nonce}, "echostr": {echo}}
	res, err := http.Get(w.URL + "?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode == 200 && string(b) != echo {
		t.Fatalf("verification answered %q, want the echostr %q", b, echo)
	}
	return res.StatusCode, string(b)
}
