// Package avatars keeps the agents' own pictures (头像): an upload is
// sniffed from its bytes (PNG, JPEG or GIF only), decoded, cut down to at
// most Side pixels a side and re-encoded as PNG — nothing of the uploaded
// file but its pixels is ever served — and stored through the attachments
// store (hub/files); agent_avatars says which file is whose.
package avatars

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	_ "image/gif" // decoders the sniffed types need
	_ "image/jpeg"
	"image/png"
	"net/http"
	"time"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/files"
	"github.com/kefu-hub/kefu/hub/store"
)

// Limits: the upload's bytes, the largest picture decoded, the side kept.
const (
	MaxBytes = 2 << 20
	maxSide  = 4096
	Side     = 256
)

// Store keeps the avatars.
type Store struct {
	k     *store.Store
	files *files.Store
}

// New returns the store.
func New(k *store.Store, f *files.Store) *Store { return &Store{k: k, files: f} }

// URL is where anyone (a visitor's widget too) loads an agent's avatar;
// v changes with each upload, so a cache never shows an old one.
func URL(agentID string, v time.Time) string {
	return fmt.Sprintf("/api/v1/avatars/%s?v=%d", agentID, v.Unix())
}

// Set makes raw the agent's avatar: Invalid unless it is a PNG, JPEG or
// GIF picture of at most 4096 pixels a side (MaxBytes is the caller's to
// enforce before reading). It returns the avatar's URL.
func (s *Store) Set(ctx context.Context, a *hub.Agent, raw []byte) (string, error) {
	if len(raw) > MaxBytes {
		return "", hub.Invalid("an avatar has at most %d bytes", MaxBytes)
	}
	switch http.DetectContentType(raw) {
	case "image/png", "image/jpeg", "image/gif":
	default:
		return "", hub.Coded("avatar_type", hub.Invalid("an avatar is a PNG, JPEG or GIF picture"))
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(raw))
	if err != nil || cfg.Width < 1 || cfg.Height < 1 || cfg.Width > maxSide || cfg.Height > maxSide {
		return "", hub.Coded("avatar_picture", hub.Invalid("the picture cannot be read or is over %d pixels a side", maxSide))
	}
	img, _, err := image.Decode(bytes.NewReader(raw))
	if err != nil {
		return "", hub.Coded("avatar_picture", hub.Invalid("the picture cannot be read"))
	}
	var out bytes.Buffer
	if err := png.Encode(&out, shrink(img, Side)); err != nil {
		return "", fmt.Errorf("encode avatar: %w", err)
	}
	f := &files.File{TenantID: a.TenantID, Name: "avatar.png", ContentType: "image/png", Data: out.Bytes(), CreatedBy: a.ID}
	if err := s.files.Save(ctx, f); err != nil {
		return "", err
	}
	now := s.k.Now()
	const q = `INSERT INTO agent_avatars (agent_id, tenant_id, file_id, updated_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (agent_id) DO UPDATE SET file_id = excluded.file_id, updated_at = excluded.updated_at`
	if _, err := s.k.Exec(ctx, q, a.ID, a.TenantID, f.ID, now); err != nil {
		return "", fmt.Errorf("save avatar: %w", err)
	}
	return URL(a.ID, now), nil
}

// Remove takes the agent's avatar away (the initial shows again).
func (s *Store) Remove(ctx context.Context, a *hub.Agent) error {
	if _, err := s.k.Exec(ctx, `DELETE FROM agent_avatars WHERE agent_id = ? AND tenant_id = ?`, a.ID, a.TenantID); err != nil {
		return fmt.Errorf("remove avatar: %w", err)
	}
	return nil
}

// Of is the URL of an agent's avatar, "" when they have none or are
// deactivated.
func (s *Store) Of(ctx context.Context, agentID string) (string, error) {
	var at []time.Time
	q := `SELECT v.updated_at FROM agent_avatars v JOIN agents a ON a.id = v.agent_id AND NOT a.disabled
		WHERE v.agent_id = ?`
	if err := s.k.Select(ctx, &at, q, agentID); err != nil {
		return "", fmt.Errorf("avatar: %w", err)
	}
	if len(at) == 0 {
		return "", nil
	}
	return URL(agentID, at[0]), nil
}

// Picture is an agent's avatar, PNG (ErrNotFound when they have none or
// are deactivated: an admin's deactivation stops it being served to
// anyone, and reactivation brings it back).
func (s *Store) Picture(ctx context.Context, agentID string) ([]byte, error) {
	var data [][]byte
	q := `SELECT f.data FROM agent_avatars v JOIN attachments f ON f.id = v.file_id AND f.tenant_id = v.tenant_id
		JOIN agents a ON a.id = v.agent_id AND NOT a.disabled
		WHERE v.agent_id = ?`
	if err := s.k.Select(ctx, &data, q, agentID); err != nil {
		return nil, fmt.Errorf("avatar: %w", err)
	}
	if len(data) == 0 {
		return nil, fmt.Errorf("avatar of %s: %w", agentID, hub.ErrNotFound)
	}
	return data[0], nil
}

// shrink fits img in side×side (nearest pixel: an avatar is small), as
// plain RGBA: nothing of the source's encoding survives.
func shrink(img image.Image, side int) *image.RGBA {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w > side || h > side {
		if w >= h {
			w, h = side, max(1, h*side/b.Dx())
		} else {
			w, h = max(1, w*side/b.Dy()), side
		}
	}
	out := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := color.RGBAModel.Convert(img.At(b.Min.X+x*b.Dx()/w, b.Min.Y+y*b.Dy()/h))
			out.Set(x, y, c)
		}
	}
	return out
}
