package qa

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/store"
)

// Template is a scoring template (质检模板): its items' points add up to
// the review's full score.
type Template struct {
	ID        string         `db:"id" json:"id"`
	TenantID  string         `db:"tenant_id" json:"-"`
	Name      string         `db:"name" json:"name"`
	Enabled   bool           `db:"enabled" json:"enabled"`
	Items     jsonList[Item] `db:"items" json:"items"`
	MaxScore  int            `db:"-" json:"max_score"`
	CreatedAt time.Time      `db:"created_at" json:"created_at"`
	UpdatedAt time.Time      `db:"updated_at" json:"updated_at"`
}

// Item is one thing a reviewer checks: worth MaxPoints, less the
// deductions the reviewer picks. A fatal item (致命项), when failed,
// scores the whole review 0.
type Item struct {
	ID         string      `json:"id"`
	Name       string      `json:"name"`
	MaxPoints  int         `json:"max_points"`
	Fatal      bool        `json:"fatal"`
	Deductions []Deduction `json:"deductions"`
}

// Deduction is a named reason to take points off an item (扣分项).
type Deduction struct {
	Label  string `json:"label"`
	Points int    `json:"points"`
}

// TemplateIn creates or replaces a template's name, items and state.
type TemplateIn struct {
	Name    string `json:"name"`
	Enabled *bool  `json:"enabled"`
	Items   []Item `json:"items"`
}

// Limits of a template.
const (
	maxItems      = 50
	maxDeductions = 20
	maxPoints     = 1000
)

func (in *TemplateIn) apply(t *Template) error {
	t.Name = strings.TrimSpace(hub.Clean(in.Name))
	if t.Name == "" || utf8.RuneCountInString(t.Name) > 100 {
		return hub.BadField("input_length", "name", "name is required, at most 100 characters", "max", "100")
	}
	if in.Enabled != nil {
		t.Enabled = *in.Enabled
	}
	if len(in.Items) == 0 || len(in.Items) > maxItems {
		return hub.Invalid("a template has 1 to %d items", maxItems)
	}
	t.Items, t.MaxScore = jsonList[Item]{}, 0
	used := map[string]bool{}
	for i, it := range in.Items {
		if err := cleanItem(&it, i); err != nil {
			return err
		}
		if it.ID != "" && used[it.ID] {
			return hub.Invalid("item %d: id %q is used twice", i+1, it.ID)
		}
		used[it.ID] = it.ID != ""
		t.Items = append(t.Items, it)
		t.MaxScore += it.MaxPoints
	}
	numberItems(t.Items, used)
	if t.MaxScore <= 0 || t.MaxScore > maxPoints {
		return hub.Invalid("the items' points add up to 1 to %d", maxPoints)
	}
	return nil
}

// numberItems gives the items without an id the first free "i<n>" (ids
// keep a review's scores tied to items when a template is edited: an item
// added after another was removed must not take its id).
func numberItems(items []Item, used map[string]bool) {
	n := 0
	for i := range items {
		for items[i].ID == "" {
			n++
			if id := fmt.Sprintf("i%d", n); !used[id] {
				items[i].ID, used[id] = id, true
			}
		}
	}
}

// cleanItem checks an item (its id, when given, at most 40 characters).
func cleanItem(it *Item, i int) error {
	it.Name = strings.TrimSpace(hub.Clean(it.Name))
	if it.ID = strings.TrimSpace(hub.Clean(it.ID)); len(it.ID) > 40 {
		return hub.Invalid("item %d: an id is at most 40 characters", i+1)
	}
	switch {
	case it.Name == "" || utf8.RuneCountInString(it.Name) > 100:
		return hub.Invalid("item %d: name is required, at most 100 characters", i+1)
	case it.MaxPoints < 0 || it.MaxPoints > maxPoints:
		return hub.Invalid("item %d: max_points is 0 to %d", i+1, maxPoints)
	case !it.Fatal && it.MaxPoints == 0:
		return hub.Invalid("item %d: an item that is not fatal is worth points", i+1)
	case len(it.Deductions) > maxDeductions:
		return hub.Invalid("item %d: at most %d deductions", i+1, maxDeductions)
	}
	if it.Deductions == nil {
		it.Deductions = []Deduction{}
	}
	for j := range it.Deductions {
		d := &it.Deductions[j]
		d.Label = strings.TrimSpace(hub.Clean(d.Label))
		if d.Label == "" || utf8.RuneCountInString(d.Label) > 100 || d.Points <= 0 || d.Points > it.MaxPoints {
			return hub.Invalid("item %d, deduction %d: a label and 1 to max_points points", i+1, j+1)
		}
	}
	return nil
}

func (t *Template) total() {
	t.MaxScore = 0
	for _, it := range t.Items {
		t.MaxScore += it.MaxPoints
	}
}

const templateCols = `id, tenant_id, name, enabled, items, created_at, updated_at`

// Templates lists the tenant's templates by name.
func (s *Store) Templates(ctx context.Context, a *hub.Agent) ([]Template, error) {
	out := []Template{}
	q := `SELECT ` + templateCols + ` FROM qa_templates WHERE tenant_id = ? ORDER BY name, id`
	if err := s.k.Select(ctx, &out, q, a.TenantID); err != nil {
		return nil, fmt.Errorf("list qa templates: %w", err)
	}
	for i := range out {
		out[i].total()
	}
	return out, nil
}

// Template returns one of the tenant's templates.
func (s *Store) Template(ctx context.Context, tenantID, id string) (*Template, error) {
	var t Template
	q := `SELECT ` + templateCols + ` FROM qa_templates WHERE tenant_id = ? AND id = ?`
	if err := s.k.Get(ctx, &t, q, tenantID, id); err != nil {
		if store.NoRows(err) {
			return nil, fmt.Errorf("qa template %s: %w", id, hub.ErrNotFound)
		}
		return nil, fmt.Errorf("get qa template: %w", err)
	}
	t.total()
	return &t, nil
}

// CreateTemplate adds a template (enabled unless told otherwise).
func (s *Store) CreateTemplate(ctx context.Context, a *hub.Agent, in TemplateIn) (*Template, error) {
	if err := staff(a, "manage QA templates"); err != nil {
		return nil, err
	}
	now := s.k.Now()
	t := &Template{ID: hub.NewID("qt"), TenantID: a.TenantID, Enabled: true, CreatedAt: now, UpdatedAt: now}
	if err := in.apply(t); err != nil {
		return nil, err
	}
	const q = `INSERT INTO qa_templates (id, tenant_id, name, enabled, items, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)`
	if _, err := s.k.Exec(ctx, q, t.ID, t.TenantID, t.Name, t.Enabled, t.Items.text(), now, now); err != nil {
		return nil, fmt.Errorf("insert qa template: %w", err)
	}
	return t, nil
}

// UpdateTemplate replaces a template's name, items and state. Reviews
// already scored keep their scores.
func (s *Store) UpdateTemplate(ctx context.Context, a *hub.Agent, id string, in TemplateIn) (*Template, error) {
	if err := staff(a, "manage QA templates"); err != nil {
		return nil, err
	}
	t, err := s.Template(ctx, a.TenantID, id)
	if err != nil {
		return nil, err
	}
	if err := in.apply(t); err != nil {
		return nil, err
	}
	t.UpdatedAt = s.k.Now()
	const q = `UPDATE qa_templates SET name = ?, enabled = ?, items = ?, updated_at = ? WHERE tenant_id = ? AND id = ?`
	if _, err := s.k.Exec(ctx, q, t.Name, t.Enabled, t.Items.text(), t.UpdatedAt, a.TenantID, id); err != nil {
		return nil, fmt.Errorf("update qa template: %w", err)
	}
	return t, nil
}

// DeleteTemplate removes a template no review uses (disable it otherwise).
func (s *Store) DeleteTemplate(ctx context.Context, a *hub.Agent, id string) error {
	if err := staff(a, "manage QA templates"); err != nil {
		return err
	}
	if _, err := s.Template(ctx, a.TenantID, id); err != nil {
		return err
	}
	var used int
	if err := s.k.Get(ctx, &used, `SELECT COUNT(*) FROM qa_batches WHERE tenant_id = ? AND template_id = ?`, a.TenantID, id); err != nil {
		return fmt.Errorf("count qa template use: %w", err)
	}
	if used > 0 {
		return fmt.Errorf("%w: the template has review batches; disable it instead", hub.ErrConflict)
	}
	if _, err := s.k.Exec(ctx, `DELETE FROM qa_templates WHERE tenant_id = ? AND id = ?`, a.TenantID, id); err != nil {
		return fmt.Errorf("delete qa template: %w", err)
	}
	return nil
}
