package browser

// Browser test of issue 18 (workbench/ui/e2e/issue18.mjs): the bugs an
// agent trips over on day one, as a user meets them in the workbench, the
// console and the website widget.

import (
	"testing"
	"time"

	"github.com/kefu-hub/kefu/e2e/kit"
)

func TestUIIssue18Browser(t *testing.T) {
	t.Parallel()
	kit.NeedUI(t)
	needWidget(t)
	h := kit.NewEnv(t, kit.Embedded).Start()
	h.ServesUI()
	adm := h.Admin()
	groupID := adm.Must(201, "POST", "/api/v1/groups", map[string]any{"name": "售前"}).Str("id")
	adm.Must(201, "POST", "/api/v1/agents", map[string]any{"email": "i18-b@kefu.test", "password": "agent-pass-2",
		"name": "小李", "max_chats": 5, "groups": []string{groupID}})
	b := kit.Login(t, h.Base, "i18-b@kefu.test", "agent-pass-2")
	cb := kit.NewCallbackServer(t)

	shots := kit.ShotsDir(t)
	script := kit.RunBrowserScript(t, "workbench/ui", 3*time.Minute, []string{"KEFU_BASE=" + h.Base,
		"KEFU_ADMIN_EMAIL=admin@kefu.test", "KEFU_ADMIN_PASSWORD=admin-pass-1",
		"KEFU_B_EMAIL=i18-b@kefu.test", "KEFU_B_PASSWORD=agent-pass-2", "KEFU_SHOTS=" + shots}, "e2e/issue18.mjs")

	// Bug 7: the group chooser row added with "+ 添加" is stored.
	args := script.Args("web-channel")
	var ch struct {
		Channel struct {
			Config struct {
				Groups []struct{ ID, Label string } `json:"groups"`
			} `json:"config"`
		} `json:"channel"`
	}
	r := adm.Must(200, "GET", "/api/v1/channels/"+args[0], nil)
	r.JSON(t, &ch)
	if g := ch.Channel.Config.Groups; len(g) != 1 || g[0].ID != groupID || g[0].Label != "售前" {
		t.Fatalf("the web channel's group choices as saved in the console: %s", r.Body)
	}
	script.Send(nil)

	// Bug 1: a customer on an API channel (delivered to a callback) while
	// only the admin is online.
	script.Await("api-customer")
	b.SetStatus("offline")
	api := adm.NewCallbackChannel(cb, nil)
	body := kit.TextMsg("i18-api-1", "c-i18-api", "请问开发票 i18-api")
	if st, res := api.Post(t, h.Base, body); st/100 != 2 {
		t.Fatalf("post customer message: %d %s", st, res)
	}
	script.Send(map[string]string{"text": "i18-api"})
	script.Await("replied")
	var ms struct {
		Messages []struct{ Text, Status, Direction string }
	}
	convID := adm.ConversationOf("c-i18-api", 5*time.Second)["id"].(string)
	adm.Must(200, "GET", "/api/v1/conversations/"+convID+"/messages", nil).JSON(t, &ms)
	if n := len(ms.Messages); n < 2 || ms.Messages[n-1].Status != "sent" {
		t.Fatalf("the reply as the hub has it: %+v", ms.Messages)
	}
	script.Send(nil)
	script.Await("done")
	script.Finish()
	if shots != "" {
		t.Logf("screenshots in %s", shots)
	}
}
