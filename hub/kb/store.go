package kb

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/kb/zh"
	"github.com/kefu-hub/kefu/hub/store"
)

// row is an article as stored: the lists as JSON text.
type row struct {
	ID        string     `db:"id"`
	TenantID  string     `db:"tenant_id"`
	Question  string     `db:"question"`
	Similar   string     `db:"similar_questions"`
	Answer    string     `db:"answer"`
	Category  string     `db:"category"`
	Tags      string     `db:"tags"`
	Channels  string     `db:"channels"`
	Enabled   bool       `db:"enabled"`
	ValidFrom *time.Time `db:"valid_from"`
	ValidTo   *time.Time `db:"valid_to"`
	CreatedAt time.Time  `db:"created_at"`
	UpdatedAt time.Time  `db:"updated_at"`
}

func (r row) article() Article {
	return Article{ID: r.ID, Question: r.Question, Similar: decodeList(r.Similar), Answer: r.Answer,
		Category: r.Category, Tags: decodeList(r.Tags), Channels: decodeList(r.Channels), Enabled: r.Enabled,
		ValidFrom: r.ValidFrom, ValidTo: r.ValidTo, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

const cols = `id, tenant_id, question, similar_questions, answer, category, tags, channels, enabled, valid_from, valid_to,
	created_at, updated_at`

// Filter narrows a list of articles.
type Filter struct {
	// Q matches the question, the similar questions or the answer, any case.
	Q        string
	Category string
	Limit    int
	Offset   int
}

// List lists a tenant's articles by category then newest change first.
func (s *Store) List(ctx context.Context, tenantID string, f Filter) ([]Article, error) {
	q, args := `SELECT `+cols+` FROM kb_articles WHERE tenant_id = ?`, []any{tenantID}
	if f.Q != "" {
		p := store.Like(f.Q)
		q += ` AND (LOWER(question) LIKE ? ESCAPE '\' OR LOWER(similar_questions) LIKE ? ESCAPE '\' OR LOWER(answer) LIKE ? ESCAPE '\')`
		args = append(args, p, p, p)
	}
	if f.Category != "" {
		q += ` AND category = ?`
		args = append(args, f.Category)
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 500
	}
	q += fmt.Sprintf(` ORDER BY category, updated_at DESC, id LIMIT %d OFFSET %d`, f.Limit, max(f.Offset, 0))
	var rows []row
	if err := s.k.Select(ctx, &rows, q, args...); err != nil {
		return nil, fmt.Errorf("list kb articles: %w", err)
	}
	out := make([]Article, len(rows))
	for i, r := range rows {
		out[i] = r.article()
	}
	return out, nil
}

// Get reads one article; another tenant's is not found.
func (s *Store) Get(ctx context.Context, tenantID, id string) (*Article, error) {
	var r row
	if err := s.k.Get(ctx, &r, `SELECT `+cols+` FROM kb_articles WHERE tenant_id = ? AND id = ?`, tenantID, id); err != nil {
		if store.NoRows(err) {
			return nil, fmt.Errorf("kb article %s: %w", id, hub.ErrNotFound)
		}
		return nil, fmt.Errorf("get kb article: %w", err)
	}
	a := r.article()
	return &a, nil
}

// Create adds an article.
func (s *Store) Create(ctx context.Context, tenantID string, p Patch) (*Article, error) {
	now := s.k.Now()
	a := &Article{ID: hub.NewID("kb"), Enabled: true, CreatedAt: now, UpdatedAt: now}
	if err := p.apply(a); err != nil {
		return nil, err
	}
	an, err := s.analyzer(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	const q = `INSERT INTO kb_articles (` + cols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	err = s.k.Write(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, q, a.ID, tenantID, a.Question, encodeList(a.Similar), a.Answer, a.Category,
			encodeList(a.Tags), encodeList(a.Channels), a.Enabled, a.ValidFrom, a.ValidTo, now, now); err != nil {
			return fmt.Errorf("insert kb article: %w", err)
		}
		if err := s.putSearch(ctx, tx, an, tenantID, *a); err != nil {
			return err
		}
		if err := saveVersion(ctx, tx, tenantID, nil, *a, actionCreate, p); err != nil {
			return err
		}
		return bump(ctx, tx, tenantID, a.ID)
	})
	if err != nil {
		return nil, err
	}
	s.refresh(ctx, tenantID)
	return a, nil
}

// Update changes an article, keeping the version it replaces.
func (s *Store) Update(ctx context.Context, tenantID, id string, p Patch) (*Article, error) {
	a, err := s.Get(ctx, tenantID, id)
	if err != nil {
		return nil, err
	}
	prev := *a
	if err := p.apply(a); err != nil {
		return nil, err
	}
	a.UpdatedAt = s.k.Now()
	action := p.action
	if action == "" {
		action = actionUpdate
	}
	an, err := s.analyzer(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	const q = `UPDATE kb_articles SET question = ?, similar_questions = ?, answer = ?, category = ?, tags = ?, channels = ?,
		enabled = ?, valid_from = ?, valid_to = ?, updated_at = ? WHERE tenant_id = ? AND id = ?`
	err = s.k.Write(ctx, func(tx *store.Tx) error {
		n, err := tx.Exec(ctx, q, a.Question, encodeList(a.Similar), a.Answer, a.Category, encodeList(a.Tags),
			encodeList(a.Channels), a.Enabled, a.ValidFrom, a.ValidTo, a.UpdatedAt, tenantID, id)
		if err != nil {
			return fmt.Errorf("update kb article: %w", err)
		}
		if n == 0 {
			return fmt.Errorf("kb article %s: %w", id, hub.ErrNotFound)
		}
		if err := s.putSearch(ctx, tx, an, tenantID, *a); err != nil {
			return err
		}
		if err := saveVersion(ctx, tx, tenantID, &prev, *a, action, p); err != nil {
			return err
		}
		return bump(ctx, tx, tenantID, a.ID)
	})
	if err != nil {
		return nil, err
	}
	s.refresh(ctx, tenantID)
	return a, nil
}

// Delete removes an article, its versions and its search row; each drop
// removes, in the same transaction, what another package keeps of the
// article (its rich answers), so that nothing of it is left behind.
func (s *Store) Delete(ctx context.Context, tenantID, id string, drops ...Drop) error {
	err := s.k.Write(ctx, func(tx *store.Tx) error {
		n, err := tx.Exec(ctx, `DELETE FROM kb_articles WHERE tenant_id = ? AND id = ?`, tenantID, id)
		if err != nil {
			return fmt.Errorf("delete kb article: %w", err)
		}
		if n == 0 {
			return fmt.Errorf("kb article %s: %w", id, hub.ErrNotFound)
		}
		if err := s.dropSearch(ctx, tx, id); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM kb_versions WHERE tenant_id = ? AND article_id = ?`, tenantID, id); err != nil {
			return fmt.Errorf("delete kb versions: %w", err)
		}
		for _, drop := range drops {
			if err := drop(ctx, tx, id); err != nil {
				return err
			}
		}
		return bump(ctx, tx, tenantID, id)
	})
	if err == nil {
		s.refresh(ctx, tenantID)
	}
	return err
}

// all reads every article of a tenant, to build its index.
func (s *Store) all(ctx context.Context, tenantID string) ([]Article, error) {
	var rows []row
	if err := s.k.Select(ctx, &rows, `SELECT `+cols+` FROM kb_articles WHERE tenant_id = ? ORDER BY id`, tenantID); err != nil {
		return nil, fmt.Errorf("read kb articles: %w", err)
	}
	out := make([]Article, len(rows))
	for i, r := range rows {
		out[i] = r.article()
	}
	return out, nil
}

// Lexicon is what admins teach the search: synonym groups (运费=邮费, the
// first word is the one kept), stop words, and domain words the segmenter
// must keep whole.
type Lexicon struct {
	Synonyms  []string `json:"synonyms"`
	StopWords []string `json:"stop_words"`
	Words     []string `json:"words"`
}

// Lexicon reads the tenant's lexicon.
func (s *Store) Lexicon(ctx context.Context, tenantID string) (Lexicon, error) {
	var rows []struct {
		Kind  string `db:"kind"`
		Value string `db:"value"`
	}
	const q = `SELECT kind, value FROM kb_lexicon WHERE tenant_id = ? ORDER BY kind, value`
	if err := s.k.Select(ctx, &rows, q, tenantID); err != nil {
		return Lexicon{}, fmt.Errorf("read kb lexicon: %w", err)
	}
	l := Lexicon{Synonyms: []string{}, StopWords: []string{}, Words: []string{}}
	for _, r := range rows {
		switch r.Kind {
		case "synonym":
			l.Synonyms = append(l.Synonyms, r.Value)
		case "stop":
			l.StopWords = append(l.StopWords, r.Value)
		case "word":
			l.Words = append(l.Words, r.Value)
		}
	}
	return l, nil
}

// SetLexicon replaces the tenant's lexicon.
func (s *Store) SetLexicon(ctx context.Context, tenantID string, l Lexicon) (Lexicon, error) {
	syn := []string{}
	for _, g := range l.Synonyms {
		if ws := synonymGroup(g); len(ws) > 1 {
			syn = append(syn, strings.Join(ws, "="))
		}
	}
	l = Lexicon{Synonyms: lines(syn), StopWords: lines(l.StopWords), Words: lines(l.Words)}
	if n := len(l.Synonyms) + len(l.StopWords) + len(l.Words); n > 5000 {
		return Lexicon{}, hub.Invalid("at most 5000 lexicon entries, got %d", n)
	}
	if _, err := s.idx.seg.Load(); err != nil {
		return Lexicon{}, err
	}
	an, v := newAnalyzer(s.idx.seg, l), searchVersion(l)
	err := s.k.Write(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM kb_lexicon WHERE tenant_id = ?`, tenantID); err != nil {
			return fmt.Errorf("clear kb lexicon: %w", err)
		}
		for kind, vs := range map[string][]string{"synonym": l.Synonyms, "stop": l.StopWords, "word": l.Words} {
			for _, v := range vs {
				if utf8Len(v) > 200 {
					return hub.Invalid("a lexicon entry is at most 200 characters")
				}
				const q = `INSERT INTO kb_lexicon (tenant_id, kind, value) VALUES (?, ?, ?)`
				if _, err := tx.Exec(ctx, q, tenantID, kind, v); err != nil {
					return fmt.Errorf("insert kb lexicon: %w", err)
				}
			}
		}
		if err := s.reindex(ctx, tx, an, tenantID, v); err != nil {
			return err
		}
		return bump(ctx, tx, tenantID)
	})
	if err != nil {
		return Lexicon{}, err
	}
	return l, nil
}

// synonymGroup splits "运费=邮费, 快递费" into its words.
func synonymGroup(g string) []string {
	f := strings.FieldsFunc(g, func(r rune) bool { return r == '=' || r == ',' || r == '，' || r == '、' })
	return lines(f)
}

func utf8Len(s string) int { return len([]rune(s)) }

// Store keeps the knowledge base and searches it.
type Store struct {
	k   *store.Store
	idx *indexes
	// rebuilds counts the indexes made from all the articles (the rest are
	// brought up to date article by article).
	rebuilds atomic.Int64
}

// New returns the knowledge base, searching with seg (one per process: its
// dictionary loads once, on first use or through seg.Load at start-up).
func New(k *store.Store, seg *zh.Segmenter) *Store { return &Store{k: k, idx: newIndexes(seg)} }

// Warm loads the Chinese dictionary (about 25 MiB of heap and up to two
// seconds of CPU) when some tenant has articles, so that the first robot
// answer does not wait for it; a hub whose tenants have no knowledge base
// never loads it (a search would, on first use). It reports whether it
// loaded, and how long that took.
func (s *Store) Warm(ctx context.Context) (bool, time.Duration, error) {
	var ids []string
	if err := s.k.Select(ctx, &ids, `SELECT id FROM kb_articles LIMIT 1`); err != nil {
		return false, 0, fmt.Errorf("any article: %w", err)
	}
	if len(ids) == 0 {
		return false, 0, nil
	}
	d, err := s.idx.seg.Load()
	return err == nil, d, err
}
