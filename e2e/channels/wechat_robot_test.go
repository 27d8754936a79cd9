package channels

import (
	"bytes"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/connectors/wechat/wechattest"
	"github.com/kefu-hub/kefu/e2e/kit"
)

// TestWechatRobotRichAnswer: a WeChat customer asks; the robot answers
// with the article's rich answer as WeChat can show it: the plain text as
// a text message, the answer's image as an image message (uploaded as
// temporary media). Both modes.
func TestWechatRobotRichAnswer(t *testing.T) {
	t.Parallel()
	kit.ForModes(t, func(t *testing.T, m kit.Mode) {
		_, _, adm, fake := kit.WechatHub(t, m)
		wx := adm.NewWechatChannels(fake, nil)["plain"]
		img := pngBytes(t)
		url := adm.Upload("运费.png", img).Str("url")
		id := adm.Must(201, "POST", "/api/v1/kb/articles", map[string]any{"question": "运费怎么收？",
			"similar": []string{"包邮吗", "邮费多少"}, "answer": "全场满99元包邮。"}).Str("id")
		adm.Must(200, "PUT", "/api/v1/kb/articles/"+id+"/rich", map[string]any{"html": `<p><b>满99元包邮</b></p><ul><li>偏远地区除外</li></ul>` +
			`<p><img src="` + url + `"></p>`})
		adm.Must(200, "PUT", "/api/v1/channels/"+wx.ID+"/robot", map[string]any{"mode": "first", "max_misses": 2})

		user := "orobot_" + kit.RandHex(6)
		wx.MustPush(t, wechattest.Text(user, "邮费多少钱", kit.NextMsgID()))
		var text, image []wechattest.Sent
		kit.Eventually(t, 20*time.Second, "the robot's answer on WeChat", func() bool {
			text, image = nil, nil
			for _, s := range fake.Sends() {
				switch {
				case s.ToUser != user:
				case s.MsgType == "text":
					text = append(text, s)
				case s.MsgType == "image":
					image = append(image, s)
				}
			}
			return len(text) >= 1 && len(image) >= 1
		})
		if text[0].Text != "满99元包邮\n\n• 偏远地区除外\n\n[图片]" {
			t.Errorf("text sent %q", text[0].Text)
		}
		if !bytes.Equal(fake.Uploaded(image[0].MediaID), img) {
			t.Errorf("image sent %+v: want the answer's image as media", image[0])
		}
	})
}
