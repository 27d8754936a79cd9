package wechat

import (
	"encoding/xml"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/silenceper/wechat/v2/officialaccount/message"
	"github.com/silenceper/wechat/v2/util"

	"github.com/kefu-hub/kefu/hub"
)

var fuzzKeys = Keys{AppID: "wx0123456789abcdef", Token: "kefuToken123", AESKey: "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"}

// fuzzSeeds are real push shapes and hostile ones; testdata/pushes holds
// more (one body per file).
var fuzzSeeds = []string{
	`<xml><ToUserName><![CDATA[gh_1]]></ToUserName><FromUserName><![CDATA[oUSER]]></FromUserName><CreateTime>1700000000</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[hi]]></Content><MsgId>1234567890123456</MsgId></xml>`,
	`<xml><ToUserName><![CDATA[gh_1]]></ToUserName><FromUserName><![CDATA[oUSER]]></FromUserName><CreateTime>1700000000</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[subscribe]]></Event><EventKey><![CDATA[qrscene_123]]></EventKey></xml>`,
	`<xml><FromUserName><![CDATA[o]]></FromUserName><MsgType><![CDATA[location]]></MsgType><Location_X>23.1</Location_X><Location_Y>113.3</Location_Y><Label><![CDATA[x]]></Label><MsgId>1</MsgId></xml>`,
	`<xml><FromUserName>o</FromUserName><MsgType>image</MsgType><MediaId>M</MediaId><MsgId>-1</MsgId></xml>`,
	`<xml><FromUserName>o</FromUserName><MsgType>event</MsgType><Event>CLICK</Event><EventKey>HUMAN</EventKey><SendPicsInfo><PicList><item><PicMd5Sum>x</PicMd5Sum></item></PicList></SendPicsInfo></xml>`,
	`<xml>` + strings.Repeat(`<a>`, 20) + strings.Repeat(`</a>`, 20) + `</xml>`,
	`<!DOCTYPE xml [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><xml><FromUserName>&b;</FromUserName></xml>`,
	"<xml><FromUserName>o\x00</FromUserName><MsgType>text</MsgType><Content>\xff\xfe</Content><MsgId>9</MsgId></xml>",
	`<xml><ToUserName><![CDATA[gh]]></ToUserName><Encrypt><![CDATA[bm90IGEgY2lwaGVydGV4dA==]]></Encrypt></xml>`,
	``,
}

// FuzzOpen feeds bodies through the whole verify → decrypt → parse →
// normalize path in each mode, correctly signed so the fuzzer gets past the
// signatures: it must never panic, every error must be one the handler maps
// to a 4xx, and every accepted push must normalize into something the hub
// can store.
func FuzzOpen(f *testing.F) {
	for _, s := range fuzzSeeds {
		for mode := range byte(3) {
			f.Add(mode, []byte(s))
		}
	}
	files, _ := filepath.Glob("testdata/pushes/*.xml")
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(byte(0), b)
			f.Add(byte(2), b)
		}
	}
	now := time.Now()
	f.Fuzz(func(t *testing.T, mode byte, body []byte) {
		ts := strconv.FormatInt(now.Unix(), 10)
		q := url.Values{"signature": {sign(fuzzKeys.Token, ts, "7")}, "timestamp": {ts}, "nonce": {"7"}}
		k := fuzzKeys
		switch mode % 3 {
		case 0: // plain: the body as sent
			k.Mode = ModePlain
		case 1: // safe: the body is the plaintext, encrypted and signed as WeChat does
			k.Mode = ModeSafe
			enc, err := util.EncryptMsg([]byte("0123456789abcdef"), body, k.AppID, k.AESKey)
			if err != nil {
				t.Fatal(err)
			}
			q.Set("encrypt_type", "aes")
			q.Set("msg_signature", sign(k.Token, ts, "7", string(enc)))
			body = []byte("<xml><ToUserName><![CDATA[gh]]></ToUserName><Encrypt><![CDATA[" + string(enc) + "]]></Encrypt></xml>")
		case 2: // safe: the body is an envelope, its Encrypt signed whatever it holds
			k.Mode = ModeSafe
			var env message.EncryptedXMLMsg
			_ = xml.Unmarshal(body, &env)
			q.Set("encrypt_type", "aes")
			q.Set("msg_signature", sign(k.Token, ts, "7", env.EncryptedMsg))
		}
		m, err := Open(k, ParamsFrom(q), body, now, time.Minute)
		if err != nil {
			var bad *MalformedError
			if !errors.As(err, &bad) && !errors.Is(err, ErrSignature) && !errors.Is(err, ErrPlaintext) {
				t.Fatalf("Open error %v (%T) maps to no 4xx", err, err)
			}
			return
		}
		if m.FromUserName == "" || m.MsgType == "" {
			t.Fatalf("accepted a push without sender or type: %+v", m)
		}
		ch := &hub.Channel{ID: "ch_fuzz", TenantID: "tn_fuzz", Type: Type}
		p := normalize(ch, &Config{Menu: map[string]MenuAction{"HUMAN": {OpenConversation: true}}}, m)
		if p.ignore {
			return
		}
		if p.in.ExternalID == "" || p.in.Contact.ExternalID == "" || (p.in.Event == "" && p.in.Type == "") {
			t.Fatalf("normalized into %+v: the hub would refuse it", p.in)
		}
		for _, a := range p.in.Attachments {
			if a.URL == "" || !utf8.ValidString(hub.Clean(a.URL)) {
				t.Fatalf("attachment without a usable URL: %+v", a)
			}
		}
	})
}
