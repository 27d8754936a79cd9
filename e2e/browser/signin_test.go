package browser

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/e2e/kit"
)

// TestUISignInLock: wrong passwords on a phone-sized login page end in the
// Chinese lock message and the right password waits; the admin's open
// workbench shows the lock notice; in the console the admin lists the
// agent's session and ends it (the agent's token stops working).
func TestUISignInLock(t *testing.T) {
	t.Parallel()
	kit.NeedUI(t)
	h := kit.NewEnv(t, kit.Embedded).Start()
	h.ServesUI()
	adm := h.Admin()
	adm.Must(201, "POST", "/api/v1/agents", map[string]any{"email": "lock-ui@kefu.test", "password": "agent-pass-1"})
	// the agent's session, from a browser of theirs, before anyone guessed
	req, _ := http.NewRequest("POST", h.Base+"/api/v1/auth/login", strings.NewReader(`{"email":"lock-ui@kefu.test","password":"agent-pass-1"}`))
	req.Header.Set("User-Agent", "signin-test-agent")
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("agent login: %v %v", res, err)
	}
	var tok struct{ Token string }
	json.NewDecoder(res.Body).Decode(&tok)
	res.Body.Close()
	agent := &kit.Client{T: t, Base: h.Base, Token: tok.Token}
	agent.Must(200, "GET", "/api/v1/me", nil)

	shots := kit.ShotsDir(t)
	script := kit.RunBrowserScript(t, "workbench/ui", 2*time.Minute, []string{"KEFU_BASE=" + h.Base,
		"KEFU_ADMIN_EMAIL=admin@kefu.test", "KEFU_ADMIN_PASSWORD=admin-pass-1", "KEFU_EMAIL=lock-ui@kefu.test",
		"KEFU_SHOTS=" + shots}, "e2e/signin.mjs")
	script.Await("ended")
	agent.Must(401, "GET", "/api/v1/me", nil)
	script.Send(nil)
	script.Await("done")
	script.Finish()
}
