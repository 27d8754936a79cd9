package richanswers

import (
	"context"
	"fmt"
	"slices"

	"github.com/kefu-hub/kefu/hub/kb"
	"github.com/kefu-hub/kefu/hub/store"
)

// Version is an article's version (修改记录) with its rich answer.
type Version struct {
	kb.Version
	// Rich is the version's rich answer, sanitized when it was saved ("" when
	// it was plain).
	Rich string `json:"rich"`
}

// snapshot is the rich answer a version saved (html "" made it plain).
type snapshot struct {
	Version int64  `db:"version"`
	HTML    string `db:"html"`
	Text    string `db:"text"`
}

// Versions lists an article's versions, newest first, each with the rich
// answer it had; a version that changed only the rich answer's markup
// names "rich" among its changes.
func (s *Store) Versions(ctx context.Context, tenantID, articleID string) ([]Version, error) {
	vs, err := s.kb.Versions(ctx, tenantID, articleID)
	if err != nil {
		return nil, err
	}
	var snaps []snapshot
	const q = `SELECT version, html, text FROM kb_rich_versions WHERE tenant_id = ? AND article_id = ? ORDER BY version`
	if err := s.k.Select(ctx, &snaps, q, tenantID, articleID); err != nil {
		return nil, fmt.Errorf("rich answer versions: %w", err)
	}
	out := make([]Version, len(vs))
	for i, v := range vs {
		out[i] = Version{Version: v, Rich: richAt(snaps, v.Version, v.Article.Answer)}
	}
	for i := 0; i+1 < len(out); i++ {
		if out[i].Rich != out[i+1].Rich && !slices.Contains(out[i].Changed, "rich") {
			out[i].Changed = append(out[i].Changed, "rich")
		}
	}
	return out, nil
}

// richAt is version n's rich answer: the newest snapshot at or before it,
// while its text is still the version's answer (as Of decides for today).
func richAt(snaps []snapshot, n int64, answer string) string {
	for i := len(snaps) - 1; i >= 0; i-- {
		if snaps[i].Version <= n {
			if snaps[i].HTML == "" || snaps[i].Text != answer {
				return ""
			}
			return snaps[i].HTML // sanitized when saved
		}
	}
	return ""
}

// Restore makes an article what it was at a version, its rich answer
// (or its being plain) included: itself a new version.
func (s *Store) Restore(ctx context.Context, tenantID, articleID string, version int64, by string) (*kb.Article, error) {
	vs, err := s.Versions(ctx, tenantID, articleID)
	if err != nil {
		return nil, err
	}
	html := ""
	for _, v := range vs {
		if v.Version.Version == version {
			html = v.Rich
		}
	}
	return s.kb.Restore(ctx, tenantID, articleID, version, by, keeper(tenantID, html))
}

// keeper is the hook that saves html as the rich answer of the version
// the knowledge base is saving ("" makes the article plain).
func keeper(tenantID, html string) kb.Hook {
	return func(ctx context.Context, tx *store.Tx, a kb.Article, n int64) error {
		return keep(ctx, tx, tenantID, a, n, html)
	}
}

// keep makes html the article's rich answer as of version n, in the
// transaction that saves it, and records it with the version; snapshots
// no version kept by the knowledge base needs are dropped.
func keep(ctx context.Context, tx *store.Tx, tenantID string, a kb.Article, n int64, html string) error {
	if html == "" {
		gone, err := tx.Exec(ctx, `DELETE FROM kb_rich_answers WHERE tenant_id = ? AND article_id = ?`, tenantID, a.ID)
		if err != nil || gone == 0 {
			return wrap("clear rich answer", err) // plain already: nothing to record
		}
	} else {
		const q = `INSERT INTO kb_rich_answers (article_id, tenant_id, html, text, updated_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (article_id) DO UPDATE SET html = excluded.html, text = excluded.text, updated_at = excluded.updated_at`
		if _, err := tx.Exec(ctx, q, a.ID, tenantID, html, a.Answer, a.UpdatedAt); err != nil {
			return fmt.Errorf("save rich answer: %w", err)
		}
	}
	const snap = `INSERT INTO kb_rich_versions (article_id, version, tenant_id, html, text) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (article_id, version) DO UPDATE SET html = excluded.html, text = excluded.text`
	if _, err := tx.Exec(ctx, snap, a.ID, n, tenantID, html, a.Answer); err != nil {
		return fmt.Errorf("save rich answer version: %w", err)
	}
	// The oldest version kept needs the newest snapshot at or before it.
	const prune = `DELETE FROM kb_rich_versions WHERE article_id = ? AND version <
		(SELECT MAX(version) FROM kb_rich_versions WHERE article_id = ? AND version <= ?)`
	_, err := tx.Exec(ctx, prune, a.ID, a.ID, n-kb.KeepVersions+1)
	return wrap("prune rich answer versions", err)
}

// wrap says what failed, nil for no error.
func wrap(what string, err error) error {
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}
