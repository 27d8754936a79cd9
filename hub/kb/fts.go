package kb

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"unicode"

	"github.com/kefu-hub/kefu/hub/store"
)

// The full-text index lives in the database (table kb_search): an FTS5 table
// ranked with bm25 in SQLite, a tsvector with a GIN index ranked with
// ts_rank in PostgreSQL, both written in every change's transaction. On
// PostgreSQL (the cluster) a search takes its candidates from it and
// scores them with the TF-IDF cosine of Index, from the words stored beside
// the terms, with word statistics counted per revision. On SQLite (one
// process) the measurements decided otherwise: with 10,000 articles bm25's
// candidates held the right article first for 28 % of the questions (84 %
// in memory, 80 % with PostgreSQL's) at 26–50 ms, so the process keeps the
// whole index in memory, built from the stored words without segmenting
// (BenchmarkSearchDB10k). This file is the one place the dialects differ.

// candidates is how many articles the database hands to the final ranking.
// A question's right article is almost always among the first few by bm25
// or ts_rank; 60 leaves room for articles the live filter then drops.
var candidates = 60

// Dialect SQL of the kb_search table.
const (
	liteDeleteArticle = `DELETE FROM kb_search WHERE kb_search MATCH ?`
	liteDeleteTenant  = `DELETE FROM kb_search WHERE kb_search MATCH ?`
	pgDeleteArticle   = `DELETE FROM kb_search WHERE article_id = ?`
	pgDeleteTenant    = `DELETE FROM kb_search WHERE tenant_id = ?`
	insertSearch      = `INSERT INTO kb_search (article_id, tenant_id, terms, seg) VALUES (?, ?, ?, ?)`
	// The candidates: the best matches of any term in the tenant (the
	// full-text index alone ranks them: joining first would read every
	// match's row), then of those the enabled ones applying to the channel.
	liteCandidates = `SELECT ` + colsA + `, s.seg FROM (SELECT article_id, seg, rank FROM kb_search WHERE kb_search MATCH ?
		ORDER BY rank LIMIT ?) s JOIN kb_articles a ON a.id = s.article_id
		WHERE a.tenant_id = ? AND a.enabled AND (? = '' OR a.channels = '[]' OR a.channels LIKE ? ESCAPE '\')
		ORDER BY s.rank, a.id`
	pgCandidates = `SELECT ` + colsA + `, s.seg FROM (SELECT article_id, seg, ts_rank(tsv, q) AS rank
		FROM kb_search, websearch_to_tsquery('simple', ?) q WHERE tsv @@ q AND tenant_id = ?
		ORDER BY rank DESC LIMIT ?) s JOIN kb_articles a ON a.id = s.article_id
		WHERE a.tenant_id = ? AND a.enabled AND (? = '' OR a.channels = '[]' OR a.channels LIKE ? ESCAPE '\')
		ORDER BY s.rank DESC, a.id`
)

// colsA are the article columns (cols) of the table aliased a.
const colsA = `a.id, a.tenant_id, a.question, a.similar_questions, a.answer, a.category, a.tags, a.channels, a.enabled,
	a.valid_from, a.valid_to, a.created_at, a.updated_at`

// phrase quotes a token for an FTS5 or websearch_to_tsquery query (a
// double quote inside is dropped: neither syntax can escape it the same way).
func phrase(t string) string { return `"` + strings.ReplaceAll(t, `"`, "") + `"` }

// match is the full-text query for terms: any of them, in the tenant.
func (s *Store) match(tenantID string, terms []string) string {
	qs := make([]string, len(terms))
	for i, t := range terms {
		qs[i] = phrase(t)
	}
	if s.k.Postgres {
		return strings.Join(qs, " or ")
	}
	return "tenant_id : " + phrase(tenantID) + " AND terms : (" + strings.Join(qs, " OR ") + ")"
}

// searchable is whether a token can be looked up (has a letter or digit).
func searchable(t string) bool {
	return strings.IndexFunc(t, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) >= 0
}

// segmentation is an article as the search stores it.
type segmentation struct {
	terms string // words, Chinese bigrams and characters, space-separated, each once
	seg   string // the answer's words, then each question's, a line each
}

// wordSep stands for a space inside a word (a lexicon word may have one)
// in the stored words, where a space separates words.
const wordSep = "\u00a0"

func (an *analyzer) segment(a Article) segmentation {
	lines := []string{joinWords(an.words(a.Answer))}
	seen := map[string]bool{}
	var terms []string
	add := func(f map[string]float64) {
		for t := range f {
			if k := t[2:]; !seen[k] && searchable(k) {
				seen[k] = true
				terms = append(terms, strings.ReplaceAll(k, " ", wordSep))
			}
		}
	}
	add(featurizeWords(an.words(a.Answer)))
	for _, q := range append([]string{a.Question}, a.Similar...) {
		if ws := an.words(q); len(ws) > 0 {
			lines = append(lines, joinWords(ws))
			add(featurizeWords(ws))
		}
	}
	return segmentation{terms: strings.Join(terms, " "), seg: strings.Join(lines, "\n")}
}

func joinWords(ws []string) string {
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = strings.ReplaceAll(w, " ", wordSep)
	}
	return strings.Join(out, " ")
}

// docsOfSeg featurizes a stored segmentation the way docsOf featurizes an
// article: one document per question, then the whole article.
func docsOfSeg(seg string) articleDocs {
	lines := strings.Split(seg, "\n")
	words := func(l string) []string {
		ws := strings.Fields(l)
		for i, w := range ws {
			ws[i] = strings.ReplaceAll(w, wordSep, " ")
		}
		return ws
	}
	whole := featurizeWords(words(lines[0]))
	var out articleDocs
	for _, l := range lines[1:] {
		if f := featurizeWords(words(l)); len(f) > 0 {
			out = append(out, f)
			for t, w := range f {
				whole[t] += w
			}
		}
	}
	return append(out, whole)
}

// putSearch writes an article's row of the full-text index.
func (s *Store) putSearch(ctx context.Context, tx *store.Tx, an *analyzer, tenantID string, a Article) error {
	if err := s.dropSearch(ctx, tx, a.ID); err != nil {
		return err
	}
	sg := an.segment(a)
	if _, err := tx.Exec(ctx, insertSearch, a.ID, tenantID, sg.terms, sg.seg); err != nil {
		return fmt.Errorf("index kb article: %w", err)
	}
	return nil
}

// dropSearch removes an article's row of the full-text index.
func (s *Store) dropSearch(ctx context.Context, tx *store.Tx, articleID string) error {
	q, arg := pgDeleteArticle, articleID
	if !s.k.Postgres {
		q, arg = liteDeleteArticle, "article_id : "+phrase(articleID)
	}
	if _, err := tx.Exec(ctx, q, arg); err != nil {
		return fmt.Errorf("unindex kb article: %w", err)
	}
	return nil
}

// reindex makes the tenant's full-text rows again with an (a lexicon or a
// dictionary changed) and records the version they were made with.
func (s *Store) reindex(ctx context.Context, tx *store.Tx, an *analyzer, tenantID, version string) error {
	q, arg := pgDeleteTenant, tenantID
	if !s.k.Postgres {
		q, arg = liteDeleteTenant, "tenant_id : "+phrase(tenantID)
	}
	if _, err := tx.Exec(ctx, q, arg); err != nil {
		return fmt.Errorf("clear kb search: %w", err)
	}
	var rows []row
	if err := tx.Select(ctx, &rows, `SELECT `+cols+` FROM kb_articles WHERE tenant_id = ?`, tenantID); err != nil {
		return fmt.Errorf("read kb articles: %w", err)
	}
	for _, r := range rows {
		sg := an.segment(r.article())
		if _, err := tx.Exec(ctx, insertSearch, r.ID, tenantID, sg.terms, sg.seg); err != nil {
			return fmt.Errorf("index kb article: %w", err)
		}
	}
	const up = `INSERT INTO kb_revisions (tenant_id, revision, search_version) VALUES (?, 1, ?)
		ON CONFLICT (tenant_id) DO UPDATE SET search_version = excluded.search_version`
	if _, err := tx.Exec(ctx, up, tenantID, version); err != nil {
		return fmt.Errorf("record kb search version: %w", err)
	}
	s.k.Log().Info("kb search index made", "tenant", tenantID, "articles", len(rows))
	return nil
}

// termsFormat names what the stored terms hold (words, bigrams and single
// characters); changing it remakes every tenant's rows.
const termsFormat = "terms-2"

// builtinVersion identifies the built-in dictionaries (computed once).
var builtinVersion = sync.OnceValue(func() string {
	h := sha256.New()
	h.Write([]byte(termsFormat))
	for _, d := range []string{zhDict, shopDict, t2sTable, stopDict, synonymDict} {
		h.Write([]byte(d))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
})

// searchVersion identifies what segments a tenant's articles: the built-in
// dictionaries and the tenant's lexicon.
func searchVersion(lex Lexicon) string {
	lex = Lexicon{Synonyms: slices.Clone(lex.Synonyms), StopWords: slices.Clone(lex.StopWords), Words: slices.Clone(lex.Words)}
	for _, l := range [][]string{lex.Synonyms, lex.StopWords, lex.Words} {
		sort.Strings(l)
	}
	b, _ := json.Marshal(lex) // a Lexicon always encodes
	h := sha256.Sum256(append([]byte(builtinVersion()), b...))
	return hex.EncodeToString(h[:12])
}

// tenantSearch is what a process keeps of a tenant's search: its analyzer
// (its lexicon over the built-in dictionaries) with the version it
// segments with, and the word statistics at a revision.
type tenantSearch struct {
	mu      sync.Mutex
	version string
	an      *analyzer
	rev     int64
	stats   *corpusStats
	x       *Index // SQLite: the whole index, built from the stored words
}

// state is what a search needs of the tenant's: the analyzer, and the
// statistics of the articles at the current revision.
func (s *Store) state(ctx context.Context, tenantID string) (*analyzer, *corpusStats, *Index, error) {
	if _, err := s.idx.seg.Load(); err != nil {
		return nil, nil, nil, err
	}
	var rev []struct {
		Revision int64  `db:"revision"`
		Version  string `db:"search_version"`
	}
	const q = `SELECT revision, search_version FROM kb_revisions WHERE tenant_id = ?`
	if err := s.k.Select(ctx, &rev, q, tenantID); err != nil {
		return nil, nil, nil, fmt.Errorf("kb search version: %w", err)
	}
	s.idx.mu.Lock()
	t := s.idx.m[tenantID]
	if t == nil {
		t = &tenantSearch{rev: -1}
		s.idx.m[tenantID] = t
	}
	s.idx.mu.Unlock()
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(rev) == 0 || rev[0].Version != t.version {
		lex, err := s.Lexicon(ctx, tenantID)
		if err != nil {
			return nil, nil, nil, err
		}
		v := searchVersion(lex)
		if t.version != v {
			t.an, t.version, t.stats = newAnalyzer(s.idx.seg, lex), v, nil
		}
		if len(rev) == 0 || rev[0].Version != v {
			if err := s.k.Write(ctx, func(tx *store.Tx) error { return s.reindex(ctx, tx, t.an, tenantID, v) }); err != nil {
				return nil, nil, nil, err
			}
			t.stats = nil
		}
	}
	if len(rev) == 1 && t.stats != nil && t.rev == rev[0].Revision {
		return t.an, t.stats, t.x, nil
	}
	st, x, err := s.statistics(ctx, tenantID, t.an)
	if err != nil {
		return nil, nil, nil, err
	}
	t.stats, t.x, t.rev = st, x, -1
	if len(rev) == 1 {
		t.rev = rev[0].Revision
	}
	return t.an, t.stats, t.x, nil
}

// analyzer is the tenant's analyzer (see state).
func (s *Store) analyzer(ctx context.Context, tenantID string) (*analyzer, error) {
	an, _, _, err := s.state(ctx, tenantID)
	return an, err
}

// statistics counts the document frequencies of the tenant's articles from
// their stored words (no segmenting: a tenant of 10,000 articles takes a
// fraction of a second). On SQLite it builds the whole index from them too
// (see memoryIndex).
func (s *Store) statistics(ctx context.Context, tenantID string, an *analyzer) (*corpusStats, *Index, error) {
	if !s.k.Postgres {
		var rows []candidateRow
		const q = `SELECT ` + colsA + `, s.seg FROM kb_search s JOIN kb_articles a ON a.id = s.article_id
			WHERE a.tenant_id = ? ORDER BY a.id`
		if err := s.k.Select(ctx, &rows, q, tenantID); err != nil {
			return nil, nil, fmt.Errorf("kb search index: %w", err)
		}
		arts, docs := make([]Article, len(rows)), make([]articleDocs, len(rows))
		for i, r := range rows {
			arts[i], docs[i] = r.article(), docsOfSeg(r.Seg)
		}
		x := indexDocs(an, arts, docs, nil)
		return x.stats, x, nil
	}
	var segs []string
	if err := s.k.Select(ctx, &segs, `SELECT seg FROM kb_search WHERE tenant_id = ?`, tenantID); err != nil {
		return nil, nil, fmt.Errorf("kb search statistics: %w", err)
	}
	ads := make([]articleDocs, len(segs))
	for i, sg := range segs {
		ads[i] = docsOfSeg(sg)
	}
	return statsOf(an, ads), nil, nil
}

// lookupBudget bounds the documents the looked-up terms may match
// together: the database scores every match before it keeps the best, so
// common terms (which barely move the final score) would cost the most.
var lookupBudget = 4000

// lookupTerms are the features of a question the full-text index looks
// up: its words, bigrams and characters, rarest first, at least three, then as many as
// fit the budget of matching documents.
func lookupTerms(f map[string]float64, st *corpusStats) []string {
	type term struct {
		key string
		df  int32
	}
	var ts []term
	for t := range f {
		if k := t[2:]; searchable(k) {
			ts = append(ts, term{k, st.df[t]})
		}
	}
	sort.Slice(ts, func(i, j int) bool { return ts[i].df < ts[j].df || (ts[i].df == ts[j].df && ts[i].key < ts[j].key) })
	var out []string
	sum := 0
	for _, t := range ts {
		if len(out) >= 3 && sum+int(t.df) > lookupBudget {
			break
		}
		sum += int(t.df)
		out = append(out, strings.ReplaceAll(t.key, " ", wordSep))
	}
	return out
}

// candidateRow is a candidate article with its stored words.
type candidateRow struct {
	row
	Seg string `db:"seg"`
}

// searchDB ranks the tenant's live articles for q: candidates from the
// database's full-text index, scored by Index.
func (s *Store) searchDB(ctx context.Context, tenantID string, q Query) ([]Hit, error) {
	an, st, x, err := s.state(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	if x != nil {
		return x.Search(q.Text, s.k.Now(), q.ChannelID, q.Limit), nil
	}
	terms := lookupTerms(an.featurize(q.Text), st)
	if len(terms) == 0 {
		return []Hit{}, nil
	}
	sqlq := liteCandidates
	if s.k.Postgres {
		sqlq = pgCandidates
	}
	ch, _ := json.Marshal(q.ChannelID) // a string always encodes
	args := []any{s.match(tenantID, terms), candidates, tenantID, q.ChannelID, "%" + likeEscape(string(ch)) + "%"}
	if s.k.Postgres {
		args = append([]any{args[0], tenantID}, args[1:]...)
	}
	var rows []candidateRow
	if err := s.k.Select(ctx, &rows, sqlq, args...); err != nil {
		return nil, fmt.Errorf("kb candidates: %w", err)
	}
	arts := make([]Article, len(rows))
	docs := make([]articleDocs, len(rows))
	for i, r := range rows {
		arts[i], docs[i] = r.article(), docsOfSeg(r.Seg)
	}
	return indexDocs(an, arts, docs, st).Search(q.Text, s.k.Now(), q.ChannelID, q.Limit), nil
}

func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
