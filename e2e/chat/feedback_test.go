package chat

// "Helpful?" on robot answers (issue 17): a web visitor rates the robot's
// answer once (a second rating is refused), "没帮助" makes the robot offer a
// person and puts the question on the admins' unanswered list, and the
// knowledge-base list shows the article's counts.

import (
	"slices"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/e2e/kit"
)

func TestRobotAnswerFeedback(t *testing.T) {
	t.Parallel()
	kit.ForModes(t, func(t *testing.T, m kit.Mode) {
		h := kit.NewEnv(t, m).Start()
		adm := h.Admin()
		ch, _ := adm.NewWebChannel(map[string]any{})
		art := adm.Must(201, "POST", "/api/v1/kb/articles", map[string]any{"question": "运费怎么收？",
			"similar": []string{"包邮吗", "邮费多少"}, "answer": "全场满99元包邮。"}).Str("id")
		adm.Must(200, "PUT", "/api/v1/channels/"+ch+"/robot", map[string]any{"mode": "first", "max_misses": 3})

		// answer asks and returns the robot's rateable answer's id.
		answer := func(v *kit.Visitor, text string) string {
			v.Say("c-"+kit.RandHex(6), text)
			f := v.WaitFor("message", 15*time.Second, func(f map[string]any) bool {
				return kit.Dig(f, "message", "sender_type") == "robot" && kit.Dig(f, "message", "type") == "answer"
			})
			if kit.MessageText(f) != "全场满99元包邮。" {
				t.Fatalf("robot answered %q", kit.MessageText(f))
			}
			return kit.Dig(f, "message", "id").(string)
		}
		var seen []string // texts of the message frames that came while waiting
		rate := func(v *kit.Visitor, id string, helpful bool) map[string]any {
			v.Send(map[string]any{"type": "feedback", "message_id": id, "helpful": helpful})
			for {
				f := v.Next(10 * time.Second)
				if f == nil {
					t.Fatalf("no answer to the feedback on %s", id)
				}
				if f["feedback"] == id {
					return f
				}
				if f["type"] == "message" {
					seen = append(seen, kit.MessageText(f))
				}
			}
		}

		v1, _, err := kit.DialVisitor(t, h.Base, ch, kit.VisitorOpts{})
		if err != nil {
			t.Fatal(err)
		}
		id := answer(v1, "请问邮费多少")
		if f := rate(v1, id, true); f["type"] != "ack" {
			t.Fatalf("helpful: %v", f)
		}
		if f := rate(v1, id, false); f["type"] != "error" || kit.Dig(f, "error", "code") != "conflict" {
			t.Errorf("rated twice: %v", f)
		}

		v2, _, err := kit.DialVisitor(t, h.Base, ch, kit.VisitorOpts{})
		if err != nil {
			t.Fatal(err)
		}
		if f := rate(v2, id, false); f["type"] != "error" || kit.Dig(f, "error", "code") != "not_found" {
			t.Errorf("another visitor rates the answer: %v", f)
		}
		id2 := answer(v2, "包邮吗？")
		if f := rate(v2, id2, false); f["type"] != "ack" {
			t.Fatalf("not helpful: %v", f)
		}
		const offer = "抱歉没能帮到您。您可以换个说法再问，或回复“转人工”联系人工客服。"
		if !slices.Contains(seen, offer) { // the message may overtake the ack
			v2.WaitFor("message", 15*time.Second, func(f map[string]any) bool { return kit.MessageText(f) == offer })
		}

		adm.WantRobotFeedback(art, []string{"包邮吗？"}, 1, 1)
	})
}
