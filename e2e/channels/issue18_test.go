package channels

// Issue 18, the server side of what an agent trips over on day one, over
// the web channel's wire protocol: an internal note or a transfer leaves no
// hole in the visitor's sequence (the widget's ping does not resync
// forever), a transfer names the new agent to the visitor once, the
// transfer reason is in the conversation for the receiving agent and the
// history, and the visitor's rating shows in the history list and the
// monitor.

import (
	"testing"
	"time"

	"github.com/kefu-hub/kefu/e2e/kit"
)

func TestWebIssue18NotesTransferRating(t *testing.T) {
	t.Parallel()
	kit.ForModes(t, func(t *testing.T, m kit.Mode) {
		h := kit.NewEnv(t, m).Start()
		adm := h.Admin()
		chID, _ := adm.NewWebChannel(map[string]any{"rating": true})
		first := adm.NewAgent("i18-first@kefu.test", 5)
		first.SetStatus("online")
		second := adm.NewAgent("i18-second@kefu.test", 5)
		as := first.Dial(-1)

		v, _, err := kit.DialVisitor(t, h.Base, chID, kit.VisitorOpts{})
		if err != nil {
			t.Fatal(err)
		}
		v.Say("c-1", "你好")
		convID := as.WaitFor("conversation.assigned", 10*time.Second, nil)["conversation_id"].(string)
		v.WaitFor("agent", 10*time.Second, nil)
		first.Must(201, "POST", "/api/v1/conversations/"+convID+"/messages", map[string]any{"content": "您好"})
		reply := v.WaitFor("message", 10*time.Second, func(f map[string]any) bool { return kit.Dig(f, "message", "direction") == "out" })
		seen := kit.Dig(reply, "message", "seq").(float64)

		// Bug 5: a note takes a seq the visitor never sees; the pong must not
		// point past what the visitor can get.
		first.Must(201, "POST", "/api/v1/conversations/"+convID+"/notes", map[string]any{"text": "VIP 客户"})
		v.Send(map[string]any{"type": "ping"})
		pong := v.WaitFor("pong", 10*time.Second, nil)
		if pong["last_seq"] != seen {
			t.Fatalf("pong after a note: last_seq %v, want %v (the visitor's last message): the widget would resync forever", pong["last_seq"], seen)
		}

		// Bug 6: a transfer names the new agent once. Bug 3: with its reason
		// in the conversation.
		second.SetStatus("online")
		first.Must(200, "POST", "/api/v1/conversations/"+convID+"/transfer",
			map[string]any{"agent_id": second.MeID(), "reason": "客户要开发票 i18-reason"})
		var frames []map[string]any
		agents := 0
		for f := v.Next(10 * time.Second); f != nil; f = v.Next(1500 * time.Millisecond) {
			frames = append(frames, f)
			if f["type"] == "agent" {
				agents++
				if f["name"] != "i18-second" {
					t.Fatalf("agent frame after the transfer: %v", f)
				}
			}
			if sq, ok := kit.Dig(f, "message", "seq").(float64); ok && f["type"] == "message" {
				seen = max(seen, sq)
			}
		}
		if agents != 1 {
			t.Fatalf("the visitor was told of the new agent %d times, want once: %v", agents, frames)
		}
		found := false
		for _, msg := range second.Messages(convID) {
			found = found || (msg.Direction == "internal" && msg.Type == "transfer" && msg.Text == "客户要开发票 i18-reason")
		}
		if !found {
			t.Fatalf("the receiving agent does not see the transfer reason: %+v", second.Messages(convID))
		}
		v.Send(map[string]any{"type": "ping"})
		if pong := v.WaitFor("pong", 10*time.Second, nil); pong["last_seq"] != seen {
			t.Fatalf("pong after the transfer: last_seq %v, want %v (the visitor's last message)", pong["last_seq"], seen)
		}

		// Bug 4: the rating shows in the history list and the monitor.
		second.Must(200, "POST", "/api/v1/conversations/"+convID+"/close", map[string]any{})
		v.WaitFor("closed", 10*time.Second, nil)
		v.Send(map[string]any{"type": "rate", "conversation_id": convID, "score": 4, "comment": "还行 i18-rated"})
		v.WaitFor("ack", 10*time.Second, func(f map[string]any) bool { return f["rate"] == convID })
		var list struct {
			Conversations []struct {
				ID     string `json:"id"`
				Rating *struct {
					Score   int    `json:"score"`
					Comment string `json:"comment"`
				} `json:"rating"`
			} `json:"conversations"`
		}
		adm.Must(200, "GET", "/api/v1/conversations?status=closed", nil).JSON(t, &list)
		if len(list.Conversations) != 1 || list.Conversations[0].Rating == nil || list.Conversations[0].Rating.Score != 4 ||
			list.Conversations[0].Rating.Comment != "还行 i18-rated" {
			t.Fatalf("history list after the rating: %+v", list)
		}
		var mon struct {
			Agents []struct {
				Name           string  `json:"name"`
				RatingsToday   int     `json:"ratings_today"`
				RatingAvgToday float64 `json:"rating_avg_today"`
			} `json:"agents"`
		}
		adm.Must(200, "GET", "/api/v1/monitor", nil).JSON(t, &mon)
		ok := false
		for _, a := range mon.Agents {
			ok = ok || (a.Name == "i18-second" && a.RatingsToday == 1 && a.RatingAvgToday == 4)
		}
		if !ok {
			t.Fatalf("monitor after the rating: %+v", mon)
		}
	})
}

// Bug 10: errors carry a stable reason (and its parameters) the UI shows in
// the user's language; bug 9: an admin sees which masking rule masked what.
func TestIssue18ErrorReasonsAndMaskPreview(t *testing.T) {
	t.Parallel()
	h := kit.NewEnv(t, kit.Embedded).Start()
	adm := h.Admin()
	anon := &kit.Client{T: t, Base: h.Base}
	r := anon.Do("POST", "/api/v1/auth/login", map[string]string{"email": "admin@kefu.test", "password": "wrong-pass-1"})
	if r.Status != 401 || r.Str("error.code") != "unauthorized" || r.Str("error.reason") != "wrong_credentials" {
		t.Fatalf("wrong password: %d %s", r.Status, r.Body)
	}
	adm.Must(201, "POST", "/api/v1/categories", map[string]any{"name": "投诉"})
	r = adm.Do("POST", "/api/v1/categories", map[string]any{"name": "投诉"})
	if r.Status != 409 || r.Str("error.reason") != "category_exists" || r.Str("error.params.name") != "投诉" {
		t.Fatalf("a second category 投诉: %d %s", r.Status, r.Body)
	}
	r = adm.Must(200, "POST", "/api/v1/automations/mask-preview",
		map[string]any{"text": "卡号 6222021234567890128，订单 1796482305127764514"})
	var pv struct {
		Masked string
		Hits   []struct{ Rule, Masked string }
	}
	r.JSON(t, &pv)
	if pv.Masked != "卡号 6222***********0128，订单 1796482305127764514" || len(pv.Hits) != 1 || pv.Hits[0].Rule != "bank_card" {
		t.Fatalf("mask preview: %s", r.Body)
	}
	if r := adm.Do("POST", "/api/v1/automations/mask-preview", map[string]any{"text": "x",
		"patterns": []map[string]any{{"name": "bad", "enabled": true, "regex": "("}}}); r.Status != 400 {
		t.Fatalf("mask preview with a bad pattern: %d %s", r.Status, r.Body)
	}
}
