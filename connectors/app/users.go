package app

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/contacts"
	"github.com/kefu-hub/kefu/hub/store"
)

// Device is what the SDK reports of the device a user is on.
type Device struct {
	Platform   string `json:"platform"`
	OS         string `json:"os"`
	AppVersion string `json:"app_version"`
	Model      string `json:"model"`
}

var platforms = map[string]bool{"ios": true, "android": true, "harmony": true, "web": true, "miniprogram": true}

func (d *Device) clean() error {
	if d.Platform != "" && !platforms[d.Platform] {
		return hub.Invalid("device.platform must be ios, android, harmony, web or miniprogram")
	}
	d.OS, d.AppVersion, d.Model = hub.Bounded(hub.Clean(d.OS), 64), hub.Bounded(hub.Clean(d.AppVersion), 32),
		hub.Bounded(hub.Clean(d.Model), 64)
	return nil
}

// Profile is an app user as agents see it beside the conversation: the
// device and traits the SDK reported and how pushes to them fare.
type Profile struct {
	ChannelID    string      `db:"channel_id" json:"channel_id"`
	ContactID    string      `db:"contact_id" json:"contact_id"`
	Ext          string      `db:"contact_external_id" json:"-"`
	Online       bool        `db:"-" json:"online"` // an app socket is open, the app in the foreground
	Traits       hub.RawJSON `db:"traits" json:"traits"`
	Platform     string      `db:"platform" json:"platform"`
	OS           string      `db:"os" json:"os"`
	AppVersion   string      `db:"app_version" json:"app_version"`
	Model        string      `db:"model" json:"model"`
	IdentifiedAt time.Time   `db:"identified_at" json:"identified_at"`
	PushResult   string      `db:"push_result" json:"push_result"`
	PushAt       *time.Time  `db:"push_at" json:"push_at"`
	Tokens       []TokenView `db:"-" json:"push_tokens"`
}

// TokenView is a registered push token as agents see it (its tail only).
type TokenView struct {
	Platform  string    `db:"platform" json:"platform"`
	Provider  string    `db:"provider" json:"provider"`
	Token     string    `db:"token" json:"token_tail"`
	CreatedAt time.Time `db:"created_at" json:"created_at"`
}

// users keeps the app channel's tables.
type users struct {
	k        *store.Store
	contacts *contacts.Store
}

// identified records an identified user: their contact (created on first
// identify) and what the SDK reported.
func (s *users) identified(ctx context.Context, ch *hub.Channel, info hub.ContactInfo, traits map[string]any, d Device) (*hub.Contact, error) {
	tr, _ := json.Marshal(traits)
	if traits == nil {
		tr = []byte("{}")
	}
	var c *hub.Contact
	err := s.k.Write(ctx, func(tx *store.Tx) error {
		var err error
		if c, err = s.contacts.Upsert(ctx, tx, ch, info); err != nil {
			return err
		}
		const q = `INSERT INTO app_users (channel_id, contact_external_id, tenant_id, contact_id, traits, platform, os,
			app_version, model, identified_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (channel_id, contact_external_id) DO UPDATE SET traits = CASE WHEN excluded.traits = '{}'
			THEN app_users.traits ELSE excluded.traits END, platform = CASE WHEN excluded.platform = '' THEN
			app_users.platform ELSE excluded.platform END, os = CASE WHEN excluded.platform = '' THEN app_users.os
			ELSE excluded.os END, app_version = CASE WHEN excluded.platform = '' THEN app_users.app_version ELSE
			excluded.app_version END, model = CASE WHEN excluded.platform = '' THEN app_users.model ELSE
			excluded.model END, identified_at = excluded.identified_at`
		_, err = tx.Exec(ctx, q, ch.ID, info.ExternalID, ch.TenantID, c.ID, string(tr), d.Platform, d.OS, d.AppVersion,
			d.Model, tx.Now())
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("identify app user: %w", err)
	}
	return c, nil
}

// device updates the device a socket's hello reports.
func (s *users) device(ctx context.Context, u *user, d Device) error {
	if d.Platform == "" {
		return nil
	}
	const q = `UPDATE app_users SET platform = ?, os = ?, app_version = ?, model = ? WHERE channel_id = ? AND contact_external_id = ?`
	_, err := s.k.Exec(ctx, q, d.Platform, d.OS, d.AppVersion, d.Model, u.ChannelID, u.Ext)
	return err
}

// maxTokens is how many push tokens a user keeps (the newest).
const maxTokens = 10

// register keeps a device's push token for a user (a token another user of
// the app had moves to this one: the device changed hands).
func (s *users) register(ctx context.Context, ch *hub.Channel, u *user, platform, provider, token string) error {
	return s.k.Write(ctx, func(tx *store.Tx) error {
		const q = `INSERT INTO app_push_tokens (channel_id, token, tenant_id, contact_external_id, platform, provider, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (channel_id, token) DO UPDATE SET contact_external_id =
			excluded.contact_external_id, platform = excluded.platform, provider = excluded.provider, created_at = excluded.created_at`
		if _, err := tx.Exec(ctx, q, ch.ID, token, ch.TenantID, u.Ext, platform, provider, tx.Now()); err != nil {
			return fmt.Errorf("push token: %w", err)
		}
		const old = `DELETE FROM app_push_tokens WHERE channel_id = ? AND contact_external_id = ? AND token NOT IN
			(SELECT token FROM app_push_tokens WHERE channel_id = ? AND contact_external_id = ? ORDER BY created_at DESC LIMIT ?)`
		_, err := tx.Exec(ctx, old, ch.ID, u.Ext, ch.ID, u.Ext, maxTokens)
		return err
	})
}

// unregister drops a user's push token.
func (s *users) unregister(ctx context.Context, u *user, token string) error {
	const q = `DELETE FROM app_push_tokens WHERE channel_id = ? AND contact_external_id = ? AND token = ?`
	_, err := s.k.Exec(ctx, q, u.ChannelID, u.Ext, token)
	return err
}

// PushToken is a device to notify.
type PushToken struct {
	Platform string `db:"platform"`
	Provider string `db:"provider"`
	Token    string `db:"token"`
}

func (s *users) tokens(ctx context.Context, channelID, ext string) ([]PushToken, error) {
	var out []PushToken
	const q = `SELECT platform, provider, token FROM app_push_tokens WHERE channel_id = ? AND contact_external_id = ? ORDER BY created_at DESC`
	if err := s.k.Select(ctx, &out, q, channelID, ext); err != nil {
		return nil, fmt.Errorf("push tokens: %w", err)
	}
	return out, nil
}

// dropTokens removes tokens the push service called invalid.
func (s *users) dropTokens(ctx context.Context, channelID string, tokens []string) error {
	for _, t := range tokens {
		if _, err := s.k.Exec(ctx, `DELETE FROM app_push_tokens WHERE channel_id = ? AND token = ?`, channelID, t); err != nil {
			return fmt.Errorf("drop push token: %w", err)
		}
	}
	return nil
}

// pushed records the last push result for a user.
func (s *users) pushed(ctx context.Context, channelID, ext, result string) error {
	const q = `UPDATE app_users SET push_result = ?, push_at = ? WHERE channel_id = ? AND contact_external_id = ?`
	_, err := s.k.Exec(ctx, q, hub.Bounded(result, 300), s.k.Now(), channelID, ext)
	return err
}

// profile is an app user as agents see them (hub.ErrNotFound when the
// contact never identified through an app channel of the tenant).
func (s *users) profile(ctx context.Context, tenantID, contactID string) (*Profile, error) {
	var ps []Profile
	const q = `SELECT channel_id, contact_id, contact_external_id, traits, platform, os, app_version, model, identified_at, push_result, push_at
		FROM app_users WHERE tenant_id = ? AND contact_id = ? ORDER BY identified_at DESC LIMIT 1`
	if err := s.k.Select(ctx, &ps, q, tenantID, contactID); err != nil {
		return nil, fmt.Errorf("app user: %w", err)
	}
	if len(ps) == 0 {
		return nil, hub.ErrNotFound
	}
	p := &ps[0]
	online, err := s.present(ctx, p.ChannelID, p.Ext, s.k.Now())
	if err != nil {
		return nil, err
	}
	p.Online = online
	const qt = `SELECT t.platform, t.provider, t.token, t.created_at FROM app_push_tokens t JOIN app_users u ON
		u.channel_id = t.channel_id AND u.contact_external_id = t.contact_external_id
		WHERE u.tenant_id = ? AND u.contact_id = ? ORDER BY t.created_at DESC`
	if err := s.k.Select(ctx, &p.Tokens, qt, tenantID, contactID); err != nil {
		return nil, fmt.Errorf("app user tokens: %w", err)
	}
	for i := range p.Tokens {
		t := p.Tokens[i].Token
		p.Tokens[i].Token = "…" + t[max(0, len(t)-6):]
	}
	if p.Tokens == nil {
		p.Tokens = []TokenView{}
	}
	return p, nil
}

// read records how far the user has read a conversation (never backwards).
func (s *users) read(ctx context.Context, channelID, convID string, seq int64) error {
	const q = `INSERT INTO app_reads (conversation_id, channel_id, seq) VALUES (?, ?, ?) ON CONFLICT (conversation_id)
		DO UPDATE SET seq = CASE WHEN excluded.seq > app_reads.seq THEN excluded.seq ELSE app_reads.seq END`
	_, err := s.k.Exec(ctx, q, convID, channelID, seq)
	return err
}

// reads are how far the user has read each of the conversations.
func (s *users) reads(ctx context.Context, convIDs []string) (map[string]int64, error) {
	out := map[string]int64{}
	if len(convIDs) == 0 {
		return out, nil
	}
	var rows []struct {
		ID  string `db:"conversation_id"`
		Seq int64  `db:"seq"`
	}
	if err := s.k.SelectIn(ctx, &rows, `SELECT conversation_id, seq FROM app_reads WHERE conversation_id IN (?)`, convIDs); err != nil {
		return nil, fmt.Errorf("app reads: %w", err)
	}
	for _, r := range rows {
		out[r.ID] = r.Seq
	}
	return out, nil
}
