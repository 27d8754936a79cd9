package browser

import (
	"strings"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/connectors/wechat/wechattest"
	"github.com/kefu-hub/kefu/e2e/kit"
)

// TestUIRatingLinkKeys: the console's 评价链接密钥 (满意度 page). Before any
// link the list is empty; a WeChat conversation's invitation makes the
// first key, listed as the current one; the hub's refusal to delete it
// reads in Chinese; 轮换密钥 makes a new current key while the link already
// sent keeps opening; the old key deleted after a confirmation that says
// its links stop opening — then that link opens nothing (API and page:
// 404) while a link of the new key still opens. Loading and error states,
// 简体/繁體/English without another language's words, at 375 px. Then
// the workbench: with the invitation text emptied, an agent's rating
// request on WeChat reads 邀请评价的文字为空，请管理员在满意度设置中填写 and
// WeChat carries nothing (workbench/ui/e2e/rate-keys.mjs; screenshots).
func TestUIRatingLinkKeys(t *testing.T) {
	t.Parallel()
	kit.NeedUI(t)
	w := startWxRated(t, kit.Embedded, "wx-keys@kefu.test")
	wx := w.channel("safe")
	anon := &kit.Client{T: t, Base: w.h.Base} // no login: the token is the credential
	opens := func(link string, want int) {
		t.Helper()
		tok := strings.TrimPrefix(link, "/r/")
		if r := anon.DoRaw("GET", "/api/v1/rate/"+tok, "", nil); r.Status != want {
			t.Fatalf("GET /api/v1/rate/%s: %d, want %d: %s", tok, r.Status, want, r.Body)
		}
		if r := anon.DoRaw("GET", link, "", nil); r.Status != want {
			t.Fatalf("GET %s: %d, want %d", link, r.Status, want)
		}
	}
	type key struct {
		ID      string `json:"id"`
		Current bool   `json:"current"`
	}
	keys := func() []key {
		var out struct{ Keys []key }
		w.adm.Must(200, "GET", "/api/v1/ratings/link-keys", nil).JSON(t, &out)
		return out.Keys
	}
	script := kit.RunBrowserScript(t, "workbench/ui", 3*time.Minute, []string{"KEFU_BASE=" + w.h.Base,
		"KEFU_ADMIN_EMAIL=admin@kefu.test", "KEFU_ADMIN_PASSWORD=admin-pass-1", "KEFU_AGENT_EMAIL=wx-keys@kefu.test",
		"KEFU_AGENT_PASSWORD=agent-pass-1", "KEFU_SHOTS=" + kit.ShotsDir(t)}, "e2e/rate-keys.mjs")
	script.Await("empty-seen")
	w.closeOne(wx, "okeys_1")
	oldLink := w.link("okeys_1", "请评价")
	opens(oldLink, 200)
	script.Send(nil)
	script.Await("refused")
	if ks := keys(); len(ks) != 1 || !ks[0].Current {
		t.Fatalf("after the refused delete, the keys: %+v", ks)
	}
	script.Send(nil)
	script.Await("rotated")
	ks := keys()
	if len(ks) != 2 || !ks[0].Current || ks[1].Current {
		t.Fatalf("after the rotation, the keys: %+v", ks)
	}
	opens(oldLink, 200)
	w.closeOne(wx, "okeys_2")
	newLink := w.link("okeys_2", "请评价")
	opens(newLink, 200)
	script.Send(nil)
	script.Await("deleted")
	if left := keys(); len(left) != 1 || left[0].ID != ks[0].ID || !left[0].Current {
		t.Fatalf("after the delete, the keys: %+v", left)
	}
	opens(oldLink, 404)
	opens(newLink, 200)
	script.Send(nil)

	// The workbench: with the invitation text emptied, the agent's request
	// on WeChat is refused (409) and sends nothing.
	script.Await("agent-in")
	st := w.adm.Must(200, "GET", "/api/v1/ratings/settings", nil).JSONMap(t)
	st["invite_text"] = ""
	w.adm.Must(200, "PUT", "/api/v1/ratings/settings", st)
	wx.MustPush(t, wechattest.Text("okeys_3", "请问能开发票吗", kit.NextMsgID()))
	w.mon.Assignee(w.mon.Conv("okeys_3"))
	script.Send(map[string]string{"text": "请问能开发票吗"})
	script.Await("request-refused")
	for _, s := range w.texts("okeys_3") {
		t.Errorf("WeChat carried %q after a refused rating request", s)
	}
	script.Send(nil)
	script.Await("done")
	script.Finish()
}
