package browser

import (
	"strings"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/e2e/kit"
)

// TestUIHelpCentre: the public help centre (帮助中心) in a real browser —
// the console's switch and link, a visitor's browse, search and article,
// a hostile article shown inert, the widget's 帮助中心 link, and the pages at
// 375 px (workbench/ui/e2e/helpcentre.mjs; screenshots).
func TestUIHelpCentre(t *testing.T) {
	t.Parallel()
	kit.NeedUI(t)
	h := kit.NewEnv(t, kit.Embedded).Start()
	h.ServesUI()
	adm := h.Admin()
	chID, _ := adm.NewWebChannel(map[string]any{"title": "小美商城"})
	for _, a := range []map[string]any{
		{"question": "运费怎么算", "similar": []string{"邮费多少"}, "category": "物流",
			"answer": "全场满99元包邮，不满收8元。\n\n详见 https://shop.example.com/ship"},
		{"question": "多久发货", "answer": "付款后48小时内发货。", "category": "物流"},
		{"question": "怎么申请退货", "similar": []string{"怎么退货"}, "answer": "七天无理由退货：我的订单 → 申请售后。", "category": "售后"},
		{"question": `<script>window.pwned=1</script>发票怎么开`, "category": "售后",
			"answer": `<img src=x onerror="window.pwned=1;alert(1)"> 下单时填写抬头 <a href="javascript:alert(2)">点我</a>`},
	} {
		adm.Must(201, "POST", "/api/v1/kb/articles", a)
	}
	script := kit.RunBrowserScript(t, "workbench/ui", 2*time.Minute, []string{"KEFU_BASE=" + h.Base, "KEFU_CHANNEL=" + chID,
		"KEFU_ADMIN_EMAIL=admin@kefu.test", "KEFU_ADMIN_PASSWORD=admin-pass-1", "KEFU_SHOTS=" + kit.ShotsDir(t)}, "e2e/helpcentre.mjs")
	script.Await("switched-on")
	if u := adm.Must(200, "GET", "/api/v1/channels/"+chID, nil).Str("channel.setup.help_url"); !strings.HasSuffix(u, "/help/"+chID) {
		t.Errorf("the channel's setup after the console's switch: help_url %q", u)
	}
	script.Await("done")
	script.Finish()
}
