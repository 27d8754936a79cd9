package kb

import (
	"context"
	"fmt"

	"github.com/kefu-hub/kefu/hub"
)

// MaxPublished is how many articles a help centre lists at most.
const MaxPublished = 1000

// Published lists what a public help centre (帮助中心) of a channel may
// show: the tenant's articles live now on that channel (enabled, within
// their validity, for that channel or every channel), by category then
// question, at most MaxPublished.
func (s *Store) Published(ctx context.Context, tenantID, channelID string) ([]Article, error) {
	var rows []row
	const q = `SELECT ` + cols + ` FROM kb_articles WHERE tenant_id = ? AND enabled = ? ORDER BY category, question, id`
	if err := s.k.Select(ctx, &rows, q, tenantID, true); err != nil {
		return nil, fmt.Errorf("list published kb articles: %w", err)
	}
	now, out := s.k.Now(), []Article{}
	for _, r := range rows {
		if a := r.article(); a.Live(now, channelID) && len(out) < MaxPublished {
			out = append(out, a)
		}
	}
	return out, nil
}

// PublishedArticle reads one article a channel's help centre may show;
// another tenant's, or one not live on the channel, is not found.
func (s *Store) PublishedArticle(ctx context.Context, tenantID, channelID, id string) (*Article, error) {
	a, err := s.Get(ctx, tenantID, id)
	if err != nil {
		return nil, err
	}
	if !a.Live(s.k.Now(), channelID) {
		return nil, fmt.Errorf("kb article %s is not published: %w", id, hub.ErrNotFound)
	}
	return a, nil
}
