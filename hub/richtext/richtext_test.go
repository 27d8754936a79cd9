package richtext_test

import (
	"strings"
	"testing"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/kefu-hub/kefu/hub/richtext"
)

// TestSanitizeKeepsFormatting: what an admin formats survives, with its
// plain rendering for text-only channels and search.
func TestSanitizeKeepsFormatting(t *testing.T) {
	in := `<p><strong>退货</strong>流程：</p><ol><li>打开订单</li><li>点击<em>申请售后</em></li></ol>` +
		`<ul><li>运费险自动理赔</li></ul><p>详见<a href="https://shop.example.com/help">帮助中心</a>。</p>` +
		`<p><img src="https://cdn.example.com/return.png" alt="退货入口"></p><p><img src="/api/v1/attachments/att_123"></p>`
	d := richtext.Sanitize(in)
	for _, want := range []string{"<strong>退货</strong>", "<ol><li>打开订单</li>", "<em>申请售后</em>",
		`href="https://shop.example.com/help"`, `rel="nofollow noreferrer noopener"`, `target="_blank"`,
		`src="https://cdn.example.com/return.png"`, `alt="退货入口"`, `src="/api/v1/attachments/att_123"`} {
		if !strings.Contains(d.HTML, want) {
			t.Errorf("sanitized markup lacks %s:\n%s", want, d.HTML)
		}
	}
	want := "退货流程：\n\n1. 打开订单\n2. 点击申请售后\n\n• 运费险自动理赔\n\n详见帮助中心 (https://shop.example.com/help)。\n\n[图片]\n\n[图片]"
	if d.Text != want {
		t.Errorf("text:\n%q\nwant\n%q", d.Text, want)
	}
	if len(d.Images) != 2 || d.Images[0] != "https://cdn.example.com/return.png" || d.Images[1] != "/api/v1/attachments/att_123" {
		t.Errorf("images %q", d.Images)
	}
	if got := richtext.Sanitize("第一行<br>第二行  有   空格").Text; got != "第一行\n第二行 有 空格" {
		t.Errorf("line break and spaces: %q", got)
	}
}

// xss are attacks the sanitizer must defuse (OWASP cheat-sheet shapes).
var xss = []string{
	`<script>alert(1)</script>`,
	`<img src=x onerror=alert(1)>`,
	`<img src="https://ok.example/a.png" onerror="alert(1)" onload=alert(2)>`,
	`<a href="javascript:alert(1)">x</a>`,
	`<a href="JaVaScRiPt:alert(1)">x</a>`,
	`<a href="&#106;avascript:alert(1)">x</a>`,
	`<a href="java&#x09;script:alert(1)">x</a>`,
	`<a href=" javascript:alert(1)">x</a>`,
	`<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>`,
	`<a href="vbscript:msgbox(1)">x</a>`,
	`<img src="javascript:alert(1)">`,
	`<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">`,
	`<img src="http://plain.example/a.png">`,
	`<img src="//evil.example/a.png">`,
	`<img src="/api/v1/attachments/../../admin">`,
	`<img src="/api/v1/agents">`,
	`<svg onload=alert(1)><circle/></svg>`,
	`<iframe src="https://evil.example"></iframe>`,
	`<object data="x"></object><embed src="x">`,
	`<style>body{display:none}</style><p style="background:url(javascript:alert(1))">x</p>`,
	`<p onclick="alert(1)" class="x" id="y">x</p>`,
	`<form action="https://evil.example"><input name=p><button>go</button></form>`,
	`<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>`,
	`<noscript><p title="</noscript><img src=x onerror=alert(1)>">`,
	`<a href="https://ok.example" onmouseover="alert(1)">x</a>`,
	`<base href="https://evil.example/"><meta http-equiv="refresh" content="0;url=https://evil.example">`,
	`<<script>script>alert(1)<</script>/script>`,
	`<img src="https://ok.example/a.png"/onerror=alert(1)>`,
	`<a href="https://ok.example/" target="_self">x</a>`,
	"<scr\x00ipt>alert(1)</script>",
}

// TestSanitizeDefusesXSS: after sanitizing, no element outside the
// allow-list, no attribute outside it, no event handler, no URL that is
// not https/http/mailto (links) or https/the hub's files (images).
func TestSanitizeDefusesXSS(t *testing.T) {
	for _, in := range xss {
		d := richtext.Sanitize(in)
		if msg := unsafe(d.HTML); msg != "" {
			t.Errorf("%s\n -> %s\n%s", in, d.HTML, msg)
		}
	}
}

var allowed = map[string]map[string]bool{
	"p": {}, "br": {}, "strong": {}, "b": {}, "em": {}, "i": {}, "u": {}, "s": {}, "ul": {}, "ol": {}, "li": {},
	"blockquote": {}, "h3": {}, "h4": {}, "pre": {}, "code": {},
	"a":   {"href": true, "rel": true, "target": true},
	"img": {"src": true, "alt": true},
}

// unsafe says what in sanitized markup breaks the allow-list ("" none), as
// a browser parses it.
func unsafe(markup string) string {
	nodes, err := html.ParseFragment(strings.NewReader(markup), &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div})
	if err != nil {
		return err.Error()
	}
	var bad []string
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			attrs, ok := allowed[n.Data]
			if !ok {
				bad = append(bad, "element "+n.Data)
			}
			for _, a := range n.Attr {
				switch {
				case !attrs[a.Key]:
					bad = append(bad, "attribute "+a.Key+" on "+n.Data)
				case a.Key == "href" && !(strings.HasPrefix(a.Val, "https://") || strings.HasPrefix(a.Val, "http://") ||
					strings.HasPrefix(a.Val, "mailto:")):
					bad = append(bad, "href "+a.Val)
				case a.Key == "src" && !(strings.HasPrefix(a.Val, "https://") ||
					(strings.HasPrefix(a.Val, richtext.FilesPrefix) && !strings.Contains(a.Val, ".."))):
					bad = append(bad, "src "+a.Val)
				case a.Key == "target" && a.Val != "_blank":
					bad = append(bad, "target "+a.Val)
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	for _, n := range nodes {
		walk(n)
	}
	return strings.Join(bad, "; ")
}

// FuzzSanitize: whatever the input, the output holds nothing outside the
// allow-list, sanitizing again changes nothing, and the text is valid.
func FuzzSanitize(f *testing.F) {
	for _, s := range xss {
		f.Add(s)
	}
	f.Add(`<p><strong>粗体</strong><a href="https://a.example">链接</a><img src="/api/v1/attachments/att_1"></p>`)
	f.Fuzz(func(t *testing.T, in string) {
		d := richtext.Sanitize(in)
		if msg := unsafe(d.HTML); msg != "" {
			t.Fatalf("%q -> %q: %s", in, d.HTML, msg)
		}
		if again := richtext.Sanitize(d.HTML); unsafe(again.HTML) != "" {
			t.Fatalf("resanitized %q: %s", again.HTML, unsafe(again.HTML))
		}
		if strings.ContainsRune(d.Text, 0) || strings.Contains(strings.ToLower(d.HTML), "<script") {
			t.Fatalf("%q -> %q / %q", in, d.HTML, d.Text)
		}
	})
}
