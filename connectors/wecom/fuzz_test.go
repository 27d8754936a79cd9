package wecom

import (
	"errors"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/silenceper/wechat/v2/util"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/files"
)

var fuzzKeys = Keys{CorpID: "ww0123456789abcdef", Token: "fuzzToken01", AESKey: "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"}

// fuzzNotices are decrypted callbacks, documented and hostile.
var fuzzNotices = []string{
	`<xml><ToUserName><![CDATA[ww0123456789abcdef]]></ToUserName><CreateTime>1348831860</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[kf_msg_or_event]]></Event><Token><![CDATA[ENCApHxnGDNAVNY4AaSJKj4Tb5mwsEMzxhFmHVGcra996NR]]></Token><OpenKfId><![CDATA[wkxxxxxxx]]></OpenKfId></xml>`,
	`<xml><Event>kf_msg_or_event</Event><MsgType>event</MsgType><Token>` + strings.Repeat("T", 600) + `</Token></xml>`,
	`<!DOCTYPE xml [<!ENTITY e "x">]><xml><Event>&e;</Event></xml>`,
	`<xml>` + strings.Repeat(`<a>`, 20) + `</xml>`,
	"<xml><Event>\x00\xff</Event><MsgType>event</MsgType></xml>",
	``,
}

// FuzzOpen encrypts and signs a notice as WeCom does and opens it: Open
// accepts it exactly when the notice parses; raw bodies (signed over
// whatever Encrypt they hold) never panic and fail only with the errors
// the handler maps to 400 or 401.
func FuzzOpen(f *testing.F) {
	for _, s := range fuzzNotices {
		f.Add([]byte(s), []byte(`<xml><Encrypt><![CDATA[`+s+`]]></Encrypt></xml>`))
	}
	now := time.Unix(1725442341, 0)
	p := Params{Timestamp: "1725442341", Nonce: "1372623149"}
	f.Fuzz(func(t *testing.T, plain, raw []byte) {
		enc, err := util.EncryptMsg([]byte("0123456789abcdef"), plain, fuzzKeys.CorpID, fuzzKeys.AESKey)
		if err != nil {
			t.Fatal(err)
		}
		body := []byte("<xml><ToUserName>x</ToUserName><Encrypt><![CDATA[" + string(enc) + "]]></Encrypt></xml>")
		p.MsgSignature = sign(fuzzKeys.Token, p.Timestamp, p.Nonce, string(enc))
		n, err := Open(fuzzKeys, p, body, now, time.Minute)
		_, perr := ParseNotice(plain)
		if (err == nil) != (perr == nil) {
			t.Fatalf("Open = %v but ParseNotice = %v", err, perr)
		}
		if err == nil && (len(n.Token) > maxField || len(n.OpenKfID) > maxField) {
			t.Fatalf("an accepted notice exceeds the bounds: %+v", n)
		}
		p.MsgSignature = sign(fuzzKeys.Token, p.Timestamp, p.Nonce, string(raw))
		_, err = Open(fuzzKeys, p, raw, now, time.Minute)
		var bad *MalformedError
		if err != nil && !errors.Is(err, ErrSignature) && !errors.As(err, &bad) {
			t.Fatalf("Open(raw) error %T %v is neither a signature nor a malformed-body error", err, err)
		}
	})
}

// FuzzParsePage feeds sync_msg answers through ParsePage → normalize: it
// must never panic, and what would be published is storable (after the
// hub's Sanitize): a dedup key within bounds, a customer, something to
// show, attachments only as the hub's own file URLs.
func FuzzParsePage(f *testing.F) {
	b, _ := os.ReadFile("testdata/sync_msg.json")
	f.Add(b)
	f.Add([]byte(`{"msg_list":[{"msgid":"m","origin":3,"external_userid":"u","msgtype":"image","image":{"media_id":""}}]}`))
	f.Add([]byte("{\"msg_list\":[{\"msgid\":\"m\\u0000\",\"origin\":3,\"external_userid\":\"u\xff\",\"msgtype\":\"text\",\"text\":{\"content\":\"\\u0000\xfe\"}}]}"))
	f.Add([]byte(`{"msg_list":[{"msgid":"m","origin":4,"msgtype":"event","event":{"event_type":"enter_session"}}]}`))
	f.Add([]byte(`{"next_cursor":` + strings.Repeat(`"`, 3) + `}`))
	ch := &hub.Channel{ID: "ch_fuzz", TenantID: "tn_fuzz", Type: Type}
	a := &account{Config: Config{CorpID: fuzzKeys.CorpID, OpenKfID: "wkAJ2GCAAASSm4_FhToWMFea0xAFfd3Q"}}
	f.Fuzz(func(t *testing.T, raw []byte) {
		p, err := ParsePage(raw)
		if err != nil {
			var bad *MalformedError
			if !errors.As(err, &bad) {
				t.Fatalf("ParsePage error %T %v", err, err)
			}
			return
		}
		for i := range p.MsgList {
			it := normalize(ch, a, &p.MsgList[i])
			if it.ignore {
				continue
			}
			in := it.in
			in.Sanitize()
			if in.ExternalID == "" || len(in.ExternalID) > 2*maxIDLen || in.Contact.ExternalID == "" || !utf8.ValidString(in.Text) {
				t.Fatalf("unstorable inbound %+v", in)
			}
			if in.Event == "" && in.Text == "" && len(in.Attachments) == 0 {
				t.Fatalf("a message with nothing to show: %+v", in)
			}
			for _, att := range in.Attachments {
				u, err := url.Parse(att.URL)
				web := err == nil && (u.Scheme == "https" || u.Scheme == "http") && (att.Type == "link" || att.Type == "location")
				if files.FileIDFromURL(att.URL) == "" && !web {
					t.Fatalf("attachment %+v is neither a hub file nor an http(s) link or map", att)
				}
			}
		}
	})
}
