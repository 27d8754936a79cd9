package qq

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/kefu-hub/kefu/hub"
)

var testChannel = &hub.Channel{ID: "ch_qq", TenantID: "tn_1", Type: Type}

// The platform's documented bodies, as files in testdata, normalize to
// what agents see.
func TestNormalizeDocumented(t *testing.T) {
	cases := []struct {
		file                         string
		typ, text, contact, external string
		event                        hub.ContactEvent
		attachments                  int
	}{
		{"c2c_text.json", "text", "123", "E4F4AEA33253A2797FB897C50B81D7ED", "ROBOT1.0_.b6nx.CVbLF1kgUK7LzBV9LjIbnDMIHd.rBP9rkK7SwlhBmXwpYnQ7PbBs0C1gSxT5Y0wFNu5NpY0tdcDnpCxA!!", "", 0},
		{"c2c_image.json", "image", "看看这个", "E4F4AEA33253A2797FB897C50B81D7ED", "ROBOT1.0_image01", "", 1},
		{"group_at.json", "text", "帮我查下订单", GroupContact("C9F778FE6ADF9D1D1DBE395BF744A33A", "E4F4AEA33253A2797FB897C50B81D7ED"), "ROBOT1.0_group01", "", 0},
		{"friend_add.json", "event", "", "FA1A7E7B1FF3BD1D8A5C5CE7C8EE0F12", "ev:FRIEND_ADD:2f1c2b3a-4d5e-6f70-8192-a3b4c5d6e7f8", hub.ContactSubscribed, 0},
		{"friend_del.json", "event", "", "FA1A7E7B1FF3BD1D8A5C5CE7C8EE0F12", "ev:FRIEND_DEL:3f1c2b3a-4d5e-6f70-8192-a3b4c5d6e7f8", hub.ContactUnsubscribed, 0},
		{"msg_reject.json", "event", "", "FA1A7E7B1FF3BD1D8A5C5CE7C8EE0F12", "ev:C2C_MSG_REJECT:4f1c2b3a-4d5e-6f70-8192-a3b4c5d6e7f8", hub.ContactMuted, 0},
	}
	for _, c := range cases {
		body, err := os.ReadFile(filepath.Join("testdata", c.file))
		if err != nil {
			t.Fatal(err)
		}
		p, err := Parse(body)
		if err != nil {
			t.Fatalf("%s: %v", c.file, err)
		}
		d, err := normalize(testChannel, p)
		if err != nil {
			t.Fatalf("%s: %v", c.file, err)
		}
		in := d.in
		if in.Type != c.typ || in.Text != c.text || in.Contact.ExternalID != c.contact || in.ExternalID != c.external ||
			in.Event != c.event || len(in.Attachments) != c.attachments || len(d.media) != c.attachments {
			t.Errorf("%s: %+v (media %d), want type %s text %q contact %s external %s event %q, %d attachments",
				c.file, in, len(d.media), c.typ, c.text, c.contact, c.external, c.event, c.attachments)
		}
	}
}

// The image's URL without a scheme is fetched over https, and the file id
// is stable across retries of the same message.
func TestAttachment(t *testing.T) {
	body, _ := os.ReadFile(filepath.Join("testdata", "c2c_image.json"))
	p, _ := Parse(body)
	a, _ := normalize(testChannel, p)
	b, _ := normalize(testChannel, p)
	if a.media[0].Source != "https://multimedia.nt.qq.com.cn/download?appid=1407&fileid=Cgk&rkey=CAQS" ||
		a.media[0].ContentType != "image/jpeg" || a.media[0].Name != "A1B2C3.jpg" {
		t.Errorf("media %+v", a.media[0])
	}
	if a.media[0].ID != b.media[0].ID || a.in.Attachments[0].URL != "/api/v1/attachments/"+a.media[0].ID {
		t.Errorf("file ids %s / %s, attachment %+v", a.media[0].ID, b.media[0].ID, a.in.Attachments[0])
	}
}

func TestParseRefuses(t *testing.T) {
	for _, body := range []string{
		``, `[]`, `null`, `"x"`, `{"op":1}`, `{"op":13,"d":{}}`, `{"op":13,"d":{"plain_token":"p"}}`, `{"op":0}`,
		`{"op":0,"t":"C2C_MESSAGE_CREATE","d":`, `{"op":"0"}`,
	} {
		if _, err := Parse([]byte(body)); err == nil {
			t.Errorf("Parse(%q) accepted it", body)
		}
	}
	for _, body := range []string{
		`{"op":0,"t":"C2C_MESSAGE_CREATE","d":{"id":"m1","author":{}}}`,
		`{"op":0,"t":"C2C_MESSAGE_CREATE","d":{"author":{"user_openid":"u"}}}`,
		`{"op":0,"t":"GROUP_AT_MESSAGE_CREATE","d":{"id":"m1","author":{"member_openid":"u"}}}`,
		`{"op":0,"t":"C2C_MESSAGE_CREATE","d":[]}`,
		`{"op":0,"t":"FRIEND_ADD","d":{"timestamp":1}}`,
	} {
		p, err := Parse([]byte(body))
		if err != nil {
			t.Fatalf("Parse(%s): %v", body, err)
		}
		if _, err := normalize(testChannel, p); err == nil {
			t.Errorf("normalize(%s) accepted it", body)
		}
	}
	p, _ := Parse([]byte(`{"op":0,"t":"GUILD_CREATE","d":{}}`))
	if d, err := normalize(testChannel, p); err != nil || !d.ignore {
		t.Errorf("an event the hub does not use: %+v %v, want ignored", d, err)
	}
}
