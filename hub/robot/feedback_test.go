package robot_test

import (
	"context"
	"errors"
	"testing"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/hubtest"
	"github.com/kefu-hub/kefu/hub/robot"
)

// answerID is the robot's rateable answer in a conversation.
func (f fx) answerID(t *testing.T, conv string) string {
	t.Helper()
	var ids []string
	q := `SELECT id FROM messages WHERE conversation_id = ? AND sender_type = 'robot' AND type = 'answer' ORDER BY seq`
	if err := f.K.Select(context.Background(), &ids, q, conv); err != nil || len(ids) != 1 {
		t.Fatalf("rateable answers: %v %v", ids, err)
	}
	return ids[0]
}

// TestFeedbackOncePerAnswer: the customer rates the robot's answer once
// (again is a conflict, another customer's answer is not found); 没帮助
// counts the question as unanswered and offers a person while the robot
// works the conversation; the article's counts follow.
func TestFeedbackOncePerAnswer(t *testing.T) {
	hubtest.Each(t, func(t *testing.T, h *hubtest.Hub) {
		ctx := context.Background()
		f := setup(t, h, robot.ModeFirst)
		ch := f.ten.Channel
		conv, _, _ := f.say(t, "m1", "邮费多少钱")
		first := f.answerID(t, conv)
		if err := h.Robot.Feedback(ctx, ch, "someone-else", first, true); !errors.Is(err, hub.ErrNotFound) {
			t.Errorf("another customer rates the answer: %v", err)
		}
		if err := h.Robot.Feedback(ctx, ch, "cust", first, true); err != nil {
			t.Fatal(err)
		}
		if err := h.Robot.Feedback(ctx, ch, "cust", first, false); !errors.Is(err, hub.ErrConflict) {
			t.Errorf("rated twice: %v", err)
		}
		in := f.ten.Msg("o1", "cust2")
		in.Text = "包邮吗"
		r := h.Inbox.Ingest(ctx, []hub.Inbound{in})[0]
		if _, err := h.Robot.Answer(ctx, robot.Turn{TenantID: r.TenantID, ChannelID: ch.ID, ConversationID: r.ConversationID,
			MessageID: r.MessageID, New: true}); err != nil {
			t.Fatal(err)
		}
		if err := h.Robot.Feedback(ctx, ch, "cust2", f.answerID(t, r.ConversationID), false); err != nil {
			t.Fatal(err)
		}
		said := f.robotSaid(t, r.ConversationID)
		if said[len(said)-1] != "抱歉没能帮到您。您可以换个说法再问，或回复“转人工”联系人工客服。" {
			t.Errorf("after 没帮助 the robot said %q", said)
		}
		us, err := h.KB.Unanswered(ctx, f.ten.Admin.TenantID)
		if err != nil || len(us) != 1 || us[0].Question != "包邮吗" {
			t.Errorf("unanswered after 没帮助: %+v %v", us, err)
		}
		rs, err := h.Robot.ArticleRatings(ctx, f.ten.Admin.TenantID)
		if err != nil || len(rs) != 1 {
			t.Fatalf("ratings: %v %v", rs, err)
		}
		for _, r := range rs {
			if r != (robot.Rating{Helpful: 1, Unhelpful: 1}) {
				t.Errorf("article rating %+v, want 1 helpful, 1 unhelpful", r)
			}
		}
	})
}
