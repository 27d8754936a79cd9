package wechat_test

import (
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/connectors/wechat"
	"github.com/kefu-hub/kefu/connectors/wechat/wechattest"
)

var testApp = wechattest.App{AppID: "wx0123456789abcdef", Secret: "0123456789abcdef0123456789abcdef",
	Token: "kefuToken123", AESKey: "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", Mode: wechat.ModeSafe}

func keys(mode string) wechat.Keys {
	return wechat.Keys{AppID: testApp.AppID, Token: testApp.Token, AESKey: testApp.AESKey, Mode: mode}
}

// open builds the request WeChat would send and runs it through Open.
func open(t *testing.T, k wechat.Keys, m wechattest.Msg, o wechattest.PushOpts) error {
	t.Helper()
	a := testApp
	a.Mode = k.Mode
	req, err := wechattest.Request("http://hub/webhooks/wechat/ch_x", a, m, o)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(req.Body)
	got, err := wechat.Open(k, wechat.ParamsFrom(req.URL.Query()), body, time.Now(), 5*time.Minute)
	if err == nil && string(got.FromUserName) != m.FromUser {
		t.Fatalf("opened a message from %q, want %q", got.FromUserName, m.FromUser)
	}
	return err
}

func TestOpenModes(t *testing.T) {
	msg := wechattest.Text("oUSER1", "你好 <b>]]></b>", 1234567890123456)
	for _, c := range []struct {
		name      string
		channel   string // the mode the channel is configured with
		push      string // the mode WeChat pushes in
		o         wechattest.PushOpts
		wantErr   error
		malformed bool
	}{
		{name: "plain", channel: wechat.ModePlain, push: wechat.ModePlain},
		{name: "compat", channel: wechat.ModeCompat, push: wechat.ModeCompat},
		{name: "safe", channel: wechat.ModeSafe, push: wechat.ModeSafe},
		{name: "compat channel takes plain", channel: wechat.ModeCompat, push: wechat.ModePlain},
		{name: "plain channel takes encrypted", channel: wechat.ModePlain, push: wechat.ModeSafe},
		{name: "safe channel refuses plaintext", channel: wechat.ModeSafe, push: wechat.ModePlain, wantErr: wechat.ErrPlaintext},
		{name: "forged signature", channel: wechat.ModePlain, push: wechat.ModePlain, o: wechattest.PushOpts{Token: "wrong"}, wantErr: wechat.ErrSignature},
		{name: "forged in safe mode", channel: wechat.ModeSafe, push: wechat.ModeSafe, o: wechattest.PushOpts{Token: "wrong"}, wantErr: wechat.ErrSignature},
		{name: "bad msg_signature", channel: wechat.ModeSafe, push: wechat.ModeSafe,
			o: wechattest.PushOpts{MsgSignature: strings.Repeat("0", 40)}, wantErr: wechat.ErrSignature},
		{name: "stale timestamp", channel: wechat.ModePlain, push: wechat.ModePlain,
			o: wechattest.PushOpts{Timestamp: time.Now().Add(-time.Hour).Unix()}, wantErr: wechat.ErrStale},
		{name: "future timestamp", channel: wechat.ModePlain, push: wechat.ModePlain,
			o: wechattest.PushOpts{Timestamp: time.Now().Add(time.Hour).Unix()}, wantErr: wechat.ErrStale},
	} {
		t.Run(c.name, func(t *testing.T) {
			o := c.o
			o.Mode = c.push
			err := open(t, keys(c.channel), msg, o)
			if c.wantErr == nil && err != nil {
				t.Fatalf("Open: %v", err)
			}
			if c.wantErr != nil && !errors.Is(err, c.wantErr) {
				t.Fatalf("Open = %v, want %v", err, c.wantErr)
			}
		})
	}
}

// A push encrypted for another AppID, or with another key, is signed with
// our Token but cannot be ours: a 400, never accepted.
func TestOpenWrongAccount(t *testing.T) {
	k := keys(wechat.ModeSafe)
	for name, a := range map[string]wechattest.App{
		"other appid": {AppID: "wxffffffffffffffff", Token: testApp.Token, AESKey: testApp.AESKey, Mode: "safe"},
		"other key":   {AppID: testApp.AppID, Token: testApp.Token, AESKey: "ZZZZefghijklmnopqrstuvwxyz0123456789ABCDEFG", Mode: "safe"},
	} {
		req, err := wechattest.Request("http://hub/x", a, wechattest.Text("oU", "hi", 1), wechattest.PushOpts{})
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(req.Body)
		_, err = wechat.Open(k, wechat.ParamsFrom(req.URL.Query()), body, time.Now(), time.Minute)
		var bad *wechat.MalformedError
		if !errors.As(err, &bad) {
			t.Errorf("%s: Open = %v, want a MalformedError", name, err)
		}
	}
}

// Bodies that are not one small WeChat XML document are malformed (400),
// however they are nested or declared.
func TestOpenMalformed(t *testing.T) {
	deep := "<xml>" + strings.Repeat("<a>", 50) + strings.Repeat("</a>", 50) + "</xml>"
	wide := "<xml>" + strings.Repeat("<a/>", 600) + "</xml>"
	for name, body := range map[string]string{
		"not xml":       "hello",
		"empty":         "",
		"truncated":     "<xml><ToUserName><![CDATA[gh]]></ToUserName><FromUserName>",
		"deep":          deep,
		"wide":          wide,
		"dtd":           `<!DOCTYPE xml [<!ENTITY a "aaaa">]><xml><FromUserName>&a;</FromUserName><MsgType>text</MsgType></xml>`,
		"two roots":     "<xml><FromUserName>o</FromUserName><MsgType>text</MsgType></xml><xml></xml>",
		"other root":    "<msg><FromUserName>o</FromUserName><MsgType>text</MsgType></msg>",
		"no sender":     "<xml><MsgType>text</MsgType><Content>x</Content></xml>",
		"bad msgid":     "<xml><FromUserName>o</FromUserName><MsgType>text</MsgType><MsgId>abc</MsgId></xml>",
		"mismatched":    "<xml><FromUserName>o</MsgType></xml>",
		"text outside":  "junk<xml><FromUserName>o</FromUserName><MsgType>text</MsgType></xml>",
		"bad utf8 name": "<xml><\xff>o</\xff></xml>",
	} {
		t.Run(name, func(t *testing.T) {
			ts := strconv.FormatInt(time.Now().Unix(), 10)
			p := wechat.ParamsFrom(map[string][]string{"signature": {wechattest.Signature(testApp.Token, ts, "1")},
				"timestamp": {ts}, "nonce": {"1"}})
			_, err := wechat.Open(keys(wechat.ModePlain), p, []byte(body), time.Now(), time.Minute)
			var bad *wechat.MalformedError
			if !errors.As(err, &bad) {
				t.Fatalf("Open(%.60q) = %v, want a MalformedError", body, err)
			}
		})
	}
}

// Every message type parses into the fields the hub needs.
func TestOpenEveryType(t *testing.T) {
	for _, m := range []wechattest.Msg{
		wechattest.Text("o1", "hi", 1),
		wechattest.Image("o1", "MEDIA1", 2),
		wechattest.Voice("o1", "MEDIA2", "amr", "你好", 3),
		wechattest.Video("o1", "MEDIA3", "THUMB", 4),
		wechattest.ShortVideo("o1", "MEDIA4", "THUMB", 5),
		wechattest.Location("o1", 23.134521, 113.358803, 20, "广州市天河区", 6),
		wechattest.Link("o1", "标题", "描述", "https://example.com/a?b=c", 7),
		wechattest.Subscribe("o1", "123"),
		wechattest.Unsubscribe("o1"),
		wechattest.Click("o1", "HUMAN"),
		wechattest.View("o1", "https://example.com"),
	} {
		if err := open(t, keys(wechat.ModeSafe), m, wechattest.PushOpts{Mode: wechat.ModeSafe}); err != nil {
			t.Errorf("%s: %v", m.MsgType, err)
		}
	}
}
