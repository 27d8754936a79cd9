package hub

import "testing"

func TestTitle(t *testing.T) {
	for in, want := range map[string]string{
		"订单还没发货\n\n你好，三天了。":       "订单还没发货",                  // an e-mail: subject above the body
		"[留言]\n姓名: 张三\n留言内容: 请回电": "[留言]\n姓名: 张三\n留言内容: 请回电", // a form: the whole text
		"只有主题":                   "只有主题",
		"第一行\n第二行\n\n正文":         "第一行\n第二行\n\n正文",
		"\n\n  主题  \n\n正文\n\n更多": "主题",
	} {
		if got := Title(in); got != want {
			t.Errorf("Title(%q) = %q, want %q", in, got, want)
		}
	}
}
