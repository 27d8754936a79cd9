package robot_test

import (
	"context"
	"strings"
	"testing"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/hubtest"
	"github.com/kefu-hub/kefu/hub/kb"
	"github.com/kefu-hub/kefu/hub/robot"
)

func ptr[T any](v T) *T { return &v }

type fx struct {
	*hubtest.Hub
	ten hubtest.Tenant
}

func setup(t *testing.T, h *hubtest.Hub, mode robot.Mode) fx {
	t.Helper()
	ctx := context.Background()
	f := fx{Hub: h, ten: h.NewTenant(t)}
	if _, err := h.KB.Create(ctx, f.ten.Admin.TenantID, kb.Patch{Question: ptr("运费怎么收？"),
		Similar: &[]string{"包邮吗", "邮费多少"}, Answer: ptr("全场满99元包邮。")}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Robot.SetSettings(ctx, f.ten.Admin.TenantID, f.ten.Channel.ID, robot.Settings{Mode: mode,
		Greeting: "您好", MaxMisses: 2}); err != nil {
		t.Fatal(err)
	}
	return f
}

// say stores a customer message as the pipeline does and, when the robot
// works the conversation, lets it answer; it reports the conversation and
// whether the robot handed it over.
func (f fx) say(t *testing.T, id, text string) (conv string, robotTurn, handed bool) {
	t.Helper()
	ctx := context.Background()
	in := f.ten.Msg(id, "cust")
	in.Text = text
	r := f.Inbox.Ingest(ctx, []hub.Inbound{in})[0]
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	if !r.ForRobot() {
		return r.ConversationID, false, false
	}
	handed, err := f.Robot.Answer(ctx, robot.Turn{TenantID: r.TenantID, ChannelID: in.ChannelID,
		ConversationID: r.ConversationID, MessageID: r.MessageID, New: r.New})
	if err != nil {
		t.Fatal(err)
	}
	return r.ConversationID, true, handed
}

func (f fx) waiting(t *testing.T, conv string) bool {
	t.Helper()
	var w []bool
	if err := f.K.Select(context.Background(), &w, `SELECT waiting FROM conversation_routing WHERE conversation_id = ?`, conv); err != nil {
		t.Fatal(err)
	}
	return len(w) == 1 && w[0]
}

func (f fx) robotSaid(t *testing.T, conv string) []string {
	t.Helper()
	var out []string
	q := `SELECT text FROM messages WHERE conversation_id = ? AND sender_type = 'robot' ORDER BY seq`
	if err := f.K.Select(context.Background(), &out, q, conv); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestRobotHoldsAnswersHandsOver: with mode first a new conversation is
// held out of the queue and answered; 转人工 queues it; with mode off the
// robot never engages. Both dialects.
func TestRobotHoldsAnswersHandsOver(t *testing.T) {
	hubtest.Each(t, func(t *testing.T, h *hubtest.Hub) {
		f := setup(t, h, robot.ModeFirst)
		conv, turn, handed := f.say(t, "m1", "邮费多少钱")
		if !turn || handed || f.waiting(t, conv) {
			t.Fatalf("first message: robot turn %v, handed %v, waiting %v", turn, handed, f.waiting(t, conv))
		}
		if got := f.robotSaid(t, conv); strings.Join(got, "|") != "您好|全场满99元包邮。" {
			t.Errorf("robot said %q", got)
		}
		if _, turn, handed = f.say(t, "m2", "我要转人工"); !turn || !handed || !f.waiting(t, conv) {
			t.Errorf("转人工: robot turn %v, handed %v, waiting %v", turn, handed, f.waiting(t, conv))
		}
		if _, turn, _ = f.say(t, "m3", "还在吗"); turn {
			t.Error("the robot still answers a handed-over conversation")
		}

		off := setup(t, h, robot.ModeOff)
		other := off.ten.Msg("o1", "cust2")
		r := h.Inbox.Ingest(context.Background(), []hub.Inbound{other})[0]
		if r.ForRobot() || !r.Routable() || !off.waiting(t, r.ConversationID) {
			t.Errorf("robot off: %+v, waiting %v", r, off.waiting(t, r.ConversationID))
		}
	})
}

// TestRobotMissesHandOver: unanswerable questions in a row hand over at
// max_misses, the first getting an apology or suggestions.
func TestRobotMissesHandOver(t *testing.T) {
	hubtest.Each(t, func(t *testing.T, h *hubtest.Hub) {
		f := setup(t, h, robot.ModeFirst)
		conv, _, handed := f.say(t, "m1", "你们老板是谁")
		if handed {
			t.Fatal("handed over after one miss")
		}
		if _, _, handed = f.say(t, "m2", "今天天气怎么样"); !handed || !f.waiting(t, conv) {
			t.Fatalf("second miss: handed %v", handed)
		}
		us, err := h.KB.Unanswered(context.Background(), f.ten.Admin.TenantID)
		if err != nil || len(us) != 2 || us[0].Hits != 1 {
			t.Errorf("unanswered questions: %+v %v", us, err)
		}
		said := f.robotSaid(t, conv)
		if len(said) != 3 || !strings.Contains(said[1], "转人工") || said[2] != "正在为您转接人工客服，请稍候。" {
			t.Errorf("robot said %q", said)
		}
	})
}

// TestRobotOffHours: mode off_hours answers only while nobody can: with an
// agent online, new conversations go straight to routing.
func TestRobotOffHours(t *testing.T) {
	hubtest.Each(t, func(t *testing.T, h *hubtest.Hub) {
		ctx := context.Background()
		f := setup(t, h, robot.ModeOffHours)
		if _, turn, _ := f.say(t, "m1", "邮费多少钱"); !turn {
			t.Fatal("nobody online: the robot does not answer")
		}
		if err := h.Identity.Agents.SetStatus(ctx, f.ten.Admin, hub.StatusOnline); err != nil {
			t.Fatal(err)
		}
		in := f.ten.Msg("n1", "cust-new")
		if r := h.Inbox.Ingest(ctx, []hub.Inbound{in})[0]; r.ForRobot() || !r.Routable() {
			t.Errorf("an agent online: %+v", r)
		}
	})
}
