package app

import (
	"context"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/e2e/kit"
)

// The agent's read receipt (已读): when the assigned agent reads the user's
// messages (POST /conversations/{id}/read, what the workbench sends as it
// shows them), the app gets {"type":"read","seq"} — before any reply; an
// admin looking in sends none; another tenant's agent cannot.
func TestAppAgentReadReceipt(t *testing.T) {
	t.Parallel()
	kit.ForModes(t, func(t *testing.T, m kit.Mode) {
		h := kit.NewEnv(t, m).Start()
		adm := h.Admin()
		ctx := context.Background()
		c, secret := newApp(t, adm, h.Base, nil)
		agent := adm.NewAgent("app-reader@kefu.test", 5)
		agent.SetStatus("online")
		as := agent.Dial(-1)
		s, sock := userSocket(t, ctx, c, secret, "u-r")
		next(t, sock, "welcome")
		sent, err := s.Send(ctx, "rm-1", "在吗")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Send(ctx, "rm-2", "订单 123"); err != nil {
			t.Fatal(err)
		}
		conv := sent.ConversationID
		as.WaitFor("conversation.assigned", 15*time.Second, nil)
		waitMessage(t, sock, func(m map[string]any) bool { return m["client_id"] == "rm-2" })

		// The admin's look (seq 1) must send nothing: the first read frame is
		// then the agent's (seq 99, capped at the last seq, 2).
		adm.Must(204, "POST", "/api/v1/conversations/"+conv+"/read", map[string]any{"seq": 1}) // not the assignee
		agent.Must(400, "POST", "/api/v1/conversations/"+conv+"/read", map[string]any{"seq": 0})
		agent.Must(204, "POST", "/api/v1/conversations/"+conv+"/read", map[string]any{"seq": 99})
		r := next(t, sock, "read")
		if r["conversation_id"] != conv || r["seq"] != float64(2) {
			t.Fatalf("first read frame %v, want the agent's, seq 2 of %s (seq 1 = the admin's look was sent)", r, conv)
		}
		adm.Must(201, "POST", "/api/v1/tenants", map[string]any{"name": "Other", "admin_email": "read-other@kefu.test",
			"admin_password": "other-pass-1"})
		other := kit.Login(t, h.Base, "read-other@kefu.test", "other-pass-1")
		other.Must(404, "POST", "/api/v1/conversations/"+conv+"/read", map[string]any{"seq": 1})
	})
}
