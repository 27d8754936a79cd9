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

// URL is where anyone (a visitor's widget too) loads an agent's avatar.
// v is the stored file's id: each upload is a new file, so the URL
// changes whenever the picture does and a cache may keep it for good.
func URL(agentID, v string) string {
	return fmt.Sprintf("/api/v1/avatars/%s?v=%s", agentID, v)
}

// Set makes raw the agent's avatar: Invalid unless it is a PNG, JPEG or
// GIF picture of at most 4096 pixels a side (MaxBytes is the caller's to
// enforce before reading). It returns the avatar's URL. The picture it
// replaces is deleted in the same transaction.
func (s *Store) Set(ctx context.Context, a *hub.Agent, raw []byte) (string, error) {
	data, err := reencode(raw)
	if err != nil {
		return "", err
	}
	f := &files.File{TenantID: a.TenantID, Name: "avatar.png", ContentType: "image/png", Data: data, CreatedBy: a.ID}
	err = s.k.Write(ctx, func(tx *store.Tx) error {
		old, err := s.lock(ctx, tx, a)
		if err != nil {
			return err
		}
		if err := s.files.SaveIn(ctx, tx, f); err != nil {
			return err
		}
		const q = `INSERT INTO agent_avatars (agent_id, tenant_id, file_id, updated_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (agent_id) DO UPDATE SET file_id = excluded.file_id, updated_at = excluded.updated_at`
		if _, err := tx.Exec(ctx, q, a.ID, a.TenantID, f.ID, tx.Now()); err != nil {
			return fmt.Errorf("save avatar: %w", err)
		}
		return s.drop(ctx, tx, a, old)
	})
	if err != nil {
		return "", err
	}
	return URL(a.ID, f.ID), nil
}

// reencode checks an upload and makes it a PNG of at most Side pixels a
// side.
func reencode(raw []byte) ([]byte, error) {
	if len(raw) > MaxBytes {
		return nil, hub.Invalid("an avatar has at most %d bytes", MaxBytes)
	}
	switch http.DetectContentType(raw) {
	case "image/png", "image/jpeg", "image/gif":
	default:
		return nil, hub.Coded("avatar_type", hub.Invalid("an avatar is a PNG, JPEG or GIF picture"))
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(raw))
	if err != nil || cfg.Width < 1 || cfg.Height < 1 || cfg.Width > maxSide || cfg.Height > maxSide {
		return nil, hub.Coded("avatar_picture", hub.Invalid("the picture cannot be read or is over %d pixels a side", maxSide))
	}
	img, _, err := image.Decode(bytes.NewReader(raw))
	if err != nil {
		return nil, hub.Coded("avatar_picture", hub.Invalid("the picture cannot be read"))
	}
	var out bytes.Buffer
	if err := png.Encode(&out, shrink(img, Side)); err != nil {
		return nil, fmt.Errorf("encode avatar: %w", err)
	}
	return out.Bytes(), nil
}

// lock holds the agent's row for the transaction (two uploads at once
// replace one another in turn, neither leaving its file behind) and
// returns the file of their avatar now, "" for none.
func (s *Store) lock(ctx context.Context, tx *store.Tx, a *hub.Agent) (string, error) {
	var old string
	q := `SELECT COALESCE((SELECT v.file_id FROM agent_avatars v WHERE v.agent_id = a.id), '') FROM agents a
		WHERE a.id = ? AND a.tenant_id = ?` + s.k.ForUpdate()
	if err := tx.Get(ctx, &old, q, a.ID, a.TenantID); err != nil {
		if store.NoRows(err) {
			return "", fmt.Errorf("agent %s: %w", a.ID, hub.ErrNotFound)
		}
		return "", fmt.Errorf("avatar: %w", err)
	}
	return old, nil
}

// drop deletes the file of a replaced or removed avatar.
func (s *Store) drop(ctx context.Context, tx *store.Tx, a *hub.Agent, fileID string) error {
	if fileID == "" {
		return nil
	}
	return s.files.DeleteIn(ctx, tx, a.TenantID, fileID)
}

// Remove takes the agent's avatar away (the initial shows again) and
// deletes its file.
func (s *Store) Remove(ctx context.Context, a *hub.Agent) error {
	return s.k.Write(ctx, func(tx *store.Tx) error {
		old, err := s.lock(ctx, tx, a)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM agent_avatars WHERE agent_id = ? AND tenant_id = ?`, a.ID, a.TenantID); err != nil {
			return fmt.Errorf("remove avatar: %w", err)
		}
		return s.drop(ctx, tx, a, old)
	})
}

// Of is the URL of an agent's avatar, "" when they have none or are
// deactivated.
func (s *Store) Of(ctx context.Context, agentID string) (string, error) {
	var ids []string
	q := `SELECT v.file_id FROM agent_avatars v JOIN agents a ON a.id = v.agent_id AND NOT a.disabled
		WHERE v.agent_id = ?`
	if err := s.k.Select(ctx, &ids, q, agentID); err != nil {
		return "", fmt.Errorf("avatar: %w", err)
	}
	if len(ids) == 0 {
		return "", nil
	}
	return URL(agentID, ids[0]), nil
}

// Tenant is the URL of every avatar of a tenant's active agents, by agent
// id: the workbench shows colleagues' faces beside their replies and on the
// conversations they hold.
func (s *Store) Tenant(ctx context.Context, tenantID string) (map[string]string, error) {
	var rows []struct {
		Agent string `db:"agent_id"`
		File  string `db:"file_id"`
	}
	q := `SELECT v.agent_id, v.file_id FROM agent_avatars v JOIN agents a ON a.id = v.agent_id AND NOT a.disabled
		WHERE v.tenant_id = ?`
	if err := s.k.Select(ctx, &rows, q, tenantID); err != nil {
		return nil, fmt.Errorf("avatars: %w", err)
	}
	out := make(map[string]string, len(rows))
	for _, r := range rows {
		out[r.Agent] = URL(r.Agent, r.File)
	}
	return out, nil
}

// Picture is an agent's avatar, PNG, and its version (the v of its URL);
// ErrNotFound when they have none or are deactivated: an admin's
// deactivation stops it being served to anyone, and reactivation brings
// it back.
func (s *Store) Picture(ctx context.Context, agentID string) ([]byte, string, error) {
	var rows []struct {
		Data []byte `db:"data"`
		File string `db:"file_id"`
	}
	q := `SELECT f.data, v.file_id FROM agent_avatars v JOIN attachments f ON f.id = v.file_id AND f.tenant_id = v.tenant_id
		JOIN agents a ON a.id = v.agent_id AND NOT a.disabled
		WHERE v.agent_id = ?`
	if err := s.k.Select(ctx, &rows, q, agentID); err != nil {
		return nil, "", fmt.Errorf("avatar: %w", err)
	}
	if len(rows) == 0 {
		return nil, "", fmt.Errorf("avatar of %s: %w", agentID, hub.ErrNotFound)
	}
	return rows[0].Data, rows[0].File, nil
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
