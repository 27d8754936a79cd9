package kb

import (
	"context"
	"sync"

	"github.com/kefu-hub/kefu/hub/kb/zh"
)

// DefaultThreshold is the score at or above which the robot answers with
// the top article; below it, it offers the best ones as suggestions
// (您是不是想问). Tuned on the tuning half of the evaluation set
// (testdata/), checked on the held-out half.
const DefaultThreshold = 0.35

// Result is a search: the hits, best first, and the threshold.
type Result struct {
	Hits      []Hit   `json:"hits"`
	Threshold float64 `json:"threshold"`
}

// Query is a search of the knowledge base.
type Query struct {
	Text string
	// ChannelID keeps the articles that apply to that channel ("" = all).
	ChannelID string
	// Limit is how many hits at most (default 5, at most 50).
	Limit int
}

// Search ranks the tenant's live articles for a question.
func (s *Store) Search(ctx context.Context, tenantID string, q Query) (Result, error) {
	if q.Limit <= 0 {
		q.Limit = 5
	}
	q.Limit = min(q.Limit, 50)
	hits, err := s.searchDB(ctx, tenantID, q)
	if err != nil {
		return Result{}, err
	}
	return Result{Hits: hits, Threshold: DefaultThreshold}, nil
}

// Segmenter is the knowledge base's segmenter (loaded on first use).
func (s *Store) Segmenter() *zh.Segmenter { return s.idx.seg }

// indexes keeps each tenant's search state.
type indexes struct {
	seg *zh.Segmenter
	mu  sync.Mutex
	m   map[string]*tenantSearch
}

func newIndexes(seg *zh.Segmenter) *indexes { return &indexes{seg: seg, m: map[string]*tenantSearch{}} }
