// Package views keeps the ticket views agents save (已保存的视图): a named
// set of the ticket list's filters, an agent's own or, saved by a
// supervisor or an admin, shared with the whole team. They show beside
// the fixed views (mine, unassigned, group, all, overdue) with a count
// each. It owns the ticket_views table; the tickets store lists and
// counts.
package views

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/store"
	"github.com/kefu-hub/kefu/tickets"
)

// Filter is the filter set a view keeps. Assignee is "me" (whoever opens
// the view), "none" or an agent id; Group "none" or a group id; Field and
// FieldValue a custom field holding a value; Text a subject substring.
type Filter struct {
	Status     tickets.Status   `json:"status,omitempty"`
	Priority   tickets.Priority `json:"priority,omitempty"`
	Assignee   string           `json:"assignee_id,omitempty"`
	Group      string           `json:"group_id,omitempty"`
	Type       string           `json:"type,omitempty"`
	Field      string           `json:"field,omitempty"`
	FieldValue string           `json:"field_value,omitempty"`
	Text       string           `json:"q,omitempty"`
}

// View is a saved view; Count is the number of tickets it lists for the
// agent who asked (at most CountCap; More says there are more).
type View struct {
	ID        string    `db:"id" json:"id"`
	TenantID  string    `db:"tenant_id" json:"-"`
	OwnerID   string    `db:"owner_id" json:"owner_id"`
	Name      string    `db:"name" json:"name"`
	Shared    bool      `db:"shared" json:"shared"`
	Filter    Filter    `db:"-" json:"filter"`
	RawFilter string    `db:"filter" json:"-"`
	CreatedAt time.Time `db:"created_at" json:"created_at"`
	UpdatedAt time.Time `db:"updated_at" json:"updated_at"`
	Count     int       `db:"-" json:"count"`
	More      bool      `db:"-" json:"more"`
}

// Spec is what an agent sends to save or change a view; nil fields stay.
type Spec struct {
	Name   *string `json:"name"`
	Shared *bool   `json:"shared"`
	Filter *Filter `json:"filter"`
}

// Limits: views per agent (their own) and shared per tenant; the count a
// badge reads up to (a filter no index serves stops there).
const (
	MaxOwn    = 30
	MaxShared = 30
	CountCap  = 1000
)

// Store keeps the saved views.
type Store struct {
	k       *store.Store
	tickets *tickets.Store
}

// New returns the views store; tickets counts each view's tickets.
func New(k *store.Store, ts *tickets.Store) *Store { return &Store{k: k, tickets: ts} }

const cols = `id, tenant_id, owner_id, name, shared, filter, created_at, updated_at`

// For is the ticket list's filter of a view as an agent opens it: "me"
// is that agent, and a plain agent sees only what they may.
func (f Filter) For(a *hub.Agent) tickets.Filter {
	assignee := f.Assignee
	if assignee == "me" {
		assignee = a.ID
	}
	out := tickets.Filter{Status: f.Status, Priority: f.Priority, Assignee: assignee, Group: f.Group, Type: f.Type,
		Field: f.Field, FieldValue: f.FieldValue, Text: f.Text, View: "all", Me: a.ID}
	if !a.SeesAll() {
		out.Viewer = a.ID
	}
	return out
}

// List returns the views an agent sees — their own, then the shared ones —
// each with its count for them.
func (s *Store) List(ctx context.Context, a *hub.Agent) ([]View, error) {
	out := []View{}
	q := `SELECT ` + cols + ` FROM ticket_views WHERE tenant_id = ? AND (owner_id = ? OR shared = ?)
		ORDER BY shared, created_at, id`
	if err := s.k.Select(ctx, &out, q, a.TenantID, a.ID, true); err != nil {
		return nil, fmt.Errorf("list ticket views: %w", err)
	}
	for i := range out {
		v := &out[i]
		v.decode()
		n, err := s.tickets.Count(ctx, a.TenantID, v.Filter.For(a), CountCap+1)
		if err != nil {
			return nil, err
		}
		v.Count, v.More = min(n, CountCap), n > CountCap
	}
	return out, nil
}

// Get returns a view the agent sees (their own or a shared one).
func (s *Store) Get(ctx context.Context, a *hub.Agent, id string) (*View, error) {
	var v View
	q := `SELECT ` + cols + ` FROM ticket_views WHERE tenant_id = ? AND id = ? AND (owner_id = ? OR shared = ?)`
	if err := s.k.Get(ctx, &v, q, a.TenantID, id, a.ID, true); err != nil {
		if store.NoRows(err) {
			return nil, fmt.Errorf("ticket view %s: %w", id, hub.ErrNotFound)
		}
		return nil, fmt.Errorf("get ticket view: %w", err)
	}
	v.decode()
	return &v, nil
}

func (v *View) decode() { _ = json.Unmarshal([]byte(v.RawFilter), &v.Filter) } // written by us

// Create saves a view; only supervisors and admins share one.
func (s *Store) Create(ctx context.Context, a *hub.Agent, sp Spec) (*View, error) {
	if sp.Name == nil {
		return nil, hub.Coded("view_name", hub.Invalid("请填写视图名称 (name is required)"))
	}
	v := &View{ID: hub.NewID("tv"), TenantID: a.TenantID, OwnerID: a.ID}
	if err := sp.apply(a, v); err != nil {
		return nil, err
	}
	err := s.k.Write(ctx, func(tx *store.Tx) error {
		var n int
		q, args, most := `SELECT COUNT(*) FROM ticket_views WHERE tenant_id = ? AND owner_id = ? AND shared = ?`,
			[]any{a.TenantID, a.ID, false}, MaxOwn
		if v.Shared {
			q, args, most = `SELECT COUNT(*) FROM ticket_views WHERE tenant_id = ? AND shared = ?`, []any{a.TenantID, true}, MaxShared
		}
		if err := tx.Get(ctx, &n, q, args...); err != nil {
			return fmt.Errorf("count ticket views: %w", err)
		}
		if n >= most {
			return hub.Coded("view_limit", hub.Invalid("最多保存 %d 个视图 (at most %d views)", most, most))
		}
		v.CreatedAt, v.UpdatedAt = tx.Now(), tx.Now()
		b, _ := json.Marshal(v.Filter)
		const ins = `INSERT INTO ticket_views (` + cols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`
		if _, err := tx.Exec(ctx, ins, v.ID, v.TenantID, v.OwnerID, v.Name, v.Shared, string(b), v.CreatedAt, v.UpdatedAt); err != nil {
			return fmt.Errorf("save ticket view: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return v, nil
}

// Update renames a view, changes its filters or whether it is shared. An
// agent changes their own views; a shared one only a supervisor or an
// admin changes.
func (s *Store) Update(ctx context.Context, a *hub.Agent, id string, sp Spec) (*View, error) {
	v, err := s.mine(ctx, a, id)
	if err != nil {
		return nil, err
	}
	if err := sp.apply(a, v); err != nil {
		return nil, err
	}
	v.UpdatedAt = s.k.Now()
	b, _ := json.Marshal(v.Filter)
	const up = `UPDATE ticket_views SET name = ?, shared = ?, filter = ?, updated_at = ? WHERE tenant_id = ? AND id = ?`
	if _, err := s.k.Exec(ctx, up, v.Name, v.Shared, string(b), v.UpdatedAt, a.TenantID, id); err != nil {
		return nil, fmt.Errorf("update ticket view: %w", err)
	}
	return v, nil
}

// Delete removes a view (the same rule as Update).
func (s *Store) Delete(ctx context.Context, a *hub.Agent, id string) error {
	if _, err := s.mine(ctx, a, id); err != nil {
		return err
	}
	if _, err := s.k.Exec(ctx, `DELETE FROM ticket_views WHERE tenant_id = ? AND id = ?`, a.TenantID, id); err != nil {
		return fmt.Errorf("delete ticket view: %w", err)
	}
	return nil
}

// mine returns a view the agent may change: their own, or a shared one
// when they are a supervisor or an admin (others' shared views: 403).
func (s *Store) mine(ctx context.Context, a *hub.Agent, id string) (*View, error) {
	v, err := s.Get(ctx, a, id)
	if err != nil {
		return nil, err
	}
	if v.Shared && !a.SeesAll() {
		return nil, hub.Coded("view_shared", fmt.Errorf("共享视图只有主管或管理员可以修改 (only supervisors and admins change shared views): %w",
			hub.ErrForbidden))
	}
	return v, nil
}

func (sp Spec) apply(a *hub.Agent, v *View) error {
	if sp.Name != nil {
		n := strings.TrimSpace(hub.Clean(*sp.Name))
		if c := utf8.RuneCountInString(n); c == 0 || c > 50 {
			return hub.Coded("view_name", hub.Invalid("视图名称为 1 到 50 个字符 (name is 1 to 50 characters)"))
		}
		v.Name = n
	}
	if sp.Shared != nil {
		if *sp.Shared && !a.SeesAll() {
			return hub.Coded("view_share", fmt.Errorf("只有主管或管理员可以共享视图 (only supervisors and admins share views): %w",
				hub.ErrForbidden))
		}
		v.Shared = *sp.Shared
	}
	if sp.Filter != nil {
		f := *sp.Filter
		f.Type, f.Text, f.FieldValue = strings.TrimSpace(f.Type), strings.TrimSpace(f.Text), strings.TrimSpace(f.FieldValue)
		if err := f.For(a).Check(); err != nil {
			return err
		}
		if f.Field != "" && !fieldKey(f.Field) {
			return hub.Invalid("field must be a custom field key")
		}
		v.Filter = f
	}
	return nil
}

// fieldKey reports the shape of a custom field's key.
func fieldKey(k string) bool {
	if k == "" || len(k) > 40 || k[0] < 'a' || k[0] > 'z' {
		return false
	}
	return strings.Trim(k, "abcdefghijklmnopqrstuvwxyz0123456789_") == ""
}
