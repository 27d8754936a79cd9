package kb

import (
	"context"
	"fmt"
	"strings"

	"github.com/kefu-hub/kefu/hub/store"
)

// The change log (kb_changes) names the articles each revision changed, so
// a process whose index is behind updates those articles only.
const (
	// keepChanges is how many revisions the log keeps per tenant.
	keepChanges = 1000
	// maxLogged is how many articles one revision names at most; a larger
	// change (an import) is logged as everything ("*"), and rebuilds.
	maxLogged = 500
	// everything is the article id that stands for every article.
	everything = "*"
)

// bump moves the tenant's revision and logs the articles the change made,
// changed or deleted (none: everything), so every process brings its
// index up to date.
func bump(ctx context.Context, tx *store.Tx, tenantID string, ids ...string) error {
	const q = `INSERT INTO kb_revisions (tenant_id, revision) VALUES (?, 1)
		ON CONFLICT (tenant_id) DO UPDATE SET revision = kb_revisions.revision + 1 RETURNING revision`
	var rev int64
	if err := tx.Get(ctx, &rev, q, tenantID); err != nil {
		return fmt.Errorf("bump kb revision: %w", err)
	}
	if len(ids) == 0 || len(ids) > maxLogged {
		ids = []string{everything}
	}
	for len(ids) > 0 {
		n := min(len(ids), 100)
		args := make([]any, 0, 3*n)
		for _, id := range ids[:n] {
			args = append(args, tenantID, rev, id)
		}
		vals := strings.TrimSuffix(strings.Repeat("(?, ?, ?), ", n), ", ")
		if _, err := tx.Exec(ctx, `INSERT INTO kb_changes (tenant_id, revision, article_id) VALUES `+vals+
			` ON CONFLICT DO NOTHING`, args...); err != nil {
			return fmt.Errorf("log kb change: %w", err)
		}
		ids = ids[n:]
	}
	if rev > keepChanges {
		const prune = `DELETE FROM kb_changes WHERE tenant_id = ? AND revision <= ?`
		if _, err := tx.Exec(ctx, prune, tenantID, rev-keepChanges); err != nil {
			return fmt.Errorf("prune kb changes: %w", err)
		}
	}
	return nil
}

// catchUp is x (at revision from) brought to revision to with the articles
// the change log names; false when the log cannot tell (pruned, or a
// change of everything): the caller rebuilds.
func (s *Store) catchUp(ctx context.Context, tenantID string, x *Index, from, to int64) (*Index, bool, error) {
	if from < 0 || to-from > keepChanges {
		return nil, false, nil
	}
	var log []struct {
		Revision  int64  `db:"revision"`
		ArticleID string `db:"article_id"`
	}
	const q = `SELECT revision, article_id FROM kb_changes WHERE tenant_id = ? AND revision > ? AND revision <= ?`
	if err := s.k.Select(ctx, &log, q, tenantID, from, to); err != nil {
		return nil, false, fmt.Errorf("read kb changes: %w", err)
	}
	revs, seen, ids := map[int64]bool{}, map[string]bool{}, []string{}
	for _, c := range log {
		if c.ArticleID == everything {
			return nil, false, nil
		}
		revs[c.Revision] = true
		if !seen[c.ArticleID] {
			seen[c.ArticleID] = true
			ids = append(ids, c.ArticleID)
		}
	}
	if int64(len(revs)) != to-from || len(ids) > maxLogged {
		return nil, false, nil
	}
	if len(ids) == 0 {
		return x, true, nil
	}
	rows, err := s.changed(ctx, tenantID, ids)
	if err != nil {
		return nil, false, err
	}
	es := make([]entry, 0, len(ids))
	for _, r := range rows {
		es = append(es, entryOf(x.an.terms(), r, nil))
		delete(seen, r.ID)
	}
	for _, id := range ids {
		if seen[id] { // gone
			es = append(es, entry{id: id})
		}
	}
	return x.with(es), true, nil
}

// refresh brings this process's index of the tenant (if it has one) up to
// date at once after a change it made, so the next search does not wait.
func (s *Store) refresh(ctx context.Context, tenantID string) {
	if _, _, x, _ := s.tenant(tenantID).now(); x == nil {
		return
	}
	if _, err := s.index(ctx, tenantID); err != nil {
		s.k.Log().Warn("kb index refresh", "tenant", tenantID, "err", err)
	}
}
