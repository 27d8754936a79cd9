package kb

import (
	"context"
	"reflect"
	"sync"
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
	x, err := s.index(ctx, tenantID)
	if err != nil {
		return Result{}, err
	}
	return Result{Hits: x.Search(q.Text, s.k.Now(), q.ChannelID, q.Limit), Threshold: DefaultThreshold}, nil
}

// Segmenter is the knowledge base's segmenter (loaded on first use).
func (s *Store) Segmenter() *Segmenter { return s.idx.seg }

// indexes caches each tenant's index with the revision it was built at.
type indexes struct {
	seg *Segmenter
	mu  sync.Mutex
	m   map[string]*tenantIndex
}

type tenantIndex struct {
	mu  sync.Mutex // one rebuild at a time per tenant
	rev int64
	lex Lexicon
	x   *Index
}

func newIndexes(seg *Segmenter) *indexes { return &indexes{seg: seg, m: map[string]*tenantIndex{}} }

// index is the tenant's index, rebuilt when its revision moved (a change
// on this process or another one).
func (s *Store) index(ctx context.Context, tenantID string) (*Index, error) {
	rev, err := s.revision(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	s.idx.mu.Lock()
	t := s.idx.m[tenantID]
	if t == nil {
		t = &tenantIndex{rev: -1}
		s.idx.m[tenantID] = t
	}
	s.idx.mu.Unlock()
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.x != nil && t.rev == rev {
		return t.x, nil
	}
	if _, err := s.idx.seg.Load(); err != nil {
		return nil, err
	}
	arts, err := s.all(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	lex, err := s.Lexicon(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	an := newAnalyzer(s.idx.seg, lex)
	if t.x != nil && reflect.DeepEqual(lex, t.lex) {
		an = t.x.an // same lexicon: reuse the unchanged articles' features
	}
	t.x, t.rev, t.lex = buildIndex(an, arts, t.x), rev, lex
	s.k.Log().Debug("kb index built", "tenant", tenantID, "articles", len(arts), "revision", rev)
	return t.x, nil
}
