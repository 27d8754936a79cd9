package robot_test

import (
	"context"
	"strings"
	"testing"

	"github.com/kefu-hub/kefu/hub/hubtest"
	"github.com/kefu-hub/kefu/hub/kb"
	"github.com/kefu-hub/kefu/hub/robot"
)

// TestRobotRichAnswer: an article with a rich answer is answered with its
// text (what every channel can show; the image as [图片]) and its image as
// an attachment (WeChat sends an image message), and its markup (the
// widget and the app build it);
// once the plain answer is edited elsewhere the image no longer goes.
func TestRobotRichAnswer(t *testing.T) {
	hubtest.Each(t, func(t *testing.T, h *hubtest.Hub) {
		ctx := context.Background()
		f := setup(t, h, robot.ModeFirst)
		ten := f.ten.Admin
		as, err := h.KB.List(ctx, ten.TenantID, kb.Filter{})
		if err != nil || len(as) != 1 {
			t.Fatal(as, err)
		}
		if _, err := h.Rich.Set(ctx, ten.TenantID, ten.ID, as[0].ID, `<p><b>满99元包邮</b></p>`+
			`<p><img src="https://cdn.example.com/ship.png" onerror="alert(1)"></p>`); err != nil {
			t.Fatal(err)
		}
		conv, _, _ := f.say(t, "m1", "邮费多少钱")
		var rows []struct {
			Text        string `db:"text"`
			Attachments string `db:"attachments"`
			Rich        string `db:"rich"`
		}
		q := `SELECT text, attachments, rich FROM messages WHERE conversation_id = ? AND sender_type = 'robot' ORDER BY seq`
		if err := h.K.Select(ctx, &rows, q, conv); err != nil || len(rows) != 2 {
			t.Fatalf("robot messages %+v %v", rows, err)
		}
		if rows[1].Text != "满99元包邮\n\n[图片]" || !strings.Contains(rows[1].Attachments, `"url":"https://cdn.example.com/ship.png"`) ||
			!strings.Contains(rows[1].Attachments, `"type":"image/*"`) {
			t.Errorf("rich answer sent as %+v", rows[1])
		}
		if rows[1].Rich != `<p><b>满99元包邮</b></p><p><img src="https://cdn.example.com/ship.png"></p>` || rows[0].Rich != "" {
			t.Errorf("the answer's markup (the widget and the app show it): %q, the greeting's %q", rows[1].Rich, rows[0].Rich)
		}

		if _, err := h.KB.Update(ctx, ten.TenantID, as[0].ID, kb.Patch{Answer: ptr("全场满99元包邮。")}); err != nil {
			t.Fatal(err)
		}
		conv, _, _ = f.say(t, "m2-other", "邮费多少钱") // same contact: the robot's conversation goes on
		rows = nil
		if err := h.K.Select(ctx, &rows, q, conv); err != nil || len(rows) < 3 {
			t.Fatalf("robot messages %+v %v", rows, err)
		}
		if last := rows[len(rows)-1]; last.Text != "全场满99元包邮。" || strings.Contains(last.Attachments, "ship.png") || last.Rich != "" {
			t.Errorf("after a plain edit the answer is %+v", last)
		}
	})
}
