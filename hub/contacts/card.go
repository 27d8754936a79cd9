package contacts

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/fields"
	"github.com/kefu-hub/kefu/hub/store"
)

// Card is the customer card (客户资料) agents keep: the identity the channel
// gave plus company, handles on other platforms (QQ, WeChat …), notes,
// custom fields and tags.
type Card struct {
	hub.Contact
	Company string            `db:"company" json:"company"`
	QQ      string            `db:"-" json:"qq"`
	WeChat  string            `db:"-" json:"wechat"`
	Notes   string            `db:"notes" json:"notes"`
	Custom  map[string]string `db:"-" json:"custom"`
	Tags    []string          `db:"-" json:"tags"`
	// OwnerID is the agent responsible for the customer (负责人), if any.
	OwnerID *string `db:"owner_id" json:"owner_id"`
	// NextFollowUp is the next follow-up date the latest follow-up set.
	NextFollowUp *time.Time `db:"next_followup_at" json:"next_followup_at"`
	// MergedInto is the customer this one was merged into (merges.go).
	MergedInto *string `db:"merged_into" json:"merged_into"`
	CustomRaw  string  `db:"custom" json:"-"`
	TagsRaw    string  `db:"tags" json:"-"`
}

// Platforms whose handles a card shows.
const (
	HandleQQ     = "qq"
	HandleWeChat = "wechat"
)

// Patch changes a customer card; nil fields stay.
type Patch struct {
	Name    *string            `json:"name"`
	Company *string            `json:"company"`
	Phone   *string            `json:"phone"`
	Email   *string            `json:"email"`
	QQ      *string            `json:"qq"`
	WeChat  *string            `json:"wechat"`
	Notes   *string            `json:"notes"`
	Custom  *map[string]string `json:"custom"`
	Tags    *[]string          `json:"tags"`
	// OwnerID sets the responsible agent (an agent of the tenant); "" clears it.
	OwnerID *string `json:"owner_id"`
}

const cardCols = cols + `, company, notes, custom, tags, owner_id, next_followup_at, merged_into`

// Card returns a tenant's contact with its card. Who may see it is the
// caller's decision (an agent sees the contacts of their conversations).
func (s *Store) Card(ctx context.Context, tenantID, id string) (*Card, error) {
	return card(ctx, s.k, tenantID, id)
}

func card(ctx context.Context, q store.Querier, tenantID, id string) (*Card, error) {
	var c Card
	if err := q.Get(ctx, &c, `SELECT `+cardCols+` FROM contacts WHERE tenant_id = ? AND id = ?`, tenantID, id); err != nil {
		if store.NoRows(err) {
			return nil, fmt.Errorf("contact %s: %w", id, hub.ErrNotFound)
		}
		return nil, fmt.Errorf("get contact: %w", err)
	}
	c.decode()
	var hs []struct {
		Platform string `db:"platform"`
		Handle   string `db:"handle"`
	}
	if err := q.Select(ctx, &hs, `SELECT platform, handle FROM contact_handles WHERE contact_id = ?`, id); err != nil {
		return nil, fmt.Errorf("contact handles: %w", err)
	}
	for _, h := range hs {
		switch h.Platform {
		case HandleQQ:
			c.QQ = h.Handle
		case HandleWeChat:
			c.WeChat = h.Handle
		}
	}
	return &c, nil
}

// UpdateCard changes a tenant's customer card in the caller's transaction.
// Custom values are checked against the tenant's custom fields when they
// are part of the change.
func UpdateCard(ctx context.Context, tx *store.Tx, tenantID, id string, p Patch) (*Card, error) {
	return updateCard(ctx, tx, tenantID, id, p, false)
}

// updateCard changes a card; a new one (creating) must fill the required
// custom fields even when the patch names none.
func updateCard(ctx context.Context, tx *store.Tx, tenantID, id string, p Patch, creating bool) (*Card, error) {
	c, err := card(ctx, tx, tenantID, id)
	if err != nil {
		return nil, err
	}
	if err := p.apply(c); err != nil {
		return nil, err
	}
	if p.Custom != nil || creating {
		defs, err := fields.List(ctx, tx, tenantID, fields.Contact)
		if err != nil {
			return nil, err
		}
		if c.Custom, err = fields.Check(defs, c.Custom); err != nil {
			return nil, err
		}
	}
	if err := checkOwner(ctx, tx, tenantID, c.OwnerID); err != nil {
		return nil, err
	}
	custom, _ := json.Marshal(c.Custom)
	tags, _ := json.Marshal(c.Tags)
	c.UpdatedAt = tx.Now()
	const q = `UPDATE contacts SET name = ?, company = ?, phone = ?, email = ?, notes = ?, custom = ?, tags = ?,
		owner_id = ?, updated_at = ? WHERE tenant_id = ? AND id = ?`
	if _, err := tx.Exec(ctx, q, c.Name, c.Company, c.Phone, c.Email, c.Notes, string(custom), string(tags),
		c.OwnerID, c.UpdatedAt, tenantID, c.ID); err != nil {
		return nil, fmt.Errorf("update contact: %w", err)
	}
	for _, h := range []struct{ platform, handle string }{{HandleQQ, c.QQ}, {HandleWeChat, c.WeChat}} {
		if err := setHandle(ctx, tx, c, h.platform, h.handle); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// setHandle records (or, when empty, removes) a contact's handle on a platform.
func setHandle(ctx context.Context, tx *store.Tx, c *Card, platform, handle string) error {
	q, args := `DELETE FROM contact_handles WHERE contact_id = ? AND platform = ?`, []any{c.ID, platform}
	if handle != "" {
		q = `INSERT INTO contact_handles (contact_id, tenant_id, platform, handle) VALUES (?, ?, ?, ?)
			ON CONFLICT (contact_id, platform) DO UPDATE SET handle = excluded.handle`
		args = []any{c.ID, c.TenantID, platform, handle}
	}
	if _, err := tx.Exec(ctx, q, args...); err != nil {
		return fmt.Errorf("contact handle: %w", err)
	}
	return nil
}

// fieldLimits bound the card's text fields, in characters.
var fieldLimits = map[string]int{"name": 100, "company": 200, "phone": 50, "email": 254, "qq": 20, "wechat": 100,
	"notes": 5000}

func (p *Patch) apply(c *Card) error {
	for _, f := range []struct {
		name string
		dst  *string
		src  *string
	}{{"name", &c.Name, p.Name}, {"company", &c.Company, p.Company}, {"phone", &c.Phone, p.Phone},
		{"email", &c.Email, p.Email}, {"qq", &c.QQ, p.QQ}, {"wechat", &c.WeChat, p.WeChat}, {"notes", &c.Notes, p.Notes}} {
		if f.src == nil {
			continue
		}
		v := strings.TrimSpace(hub.Clean(*f.src))
		if utf8.RuneCountInString(v) > fieldLimits[f.name] {
			return hub.BadField("input_too_long", f.name, fmt.Sprintf("%s is at most %d characters", f.name, fieldLimits[f.name]), "max", strconv.Itoa(fieldLimits[f.name]))
		}
		*f.dst = v
	}
	if p.Custom != nil {
		if err := checkCustom(*p.Custom); err != nil {
			return err
		}
		c.Custom = map[string]string{}
		for k, v := range *p.Custom {
			c.Custom[strings.TrimSpace(hub.Clean(k))] = hub.Clean(v)
		}
	}
	if p.OwnerID != nil {
		c.OwnerID = nil
		if v := strings.TrimSpace(*p.OwnerID); v != "" {
			c.OwnerID = &v
		}
	}
	if p.Tags != nil {
		tags, err := cleanTags(*p.Tags)
		if err != nil {
			return err
		}
		c.Tags = tags
	}
	return nil
}

func checkCustom(m map[string]string) error {
	if len(m) > 50 {
		return hub.Invalid("custom has at most 50 fields")
	}
	for k, v := range m {
		if n := utf8.RuneCountInString(strings.TrimSpace(k)); n == 0 || n > 50 {
			return hub.Invalid("custom field names are 1 to 50 characters")
		}
		if utf8.RuneCountInString(v) > 1000 {
			return hub.Invalid("custom field values are at most 1000 characters")
		}
	}
	return nil
}

// cleanTags trims tags and drops empty and repeated ones.
func cleanTags(in []string) ([]string, error) {
	if len(in) > 50 {
		return nil, hub.BadField("input_too_many", "tags", "at most 50 tags", "max", "50")
	}
	out, seen := []string{}, map[string]bool{}
	for _, t := range in {
		t = strings.TrimSpace(hub.Clean(t))
		if utf8.RuneCountInString(t) > 30 {
			return nil, hub.BadField("input_too_long", "tag", "tags are at most 30 characters", "max", "30")
		}
		if t != "" && !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out, nil
}

// decode reads the custom fields and tags kept as JSON text.
func (c *Card) decode() {
	c.Custom, c.Tags = map[string]string{}, []string{}
	_ = json.Unmarshal([]byte(c.CustomRaw), &c.Custom) // written by us; empty on damage
	_ = json.Unmarshal([]byte(c.TagsRaw), &c.Tags)
}

// checkOwner refuses an owner who is not an active agent of the tenant.
func checkOwner(ctx context.Context, tx *store.Tx, tenantID string, ownerID *string) error {
	if ownerID == nil {
		return nil
	}
	var n int
	const q = `SELECT COUNT(*) FROM agents WHERE tenant_id = ? AND id = ? AND disabled = FALSE`
	if err := tx.Get(ctx, &n, q, tenantID, *ownerID); err != nil {
		return fmt.Errorf("check owner: %w", err)
	}
	if n == 0 {
		return hub.Coded("contact_owner_unknown", hub.Invalid("负责人不存在 (owner %q is not an agent of this tenant)",
			*ownerID), "owner_id", *ownerID)
	}
	return nil
}
