package avatars_test

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/gif"
	"image/png"
	"strings"
	"testing"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/avatars"
	"github.com/kefu-hub/kefu/hub/files"
	"github.com/kefu-hub/kefu/hub/hubtest"
	"github.com/kefu-hub/kefu/hub/identity"
)

func picture(t *testing.T, w, h int, enc func(*bytes.Buffer, image.Image) error) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for x := range w {
		img.Set(x, 0, color.RGBA{R: 200, A: 255})
	}
	var b bytes.Buffer
	if err := enc(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func pngOf(b *bytes.Buffer, img image.Image) error { return png.Encode(b, img) }
func gifOf(b *bytes.Buffer, img image.Image) error { return gif.Encode(b, img, nil) }

// An agent's avatar: a PNG or GIF is stored re-encoded as a PNG of at most
// 256 pixels a side, keeping its shape; anything that is not a readable
// picture of those types is refused and changes nothing; removed, it is
// gone; another agent has none.
func TestAvatars(t *testing.T) {
	hubtest.Each(t, func(t *testing.T, h *hubtest.Hub) {
		ctx := context.Background()
		f := h.NewTenant(t)
		s := avatars.New(h.K, files.New(h.K))
		url, err := s.Set(ctx, f.Admin, picture(t, 600, 300, pngOf))
		if err != nil || !strings.HasPrefix(url, "/api/v1/avatars/"+f.Admin.ID+"?v=") {
			t.Fatalf("set: %q %v", url, err)
		}
		if got, _ := s.Of(ctx, f.Admin.ID); got != url {
			t.Fatalf("Of = %q, want %q", got, url)
		}
		data, _, err := s.Picture(ctx, f.Admin.ID)
		if err != nil {
			t.Fatal(err)
		}
		cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
		if err != nil || format != "png" || cfg.Width != 256 || cfg.Height != 128 {
			t.Fatalf("stored %s %dx%d %v, want a 256x128 png", format, cfg.Width, cfg.Height, err)
		}
		if _, err := s.Set(ctx, f.Admin, picture(t, 40, 40, gifOf)); err != nil {
			t.Fatalf("a gif: %v", err)
		}
		data, _, _ = s.Picture(ctx, f.Admin.ID)
		if cfg, format, _ := image.DecodeConfig(bytes.NewReader(data)); format != "png" || cfg.Width != 40 {
			t.Fatalf("the gif stored as %s %dx%d", format, cfg.Width, cfg.Height)
		}
		huge := picture(t, 10, 10, pngOf)
		copy(huge[16:24], []byte{0, 0, 0x13, 0x88, 0, 0, 0, 10}) // the header says 5000 pixels wide
		svg := []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`)
		broken := append(picture(t, 10, 10, pngOf)[:40:40], []byte("not the rest of a png")...)
		for name, bad := range map[string][]byte{"text": []byte("hello"), "svg": svg, "html": []byte("<html><script>x</script>"),
			"broken png": broken, "5000 px": huge, "too big": make([]byte, avatars.MaxBytes+1)} {
			var ie *hub.InvalidError
			if _, err := s.Set(ctx, f.Admin, bad); !errors.As(err, &ie) {
				t.Errorf("%s: %v, want invalid", name, err)
			}
		}
		if now, _, _ := s.Picture(ctx, f.Admin.ID); !bytes.Equal(now, data) {
			t.Fatal("a refused upload changed the avatar")
		}
		other := h.NewTenant(t).Admin
		if _, _, err := s.Picture(ctx, other.ID); !errors.Is(err, hub.ErrNotFound) {
			t.Fatalf("an agent without one: %v", err)
		}
		if err := s.Remove(ctx, f.Admin); err != nil {
			t.Fatal(err)
		}
		if u, _ := s.Of(ctx, f.Admin.ID); u != "" {
			t.Fatalf("removed, still %q", u)
		}
	})
}

// A deactivated agent's avatar is neither served nor linked (a visitor's
// chat shows their initial); reactivated, the same avatar is back.
func TestDeactivatedAgentsAvatar(t *testing.T) {
	hubtest.Each(t, func(t *testing.T, h *hubtest.Hub) {
		ctx := context.Background()
		f := h.NewTenant(t)
		a, err := h.Identity.Agents.Create(ctx, f.Admin.TenantID, identity.NewAgent{Email: hub.NewID("v") + "@t.test",
			Name: "小周", Password: "password1", Role: hub.RoleAgent, MaxChats: 3})
		if err != nil {
			t.Fatal(err)
		}
		s := avatars.New(h.K, files.New(h.K))
		url, err := s.Set(ctx, a, picture(t, 50, 50, pngOf))
		if err != nil {
			t.Fatal(err)
		}
		active := func(on bool) {
			t.Helper()
			off := !on
			if _, err := h.Identity.Agents.Update(ctx, a.TenantID, a.ID, identity.Patch{Disabled: &off}, nil); err != nil {
				t.Fatal(err)
			}
		}
		active(false)
		if _, _, err := s.Picture(ctx, a.ID); !errors.Is(err, hub.ErrNotFound) {
			t.Fatalf("a deactivated agent's avatar is served: %v", err)
		}
		if u, err := s.Of(ctx, a.ID); u != "" || err != nil {
			t.Fatalf("a deactivated agent's avatar is linked: %q %v", u, err)
		}
		active(true)
		if data, _, err := s.Picture(ctx, a.ID); err != nil || len(data) == 0 {
			t.Fatalf("reactivated, the avatar is not served: %v", err)
		}
		if u, _ := s.Of(ctx, a.ID); u != url {
			t.Fatalf("reactivated, Of = %q, want %q", u, url)
		}
	})
}

// Replacing an avatar deletes the file it replaces, removing it deletes
// its file, and each upload has a URL of its own (even within one second:
// browsers keep an avatar's URL for good).
func TestReplacedAvatarsFileIsDeleted(t *testing.T) {
	hubtest.Each(t, func(t *testing.T, h *hubtest.Hub) {
		ctx := context.Background()
		f := h.NewTenant(t)
		fs := files.New(h.K)
		s := avatars.New(h.K, fs)
		first, err := s.Set(ctx, f.Admin, picture(t, 30, 30, pngOf))
		if err != nil {
			t.Fatal(err)
		}
		second, err := s.Set(ctx, f.Admin, picture(t, 20, 20, gifOf))
		if err != nil {
			t.Fatal(err)
		}
		if second == first {
			t.Fatalf("a replaced avatar keeps its URL %q", first)
		}
		if _, err := fs.Get(ctx, f.Admin.TenantID, version(first)); !errors.Is(err, hub.ErrNotFound) {
			t.Fatalf("the replaced avatar's file is still stored: %v", err)
		}
		data, v, err := s.Picture(ctx, f.Admin.ID)
		if err != nil || v != version(second) {
			t.Fatalf("served version %q %v, want %q", v, err, version(second))
		}
		if kept, err := fs.Get(ctx, f.Admin.TenantID, v); err != nil || !bytes.Equal(kept.Data, data) {
			t.Fatalf("the new avatar's file: %v", err)
		}
		if err := s.Remove(ctx, f.Admin); err != nil {
			t.Fatal(err)
		}
		if _, err := fs.Get(ctx, f.Admin.TenantID, v); !errors.Is(err, hub.ErrNotFound) {
			t.Fatalf("the removed avatar's file is still stored: %v", err)
		}
		if err := s.Remove(ctx, f.Admin); err != nil {
			t.Fatalf("removing no avatar: %v", err)
		}
	})
}

// Tenant lists the avatars of a tenant's active agents only.
func TestTenantsAvatars(t *testing.T) {
	hubtest.Each(t, func(t *testing.T, h *hubtest.Hub) {
		ctx := context.Background()
		f, other := h.NewTenant(t), h.NewTenant(t)
		s := avatars.New(h.K, files.New(h.K))
		mine, err := s.Set(ctx, f.Admin, picture(t, 10, 10, pngOf))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Set(ctx, other.Admin, picture(t, 10, 10, pngOf)); err != nil {
			t.Fatal(err)
		}
		got, err := s.Tenant(ctx, f.Admin.TenantID)
		if err != nil || len(got) != 1 || got[f.Admin.ID] != mine {
			t.Fatalf("Tenant = %v %v, want only %s → %s", got, err, f.Admin.ID, mine)
		}
	})
}

// version is the v of an avatar URL.
func version(url string) string { return url[strings.Index(url, "?v=")+3:] }
