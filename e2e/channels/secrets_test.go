package channels

// Secrets at rest, end to end: channel, two-factor and webhook secrets are
// sealed in the database; the hub still verifies and decrypts WeChat's
// pushes with them, through an upgrade from clear-text rows, a key rotation
// and restarts; a wrong key stops the start with a clear message.

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/connectors/wechat/wechattest"
	"github.com/kefu-hub/kefu/e2e/kit"
)

// sealedRows reads every stored secret of the kinds the hub seals.
func sealedRows(t *testing.T, e *kit.Env) map[string]string {
	t.Helper()
	d := kit.StoreDB(t, e)
	rows := map[string]string{}
	for name, q := range map[string]string{
		"channels":      `SELECT id, secret AS v FROM channels WHERE secret <> ''`,
		"totp":          `SELECT id, totp_pending AS v FROM agents WHERE totp_pending <> ''`,
		"subscriptions": `SELECT id, secret AS v FROM webhook_subscriptions`,
	} {
		var rs []struct {
			ID string `db:"id"`
			V  string `db:"v"`
		}
		if err := d.Select(&rs, q); err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			rows[name+"/"+r.ID] = r.V
		}
	}
	return rows
}

func TestSecretsAtRest(t *testing.T) {
	t.Parallel()
	kit.ForModes(t, func(t *testing.T, m kit.Mode) {
		e, h, adm, fake := kit.WechatHub(t, m)
		if !m.Cluster {
			st, err := os.Stat(filepath.Join(e.Vars["KEFU_DATA_DIR"], "secret.key"))
			if err != nil || st.Mode().Perm() != 0o600 {
				t.Fatalf("embedded key file: %v, %v; want one with mode 0600", st, err)
			}
		}
		wx := adm.NewWechatChannel(fake, "safe", nil)
		totp := adm.Must(200, "POST", "/api/v1/me/totp/setup", nil).Str("secret")
		hookSecret := adm.Must(201, "POST", "/api/v1/webhooks", map[string]any{"url": "http://127.0.0.1:9/hook",
			"events": []string{"message.created"}}).Str("secret")
		clear := []string{wx.App.Secret, wx.App.Token, wx.App.AESKey, totp, strings.TrimPrefix(hookSecret, "whsec_")}

		check := func(stage string) map[string]string {
			t.Helper()
			rows := sealedRows(t, e)
			if len(rows) < 3 {
				t.Fatalf("%s: %d secret rows: %v", stage, len(rows), rows)
			}
			for k, v := range rows {
				if !strings.HasPrefix(v, "enc:v1:") {
					t.Errorf("%s: %s is stored as %q, want it sealed", stage, k, v)
				}
				for _, c := range clear {
					if strings.Contains(v, c) {
						t.Errorf("%s: %s shows a secret in clear: %q", stage, k, v)
					}
				}
			}
			return rows
		}
		push := func(stage string) {
			t.Helper()
			if st, _ := wx.Verify(t, wx.App.Token); st != 200 {
				t.Fatalf("%s: URL verification with the Token: %d", stage, st)
			}
			user := "oSec_" + kit.RandHex(6)
			wx.MustPush(t, wechattest.Text(user, "加密模式的消息 "+stage, kit.NextMsgID()))
			adm.ConversationOf(user, 10*time.Second)
		}
		addr := h.Addr // the webhook URL pasted into WeChat names it
		before := check("created")
		push("created")

		// Upgrade: rows written in clear by an older hub are sealed at start.
		h.Stop()
		kit.ExecSQL(t, e, `UPDATE channels SET secret = ? WHERE id = ?`,
			`{"app_secret":"`+wx.App.Secret+`","token":"`+wx.App.Token+`","encoding_aes_key":"`+wx.App.AESKey+`"}`, wx.ID)
		h = e.StartAt(addr)
		check("upgraded")
		push("upgraded")

		// Rotation: a new KEFU_SECRET_KEY, the old one still given, re-seals
		// every row under the new key id.
		h.Stop()
		old := e.Vars["KEFU_SECRET_KEY"] // embedded: "" — the key file stays beside the new key
		e.Vars["KEFU_SECRET_KEY"], e.Vars["KEFU_SECRET_KEY_OLD"] = kit.SecretKey(), old
		h = e.StartAt(addr)
		after := check("rotated")
		for k, v := range after {
			if b := before[k]; b != "" && v[:16] == b[:16] {
				t.Errorf("rotated: %s still sealed with key %s", k, v[7:15])
			}
		}
		push("rotated")
		h.Stop()
		delete(e.Vars, "KEFU_SECRET_KEY_OLD")
		h = e.StartAt(addr)
		push("new key alone")

		// kefu rotate-secrets re-seals offline, then the hub needs only the newest key.
		h.Stop()
		e.Vars["KEFU_SECRET_KEY"], e.Vars["KEFU_SECRET_KEY_OLD"] = kit.SecretKey(), e.Vars["KEFU_SECRET_KEY"]
		cmd := exec.Command(kit.Binary(t), "rotate-secrets")
		cmd.Env = os.Environ()
		for k, v := range e.Vars {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
		if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "every stored secret is sealed with key") {
			t.Fatalf("kefu rotate-secrets: %v\n%s", err, out)
		}
		for k, v := range check("rotate-secrets") {
			if a := after[k]; a != "" && v[:16] == a[:16] {
				t.Errorf("rotate-secrets: %s still sealed with key %s", k, v[7:15])
			}
		}
		delete(e.Vars, "KEFU_SECRET_KEY_OLD")
		h = e.StartAt(addr)
		push("after rotate-secrets")

		// A wrong key: the hub refuses to start and says why.
		h.Stop()
		e.Vars["KEFU_SECRET_KEY"] = kit.SecretKey()
		out := e.StartFails()
		if !strings.Contains(out, "cannot be read with KEFU_SECRET_KEY") {
			t.Errorf("start with a wrong key: want a clear error, got:\n%s", out)
		}
	})
}
