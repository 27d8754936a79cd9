package api

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/kefu-hub/kefu/hub"
)

func TestParseAccepts(t *testing.T) {
	type want struct {
		id, contactID, name, email, phone, typ, text, group string
		atts                                                int
	}
	cases := []struct {
		name, body string
		want       want
	}{
		{"the documented shape",
			`{"id":"m1","contact":{"id":"u1","name":"王小明","email":"w@x.cn","phone":"138"},"type":"text","text":"你好","group":"售前"}`,
			want{"m1", "u1", "王小明", "w@x.cn", "138", "text", "你好", "售前", 0}},
		{"type defaults to text", `{"id":"m1","contact":{"id":"u1"},"text":"hi"}`,
			want{id: "m1", contactID: "u1", typ: "text", text: "hi"}},
		{"ids are trimmed", `{"id":"  m1\t","contact":{"id":" u1 "},"text":"hi"}`,
			want{id: "m1", contactID: "u1", typ: "text", text: "hi"}},
		{"text keeps its spaces", `{"id":"m1","contact":{"id":"u1"},"text":"  hi  "}`,
			want{id: "m1", contactID: "u1", typ: "text", text: "  hi  "}},
		{"unknown fields are ignored (extend, never break)", `{"id":"m1","contact":{"id":"u1","vip":true},"text":"hi","meta":{"a":[1,2]},"v":2}`,
			want{id: "m1", contactID: "u1", typ: "text", text: "hi"}},
		{"attachments without text", `{"id":"m1","contact":{"id":"u1"},"type":"image","attachments":[{"url":"https://cdn.example.com/a.png","name":"a.png","type":"image/png","size":12}]}`,
			want{id: "m1", contactID: "u1", typ: "image", atts: 1}},
		{"ten attachments", `{"id":"m1","contact":{"id":"u1"},"type":"file","attachments":[` + strings.TrimSuffix(strings.Repeat(`{"url":"http://e.com/f"},`, 10), ",") + `]}`,
			want{id: "m1", contactID: "u1", typ: "file", atts: 10}},
		{"NUL bytes are dropped outside the ids", `{"id":"m1","contact":{"id":"u1","name":"A\u0000B"},"text":"x\u0000y","group":"g\u0000"}`,
			want{id: "m1", contactID: "u1", name: "AB", typ: "text", text: "xy", group: "g"}},
		{"invalid UTF-8 becomes U+FFFD", "{\"id\":\"m1\",\"contact\":{\"id\":\"u1\",\"name\":\"a\xffb\"},\"text\":\"c\xc3\x28d\"}",
			want{id: "m1", contactID: "u1", name: "a\uFFFDb", typ: "text", text: "c\uFFFD(d"}},
		{"lone surrogates become U+FFFD", `{"id":"m1","contact":{"id":"u1"},"text":"\ud800x"}`,
			want{id: "m1", contactID: "u1", typ: "text", text: "\uFFFDx"}},
		{"id of 255 bytes", `{"id":"` + strings.Repeat("x", 255) + `","contact":{"id":"u1"},"text":"hi"}`,
			want{id: strings.Repeat("x", 255), contactID: "u1", typ: "text", text: "hi"}},
		{"text of 20000 bytes", `{"id":"m1","contact":{"id":"u1"},"text":"` + strings.Repeat("y", 20000) + `"}`,
			want{id: "m1", contactID: "u1", typ: "text", text: strings.Repeat("y", 20000)}},
		{"whitespace around the object", " \n\t{\"id\":\"m1\",\"contact\":{\"id\":\"u1\"},\"text\":\"hi\"}\r\n ",
			want{id: "m1", contactID: "u1", typ: "text", text: "hi"}},
		{"every message type", `{"id":"m1","contact":{"id":"u1"},"type":"location","text":"31.2,121.5"}`,
			want{id: "m1", contactID: "u1", typ: "location", text: "31.2,121.5"}},
	}
	for _, c := range cases {
		p, err := Parse([]byte(c.body))
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		got := want{p.ID, p.Contact.ID, p.Contact.Name, p.Contact.Email, p.Contact.Phone, p.Type, p.Text, p.Group, len(p.Attachments)}
		if got != c.want {
			t.Errorf("%s:\n got %+v\nwant %+v", c.name, got, c.want)
		}
	}
}

func TestParseRejects(t *testing.T) {
	att := func(url string) string {
		return `{"id":"m1","contact":{"id":"u1"},"attachments":[{"url":` + fmt.Sprintf("%q", url) + `}]}`
	}
	cases := map[string]string{
		"empty":                         ``,
		"whitespace":                    ` `,
		"not JSON":                      `id=m1`,
		"truncated":                     `{"id":"m1"`,
		"null":                          `null`,
		"an array":                      `[{"id":"m1","contact":{"id":"u1"},"text":"hi"}]`,
		"a number":                      `42`,
		"an object for text":            `{"id":"m1","contact":{"id":"u1"},"text":{"$regex":".*"}}`,
		"an object for id":              `{"id":{"$ne":null},"contact":{"id":"u1"},"text":"hi"}`,
		"a number for id":               `{"id":1,"contact":{"id":"u1"},"text":"hi"}`,
		"a NUL byte in id":              `{"id":"m\u00001","contact":{"id":"u1"},"text":"hi"}`,
		"a NUL byte in contact.id":      `{"id":"m1","contact":{"id":"u\u00001"},"text":"hi"}`,
		"a bool for contact name":       `{"id":"m1","contact":{"id":"u1","name":true},"text":"hi"}`,
		"an array for contact":          `{"id":"m1","contact":["u1"],"text":"hi"}`,
		"an object for attachments":     `{"id":"m1","contact":{"id":"u1"},"attachments":{"url":"https://e.com"}}`,
		"a string for attachment size":  `{"id":"m1","contact":{"id":"u1"},"attachments":[{"url":"https://e.com","size":"1"}]}`,
		"trailing garbage":              `{"id":"m1","contact":{"id":"u1"},"text":"hi"}x`,
		"two objects":                   `{"id":"m1","contact":{"id":"u1"},"text":"hi"}{}`,
		"a trailing comma":              `{"id":"m1","contact":{"id":"u1"},"text":"hi",}`,
		"no id":                         `{"contact":{"id":"u1"},"text":"hi"}`,
		"an empty id":                   `{"id":"","contact":{"id":"u1"},"text":"hi"}`,
		"a blank id":                    `{"id":" \t ","contact":{"id":"u1"},"text":"hi"}`,
		"a NUL id":                      `{"id":"\u0000","contact":{"id":"u1"},"text":"hi"}`,
		"an id of 256 bytes":            `{"id":"` + strings.Repeat("x", 256) + `","contact":{"id":"u1"},"text":"hi"}`,
		"no contact":                    `{"id":"m1","text":"hi"}`,
		"no contact id":                 `{"id":"m1","contact":{"name":"n"},"text":"hi"}`,
		"a contact name of 256 bytes":   `{"id":"m1","contact":{"id":"u1","name":"` + strings.Repeat("n", 256) + `"},"text":"hi"}`,
		"a group of 256 bytes":          `{"id":"m1","contact":{"id":"u1"},"text":"hi","group":"` + strings.Repeat("g", 256) + `"}`,
		"an unknown type":               `{"id":"m1","contact":{"id":"u1"},"type":"html","text":"hi"}`,
		"a type in capitals":            `{"id":"m1","contact":{"id":"u1"},"type":"TEXT","text":"hi"}`,
		"no text, no attachments":       `{"id":"m1","contact":{"id":"u1"}}`,
		"blank text":                    `{"id":"m1","contact":{"id":"u1"},"text":" \n"}`,
		"NUL-only text":                 `{"id":"m1","contact":{"id":"u1"},"text":"\u0000\u0000"}`,
		"text of 20001 bytes":           `{"id":"m1","contact":{"id":"u1"},"text":"` + strings.Repeat("y", 20001) + `"}`,
		"11 attachments":                `{"id":"m1","contact":{"id":"u1"},"attachments":[` + strings.TrimSuffix(strings.Repeat(`{"url":"http://e.com/f"},`, 11), ",") + `]}`,
		"a javascript: attachment":      att("javascript:alert(1)"),
		"a data: attachment":            att("data:text/html,<script>alert(1)</script>"),
		"a relative attachment":         att("/etc/passwd"),
		"an attachment without url":     `{"id":"m1","contact":{"id":"u1"},"attachments":[{}]}`,
		"an attachment url over 2048":   att("https://e.com/" + strings.Repeat("a", 2048)),
		"an attachment url with spaces": att("https://e.com/a b\x7f"),
		"deep nesting":                  `{"id":"m1","contact":{"id":"u1"},"text":"hi","x":` + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + `}`,
	}
	for name, body := range cases {
		if _, err := Parse([]byte(body)); err == nil {
			t.Errorf("%s: Parse accepted %.80q", name, body)
		}
	}
}

func TestNormalize(t *testing.T) {
	p, err := Parse([]byte(`{"id":"m1","contact":{"id":"u1","name":"N","email":"e@x","phone":"1"},"type":"image","text":"t","group":"售后","attachments":[{"url":"https://e.com/a.png","name":"a.png"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	ch := &hub.Channel{ID: "ch_1", TenantID: "tn_1", Type: "api"}
	got := p.Normalize(ch)
	want := hub.Inbound{TenantID: "tn_1", ChannelID: "ch_1", ExternalID: "m1",
		Contact: hub.ContactInfo{ExternalID: "u1", Name: "N", Email: "e@x", Phone: "1"},
		Type:    "image", Text: "t", Group: "售后", Attachments: []hub.Attachment{{URL: "https://e.com/a.png", Name: "a.png"}}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Normalize:\n got %+v\nwant %+v", got, want)
	}
	if got.BusID() != "ch_1:m1" {
		t.Fatalf("BusID %q: the bus must deduplicate by channel and the sender's id", got.BusID())
	}
}
