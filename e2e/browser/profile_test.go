package browser

import (
	"testing"
	"time"

	"github.com/kefu-hub/kefu/e2e/kit"
)

// TestUIAgentProfile: an agent edits their own settings in the workbench
// (个人设置), sets an avatar and changes their password there; what the page saved is what
// the hub keeps, and only the new password signs in afterwards
// (workbench/ui/e2e/profile.mjs; screenshots).
func TestUIAgentProfile(t *testing.T) {
	t.Parallel()
	kit.NeedUI(t)
	h := kit.NewEnv(t, kit.Embedded).Start()
	h.ServesUI()
	h.Admin().NewAgent("xiaomei@kefu.test", 3)
	script := kit.RunBrowserScript(t, "workbench/ui", 2*time.Minute, []string{"KEFU_BASE=" + h.Base,
		"KEFU_AGENT_EMAIL=xiaomei@kefu.test", "KEFU_AGENT_PASSWORD=agent-pass-1", "KEFU_SHOTS=" + kit.ShotsDir(t)}, "e2e/profile.mjs")
	script.Await("done")
	script.Finish()
	ag := kit.Login(t, h.Base, "xiaomei@kefu.test", "brand-new-pass")
	p := ag.Must(200, "GET", "/api/v1/me/profile", nil)
	if p.Str("name") != "小美" || p.Str("profile.signature") != "售后服务部 小美" ||
		kit.Dig(p.JSONMap(t), "profile", "notify", "sound_assigned") != false ||
		kit.Dig(p.JSONMap(t), "profile", "greeting", "enabled") != true || p.Str("avatar_url") == "" {
		t.Fatalf("the hub keeps %s", p.Body)
	}
	if r := (&kit.Client{T: t, Base: h.Base}).Do("POST", "/api/v1/auth/login",
		map[string]string{"email": "xiaomei@kefu.test", "password": "agent-pass-1"}); r.Status != 401 {
		t.Fatalf("the old password still signs in: %d", r.Status)
	}
}
