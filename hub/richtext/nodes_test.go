package richtext

import (
	"encoding/json"
	"testing"
)

// TestNodes: sanitized markup becomes the node structure clients build
// with DOM calls: formatting and lists as elements, text as text (markup
// in it stays words), http(s) links only (javascript: dropped, mailto:
// its words), images as the sanitizer allows; links and the heading read
// back for WeChat's news message.
func TestNodes(t *testing.T) {
	in := `<h3>运费说明</h3><p><strong>满99</strong>元<em>包邮</em> &lt;b&gt;x&lt;/b&gt;</p><ul><li>江浙沪</li></ul>` +
		`<p><a href="https://shop.example.com/ship" onclick="x()">详情</a><a href="javascript:alert(1)">坏</a>` +
		`<a href="mailto:a@b.cn">邮件</a><img src="https://cdn.example.com/a.png" alt="图" onerror="x()">` +
		`<img src="http://cdn.example.com/b.png"><script>alert(1)</script></p>`
	ns := Nodes(in)
	got, _ := json.Marshal(ns)
	want := `[{"t":"h","c":[{"t":"text","text":"运费说明"}]},` +
		`{"t":"p","c":[{"t":"b","c":[{"t":"text","text":"满99"}]},{"t":"text","text":"元"},{"t":"i","c":[{"t":"text","text":"包邮"}]},{"t":"text","text":" \u003cb\u003ex\u003c/b\u003e"}]},` +
		`{"t":"ul","c":[{"t":"li","c":[{"t":"text","text":"江浙沪"}]}]},` +
		`{"t":"p","c":[{"t":"a","href":"https://shop.example.com/ship","c":[{"t":"text","text":"详情"}]},{"t":"text","text":"坏"},` +
		`{"t":"text","text":"邮件"},{"t":"img","src":"https://cdn.example.com/a.png","alt":"图"}]}]`
	if string(got) != want {
		t.Errorf("nodes\n got %s\nwant %s", got, want)
	}
	if l := Links(ns); len(l) != 1 || l[0] != (Link{Href: "https://shop.example.com/ship", Words: "详情"}) {
		t.Errorf("links %+v", l)
	}
	if h := Heading(ns); h != "运费说明" {
		t.Errorf("heading %q", h)
	}
	if Nodes("") != nil || Nodes("<script>x</script>") != nil {
		t.Error("nothing allowed should make no nodes")
	}
}
