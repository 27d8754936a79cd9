package core

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/store"
)

// ContactCard is the customer card (客户资料) agents keep: the identity the
// channel gave plus company, QQ, WeChat, notes, custom fields and tags.
type ContactCard struct {
	hub.Contact
	Company   string            `db:"company" json:"company"`
	QQ        string            `db:"qq" json:"qq"`
	WeChat    string            `db:"wechat" json:"wechat"`
	Notes     string            `db:"notes" json:"notes"`
	Custom    map[string]string `db:"-" json:"custom"`
	Tags      []string          `db:"-" json:"tags"`
	CustomRaw string            `db:"custom" json:"-"`
	TagsRaw   string            `db:"tags" json:"-"`
}

// ContactPatch changes a customer card; nil fields stay.
type ContactPatch struct {
	Name    *string            `json:"name"`
	Company *string            `json:"company"`
	Phone   *string            `json:"phone"`
	Email   *string            `json:"email"`
	QQ      *string            `json:"qq"`
	WeChat  *string            `json:"wechat"`
	Notes   *string            `json:"notes"`
	Custom  *map[string]string `json:"custom"`
	Tags    *[]string          `json:"tags"`
}

const cardCols = `id, tenant_id, channel_id, external_id, name, email, phone, created_at, updated_at, unsubscribed_at,
	source, company, qq, wechat, notes, custom, tags`

// mayContact is the condition under which an agent sees a contact: admins
// and supervisors see every contact of the tenant, agents those of the
// conversations they may see (their own).
func mayContact(a *hub.Agent) (string, []any) {
	if a.SeesAll() {
		return ``, nil
	}
	return ` AND EXISTS (SELECT 1 FROM conversations v WHERE v.contact_id = contacts.id AND v.assignee_id = ?)`, []any{a.ID}
}

// ContactCard returns a contact the agent may see.
func (s *Store) ContactCard(ctx context.Context, a *hub.Agent, id string) (*ContactCard, error) {
	return s.contactCard(ctx, s.db.R, a, id)
}

func (s *Store) contactCard(ctx context.Context, q sqlx.QueryerContext, a *hub.Agent, id string) (*ContactCard, error) {
	cond, args := mayContact(a)
	var c ContactCard
	sq := s.db.R.Rebind(`SELECT ` + cardCols + ` FROM contacts WHERE tenant_id = ? AND id = ?` + cond)
	if err := sqlx.GetContext(ctx, q, &c, sq, append([]any{a.TenantID, id}, args...)...); err != nil {
		if store.NoRows(err) {
			return nil, fmt.Errorf("contact %s: %w", id, hub.ErrNotFound)
		}
		return nil, fmt.Errorf("get contact: %w", err)
	}
	c.Custom, c.Tags = map[string]string{}, []string{}
	_ = json.Unmarshal([]byte(c.CustomRaw), &c.Custom) // written by us; empty on damage
	_ = json.Unmarshal([]byte(c.TagsRaw), &c.Tags)
	return &c, nil
}

// UpdateContact changes a customer card the agent may see and tells the
// agents working the contact's active conversation.
func (s *Store) UpdateContact(ctx context.Context, a *hub.Agent, id string, p ContactPatch) (*ContactCard, error) {
	var c *ContactCard
	err := s.write(ctx, func(tx *store.Tx, fx *effects) error {
		var err error
		if c, err = s.contactCard(ctx, tx, a, id); err != nil {
			return err
		}
		if err := p.apply(c); err != nil {
			return err
		}
		custom, _ := json.Marshal(c.Custom)
		tags, _ := json.Marshal(c.Tags)
		c.UpdatedAt = s.now()
		const q = `UPDATE contacts SET name = ?, company = ?, phone = ?, email = ?, qq = ?, wechat = ?, notes = ?,
			custom = ?, tags = ?, updated_at = ? WHERE tenant_id = ? AND id = ?`
		if _, err := tx.ExecContext(ctx, tx.Rebind(q), c.Name, c.Company, c.Phone, c.Email, c.QQ, c.WeChat, c.Notes,
			string(custom), string(tags), c.UpdatedAt, a.TenantID, c.ID); err != nil {
			return fmt.Errorf("update contact: %w", err)
		}
		var to []string
		aq := tx.Rebind(`SELECT COALESCE(assignee_id, '') FROM conversations WHERE contact_id = ? AND status <> 'closed'`)
		if err := tx.SelectContext(ctx, &to, aq, c.ID); err != nil {
			return fmt.Errorf("find contact's agent: %w", err)
		}
		to = append(to, "")
		fx.emit(&hub.Channel{TenantID: c.TenantID}, hub.EvContactUpdated, "", to[0], map[string]any{"contact": c, "event": "card"})
		return nil
	})
	return c, err
}

// fieldLimits bound the card's text fields, in characters.
var fieldLimits = map[string]int{"name": 100, "company": 200, "phone": 50, "email": 254, "qq": 20, "wechat": 100,
	"notes": 5000}

func (p *ContactPatch) apply(c *ContactCard) error {
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
			return hub.Invalid("%s is at most %d characters", f.name, fieldLimits[f.name])
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
		return nil, hub.Invalid("at most 50 tags")
	}
	out, seen := []string{}, map[string]bool{}
	for _, t := range in {
		t = strings.TrimSpace(hub.Clean(t))
		if utf8.RuneCountInString(t) > 30 {
			return nil, hub.Invalid("tags are at most 30 characters")
		}
		if t != "" && !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out, nil
}

// ContactConversations lists a contact's conversations the agent may see,
// newest first.
func (s *Store) ContactConversations(ctx context.Context, a *hub.Agent, contactID string, limit int) ([]hub.Conversation, error) {
	if _, err := s.ContactCard(ctx, a, contactID); err != nil {
		return nil, err
	}
	q := `SELECT ` + convCols + ` FROM conversations WHERE tenant_id = ? AND contact_id = ?`
	args := []any{a.TenantID, contactID}
	if !a.SeesAll() {
		q += ` AND assignee_id = ?`
		args = append(args, a.ID)
	}
	q += ` ORDER BY created_at DESC, id LIMIT ?`
	out := []hub.Conversation{}
	if err := s.db.R.SelectContext(ctx, &out, s.db.R.Rebind(q), append(args, pageLimit(limit))...); err != nil {
		return nil, fmt.Errorf("contact conversations: %w", err)
	}
	return out, nil
}

func pageLimit(n int) int {
	if n <= 0 {
		return 100
	}
	return min(n, 500)
}
