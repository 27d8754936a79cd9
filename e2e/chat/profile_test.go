package chat

import (
	"bytes"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/e2e/kit"
)

// An agent's own settings (个人设置): their greeting, sent in their name
// once a conversation is theirs, and their "still checking", which works
// though the channel's is off; both fire once. Bad values are refused and
// change nothing.
func TestAgentPersonalReplies(t *testing.T) {
	t.Parallel()
	kit.ForModes(t, func(t *testing.T, m kit.Mode) {
		h := kit.NewEnv(t, m).Start()
		adm := h.Admin()
		cb := kit.NewCallbackServer(t)
		adm.Must(201, "POST", "/api/v1/groups", map[string]any{"name": "个人"})
		ch := adm.NewCallbackChannel(cb, map[string]any{"default_group_id": "个人"})
		ag := adm.NewAgent("own@kefu.test", 3, "个人")

		const still = "小美正在为您查询，请稍等～"
		profile := map[string]any{"name": "小美", "phone": "+86 138-0000-0000", "signature": "客服部 小美",
			"notify":         map[string]any{"sound_assigned": false, "sound_message": true, "desktop": true},
			"greeting":       map[string]any{"enabled": true, "after_seconds": 1, "text": "您好，我是{name}，很高兴为您服务。"},
			"still_checking": map[string]any{"enabled": true, "after_seconds": 2, "text": still}}
		bad := map[string]any{"greeting": map[string]any{"enabled": true, "after_seconds": 0, "text": "x"}}
		ag.Must(400, "PUT", "/api/v1/me/profile", bad)
		ag.Must(400, "PUT", "/api/v1/me/profile", map[string]any{"phone": "<script>"})
		ag.Must(200, "PUT", "/api/v1/me/profile", profile)
		got := ag.Must(200, "GET", "/api/v1/me/profile", nil)
		if gm := got.JSONMap(t); got.Str("name") != "小美" || kit.Dig(gm, "profile", "notify", "sound_assigned") != false ||
			got.Str("profile.still_checking.text") != still || got.Str("profile.signature") != "客服部 小美" {
			t.Fatalf("profile read back as %s", got.Body)
		}

		ag.SetStatus("online")
		s := kit.Watch(ag.Dial(-1))
		post(t, ch, h.Base, kit.TextMsg("pm-1", "pc", "请问发货了吗"))
		kit.Eventually(t, 10*time.Second, "the conversation is assigned", func() bool {
			for _, f := range s.All() {
				if f["type"] == "conversation.assigned" {
					return true
				}
			}
			return false
		})
		const greet = "您好，我是小美，很高兴为您服务。"
		kit.Eventually(t, 10*time.Second, "the agent's greeting", func() bool { return kit.Count(cb.Texts("pc"), greet) == 1 })
		kit.Eventually(t, 10*time.Second, "the agent's still checking", func() bool { return kit.Count(cb.Texts("pc"), still) == 1 })
		time.Sleep(2500 * time.Millisecond) // nothing fires twice
		texts := cb.Texts("pc")
		for _, x := range []string{greet, still} {
			if kit.Count(texts, x) != 1 {
				t.Fatalf("%q sent %d times: %v", x, kit.Count(texts, x), texts)
			}
		}
		for _, x := range texts {
			if strings.Contains(x, "{name}") {
				t.Fatalf("a placeholder reached the customer: %q", x)
			}
		}
	})
}

// An agent changes their own password: the current one is checked, this
// session stays signed in, every other ends, and only the new password
// signs in afterwards.
func TestAgentChangesOwnPassword(t *testing.T) {
	t.Parallel()
	kit.ForModes(t, func(t *testing.T, m kit.Mode) {
		h := kit.NewEnv(t, m).Start()
		adm := h.Admin()
		ag := adm.NewAgent("pw@kefu.test", 3)
		other := kit.Login(t, h.Base, "pw@kefu.test", "agent-pass-1")
		ag.Must(400, "POST", "/api/v1/me/password", map[string]any{"current_password": "not-my-password", "new_password": "brand-new-pass"})
		ag.Must(400, "POST", "/api/v1/me/password", map[string]any{"current_password": "agent-pass-1", "new_password": "short"})
		other.Must(200, "GET", "/api/v1/me", nil) // the refusals changed nothing
		ag.Must(204, "POST", "/api/v1/me/password", map[string]any{"current_password": "agent-pass-1", "new_password": "brand-new-pass"})
		ag.Must(200, "GET", "/api/v1/me", nil)
		other.Must(401, "GET", "/api/v1/me", nil)
		if r := (&kit.Client{T: t, Base: h.Base}).Do("POST", "/api/v1/auth/login",
			map[string]string{"email": "pw@kefu.test", "password": "agent-pass-1"}); r.Status != 401 {
			t.Fatalf("the old password signs in: %d", r.Status)
		}
		kit.Login(t, h.Base, "pw@kefu.test", "brand-new-pass")
	})
}

// An agent sets their own avatar: a picture is stored re-encoded and
// served to anyone (no sign-in: visitors' widgets load it) as a PNG with
// headers that keep it a picture; other types are 400, an oversize file
// 413, and neither changes it; removed, it is gone.
func TestAgentAvatar(t *testing.T) {
	t.Parallel()
	kit.ForModes(t, func(t *testing.T, m kit.Mode) {
		h := kit.NewEnv(t, m).Start()
		ag := h.Admin().NewAgent("face@kefu.test", 3)
		upload := func(name string, data []byte) kit.Resp {
			var buf bytes.Buffer
			mw := multipart.NewWriter(&buf)
			fw, _ := mw.CreateFormFile("file", name)
			fw.Write(data)
			mw.Close()
			return ag.DoRaw("POST", "/api/v1/me/avatar", mw.FormDataContentType(), &buf)
		}
		img := image.NewRGBA(image.Rect(0, 0, 512, 512))
		var pic bytes.Buffer
		jpeg.Encode(&pic, img, nil)
		r := upload("me.jpg", pic.Bytes())
		url := r.Str("avatar_url")
		if r.Status != 200 || !strings.HasPrefix(url, "/api/v1/avatars/") {
			t.Fatalf("upload: %d %s", r.Status, r.Body)
		}
		if got := ag.Must(200, "GET", "/api/v1/me/profile", nil).Str("avatar_url"); got != url {
			t.Fatalf("the profile's avatar_url %q, want %q", got, url)
		}
		res, err := http.Get(h.Base + url) // no sign-in
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		cfg, format, _ := image.DecodeConfig(bytes.NewReader(body))
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != "image/png" || format != "png" || cfg.Width != 256 ||
			res.Header.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(res.Header.Get("Content-Security-Policy"), "default-src 'none'") {
			t.Fatalf("served %d %v as %s %dx%d", res.StatusCode, res.Header, format, cfg.Width, cfg.Height)
		}
		for name, bad := range map[string][]byte{"x.svg": []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`),
			"x.png": []byte("<html><script>alert(1)</script></html>"), "x.txt": []byte("hello")} {
			if r := upload(name, bad); r.Status != 400 {
				t.Errorf("%s: %d %s, want 400", name, r.Status, r.Body)
			}
		}
		if r := upload("big.png", append(pic.Bytes(), make([]byte, 2<<20)...)); r.Status != 413 {
			t.Errorf("over 2 MiB: %d %s, want 413", r.Status, r.Body)
		}
		if got := ag.Must(200, "GET", "/api/v1/me/profile", nil).Str("avatar_url"); got != url {
			t.Fatalf("a refused upload changed the avatar to %q", got)
		}
		if cc := res.Header.Get("Cache-Control"); cc != "public, max-age=31536000, immutable" {
			t.Errorf("the avatar's own URL is cached %q, want a year, immutable", cc)
		}
		colleague := h.Admin().Must(200, "GET", "/api/v1/avatars", nil)
		if got := colleague.Str("avatars." + ag.MeID()); got != url {
			t.Fatalf("the tenant's avatars give %q for the agent, want %q", got, url)
		}
		pic.Reset()
		png.Encode(&pic, image.NewRGBA(image.Rect(0, 0, 64, 64)))
		replaced := upload("new.png", pic.Bytes()).Str("avatar_url")
		if replaced == url || replaced == "" {
			t.Fatalf("a new avatar keeps the URL %q", url)
		}
		res, err = http.Get(h.Base + url) // a page that read the old URL gets the new picture, revalidated
		if err != nil {
			t.Fatal(err)
		}
		body, _ = io.ReadAll(res.Body)
		res.Body.Close()
		if cfg, _, _ := image.DecodeConfig(bytes.NewReader(body)); cfg.Width != 64 || res.Header.Get("Cache-Control") != "no-cache" {
			t.Errorf("the old URL after a replacement: %dpx, Cache-Control %q; want the new 64px picture, no-cache",
				cfg.Width, res.Header.Get("Cache-Control"))
		}
		url = replaced
		ag.Must(204, "DELETE", "/api/v1/me/avatar", nil)
		if res, err := http.Get(h.Base + url); err != nil || res.StatusCode != 404 {
			t.Fatalf("removed, it is still served: %v %v", res, err)
		}
	})
}
