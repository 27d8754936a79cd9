package conversations

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/store"
)

// Category is a conversation category (会话分类: 咨询, 投诉, 售后 …) an agent
// picks when closing, for reports and history search.
type Category struct {
	ID        string    `db:"id" json:"id"`
	TenantID  string    `db:"tenant_id" json:"-"`
	Name      string    `db:"name" json:"name"`
	CreatedAt time.Time `db:"created_at" json:"created_at"`
}

// List lists a tenant's categories by name.
func (s *Categories) List(ctx context.Context, tenantID string) ([]Category, error) {
	out := []Category{}
	q := (`SELECT id, tenant_id, name, created_at FROM categories WHERE tenant_id = ? ORDER BY name, id`)
	if err := s.k.Select(ctx, &out, q, tenantID); err != nil {
		return nil, fmt.Errorf("list categories: %w", err)
	}
	return out, nil
}

// Create adds a category; a name the tenant has already is a conflict.
func (s *Categories) Create(ctx context.Context, tenantID, name string) (*Category, error) {
	name = strings.TrimSpace(hub.Clean(name))
	if name == "" || utf8.RuneCountInString(name) > 50 {
		return nil, hub.BadField("input_length", "name", "name is required, at most 50 characters", "max", "50")
	}
	c := &Category{ID: hub.NewID("cg"), TenantID: tenantID, Name: name, CreatedAt: s.k.Now()}
	const q = `INSERT INTO categories (id, tenant_id, name, created_at) VALUES (?, ?, ?, ?)`
	_, err := s.k.W.ExecContext(ctx, s.k.W.Rebind(q), c.ID, tenantID, name, c.CreatedAt)
	if store.IsUnique(err) {
		return nil, hub.Coded("category_exists", fmt.Errorf("%w: category %q already exists", hub.ErrConflict, name), "name", name)
	}
	if err != nil {
		return nil, fmt.Errorf("insert category: %w", err)
	}
	return c, nil
}

// Delete removes a category; conversations closed with it keep no
// category.
func (s *Categories) Delete(ctx context.Context, tenantID, id string) error {
	return s.k.Write(ctx, func(tx *store.Tx) error {
		res, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM categories WHERE tenant_id = ? AND id = ?`), tenantID, id)
		if err != nil {
			return fmt.Errorf("delete category: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("category %s: %w", id, hub.ErrNotFound)
		}
		const q = `UPDATE conversations SET category_id = NULL WHERE tenant_id = ? AND category_id = ?`
		if _, err := tx.ExecContext(ctx, tx.Rebind(q), tenantID, id); err != nil {
			return fmt.Errorf("clear category: %w", err)
		}
		return nil
	})
}

// CheckCategory accepts "" (no category) or a category of the tenant; any
// other id is bad input, whether it exists elsewhere or not.
func CheckCategory(ctx context.Context, tx *store.Tx, tenantID, id string) error {
	if id == "" {
		return nil
	}
	var n int
	if err := tx.Get(ctx, &n, `SELECT COUNT(*) FROM categories WHERE tenant_id = ? AND id = ?`, tenantID, id); err != nil {
		return fmt.Errorf("find category: %w", err)
	}
	if n == 0 {
		return hub.Invalid("category_id does not name a category")
	}
	return nil
}

// Categories keeps a tenant's conversation categories.
type Categories struct{ k *store.Store }

// NewCategories returns the category store.
func NewCategories(k *store.Store) *Categories { return &Categories{k: k} }
