package browser

// Browser test of a rich robot answer (issue 17): an admin gives an
// article a rich answer with bold, italics, a list, links and an uploaded
// image; a visitor on the direct chat page asks (in words that look like
// markup), and the widget shows the robot's answer formatted: bold,
// italics, the list, the https link opening a new tab, the image loaded
// once, no script link; the visitor's words stay text
// (connectors/web/widget/e2e/richanswer.mjs; screenshot
// robot-rich-answer.png).

import (
	"bytes"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"strings"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/e2e/kit"
)

func TestRobotRichAnswerBrowser(t *testing.T) {
	t.Parallel()
	needWidget(t)
	h := kit.NewEnv(t, kit.Embedded).Start()
	adm := h.Admin()
	adm.NewAgent("rich-desk@kefu.test", 5).SetStatus("online") // else the widget offers its leave-a-message form
	chID, _ := adm.NewWebChannel(map[string]any{})
	img := image.NewRGBA(image.Rect(0, 0, 120, 60))
	for x := range 120 {
		for y := range 60 {
			img.Set(x, y, color.RGBA{R: 230, G: uint8(2 * x), B: 40, A: 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	url := adm.Upload("ship.png", buf.Bytes()).Str("url")
	id := adm.Must(201, "POST", "/api/v1/kb/articles", map[string]any{"question": "运费怎么收？",
		"similar": []string{"包邮吗", "邮费多少"}, "answer": "全场满99元包邮。"}).Str("id")
	rich := adm.Must(200, "PUT", "/api/v1/kb/articles/"+id+"/rich", map[string]any{"html": `<p><strong>满99元包邮</strong>，` +
		`<em>偏远地区</em>除外。</p><ul><li>江浙沪次日达</li><li>其他地区 2–3 天</li></ul>` +
		`<p>详见<a href="https://shop.example.com/ship" onclick="alert(2)">运费说明</a>，` +
		`<a href="javascript:alert(3)">点我</a>，<a href="mailto:help@shop.example.com">邮件</a></p>` +
		`<p><img src="` + url + `" onerror="alert(1)"></p>`})
	if strings.Contains(rich.Str("html"), "onerror") || !strings.Contains(rich.Str("html"), url) {
		t.Fatalf("rich answer %s", rich.Body)
	}
	adm.Must(200, "PUT", "/api/v1/channels/"+chID+"/robot", map[string]any{"mode": "first", "max_misses": 2})

	params, _ := json.Marshal(map[string]string{"chat": h.Base + "/chat/" + chID, "shots": kit.ShotsDir(t)})
	script := kit.RunBrowserScript(t, widgetDir, 2*time.Minute, nil, "e2e/richanswer.mjs", string(params))
	done := script.Await("done")
	if strings.Contains(done, "/api/v1/attachments/") {
		t.Errorf("the widget loads the image from the agents' API, not the channel's signed link: %s", done)
	}
	script.Finish()
}
