package email_test

import (
	"encoding/base64"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"

	"github.com/kefu-hub/kefu/connectors/email"
)

// FuzzParse holds the MIME entry point to what the poller relies on: any
// bytes give a mail or an error, never a panic; what it keeps is valid
// UTF-8 without NUL bytes, bounded, with a Message-ID to store it once.
func FuzzParse(f *testing.F) {
	f.Add([]byte("From: a@b.test\r\nSubject: =?GBK?B?1tDOxA==?=\r\nMessage-ID: <x@y>\r\n\r\nhello"))
	f.Add([]byte("From: a@b.test\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\nContent-Type: text/html; charset=big5\r\n\r\n<p>\xa4\xa4</p><script>x</script>\r\n--b--\r\n"))
	f.Add([]byte("Content-Type: multipart/mixed; boundary=z\r\n\r\n--z\r\nContent-Disposition: attachment; filename=\"a.txt\"\r\nContent-Transfer-Encoding: base64\r\n\r\naGVsbG8=\r\n--z--"))
	f.Add([]byte("Auto-Submitted: auto-replied\r\nPrecedence: bulk\r\nReferences: <a@b> <c@d>\r\n\r\n"))
	f.Add([]byte("\x00\xff"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		m, err := email.Parse(strings.NewReader(string(raw)))
		if err != nil {
			return
		}
		for _, s := range []string{m.MessageID, m.Subject, m.Text, m.From, m.FromName} {
			if !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 {
				t.Fatalf("kept %q: invalid UTF-8 or NUL", s)
			}
		}
		if m.MessageID == "" || len(m.MessageID) > 250 || strings.ContainsAny(m.MessageID, "<> \t\r\n") {
			t.Fatalf("message id %q", m.MessageID)
		}
		if len(m.Text) > email.MaxTextBytes || len(m.Attachments) > email.MaxAttachments {
			t.Fatalf("text %d bytes, %d attachments: over the limits", len(m.Text), len(m.Attachments))
		}
		_ = m.Automatic("kefu@shop.test")
		_ = email.Reply(m.Text)
	})
}

func TestParseHTMLOnlyIsInertText(t *testing.T) {
	big5 := func(s string) string {
		b, err := traditionalchinese.Big5.NewEncoder().String(s)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	word := func(s string) string { return "=?big5?B?" + base64.StdEncoding.EncodeToString([]byte(big5(s))) + "?=" }
	raw := "From: " + word("王二") + " <wang@tw.test>\r\nSubject: " + word("問題") + "\r\nMessage-ID: <h@tw>\r\n" +
		"Content-Type: text/html; charset=big5\r\n\r\n<html><head><style>p{}</style></head><body><p>" + big5("你好") + "</p>" +
		"<script>alert(1)</script><img src=x onerror=alert(1)><div>&lt;b&gt;</div></body></html>"
	m, err := email.Parse(strings.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if m.Subject != "問題" || m.FromName != "王二" {
		t.Errorf("subject %q from %q: want Big5 words decoded", m.Subject, m.FromName)
	}
	if m.Text != "你好\n\n<b>" {
		t.Errorf("text = %q, want the HTML's text only (no script, style or tags; entities as text)", m.Text)
	}
}

// BenchmarkParse reads a typical Chinese customer mail: GBK text and HTML
// alternatives, an RFC 2047 subject, a 200 KB attachment.
func BenchmarkParse(b *testing.B) {
	gbk := func(s string) string {
		out, _ := simplifiedchinese.GBK.NewEncoder().String(s)
		return out
	}
	att := base64.StdEncoding.EncodeToString(make([]byte, 200<<10))
	raw := "From: =?GBK?B?" + base64.StdEncoding.EncodeToString([]byte(gbk("王小明"))) + "?= <w@c.test>\r\n" +
		"Subject: =?GBK?B?" + base64.StdEncoding.EncodeToString([]byte(gbk("订单还没发货"))) + "?=\r\nMessage-ID: <b@c>\r\n" +
		"Content-Type: multipart/mixed; boundary=m\r\n\r\n--m\r\nContent-Type: multipart/alternative; boundary=a\r\n\r\n" +
		"--a\r\nContent-Type: text/plain; charset=GBK\r\n\r\n" + gbk(strings.Repeat("你好，我的订单三天了还没有发货。\n", 20)) + "\r\n" +
		"--a\r\nContent-Type: text/html; charset=GBK\r\n\r\n<p>" + gbk("你好") + "</p>\r\n--a--\r\n" +
		"--m\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=\"a.pdf\"\r\n" +
		"Content-Transfer-Encoding: base64\r\n\r\n" + att + "\r\n--m--\r\n"
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		m, err := email.Parse(strings.NewReader(raw))
		if err != nil || len(m.Attachments) != 1 {
			b.Fatal(err)
		}
	}
}
