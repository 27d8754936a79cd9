package app

// Ratings (满意度) from an app, through the Go SDK the way the JavaScript
// SDK's ratingScale and rate call them: the user's app reads the tenant's
// scale with each level's reasons, sees the serving agent's avatar on the
// conversation, the agent frame and the reply, rates with reasons; a reason
// not on the level's list is refused (400 rating_reason) and stores
// nothing.

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	kefuapp "github.com/kefu-hub/kefu/connectors/app/sdk/go"
	"github.com/kefu-hub/kefu/e2e/kit"
)

func TestAppRatingWithReasons(t *testing.T) {
	t.Parallel()
	kit.ForModes(t, func(t *testing.T, m kit.Mode) {
		h := kit.NewEnv(t, m).Start()
		adm := h.Admin()
		ctx := context.Background()
		st := adm.Must(200, "GET", "/api/v1/ratings/settings", nil).JSONMap(t)
		st["levels"] = []map[string]any{{"score": 5, "label": "满意"}, {"score": 3, "label": "一般"},
			{"score": 1, "label": "不满意", "reasons": []string{"回复慢", "没解决"}}}
		adm.Must(200, "PUT", "/api/v1/ratings/settings", st)
		c, secret := newApp(t, adm, h.Base, map[string]any{"rating": true})
		agent := adm.NewAgent("app-rate@kefu.test", 5)
		avatar := agent.SetAvatar()
		agent.SetStatus("online")
		as := agent.Dial(-1)
		s, sock := userSocket(t, ctx, c, secret, "rate-u1")
		next(t, sock, "welcome")

		scale, err := s.RatingScale(ctx)
		if err != nil || !scale.Enabled || len(scale.Levels) != 3 || scale.Levels[2].Label != "不满意" ||
			strings.Join(scale.Levels[2].Reasons, "|") != "回复慢|没解决" || len(scale.Levels[0].Reasons) != 0 {
			t.Fatalf("the rating scale: %v %+v", err, scale)
		}

		sent, err := s.Send(ctx, "rt-1", "退款还没到账")
		if err != nil || sent.ConversationID == "" {
			t.Fatalf("send: %v %+v", err, sent)
		}
		conv := sent.ConversationID
		as.WaitFor("conversation.assigned", 15*time.Second, nil)
		if f := next(t, sock, "agent"); f["name"] != "app-rate" || f["avatar"] != avatar {
			t.Fatalf("agent frame %v, want the avatar %s", f, avatar)
		}
		agent.Must(201, "POST", "/api/v1/conversations/"+conv+"/messages", map[string]any{"content": "已为您加急"})
		if reply := waitMessage(t, sock, func(m map[string]any) bool { return m["direction"] == "out" }); reply["sender_avatar"] != avatar {
			t.Fatalf("the reply %v, want sender_avatar %s", reply, avatar)
		}
		if cs, err := s.Conversations(ctx); err != nil || len(cs) != 1 || cs[0].Agent == nil || cs[0].Agent.Avatar != avatar {
			t.Fatalf("conversations: %v %+v", err, cs)
		}
		if page, err := s.Messages(ctx, conv, 0); err != nil || len(page.Messages) != 2 || page.Messages[1].SenderAvatar != avatar ||
			page.Messages[0].SenderAvatar != "" {
			t.Fatalf("history: %v %+v", err, page)
		}

		agent.Must(200, "POST", "/api/v1/conversations/"+conv+"/close", map[string]any{})
		next(t, sock, "closed")
		var e *kefuapp.Error
		if err := s.Rate(ctx, conv, 1, "等太久", "回复慢", "价格太贵"); !errors.As(err, &e) || e.Status != 400 || e.Code != "rating_reason" {
			t.Fatalf("a reason not on the level's list: %v, want 400 rating_reason", err)
		}
		if err := s.Rate(ctx, conv, 5, "", "回复慢"); status(err) != 400 {
			t.Fatalf("another level's reason: %v, want 400", err)
		}
		var got struct {
			Rating *struct {
				Score   int      `json:"score"`
				Comment string   `json:"comment"`
				Reasons []string `json:"reasons"`
			} `json:"rating"`
		}
		agent.Must(200, "GET", "/api/v1/conversations/"+conv, nil).JSON(t, &got)
		if got.Rating != nil {
			t.Fatalf("a refused rating was stored: %+v", got.Rating)
		}
		if err := s.Rate(ctx, conv, 1, "等太久", "回复慢", "没解决"); err != nil {
			t.Fatalf("rate: %v", err)
		}
		agent.Must(200, "GET", "/api/v1/conversations/"+conv, nil).JSON(t, &got)
		if r := got.Rating; r == nil || r.Score != 1 || r.Comment != "等太久" || strings.Join(r.Reasons, "|") != "回复慢|没解决" {
			t.Fatalf("the stored rating: %+v", r)
		}
		var list struct {
			Ratings []struct {
				ConversationID string `json:"conversation_id"`
			} `json:"ratings"`
		}
		adm.Must(200, "GET", "/api/v1/ratings?reason="+url.QueryEscape("没解决"), nil).JSON(t, &list)
		if len(list.Ratings) != 1 || list.Ratings[0].ConversationID != conv {
			t.Fatalf("ratings with 没解决: %+v", list)
		}
	})
}
