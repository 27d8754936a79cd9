package kb

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"time"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/store"
)

// Version is one saved state of an article (修改记录): what it was, who
// saved it and when, and which fields changed from the version before.
type Version struct {
	Version   int64     `json:"version"`
	Action    string    `json:"action"` // create, update, import, restore
	EditedBy  string    `json:"edited_by"`
	Editor    string    `json:"editor"` // the agent's name ("" once the agent is gone)
	CreatedAt time.Time `json:"created_at"`
	Changed   []string  `json:"changed"`
	Article   Article   `json:"article"`
}

// Version actions.
const (
	actionCreate  = "create"
	actionUpdate  = "update"
	actionImport  = "import"
	actionRestore = "restore"
)

// KeepVersions is how many versions of an article are kept: each is a full
// copy, so an article edited daily would otherwise grow without end; the
// oldest beyond this are pruned in the same transaction as the edit.
const KeepVersions = 50

// saveVersion records a as the article's newest version; when the article
// has none yet (it predates versions), prev is recorded first, so the state
// an edit replaces is always kept. Versions older than the last
// KeepVersions are dropped. p's hook runs last.
func saveVersion(ctx context.Context, tx *store.Tx, tenantID string, prev *Article, a Article, action string, p Patch) error {
	var last []int64
	const q = `SELECT version FROM kb_versions WHERE article_id = ? ORDER BY version DESC LIMIT 1`
	if err := tx.Select(ctx, &last, q, a.ID); err != nil {
		return fmt.Errorf("last kb version: %w", err)
	}
	n := int64(1)
	if len(last) == 1 {
		n = last[0] + 1
	} else if prev != nil {
		if err := insertVersion(ctx, tx, tenantID, *prev, 1, actionCreate, "", prev.UpdatedAt); err != nil {
			return err
		}
		n = 2
	}
	if err := insertVersion(ctx, tx, tenantID, a, n, action, p.By, a.UpdatedAt); err != nil {
		return err
	}
	if n > KeepVersions {
		const prune = `DELETE FROM kb_versions WHERE article_id = ? AND version <= ?`
		if _, err := tx.Exec(ctx, prune, a.ID, n-KeepVersions); err != nil {
			return fmt.Errorf("prune kb versions: %w", err)
		}
	}
	if p.Hook == nil {
		return nil
	}
	return p.Hook(ctx, tx, a, n)
}

func insertVersion(ctx context.Context, tx *store.Tx, tenantID string, a Article, n int64, action, by string, at time.Time) error {
	b, err := json.Marshal(a)
	if err != nil {
		return fmt.Errorf("encode kb version: %w", err)
	}
	const q = `INSERT INTO kb_versions (tenant_id, article_id, version, action, edited_by, article, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`
	if _, err := tx.Exec(ctx, q, tenantID, a.ID, n, action, by, string(b), at); err != nil {
		return fmt.Errorf("insert kb version: %w", err)
	}
	return nil
}

// Versions lists an article's versions, newest first (an article saved
// before versions existed shows its current state as version 1).
func (s *Store) Versions(ctx context.Context, tenantID, articleID string) ([]Version, error) {
	cur, err := s.Get(ctx, tenantID, articleID)
	if err != nil {
		return nil, err
	}
	var rows []struct {
		Version   int64     `db:"version"`
		Action    string    `db:"action"`
		EditedBy  string    `db:"edited_by"`
		Editor    *string   `db:"editor"`
		Article   string    `db:"article"`
		CreatedAt time.Time `db:"created_at"`
	}
	const q = `SELECT v.version, v.action, v.edited_by, ag.name AS editor, v.article, v.created_at FROM kb_versions v
		LEFT JOIN agents ag ON ag.id = v.edited_by AND ag.tenant_id = v.tenant_id
		WHERE v.tenant_id = ? AND v.article_id = ? ORDER BY v.version`
	if err := s.k.Select(ctx, &rows, q, tenantID, articleID); err != nil {
		return nil, fmt.Errorf("list kb versions: %w", err)
	}
	out := make([]Version, 0, len(rows)+1)
	if len(rows) == 0 {
		out = append(out, Version{Version: 1, Action: actionCreate, CreatedAt: cur.UpdatedAt, Article: *cur,
			Changed: []string{}})
	}
	for i, r := range rows {
		v := Version{Version: r.Version, Action: r.Action, EditedBy: r.EditedBy, CreatedAt: r.CreatedAt, Changed: []string{}}
		if r.Editor != nil {
			v.Editor = *r.Editor
		}
		if err := json.Unmarshal([]byte(r.Article), &v.Article); err != nil {
			return nil, fmt.Errorf("decode kb version: %w", err)
		}
		if i > 0 {
			v.Changed = changed(out[len(out)-1].Article, v.Article)
		}
		out = append(out, v)
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, nil
}

// changed names the fields (their JSON names) that differ between two
// states of an article.
func changed(a, b Article) []string {
	out := []string{}
	for _, f := range []struct {
		name string
		x, y any
	}{
		{"question", a.Question, b.Question}, {"similar", a.Similar, b.Similar}, {"answer", a.Answer, b.Answer},
		{"category", a.Category, b.Category}, {"tags", a.Tags, b.Tags}, {"channels", a.Channels, b.Channels},
		{"enabled", a.Enabled, b.Enabled}, {"valid_from", a.ValidFrom, b.ValidFrom}, {"valid_to", a.ValidTo, b.ValidTo},
	} {
		if !reflect.DeepEqual(f.x, f.y) {
			out = append(out, f.name)
		}
	}
	return out
}

// Restore makes an article what it was at a version (itself a new
// version, so a restore can be undone too); hook (may be nil) runs as
// Patch.Hook does.
func (s *Store) Restore(ctx context.Context, tenantID, articleID string, version int64, by string, hook Hook) (*Article, error) {
	vs, err := s.Versions(ctx, tenantID, articleID)
	if err != nil {
		return nil, err
	}
	for _, v := range vs {
		if v.Version == version {
			a := v.Article
			p := Patch{Question: &a.Question, Similar: &a.Similar, Answer: &a.Answer, Category: &a.Category,
				Tags: &a.Tags, Channels: &a.Channels, Enabled: &a.Enabled, ValidFrom: a.ValidFrom, ValidTo: a.ValidTo,
				By: by, Hook: hook, action: actionRestore, exact: true}
			return s.Update(ctx, tenantID, articleID, p)
		}
	}
	return nil, fmt.Errorf("kb article %s version %d: %w", articleID, version, hub.ErrNotFound)
}
