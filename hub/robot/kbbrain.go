package robot

import (
	"context"

	"github.com/kefu-hub/kefu/hub/kb"
)

// KB is the brain that answers from the knowledge base: the top article
// when it scores at or above the threshold (the question's, else the
// search's), else the best
// questions as suggestions.
type KB struct {
	Store *kb.Store
	// SuggestFloor is the least score a suggestion needs (below it the
	// article is unrelated, not a near miss).
	SuggestFloor float64
}

var _ Provider = KB{}

// DefaultSuggestFloor keeps unrelated articles out of the suggestions.
const DefaultSuggestFloor = 0.15

// Answer searches the knowledge base for the question; one it cannot
// answer is counted for the admins (kb.Store.Unanswered).
func (b KB) Answer(ctx context.Context, q Question) (Reply, error) {
	res, err := b.Store.Search(ctx, q.TenantID, kb.Query{Text: q.Text, ChannelID: q.ChannelID, Limit: 3})
	if err != nil {
		return Reply{}, err
	}
	threshold := res.Threshold
	if q.Threshold > 0 {
		threshold = q.Threshold // the channel's or the group's
	}
	if len(res.Hits) > 0 && res.Hits[0].Score >= threshold {
		return Reply{Text: res.Hits[0].Article.Answer, Confident: true, Source: SourceKB,
			ArticleID: res.Hits[0].Article.ID}, nil
	}
	if err := b.Store.Miss(ctx, q.TenantID, q.Text); err != nil {
		return Reply{}, err
	}
	floor := b.SuggestFloor
	if floor == 0 {
		floor = DefaultSuggestFloor
	}
	var out Reply
	for _, h := range res.Hits {
		if h.Score >= floor {
			out.Suggestions = append(out.Suggestions, h.Article.Question)
		}
	}
	return out, nil
}
