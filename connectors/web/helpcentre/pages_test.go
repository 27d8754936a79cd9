package helpcentre

import (
	"strings"
	"testing"

	"github.com/kefu-hub/kefu/hub/kb"
)

// TestAnswerInert: an answer's markup is shown as text, its http(s) links
// become links and https images images, and nothing else becomes markup.
func TestAnswerInert(t *testing.T) {
	a := &kb.Article{ID: "kb_1", Question: `<b>q</b>`, Answer: "第一行 <script>alert(1)</script>\n见 https://a.example/x?y=1&z=2。\n\n" +
		"https://a.example/p.png javascript:alert(2) <a href=\"javascript:alert(3)\">x</a>"}
	b, err := renderPage("article", page{Site: Site{ChannelID: "ch_1", Color: "#0958d9"}, Lang: lang{Tag: "zh-CN", T: dict["zh-CN"]},
		Article: a, Answer: paragraphs(a.Answer)})
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for _, want := range []string{"&lt;script&gt;alert(1)&lt;/script&gt;", `<a href="https://a.example/x?y=1&amp;z=2"`,
		`<img src="https://a.example/p.png"`, "&lt;b&gt;q&lt;/b&gt;", "background:#0958d9", "<br>", "</p><p>"} {
		if !strings.Contains(s, want) {
			t.Errorf("page lacks %q:\n%s", want, s)
		}
	}
	for _, not := range []string{"<script", "<b>", `href="javascript`, `<a href="javascript`} {
		if strings.Contains(s, not) {
			t.Errorf("page holds %q", not)
		}
	}
}

func TestTagOf(t *testing.T) {
	for in, want := range map[string]string{"zh-CN": "zh-CN", "zh": "zh-CN", "zh-Hans-CN": "zh-CN", "zh-TW;q=0.8": "zh-TW",
		"zh-HK": "zh-TW", "zh-Hant": "zh-TW", "en-US": "en", "fr": "", "": ""} {
		if got := tagOf(in); got != want {
			t.Errorf("tagOf(%q) = %q, want %q", in, got, want)
		}
	}
}
