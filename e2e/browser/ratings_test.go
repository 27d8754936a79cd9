package browser

import (
	"bytes"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"mime/multipart"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/e2e/kit"
)

// TestUIRatings: the console's 满意度 page — empty, then a visitor's bad
// rating (its comment markup shown as text) listed with its tag and found
// by the "bad ones only" filter; the scale edited and saved; a supervisor
// told of the bad rating in the workbench; the page at 375 px
// (workbench/ui/e2e/ratings.mjs; screenshots).
func TestUIRatings(t *testing.T) {
	t.Parallel()
	kit.NeedUI(t)
	h := kit.NewEnv(t, kit.Embedded).Start()
	h.ServesUI()
	adm := h.Admin()
	chID, _ := adm.NewWebChannel(map[string]any{"rating": true})
	agent := adm.NewAgent("rated@kefu.test", 5)
	agent.SetStatus("online")
	as := agent.Dial(-1)
	script := kit.RunBrowserScript(t, "workbench/ui", 2*time.Minute, []string{"KEFU_BASE=" + h.Base,
		"KEFU_ADMIN_EMAIL=admin@kefu.test", "KEFU_ADMIN_PASSWORD=admin-pass-1", "KEFU_SHOTS=" + kit.ShotsDir(t)}, "e2e/ratings.mjs")
	script.Await("empty-seen")

	v, _, err := kit.DialVisitor(t, h.Base, chID, kit.VisitorOpts{})
	if err != nil {
		t.Fatal(err)
	}
	v.Say("r-1", "我的快递丢了")
	convID := as.WaitFor("conversation.assigned", 10*time.Second, nil)["conversation_id"].(string)
	agent.Must(200, "POST", "/api/v1/conversations/"+convID+"/close", map[string]any{})
	v.WaitFor("closed", 10*time.Second, nil)
	v.Send(map[string]any{"type": "rate", "conversation_id": convID, "score": 1, "comment": `<img src=x onerror="document.title='pwned'">太慢了`})
	v.WaitFor("ack", 10*time.Second, func(f map[string]any) bool { return f["rate"] == convID })
	script.Send(map[string]string{"conv": convID})
	script.Await("done")
	script.Finish()
	var st struct {
		Levels []struct{ Label string } `json:"levels"`
	}
	adm.Must(200, "GET", "/api/v1/ratings/settings", nil).JSON(t, &st)
	if len(st.Levels) != 3 || st.Levels[1].Label != "还行" {
		t.Fatalf("the scale saved in the page: %+v", st)
	}
}

// TestUIRatingReasons: a visitor in the website widget (the direct chat
// page at 375 px) sees the agent's avatar in the header and beside their
// reply, then rates a closed conversation 不满意 with two of that
// level's reasons; they are stored with the rating, filter the ratings
// list, and the agent sees them on the conversation and in the history
// (workbench/ui/e2e/rating-reasons.mjs; screenshots).
func TestUIRatingReasons(t *testing.T) {
	t.Parallel()
	kit.NeedUI(t)
	needWidget(t)
	h := kit.NewEnv(t, kit.Embedded).Start()
	h.ServesUI()
	adm := h.Admin()
	chID, _ := adm.NewWebChannel(map[string]any{"rating": true})
	agent := adm.NewAgent("reasons@kefu.test", 5)
	agent.SetStatus("online")
	as := agent.Dial(-1)
	// the agent's avatar, which the visitor's widget shows
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("file", "me.png")
	img := image.NewRGBA(image.Rect(0, 0, 64, 64))
	draw.Draw(img, img.Bounds(), &image.Uniform{C: color.RGBA{G: 160, B: 90, A: 255}}, image.Point{}, draw.Src)
	png.Encode(fw, img)
	mw.Close()
	if r := agent.DoRaw("POST", "/api/v1/me/avatar", mw.FormDataContentType(), &buf); r.Status != 200 {
		t.Fatalf("avatar: %d %s", r.Status, r.Body)
	}
	script := kit.RunBrowserScript(t, "workbench/ui", 2*time.Minute, []string{"KEFU_BASE=" + h.Base,
		"KEFU_CHAT=/chat/" + chID, "KEFU_AGENT_EMAIL=reasons@kefu.test", "KEFU_AGENT_PASSWORD=agent-pass-1",
		"KEFU_SHOTS=" + kit.ShotsDir(t)}, "e2e/rating-reasons.mjs")
	script.Await("said")
	convID := as.WaitFor("conversation.assigned", 10*time.Second, nil)["conversation_id"].(string)
	agent.Must(201, "POST", "/api/v1/conversations/"+convID+"/messages", map[string]any{"content": "马上为您查询"})
	script.Send(map[string]string{})
	script.Await("avatar-seen")
	agent.Must(200, "POST", "/api/v1/conversations/"+convID+"/close", map[string]any{})
	script.Send(map[string]string{})
	script.Await("rated")
	var conv struct {
		Rating struct {
			Score   int      `json:"score"`
			Reasons []string `json:"reasons"`
			Comment string   `json:"comment"`
		} `json:"rating"`
	}
	agent.Must(200, "GET", "/api/v1/conversations/"+convID, nil).JSON(t, &conv)
	if r := conv.Rating; r.Score != 2 || strings.Join(r.Reasons, "|") != "等待时间长|问题未解决" || r.Comment != "<b>快递</b>太慢" {
		t.Errorf("the stored rating: %+v", r)
	}
	var list struct {
		Ratings []struct {
			ConversationID string `json:"conversation_id"`
		}
	}
	for reason, want := range map[string]int{"问题未解决": 1, "服务态度差": 0} {
		adm.Must(200, "GET", "/api/v1/ratings?reason="+url.QueryEscape(reason), nil).JSON(t, &list)
		if len(list.Ratings) != want {
			t.Errorf("ratings with %s: %+v, want %d", reason, list.Ratings, want)
		}
	}
	csv := string(adm.Must(200, "GET", "/api/v1/ratings?format=csv", nil).Body)
	if !strings.Contains(csv, ",原因,") || !strings.Contains(csv, "等待时间长、问题未解决") {
		t.Errorf("the export lacks the reasons:\n%s", csv)
	}
	script.Send(map[string]string{})
	script.Await("done")
	script.Finish()
}
