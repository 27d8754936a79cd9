package desk

// Keyword auto-replies (关键词自动回复, issue 17): a rule answers before the
// knowledge base when the robot works a conversation, a rule marked always
// answers even with the robot off (the conversation still reaches a
// person), a link card reaches the channel as a card with its link in the
// text, and a bad pattern is refused in Chinese.

import (
	"strings"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/e2e/kit"
)

func TestKeywordAutoReplies(t *testing.T) {
	t.Parallel()
	kit.ForModes(t, func(t *testing.T, m kit.Mode) {
		d := newDesk(t, m)
		bad := d.admin.Must(400, "POST", "/api/v1/robot/keywords", map[string]any{"match": "regex", "pattern": "(订单", "reply": "x"})
		if !strings.Contains(string(bad.Body), "正则表达式无效") {
			t.Errorf("a bad regex: %s", bad.Body)
		}
		d.admin.Must(400, "POST", "/api/v1/robot/keywords", map[string]any{"match": "exact", "pattern": "x", "reply": "y",
			"channel_id": "ch_nope"})
		d.admin.Must(201, "POST", "/api/v1/kb/articles", map[string]any{"question": "运费怎么收？", "similar": []string{"邮费多少"},
			"answer": "全场满99元包邮。"})
		card := d.admin.Must(201, "POST", "/api/v1/robot/keywords", map[string]any{"match": "exact", "pattern": "发票",
			"always": true, "reply": "开票说明：", "card": map[string]any{"title": "如何开发票", "description": "在订单页申请电子发票",
				"url": "https://shop.example.com/invoice"}})
		rule := d.admin.Must(201, "POST", "/api/v1/robot/keywords", map[string]any{"match": "contains", "pattern": "运费",
			"priority": 5, "reply": "偏远地区运费另计，详见运费说明。", "channel_id": d.ch.ID}).Str("id")

		// The robot is off: the always rule answers and the agent has the
		// conversation; the other rule stays silent.
		cust := "cust-" + kit.RandHex(4)
		conv := d.say(t, cust, "顾客甲", "发票")
		kit.Eventually(t, 15*time.Second, "the card reply reaches the channel", func() bool {
			return len(d.cb.Texts(cust)) > 0
		})
		want := "开票说明：\n如何开发票\n在订单页申请电子发票\nhttps://shop.example.com/invoice"
		if got := d.cb.Texts(cust); got[0] != want {
			t.Errorf("the channel got %q, want %q", got, want)
		}
		for _, c := range d.cb.Received() {
			if text, _ := kit.Dig(c.Body, "data", "message", "text").(string); text == want {
				att := kit.Dig(c.Body, "data", "message", "attachments")
				if a, _ := att.([]any); len(a) != 1 || kit.Dig(a[0], "type") != "link" || kit.Dig(a[0], "url") != "https://shop.example.com/invoice" {
					t.Errorf("card attachment: %v", att)
				}
			}
		}
		if c := d.conversation(t, conv); c["assignee_id"] != d.agentI {
			t.Errorf("robot off: the conversation went to %v, want the agent", c["assignee_id"])
		}
		d.say(t, cust, "顾客甲", "运费多少")
		time.Sleep(300 * time.Millisecond) // a wrong reply would arrive by now
		if got := d.cb.Texts(cust); len(got) != 1 {
			t.Errorf("a rule that does not answer always answered with the robot off: %q", got)
		}

		// The robot answers first: the keyword rule beats the article.
		d.admin.Must(200, "PUT", "/api/v1/channels/"+d.ch.ID+"/robot", map[string]any{"mode": "first", "max_misses": 2})
		other := "cust-" + kit.RandHex(4)
		d.post(t, other, "邮费多少，运费怎么算")
		robot := d.waitRobot(t, d.convOf(t, other), 1)
		if robot[0].Text != "偏远地区运费另计，详见运费说明。" {
			t.Errorf("robot said %q, want the keyword reply", robot[0].Text)
		}
		var ks struct {
			Keywords []struct {
				ID   string `json:"id"`
				Hits int    `json:"hits"`
			}
		}
		d.admin.Must(200, "GET", "/api/v1/robot/keywords", nil).JSON(t, &ks)
		hits := map[string]int{}
		for _, k := range ks.Keywords {
			hits[k.ID] = k.Hits
		}
		if hits[rule] != 1 || hits[card.Str("id")] != 1 {
			t.Errorf("hits: %v", hits)
		}
		d.admin.Must(200, "PUT", "/api/v1/robot/keywords/"+rule, map[string]any{"match": "contains", "pattern": "运费",
			"enabled": false, "reply": "x"})
		d.admin.Must(200, "DELETE", "/api/v1/robot/keywords/"+rule, nil)
		d.admin.Must(404, "DELETE", "/api/v1/robot/keywords/"+rule, nil)
	})
}
