// Package canned keeps the prepared answers (快捷回复) agents insert and
// edit before sending: their own, and the tenant's shared ones.
package canned

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/store"
)

// Reply is a prepared answer (快捷回复) an agent inserts and edits
// before sending: personal (OwnerAgentID set) or shared by the tenant.
type Reply struct {
	ID           string    `db:"id" json:"id"`
	TenantID     string    `db:"tenant_id" json:"-"`
	OwnerAgentID *string   `db:"owner_agent_id" json:"owner_agent_id"`
	Shared       bool      `db:"-" json:"shared"`
	Category     string    `db:"category" json:"category"`
	Title        string    `db:"title" json:"title"`
	Text         string    `db:"text" json:"text"`
	CreatedAt    time.Time `db:"created_at" json:"created_at"`
	UpdatedAt    time.Time `db:"updated_at" json:"updated_at"`
}

// Patch creates or changes a canned reply; nil fields stay.
type Patch struct {
	Title    *string `json:"title"`
	Text     *string `json:"text"`
	Category *string `json:"category"`
	Shared   *bool   `json:"shared"`
}

func (p *Patch) apply(c *Reply) error {
	set(&c.Title, p.Title)
	set(&c.Text, p.Text)
	set(&c.Category, p.Category)
	c.Title, c.Category = strings.TrimSpace(hub.Clean(c.Title)), strings.TrimSpace(hub.Clean(c.Category))
	c.Text = hub.Clean(c.Text)
	switch {
	case c.Title == "" || utf8.RuneCountInString(c.Title) > 100:
		return hub.BadField("input_length", "title", "title is required, at most 100 characters", "max", "100")
	case strings.TrimSpace(c.Text) == "" || utf8.RuneCountInString(c.Text) > 5000:
		return hub.BadField("input_length", "text", "text is required, at most 5000 characters", "max", "5000")
	case utf8.RuneCountInString(c.Category) > 50:
		return hub.BadField("input_too_long", "category", "category is at most 50 characters", "max", "50")
	}
	return nil
}

const cannedCols = `id, tenant_id, owner_agent_id, category, title, text, created_at, updated_at`

// visibleCanned is the condition for the canned replies an agent may use:
// their own and the tenant's shared ones.
const visibleCanned = ` WHERE tenant_id = ? AND (owner_agent_id IS NULL OR owner_agent_id = ?)`

// List lists the agent's personal and the tenant's shared canned
// replies, by category and title; q matches title or text, any case.
func (s *Store) List(ctx context.Context, a *hub.Agent, q, category string) ([]Reply, error) {
	sq := `SELECT ` + cannedCols + ` FROM canned_replies` + visibleCanned
	args := []any{a.TenantID, a.ID}
	if q != "" {
		p := store.Like(q)
		sq += ` AND (LOWER(title) LIKE ? ESCAPE '\' OR LOWER(text) LIKE ? ESCAPE '\')`
		args = append(args, p, p)
	}
	if category != "" {
		sq += ` AND category = ?`
		args = append(args, category)
	}
	sq += ` ORDER BY category, title, id LIMIT 1000`
	out := []Reply{}
	if err := s.k.Select(ctx, &out, sq, args...); err != nil {
		return nil, fmt.Errorf("list canned replies: %w", err)
	}
	for i := range out {
		out[i].Shared = out[i].OwnerAgentID == nil
	}
	return out, nil
}

// Categories lists the categories of the canned replies the agent may use.
func (s *Store) Categories(ctx context.Context, a *hub.Agent) ([]string, error) {
	out := []string{}
	q := (`SELECT DISTINCT category FROM canned_replies` + visibleCanned + ` AND category <> '' ORDER BY category`)
	if err := s.k.Select(ctx, &out, q, a.TenantID, a.ID); err != nil {
		return nil, fmt.Errorf("list canned categories: %w", err)
	}
	return out, nil
}

// Create adds a personal canned reply, or a shared one for admins and
// supervisors.
func (s *Store) Create(ctx context.Context, a *hub.Agent, p Patch) (*Reply, error) {
	now := s.k.Now()
	c := &Reply{ID: hub.NewID("cr"), TenantID: a.TenantID, OwnerAgentID: &a.ID, CreatedAt: now, UpdatedAt: now}
	if p.Shared != nil && *p.Shared {
		if !a.SeesAll() {
			return nil, fmt.Errorf("%w: only admins and supervisors create shared canned replies", hub.ErrForbidden)
		}
		c.OwnerAgentID = nil
	}
	if err := p.apply(c); err != nil {
		return nil, err
	}
	c.Shared = c.OwnerAgentID == nil
	const q = `INSERT INTO canned_replies (id, tenant_id, owner_agent_id, category, title, text, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`
	if _, err := s.k.Exec(ctx, q, c.ID, c.TenantID, c.OwnerAgentID, c.Category, c.Title, c.Text,
		now, now); err != nil {
		return nil, fmt.Errorf("insert canned reply: %w", err)
	}
	return c, nil
}

// forChange reads a canned reply the agent may change: their own, or
// a shared one for admins and supervisors. Another agent's personal reply
// does not exist for them; a shared one is forbidden to plain agents.
func (s *Store) forChange(ctx context.Context, a *hub.Agent, id string) (*Reply, error) {
	var c Reply
	q := (`SELECT ` + cannedCols + ` FROM canned_replies` + visibleCanned + ` AND id = ?`)
	if err := s.k.Get(ctx, &c, q, a.TenantID, a.ID, id); err != nil {
		if store.NoRows(err) {
			return nil, fmt.Errorf("canned reply %s: %w", id, hub.ErrNotFound)
		}
		return nil, fmt.Errorf("get canned reply: %w", err)
	}
	c.Shared = c.OwnerAgentID == nil
	if c.Shared && !a.SeesAll() {
		return nil, fmt.Errorf("%w: only admins and supervisors change shared canned replies", hub.ErrForbidden)
	}
	return &c, nil
}

// Update changes a canned reply's title, text or category.
func (s *Store) Update(ctx context.Context, a *hub.Agent, id string, p Patch) (*Reply, error) {
	c, err := s.forChange(ctx, a, id)
	if err != nil {
		return nil, err
	}
	if p.Shared != nil && *p.Shared != c.Shared {
		return nil, hub.Invalid("shared cannot change; create a new canned reply instead")
	}
	if err := p.apply(c); err != nil {
		return nil, err
	}
	c.UpdatedAt = s.k.Now()
	const q = `UPDATE canned_replies SET category = ?, title = ?, text = ?, updated_at = ? WHERE tenant_id = ? AND id = ?`
	if _, err := s.k.Exec(ctx, q, c.Category, c.Title, c.Text, c.UpdatedAt, a.TenantID, c.ID); err != nil {
		return nil, fmt.Errorf("update canned reply: %w", err)
	}
	return c, nil
}

// Delete removes a canned reply.
func (s *Store) Delete(ctx context.Context, a *hub.Agent, id string) error {
	c, err := s.forChange(ctx, a, id)
	if err != nil {
		return err
	}
	const q = `DELETE FROM canned_replies WHERE tenant_id = ? AND id = ?`
	if _, err := s.k.Exec(ctx, q, a.TenantID, c.ID); err != nil {
		return fmt.Errorf("delete canned reply: %w", err)
	}
	return nil
}

// Store keeps the canned replies.
type Store struct{ k *store.Store }

// New returns the canned-reply store.
func New(k *store.Store) *Store { return &Store{k: k} }

// set copies *src to *dst when src is given (a patch field).
func set[T any](dst *T, src *T) {
	if src != nil {
		*dst = *src
	}
}
