package weibo

import (
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/kefu-hub/kefu/hub"
)

// Weibo's documentation example: secret xyz123xyz, timestamp 1397022061823
// (milliseconds), nonce 57155157.
func TestSignatureDocsVector(t *testing.T) {
	const want = "90e4c22c90a58f26526c2dd5b6c56c8822edeaa1"
	if got := Sign("xyz123xyz", "1397022061823", "57155157"); got != want {
		t.Fatalf("Sign = %s, want %s", got, want)
	}
	p := Params{Signature: want, Timestamp: "1397022061823", Nonce: "57155157"}
	at := time.UnixMilli(1397022061823)
	if err := CheckSignature("xyz123xyz", p, at.Add(time.Minute), 5*time.Minute); err != nil {
		t.Fatalf("the documented request a minute later: %v", err)
	}
	if err := CheckSignature("xyz123xyz", p, at.Add(time.Hour), 5*time.Minute); !errors.Is(err, ErrSignature) {
		t.Fatalf("the documented request replayed an hour later: %v, want refused", err)
	}
	for _, bad := range []Params{
		{Signature: want, Timestamp: "1397022061823", Nonce: "57155158"},
		{Signature: want, Timestamp: "1397022061824", Nonce: "57155157"},
		{Signature: "", Timestamp: "1397022061823", Nonce: "57155157"},
		{Signature: want, Timestamp: "", Nonce: ""},
	} {
		if err := CheckSignature("xyz123xyz", bad, at, 5*time.Minute); !errors.Is(err, ErrSignature) {
			t.Errorf("CheckSignature(%+v) = %v, want ErrSignature", bad, err)
		}
	}
	if err := CheckSignature("another", p, at, 5*time.Minute); !errors.Is(err, ErrSignature) {
		t.Errorf("another secret: %v", err)
	}
	// Seconds work as well as milliseconds.
	s := Params{Signature: Sign("xyz123xyz", "1397022061", "1"), Timestamp: "1397022061", Nonce: "1"}
	if err := CheckSignature("xyz123xyz", s, at, 5*time.Minute); err != nil {
		t.Errorf("a timestamp in seconds: %v", err)
	}
}

func TestParse(t *testing.T) {
	// The documentation's example, with a sender beyond float64's exact
	// integers (2^53+1): the id must survive digit for digit.
	doc := `{"type":"text","receiver_id":1902538057,"sender_id":9007199254740993,
		"created_at":"Mon Jul 16 18:09:20 +0800 2012","text":"私信或留言内容","data":{}}`
	p, err := Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if p.SenderID != "9007199254740993" || p.ReceiverID != "1902538057" || p.Text != "私信或留言内容" ||
		!p.At.Equal(time.Date(2012, 7, 16, 10, 9, 20, 0, time.UTC)) {
		t.Fatalf("parsed %+v", p)
	}
	img, err := Parse([]byte(`{"type":"image","receiver_id":1,"sender_id":2,"created_at":"Mon Jul 16 18:09:20 +0800 2012",
		"text":"","data":{"vfid":821804459,"tovfid":"821804460"}}`))
	if err != nil || img.Data.Vfid != "821804459" || img.Data.Tovfid != "821804460" {
		t.Fatalf("image: %+v, %v", img, err)
	}
	if p, err := Parse([]byte(`{"type":"text","sender_id":2,"created_at":"Mon Jul 16 18:09:20 +0800 2012","data":""}`)); err != nil || p.Data != (Data{}) {
		t.Fatalf("data as an empty string: %+v, %v", p, err)
	}
	for _, at := range []string{`"Mon Jul 6 18:09:20 +0800 2012"`, `"2012-07-06T18:09:20+08:00"`, `1341569360`, `"1341569360000"`} {
		p, err := Parse([]byte(`{"type":"text","sender_id":2,"created_at":` + at + `}`))
		if err != nil || !p.At.Equal(time.Date(2012, 7, 6, 10, 9, 20, 0, time.UTC)) {
			t.Errorf("created_at %s: %+v, %v", at, p, err)
		}
	}
	for _, bad := range []string{
		``, `null`, `[]`, `"text"`, `{}`,
		`{"type":"text","sender_id":2.5,"created_at":"Mon Jul 16 18:09:20 +0800 2012"}`,
		`{"type":"text","sender_id":-2,"created_at":"Mon Jul 16 18:09:20 +0800 2012"}`,
		`{"type":"text","sender_id":1e3,"created_at":"Mon Jul 16 18:09:20 +0800 2012"}`,
		`{"type":"text","sender_id":99999999999999999999,"created_at":"Mon Jul 16 18:09:20 +0800 2012"}`,
		`{"type":"text","sender_id":"abc","created_at":"Mon Jul 16 18:09:20 +0800 2012"}`,
		`{"type":"text","sender_id":2,"created_at":"2012-07-16"}`,
		`{"type":"text","sender_id":2,"created_at":-5}`,
		`{"type":"text","sender_id":2,"created_at":"Mon Jul 16 18:09:20 +0800 0001"}`,
		`{"type":"text","sender_id":2}`,
		`{"type":"text","receiver_id":"x","sender_id":2,"created_at":"Mon Jul 16 18:09:20 +0800 2012"}`,
		`{"type":"text","sender_id":2,"created_at":"Mon Jul 16 18:09:20 +0800 2012"}{}`,
		`{"type":["text"],"sender_id":2,"created_at":"Mon Jul 16 18:09:20 +0800 2012"}`,
		`<xml><MsgType>text</MsgType></xml>`,
	} {
		_, err := Parse([]byte(bad))
		var m *MalformedError
		if !errors.As(err, &m) {
			t.Errorf("Parse(%s) = %v, want a MalformedError", bad, err)
		}
	}
}

func TestNormalize(t *testing.T) {
	ch := &hub.Channel{ID: "ch_1", TenantID: "tn_1", Type: Type}
	at := `"created_at":"Mon Jul 16 18:09:20 +0800 2012"`
	norm := func(body string) pushed {
		t.Helper()
		p, err := Parse([]byte(body))
		if err != nil {
			t.Fatalf("Parse(%s): %v", body, err)
		}
		return normalize(ch, p)
	}
	text := norm(`{"type":"text","sender_id":2489518277,` + at + `,"text":"在吗"}`)
	if in := text.in; in.Type != "text" || in.Text != "在吗" || in.Contact.ExternalID != "2489518277" ||
		in.Contact.Name != "微博用户 8277" || in.TenantID != "tn_1" || in.ChannelID != "ch_1" || text.ignore {
		t.Fatalf("text: %+v", text)
	}
	// Same sender, same second: a retry dedups, another message does not.
	if again := norm(`{"type":"text","sender_id":2489518277,` + at + `,"text":"在吗"}`); again.in.ExternalID != text.in.ExternalID {
		t.Fatal("a retried push has another key")
	}
	if other := norm(`{"type":"text","sender_id":2489518277,` + at + `,"text":"你好"}`); other.in.ExternalID == text.in.ExternalID {
		t.Fatal("two messages of the same second share a key")
	}
	img := norm(`{"type":"image","sender_id":2,` + at + `,"data":{"vfid":1,"tovfid":2}}`)
	if img.in.Type != "image" || len(img.media) != 1 || img.media[0].Source != "2" || len(img.in.Attachments) != 1 ||
		!strings.HasPrefix(img.in.Attachments[0].URL, "/api/v1/attachments/at_") {
		t.Fatalf("image: %+v", img)
	}
	voice := norm(`{"type":"voice","sender_id":2,` + at + `,"data":{"vfid":3,"tovfid":4}}`)
	if voice.in.Type != "audio" || voice.media[0].ContentType != "audio/amr" || voice.media[0].ID == img.media[0].ID {
		t.Fatalf("voice: %+v", voice)
	}
	pos := norm(`{"type":"position","sender_id":2,` + at + `,"data":{"longitude":"116.308586","latitude":"39.982525"}}`)
	if pos.in.Type != "location" || pos.in.Text != "[位置] (39.982525, 116.308586)" || len(pos.in.Attachments) != 1 ||
		!strings.Contains(pos.in.Attachments[0].URL, "116.308586%2C39.982525") {
		t.Fatalf("position: %+v", pos)
	}
	if m := norm(`{"type":"mention","sender_id":2,` + at + `,"text":"@客服 快递丢了"}`); m.in.Type != TypeMention || m.in.Text != "@客服 快递丢了" {
		t.Fatalf("mention: %+v", m)
	}
	for sub, want := range map[string]hub.ContactEvent{"follow": hub.ContactSubscribed, "subscribe": hub.ContactSubscribed,
		"scan_follow": hub.ContactSubscribed, "unfollow": hub.ContactUnsubscribed, "unsubscribe": hub.ContactUnsubscribed,
		"scan": hub.ContactScanned, "click": hub.ContactClicked, "view": hub.ContactClicked} {
		e := norm(`{"type":"event","sender_id":2,` + at + `,"data":{"subtype":"` + sub + `","key":"K1"}}`)
		if e.ignore || e.in.Event != want || e.in.Text != "K1" || !strings.HasPrefix(e.in.ExternalID, "ev:2:") {
			t.Errorf("event %s: %+v", sub, e.in)
		}
	}
	click1 := norm(`{"type":"event","sender_id":2,` + at + `,"data":{"subtype":"click","key":"A"}}`)
	click2 := norm(`{"type":"event","sender_id":2,` + at + `,"data":{"subtype":"click","key":"B"}}`)
	if click1.in.ExternalID == click2.in.ExternalID {
		t.Error("two menu clicks in the same second share a key")
	}
	for _, ignored := range []string{
		`{"type":"event","sender_id":2,` + at + `,"data":{"subtype":"somethingnew"}}`,
		`{"type":"video","sender_id":2,` + at + `}`,
	} {
		if !norm(ignored).ignore {
			t.Errorf("%s was not ignored", ignored)
		}
	}
}

func TestSplit(t *testing.T) {
	if got := Split("你好", MaxText); len(got) != 1 || got[0] != "你好" {
		t.Fatalf("short text: %q", got)
	}
	if got := Split(" \n ", MaxText); len(got) != 0 {
		t.Fatalf("white space: %q", got)
	}
	long := strings.Repeat("字", 250) + "。" + strings.Repeat("二", 200)
	got := Split(long, MaxText)
	if len(got) != 2 || got[0] != strings.Repeat("字", 250)+"。" || strings.Join(got, "") != long {
		t.Fatalf("split at the full stop: %d parts %q", len(got), got)
	}
	hard := strings.Repeat("长", 700)
	got = Split(hard, MaxText)
	if len(got) != 3 || strings.Join(got, "") != hard {
		t.Fatalf("split without punctuation: %d parts", len(got))
	}
	for _, p := range got {
		if n := utf8.RuneCountInString(p); n > MaxText {
			t.Fatalf("a part of %d characters", n)
		}
	}
}
