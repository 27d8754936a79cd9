package weibo

import (
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/kefu-hub/kefu/hub"
)

// fuzzSeeds are real push shapes and hostile ones.
var fuzzSeeds = []string{
	`{"type":"text","receiver_id":1902538057,"sender_id":2489518277,"created_at":"Mon Jul 16 18:09:20 +0800 2012","text":"私信","data":{}}`,
	`{"type":"image","receiver_id":1902538057,"sender_id":2489518277,"created_at":"Mon Jul 16 18:09:20 +0800 2012","text":"","data":{"vfid":821804459,"tovfid":821804460}}`,
	`{"type":"voice","receiver_id":1,"sender_id":2,"created_at":"Mon Jul 16 18:09:20 +0800 2012","data":{"vfid":"1","tovfid":"2"}}`,
	`{"type":"position","receiver_id":1,"sender_id":2,"created_at":"Mon Jul 16 18:09:20 +0800 2012","data":{"longitude":"116.3","latitude":"39.9"}}`,
	`{"type":"event","receiver_id":1,"sender_id":2,"created_at":"Mon Jul 16 18:09:20 +0800 2012","data":{"subtype":"follow","key":"","ticket":""}}`,
	`{"type":"event","receiver_id":1,"sender_id":2,"created_at":"Mon Jul 16 18:09:20 +0800 2012","data":{"subtype":"click","key":"HUMAN"}}`,
	`{"type":"mention","receiver_id":1,"sender_id":2,"created_at":"Mon Jul 16 18:09:20 +0800 2012","text":"@客服 在吗"}`,
	`{"type":"text","sender_id":9223372036854775807,"created_at":"Mon Jul 16 18:09:20 +0800 2012","text":"\u0000\ud800"}`,
	`{"type":"text","sender_id":9223372036854775808,"created_at":"Mon Jul 16 18:09:20 +0800 2012"}`,
	`{"type":"image","sender_id":2,"created_at":"Mon Jul 16 18:09:20 +0800 2012","data":{"tovfid":1e400}}`,
	`{"type":"position","sender_id":2,"created_at":"Mon Jul 16 18:09:20 +0800 2012","data":{"longitude":"NaN","latitude":"Inf"}}`,
	`{"type":"text","sender_id":2,"created_at":"Mon Jul 16 18:09:20 +0800 2012","data":[[[[[[[[[[]]]]]]]]]]}`,
	`{"type":"text","sender_id":2,"created_at":"Mon Jul 16 18:09:20 +0800 2012","data":""}`,
	`<xml><MsgType>text</MsgType></xml>`,
	``,
}

// FuzzParse feeds bodies through parse → normalize: it must never panic,
// every error must be the 400 the handler answers, and every accepted push
// must normalize into something the hub can store.
func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	ch := &hub.Channel{ID: "ch_fuzz", TenantID: "tn_fuzz", Type: Type}
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := Parse(body)
		if err != nil {
			var bad *MalformedError
			if !errors.As(err, &bad) {
				t.Fatalf("Parse error %v (%T) maps to no 400", err, err)
			}
			return
		}
		if !positiveInt(p.SenderID) || p.At.IsZero() {
			t.Fatalf("accepted a push without a sender or time: %+v", p)
		}
		r := normalize(ch, p)
		if r.ignore {
			return
		}
		in := r.in
		if in.ExternalID == "" || in.Contact.ExternalID != string(p.SenderID) || (in.Event == "" && in.Type == "") {
			t.Fatalf("normalized into %+v: the hub would refuse it", in)
		}
		if len(in.ExternalID) > 200 {
			t.Fatalf("a dedup key of %d bytes", len(in.ExternalID))
		}
		in.Sanitize()
		for _, a := range in.Attachments {
			if a.URL == "" || !utf8.ValidString(a.URL) {
				t.Fatalf("attachment without a usable URL: %+v", a)
			}
		}
		if len(r.media) != len(in.Attachments) && in.Type != "location" {
			t.Fatalf("media %d vs attachments %d", len(r.media), len(in.Attachments))
		}
	})
}

// FuzzCheckSignature: whatever the query holds, only the right signature
// within the window passes, and nothing panics.
func FuzzCheckSignature(f *testing.F) {
	f.Add("90e4c22c90a58f26526c2dd5b6c56c8822edeaa1", "1397022061823", "57155157")
	f.Add("", "", "")
	f.Add("x", "-1", "1")
	f.Add("x", "99999999999999999999999", "1")
	now := time.UnixMilli(1397022061823)
	f.Fuzz(func(t *testing.T, sig, ts, nonce string) {
		err := CheckSignature("xyz123xyz", Params{Signature: sig, Timestamp: ts, Nonce: nonce}, now, 5*time.Minute)
		if err == nil && strings.ToLower(sig) != Sign("xyz123xyz", ts, nonce) {
			t.Fatalf("accepted signature %q for %q %q", sig, ts, nonce)
		}
		if err != nil && !errors.Is(err, ErrSignature) {
			t.Fatalf("error %v maps to no 403", err)
		}
	})
}
