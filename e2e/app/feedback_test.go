package app

// "Helpful?" on robot answers from an app (issue 17), through the Go SDK the
// way the JavaScript SDK's rateAnswer calls it: a user rates the robot's
// answer once, another user cannot rate it, "没帮助" makes the robot offer
// a person, and the admins' unanswered list and article counts are the same
// ones the web widget's ratings feed.

import (
	"context"
	"testing"

	kefuapp "github.com/kefu-hub/kefu/connectors/app/sdk/go"
	"github.com/kefu-hub/kefu/e2e/kit"
)

func TestAppRobotAnswerFeedback(t *testing.T) {
	t.Parallel()
	kit.ForModes(t, func(t *testing.T, m kit.Mode) {
		h := kit.NewEnv(t, m).Start()
		adm := h.Admin()
		ctx := context.Background()
		c, secret := newApp(t, adm, h.Base, nil)
		art := adm.Must(201, "POST", "/api/v1/kb/articles", map[string]any{"question": "运费怎么收？",
			"similar": []string{"包邮吗", "邮费多少"}, "answer": "全场满99元包邮。"}).Str("id")
		adm.Must(200, "PUT", "/api/v1/channels/"+c.AppKey+"/robot", map[string]any{"mode": "first", "max_misses": 3})

		// answer asks as the user and returns the robot's rateable answer's id.
		answer := func(s *kefuapp.Session, sock *kefuapp.Socket, cid, text string) string {
			t.Helper()
			if _, err := s.Send(ctx, cid, text); err != nil {
				t.Fatal(err)
			}
			m := waitMessage(t, sock, func(m map[string]any) bool { return m["sender_type"] == "robot" && m["type"] == "answer" })
			if m["text"] != "全场满99元包邮。" {
				t.Fatalf("robot answered %q", m["text"])
			}
			return m["id"].(string)
		}
		s1, sock1 := userSocket(t, ctx, c, secret, "fb-u1")
		next(t, sock1, "welcome")
		id := answer(s1, sock1, "fb-1", "请问邮费多少")
		if err := s1.RateAnswer(ctx, id, true); err != nil {
			t.Fatalf("helpful: %v", err)
		}
		if err := s1.RateAnswer(ctx, id, false); status(err) != 409 {
			t.Errorf("rated twice: %v, want 409", err)
		}
		if err := s1.RateAnswer(ctx, "", true); status(err) != 400 {
			t.Errorf("no message id: %v, want 400", err)
		}

		s2, sock2 := userSocket(t, ctx, c, secret, "fb-u2")
		next(t, sock2, "welcome")
		if err := s2.RateAnswer(ctx, id, false); status(err) != 404 {
			t.Errorf("another user rates the answer: %v, want 404", err)
		}
		id2 := answer(s2, sock2, "fb-2", "包邮吗？")
		if err := s2.RateAnswer(ctx, id2, false); err != nil {
			t.Fatalf("not helpful: %v", err)
		}
		const offer = "抱歉没能帮到您。您可以换个说法再问，或回复“转人工”联系人工客服。"
		waitMessage(t, sock2, func(m map[string]any) bool { return m["text"] == offer })

		adm.WantRobotFeedback(art, []string{"包邮吗？"}, 1, 1)
	})
}
