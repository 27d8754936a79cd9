package desk

// Rich answers (issue 17): an admin's formatted answer is kept sanitized,
// its text becomes the article's answer, and the robot answers with the
// text and the answer's image.

import (
	"strings"
	"testing"

	"github.com/kefu-hub/kefu/e2e/kit"
)

func TestKBRichAnswer(t *testing.T) {
	t.Parallel()
	kit.ForModes(t, func(t *testing.T, m kit.Mode) {
		d := newDesk(t, m)
		id := d.admin.Must(201, "POST", "/api/v1/kb/articles", map[string]any{"question": "运费怎么收？",
			"similar": []string{"包邮吗", "邮费多少"}, "answer": "全场满99元包邮。"}).Str("id")
		path := "/api/v1/kb/articles/" + id + "/rich"
		d.admin.Must(400, "PUT", path, map[string]any{"html": `<script>alert(1)</script>`})
		d.admin.Must(404, "PUT", "/api/v1/kb/articles/kb_nope/rich", map[string]any{"html": "<p>x</p>"})
		d.agent.Must(403, "PUT", path, map[string]any{"html": "<p>x</p>"})
		set := d.admin.Must(200, "PUT", path, map[string]any{"html": `<p><strong>满99元包邮</strong>，详见` +
			`<a href="javascript:alert(1)">这里</a><a href="https://shop.example.com/ship">运费说明</a></p>` +
			`<img src="https://cdn.example.com/ship.png" onerror="alert(1)">`})
		html := set.Str("html")
		if strings.Contains(html, "javascript") || strings.Contains(html, "onerror") || !strings.Contains(html, "<strong>满99元包邮</strong>") {
			t.Fatalf("sanitized: %s", set.Body)
		}
		if got := d.agent.Must(200, "GET", path, nil).Str("html"); got != html {
			t.Errorf("agent reads %q, want %q", got, html)
		}
		want := "满99元包邮，详见这里运费说明 (https://shop.example.com/ship)\n\n[图片]"
		if a := d.agent.Must(200, "GET", "/api/v1/kb/articles/"+id, nil); a.Str("answer") != want {
			t.Errorf("article answer %q, want %q", a.Str("answer"), want)
		}

		d.admin.Must(200, "PUT", "/api/v1/channels/"+d.ch.ID+"/robot", map[string]any{"mode": "first", "max_misses": 2})
		contact := "cust-" + kit.RandHex(4)
		d.post(t, contact, "邮费多少钱")
		conv := d.convOf(t, contact)
		robot := d.waitRobot(t, conv, 1)
		if robot[0].Text != want {
			t.Errorf("robot said %q", robot[0].Text)
		}
		var ms struct {
			Messages []struct {
				SenderType  string `json:"sender_type"`
				Attachments []struct{ URL, Type string }
			}
		}
		d.admin.Must(200, "GET", "/api/v1/conversations/"+conv+"/messages", nil).JSON(t, &ms)
		found := false
		for _, m := range ms.Messages {
			for _, a := range m.Attachments {
				found = found || (m.SenderType == "robot" && a.URL == "https://cdn.example.com/ship.png" && a.Type == "image/*")
			}
		}
		if !found {
			t.Errorf("the robot's answer lacks its image: %+v", ms.Messages)
		}
	})
}
