package browser

import (
	"bytes"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"mime/multipart"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/e2e/kit"
)

// TestUIAgentFaces: a supervisor's workbench shows each agent's own
// avatar — on the conversation list beside the conversations other agents
// hold, and beside every agent's replies of a conversation handed from
// 小王 (a picture) to 小李 (none: initials) to 小赵 (a picture that fails
// to load: initials), in the history too — at desktop width and 375 px.
// A visitor whose agent's avatar fails to load sees no broken image in the
// widget (workbench/ui/e2e/faces.mjs; screenshots).
func TestUIAgentFaces(t *testing.T) {
	t.Parallel()
	kit.NeedUI(t)
	needWidget(t)
	h := kit.NewEnv(t, kit.Embedded).Start()
	h.ServesUI()
	adm := h.Admin()
	agent := func(email, name string, rgb color.RGBA) (*kit.Client, string) {
		c := adm.NewAgent(email, 5)
		id := c.MeID()
		adm.Must(200, "PATCH", "/api/v1/agents/"+id, map[string]any{"name": name})
		if rgb.A != 0 {
			setAvatar(t, c, rgb)
		}
		return c, id
	}
	wang, _ := agent("wang@kefu.test", "小王", color.RGBA{R: 220, G: 60, B: 40, A: 255})
	li, liID := agent("li@kefu.test", "小李", color.RGBA{})
	zhao, zhaoID := agent("zhao@kefu.test", "小赵", color.RGBA{G: 140, B: 200, A: 255})

	ch := adm.NewAPIChannel("", nil)
	say := func(id, cust, name, text string) string {
		msg := map[string]any{"id": id, "contact": map[string]any{"id": cust, "name": name}, "type": "text", "text": text}
		if st, b := ch.Post(t, h.Base, msg); st != 200 {
			t.Fatalf("inbound: %d %s", st, b)
		}
		convID := adm.ConversationOf(cust, 15*time.Second)["id"].(string)
		kit.Eventually(t, 15*time.Second, "the chat is assigned", func() bool { st, _ := adm.ConvStatus(convID); return st == "open" })
		return convID
	}
	reply := func(c *kit.Client, convID, text string) {
		c.Must(201, "POST", "/api/v1/conversations/"+convID+"/messages", map[string]any{"content": text})
	}
	wang.SetStatus("online")
	say("f-1", "cust-invoice", "周先生", "发票什么时候开")
	handed := say("f-2", "cust-parcel", "陈女士", "快递三天没到")
	reply(wang, handed, "您好，我是小王")
	li.SetStatus("online")
	wang.Must(200, "POST", "/api/v1/conversations/"+handed+"/transfer", map[string]any{"agent_id": liID, "reason": "物流问题"})
	reply(li, handed, "我是小李，接着为您处理")
	zhao.SetStatus("online")
	li.Must(200, "POST", "/api/v1/conversations/"+handed+"/transfer", map[string]any{"agent_id": zhaoID, "reason": "升级处理"})
	reply(zhao, handed, "小赵为您跟进")

	webID, _ := adm.NewWebChannel(map[string]any{})
	li.SetStatus("busy") // the visitor's chat goes to 小王
	zhao.SetStatus("busy")
	ws := wang.Dial(-1)
	script := kit.RunBrowserScript(t, "workbench/ui", 3*time.Minute, []string{"KEFU_BASE=" + h.Base,
		"KEFU_ADMIN_EMAIL=admin@kefu.test", "KEFU_ADMIN_PASSWORD=admin-pass-1", "KEFU_CHAT=/chat/" + webID,
		"KEFU_SHOTS=" + kit.ShotsDir(t)}, "e2e/faces.mjs")
	script.Send(map[string]string{"broken": zhaoID})
	script.Await("visitor-said")
	convID := ws.WaitFor("conversation.assigned", 15*time.Second, nil)["conversation_id"].(string)
	reply(wang, convID, "您好，小王为您服务")
	script.Send(map[string]string{})
	script.Await("done")
	script.Finish()
}

// setAvatar gives the agent a plain square avatar of one colour.
func setAvatar(t *testing.T, c *kit.Client, rgb color.RGBA) {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 64, 64))
	draw.Draw(img, img.Bounds(), &image.Uniform{C: rgb}, image.Point{}, draw.Src)
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("file", "me.png")
	png.Encode(fw, img)
	mw.Close()
	if r := c.DoRaw("POST", "/api/v1/me/avatar", mw.FormDataContentType(), &buf); r.Status != 200 {
		t.Fatalf("avatar: %d %s", r.Status, r.Body)
	}
}
