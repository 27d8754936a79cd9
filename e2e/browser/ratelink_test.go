package browser

import (
	"encoding/json"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/connectors/wechat/wechattest"
	"github.com/kefu-hub/kefu/e2e/kit"
)

// publicURL is the address the hub is told customers reach it at (a proxy
// in front of it); the browser opens the same path at the hub itself.
const publicURL = "https://kefu.example.com"

var rateLink = regexp.MustCompile(`https://kefu\.example\.com(/r/[a-z0-9_]+-[0-9a-z]+-[a-z2-7]+)`)

// TestUIRateByLink, in both modes: a WeChat conversation closes, and the
// invitation WeChat carries holds the numbers and a link to the rating
// page; a channel whose invitation the admin turned off in the console's
// channel settings sends nothing. At 375 px the
// page (forged link: 404 and its message) shows the tenant's scale; the
// customer rates 不满意 with a reason and a comment holding markup; the
// rating is stored with them, the ratings list shows it (API and console),
// and the API refuses a forged or cut token with 404 changing nothing
// (workbench/ui/e2e/rate-link.mjs; screenshots).
func TestUIRateByLink(t *testing.T) {
	t.Parallel()
	kit.NeedUI(t)
	kit.ForModes(t, func(t *testing.T, m kit.Mode) {
		w := startWxRated(t, m, "wx-link@kefu.test")
		h, adm, agent := w.h, w.adm, w.agent
		wx, quiet := w.channel("safe"), w.channel("plain")
		var shown struct {
			Channel struct {
				Config map[string]any `json:"config"`
			} `json:"channel"`
		}
		adm.Must(200, "GET", "/api/v1/channels/"+wx.ID, nil).JSON(t, &shown)
		if shown.Channel.Config["rating"] != true {
			t.Fatalf("a new WeChat channel's config %v: want rating on", shown.Channel.Config)
		}
		script := kit.RunBrowserScript(t, "workbench/ui", 3*time.Minute, []string{"KEFU_BASE=" + h.Base,
			"KEFU_QUIET=公众号 plain", "KEFU_ADMIN_EMAIL=admin@kefu.test", "KEFU_ADMIN_PASSWORD=admin-pass-1",
			"KEFU_SHOTS=" + kit.ShotsDir(t), "KEFU_PREFIX=" + m.Name + "-"}, "e2e/rate-link.mjs")
		script.Await("switched") // the admin turned the quiet channel's invitation off in the console
		var quietShown struct {
			Channel struct {
				Config map[string]any `json:"config"`
			} `json:"channel"`
		}
		adm.Must(200, "GET", "/api/v1/channels/"+quiet.ID, nil).JSON(t, &quietShown)
		if c := quietShown.Channel.Config; c["rating"] != false || c["app_id"] != quiet.App.AppID || c["menu"] == nil {
			t.Fatalf("the quiet channel's config after the console's save: %v", c)
		}

		user, other := "olink_"+kit.RandHex(6), "oquiet_"+kit.RandHex(6)
		convID := w.closeOne(wx, user)
		quietConv := w.closeOne(quiet, other)
		link := w.link(user, "请评价：1 满意、2 一般、3 不满意\n")
		if !strings.Contains(link, convID+"-") {
			t.Fatalf("the link %s does not name %s", link, convID)
		}
		time.Sleep(time.Second) // the quiet channel's close went out in the same second
		for _, s := range w.texts(other) {
			if strings.Contains(s, "请评价") {
				t.Fatalf("a channel with its invite switch off invited: %q (conversation %s)", s, quietConv)
			}
		}

		// The API side of the page: forged and cut tokens are 404 and change nothing.
		anon := &kit.Client{T: t, Base: h.Base} // no login: the token is the credential
		raw := func(method, path, body string, want int) {
			t.Helper()
			var rd io.Reader
			if body != "" {
				rd = strings.NewReader(body)
			}
			if r := anon.DoRaw(method, path, "application/json", rd); r.Status != want {
				t.Fatalf("%s %s %s: %d, want %d: %s", method, path, body, r.Status, want, r.Body)
			}
		}
		forged := link[:len(link)-1] + map[bool]string{true: "b", false: "a"}[strings.HasSuffix(link, "a")]
		for _, bad := range []string{forged, link[:len(link)-3], "/r/" + convID} {
			tok := strings.TrimPrefix(bad, "/r/")
			raw("POST", "/api/v1/rate/"+tok, `{"score":5}`, 404)
			raw("GET", "/api/v1/rate/"+tok, "", 404)
		}
		tok := strings.TrimPrefix(link, "/r/")
		raw("POST", "/api/v1/rate/"+tok, `{"score":`, 400)
		raw("POST", "/api/v1/rate/"+tok, `{"score":5,"reasons":["太慢"]}`, 400)
		if r := adm.Must(200, "GET", "/api/v1/conversations/"+convID, nil); strings.Contains(string(r.Body), `"rating":{`) {
			t.Fatalf("refused ratings were stored: %.300s", r.Body)
		}

		script.Send(map[string]string{"link": link, "forged": forged})
		script.Await("rated")
		var conv struct {
			Rating struct {
				Score   int      `json:"score"`
				Reasons []string `json:"reasons"`
				Comment string   `json:"comment"`
			} `json:"rating"`
		}
		agent.Must(200, "GET", "/api/v1/conversations/"+convID, nil).JSON(t, &conv)
		if r := conv.Rating; r.Score != 1 || strings.Join(r.Reasons, "|") != "太慢" || !strings.HasSuffix(r.Comment, "客服回复太慢了") {
			t.Fatalf("the stored rating: %+v", r)
		}
		var list struct {
			Ratings []struct {
				ConversationID string   `json:"conversation_id"`
				Label          string   `json:"label"`
				Bad            bool     `json:"bad"`
				Reasons        []string `json:"reasons"`
				ChannelType    string   `json:"channel_type"`
			} `json:"ratings"`
		}
		adm.Must(200, "GET", "/api/v1/ratings?reason=太慢", nil).JSON(t, &list)
		if len(list.Ratings) != 1 || list.Ratings[0].ConversationID != convID || list.Ratings[0].Label != "不满意" ||
			!list.Ratings[0].Bad || list.Ratings[0].ChannelType != "wechat" {
			b, _ := json.Marshal(list)
			t.Fatalf("the ratings list: %s", b)
		}
		// A number after the link's rating is a message, not a second rating.
		wx.MustPush(t, wechattest.Text(user, "3", kit.NextMsgID()))
		script.Send(map[string]string{})
		script.Await("done")
		script.Finish()
	})
}

// wxRated is what the rating link tests share: a hub its customers reach
// at publicURL, the tenant's scale and invitation set, a WeChat fake and an
// agent online who answers and closes the customers' conversations.
type wxRated struct {
	t          *testing.T
	fake       *wechattest.Platform
	h          *kit.Hub
	adm, agent *kit.Client
	mon        *kit.Monitor
}

func startWxRated(t *testing.T, m kit.Mode, agentEmail string) *wxRated {
	w := &wxRated{t: t, fake: wechattest.New(t)}
	e := kit.NewEnv(t, m)
	e.Vars["KEFU_WECHAT_API_BASE"] = w.fake.URL
	e.Vars["KEFU_PUBLIC_URL"] = publicURL
	w.h = e.Start()
	w.h.ServesUI()
	w.adm = w.h.Admin()
	w.adm.Must(200, "PUT", "/api/v1/ratings/settings", map[string]any{"levels": []map[string]any{{"score": 5, "label": "满意"},
		{"score": 3, "label": "一般"}, {"score": 1, "label": "不满意", "reasons": []string{"太慢", "没解决"}}},
		"invite_text": "请评价：{levels}", "thanks_text": "谢谢！", "bad_at": 1, "reply_minutes": 60, "change_minutes": 10})
	w.agent = w.adm.NewAgent(agentEmail, 5)
	w.agent.SetStatus("online")
	w.mon = w.adm.Monitor()
	return w
}

// channel binds a WeChat channel (its mode: "safe" or "plain"); WeChat
// pushes to its webhook URL at the public address, and the proxy's part is
// to reach the hub.
func (w *wxRated) channel(mode string) kit.WxChannel {
	ch := w.adm.NewWechatChannel(w.fake, mode, nil)
	ch.URL = strings.Replace(ch.URL, publicURL, w.h.Base, 1)
	return ch
}

// closeOne has user write on ch, the agent answer and close: it returns
// the conversation's id.
func (w *wxRated) closeOne(ch kit.WxChannel, user string) string {
	ch.MustPush(w.t, wechattest.Text(user, "我的订单还没发货", kit.NextMsgID()))
	convID := w.mon.Conv(user)
	w.mon.Assignee(convID)
	w.agent.Must(201, "POST", "/api/v1/conversations/"+convID+"/messages", map[string]any{"content": "马上为您查询"})
	w.agent.Must(200, "POST", "/api/v1/conversations/"+convID+"/close", map[string]any{"reason": "solved"})
	return convID
}

// texts are the text messages WeChat carried to user.
func (w *wxRated) texts(user string) []string {
	var out []string
	for _, s := range w.fake.Sends() {
		if s.ToUser == user && s.MsgType == "text" {
			out = append(out, s.Text)
		}
	}
	return out
}

// link waits for the invitation starting with prefix to reach user and
// returns the path of the rating page it links to.
func (w *wxRated) link(user, prefix string) string {
	var link string
	kit.Eventually(w.t, 15*time.Second, "the invitation with its link reaches WeChat", func() bool {
		for _, s := range w.texts(user) {
			if m := rateLink.FindStringSubmatch(s); m != nil && strings.HasPrefix(s, prefix) {
				link = m[1]
				return true
			}
		}
		return false
	})
	return link
}
