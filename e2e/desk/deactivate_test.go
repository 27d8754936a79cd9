package desk

// Admins "delete" agents and channels by deactivating them (issue 15): the
// agent is out at once and their chats change hands, the channel takes no
// new messages the way each platform expects, history stays (the agent's
// avatar is no longer served), and both come back when reactivated.

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/connectors/wechat/wechattest"
	"github.com/kefu-hub/kefu/e2e/kit"
)

func TestDeactivateAgent(t *testing.T) {
	t.Parallel()
	kit.ForModes(t, func(t *testing.T, m kit.Mode) {
		h := kit.NewEnv(t, m).Start() // the default session recheck (25 s): the socket must end on the event
		adm := h.Admin()
		ch := adm.NewAPIChannel("", nil)
		leaver := adm.NewAgent("leaver@kefu.test", 5)
		leaverID := leaver.MeID()
		avatar := leaver.SetAvatar()
		avatarStatus := func() int { // as a visitor's widget loads it: no sign-in
			t.Helper()
			res, err := http.Get(h.Base + avatar)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			return res.StatusCode
		}
		leaver.SetStatus("online")
		sock := leaver.Dial(-1)
		if st, b := ch.Post(t, h.Base, kit.TextMsg("dz-1", "cust-dz", "我的订单到哪了")); st != 200 {
			t.Fatalf("post: %d %s", st, b)
		}
		convID, _ := kit.Dig(sock.WaitFor("conversation.assigned", 15*time.Second, nil), "conversation_id").(string)
		leaver.Must(201, "POST", "/api/v1/conversations/"+convID+"/messages", map[string]any{"content": "正在为您查询"})
		heir := adm.NewAgent("heir@kefu.test", 5)
		heirID := heir.MeID()
		heir.SetStatus("online")

		adm.Must(400, "POST", "/api/v1/agents/"+adm.MeID()+"/deactivate", nil)
		adm.Must(400, "POST", "/api/v1/agents/"+leaverID+"/deactivate", map[string]any{"reassign_to": leaverID})
		adm.Must(400, "POST", "/api/v1/agents/"+leaverID+"/deactivate", map[string]any{"reassign_to": "ag_nobody"})
		adm.Must(404, "POST", "/api/v1/agents/ag_nobody/deactivate", nil)
		if r := heir.Do("POST", "/api/v1/agents/"+leaverID+"/deactivate", nil); r.Status != 403 {
			t.Fatalf("an agent deactivates another: %d", r.Status)
		}

		start := time.Now()
		var a agentView
		adm.Must(200, "POST", "/api/v1/agents/"+leaverID+"/deactivate", map[string]any{"reassign_to": heirID}).JSON(t, &a)
		if !a.Disabled || a.Status != "offline" || a.CurrentChats != 0 {
			t.Fatalf("deactivated agent %+v", a)
		}
		if st, who := adm.ConvStatus(convID); st != "open" || who != heirID {
			t.Fatalf("the conversation is %s with %q, want open with the chosen agent", st, who)
		}
		if got := leaver.Do("GET", "/api/v1/me", nil); got.Status != 401 {
			t.Fatalf("the deactivated agent's next request: %d, want 401", got.Status)
		}
		select {
		case _, open := <-sock.Frames:
			for open {
				_, open = <-sock.Frames
			}
			if err := <-sock.Errc; !strings.Contains(err.Error(), "4401") {
				t.Fatalf("the socket ended with %v, want 4401", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("the deactivated agent's socket is still open")
		}
		if took := time.Since(start); took > 10*time.Second {
			t.Fatalf("the socket closed after %v", took)
		}
		if r := loginWith(&kit.Client{T: t, Base: h.Base}, "leaver@kefu.test", "agent-pass-1", ""); r.Status != 401 {
			t.Fatalf("a deactivated agent signs in: %d", r.Status)
		}
		if st := avatarStatus(); st != 404 {
			t.Fatalf("the deactivated agent's avatar: %d, want 404", st)
		}
		// History keeps their name: the reply they sent, and the agent record.
		if msgs := heir.Messages(convID); !hasText(msgs, "正在为您查询") {
			t.Fatalf("the new agent does not see the history: %+v", msgs)
		}
		adm.Must(200, "GET", "/api/v1/agents/"+leaverID, nil).JSON(t, &a)
		if a.ID != leaverID || !a.Disabled {
			t.Fatalf("the deactivated agent's record %+v", a)
		}
		// Not routed: a new customer goes to the heir.
		if st, b := ch.Post(t, h.Base, kit.TextMsg("dz-2", "cust-dz2", "你好")); st != 200 {
			t.Fatalf("post: %d %s", st, b)
		}
		c2 := adm.ConversationOf("cust-dz2", 15*time.Second)
		kit.Eventually(t, 15*time.Second, "the new customer goes to the active agent", func() bool {
			_, who := adm.ConvStatus(c2["id"].(string))
			return who == heirID
		})

		adm.Must(200, "POST", "/api/v1/agents/"+leaverID+"/reactivate", nil).JSON(t, &a)
		if a.Disabled {
			t.Fatalf("reactivated agent %+v", a)
		}
		kit.Login(t, h.Base, "leaver@kefu.test", "agent-pass-1")
		if st := avatarStatus(); st != 200 {
			t.Fatalf("the reactivated agent's avatar: %d, want 200", st)
		}

		es := auditList(adm, url.Values{"target": {leaverID}}).Entries
		if e := find(es, "agent.deactivate", leaverID); e == nil || !strings.Contains(e.Detail, "reassign_to") {
			t.Fatalf("audit entries %+v: want agent.deactivate naming reassign_to", es)
		}
		if find(es, "agent.reactivate", leaverID) == nil {
			t.Fatalf("audit entries %+v: want agent.reactivate", es)
		}
	})
}

func hasText(msgs []kit.Msg, text string) bool {
	for _, m := range msgs {
		if strings.Contains(m.Text, text) {
			return true
		}
	}
	return false
}

func TestDeactivateChannel(t *testing.T) {
	t.Parallel()
	kit.ForModes(t, func(t *testing.T, m kit.Mode) {
		fake := wechattest.New(t)
		e := kit.NewEnv(t, m)
		e.Vars["KEFU_WECHAT_API_BASE"] = fake.URL
		h := e.Start()
		adm := h.Admin()
		api := adm.NewAPIChannel("", nil)
		wx := adm.NewWechatChannel(fake, "safe", nil)
		webID, _ := adm.NewWebChannel(map[string]any{})
		if st, b := api.Post(t, h.Base, kit.TextMsg("dc-1", "cust-dc", "第一条")); st != 200 {
			t.Fatalf("post: %d %s", st, b)
		}
		old := adm.ConversationOf("cust-dc", 15*time.Second)

		for _, id := range []string{api.ID, wx.ID, webID} {
			var v struct {
				Disabled bool `json:"disabled"`
			}
			adm.Must(200, "POST", "/api/v1/channels/"+id+"/deactivate", nil).JSON(t, &v)
			if !v.Disabled {
				t.Fatalf("channel %s not deactivated", id)
			}
		}
		// The API channel answers 410 Gone (its sender stops), storing nothing.
		if st, b := api.Post(t, h.Base, kit.TextMsg("dc-2", "cust-dc", "停用后")); st != http.StatusGone {
			t.Fatalf("a deactivated API channel: %d %s, want 410", st, b)
		}
		// WeChat gets "success" (no retries, no error shown to the follower) and nothing is stored.
		user := "odc_" + kit.RandHex(6)
		if r := wx.Push(t, wechattest.Text(user, "停用后的消息", kit.NextMsgID()), wechattest.PushOpts{}); !r.OK() {
			t.Fatalf("a deactivated WeChat channel answers %d %q, want 200 success", r.Status, r.Body)
		}
		if st, _ := wx.Verify(t, wx.App.Token); st != http.StatusGone {
			t.Fatalf("URL check of a deactivated WeChat channel: %d, want 410", st)
		}
		// The widget's config says the service is gone.
		res, err := http.Get(h.Base + "/webhooks/web/" + webID + "/config")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusGone {
			t.Fatalf("the widget config of a deactivated channel: %d, want 410", res.StatusCode)
		}
		if res, err = http.Get(h.Base + "/chat/" + webID); err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusGone {
			t.Fatalf("the direct chat page of a deactivated channel: %d, want 410", res.StatusCode)
		}
		time.Sleep(time.Second) // anything wrongly taken would have landed by now
		if adm.HasConversation(user) || hasText(adm.Messages(old["id"].(string)), "停用后") {
			t.Fatal("a deactivated channel stored a message")
		}
		// History and the channel itself stay, listed as deactivated.
		var list struct {
			Channels []struct {
				ID       string `json:"id"`
				Disabled bool   `json:"disabled"`
			} `json:"channels"`
		}
		adm.Must(200, "GET", "/api/v1/channels", nil).JSON(t, &list)
		if len(list.Channels) != 3 || !list.Channels[0].Disabled {
			t.Fatalf("channel list %+v", list.Channels)
		}
		adm.Must(200, "GET", "/api/v1/conversations/"+old["id"].(string), nil)

		adm.Must(200, "POST", "/api/v1/channels/"+api.ID+"/reactivate", nil)
		if st, b := api.Post(t, h.Base, kit.TextMsg("dc-3", "cust-dc", "恢复后")); st != 200 {
			t.Fatalf("a reactivated API channel: %d %s", st, b)
		}
		adm.Must(200, "POST", "/api/v1/channels/"+wx.ID+"/reactivate", nil)
		wx.MustPush(t, wechattest.Text(user, "恢复后的消息", kit.NextMsgID()))
		adm.ConversationOf(user, 15*time.Second)
		adm.Must(404, "POST", "/api/v1/channels/ch_nobody/deactivate", nil)

		es := auditList(adm, url.Values{"target": {api.ID}}).Entries
		if find(es, "channel.deactivate", api.ID) == nil || find(es, "channel.reactivate", api.ID) == nil {
			t.Fatalf("audit entries %+v: want channel.deactivate and channel.reactivate", es)
		}
	})
}
