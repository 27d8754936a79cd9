package kb

import (
	"maps"
	"math"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/kefu-hub/kefu/hub/kb/zh"
)

// Index is one tenant's search index: every question and similar question
// of every article is a document; a question's score for an article is the
// TF-IDF cosine similarity (0..1) with its closest document, so a score
// means the same whatever the question's length, and one threshold works.
//
// An index never changes once made: a change of some articles makes the
// next index from it (with), which shares the documents and postings that
// did not change and recomputes only the statistics (document frequencies,
// idf, norms), so searches running on the old one answer from a
// consistent state. Features are term ids (termTable) packed in slices.
type Index struct {
	an    *analyzer
	arts  []*Article       // by slot; nil: deleted
	keys  []uint64         // by slot: a hash of the words the documents were made from (0: none)
	slots map[string]int32 // article id → slot
	first []int32          // by slot: the article's first document (its documents are consecutive)
	ndocs []uint8          // by slot: how many documents it has
	// Documents only grow: an edited article's documents die and its new
	// ones follow, so older indexes keep reading theirs.
	featAt  []int32 // document d's features are feats[featAt[d]:featAt[d+1]]
	feats   []tw    // by document, sorted by the term's text
	post    [][]posting
	df      []int32   // by term id: documents with the term, the background's included
	n       int       // documents, the background's included
	idf     []float64 // by term id
	docs    []docInfo // by document, what a search reads of it (one cache line)
	dead    int       // dead documents
	scratch sync.Pool
}

// docInfo is a document's norm (0: dead), its article's slot and whether it
// is the whole article.
type docInfo struct {
	norm  float64
	art   int32
	whole bool
}

// tw is a feature: a term id and its weight (without idf).
type tw struct {
	t int32
	w float32
}

// posting is a document with a term, and the term's weight in it (without
// idf: the query multiplies by idf², so a change of the statistics does not
// touch the postings).
type posting struct {
	doc int32
	w   float32
}

// scratch is one search's dot products, one per document, and the
// documents it touched (reset after each search).
type scratch struct {
	dot         []float32
	touched     []int32
	best, whole []float32 // per slot: its best question, the whole article
	arts        []int32   // the slots touched
}

type ranked struct {
	id    string
	art   int32
	score float64
}

// better orders results: higher score, then the smaller article id (the
// same order however the index was made).
func better(a, b ranked) bool {
	if a.score != b.score {
		return a.score > b.score
	}
	return a.id < b.id
}

// articleWeight is the share of an article's score that comes from the
// whole article (its questions and answer as one document); the rest is
// its closest question or similar question.
var articleWeight = 0.5

// BuildIndex indexes articles for search with the built-in lexicon and
// the tenant's.
func BuildIndex(seg *zh.Segmenter, lex Lexicon, articles []Article) *Index {
	an := newAnalyzer(seg, lex)
	es := make([]entry, len(articles))
	for i := range articles {
		a := articles[i]
		es[i] = entry{id: a.ID, a: &a, docs: an.terms().docs(docsOf(an, a))}
	}
	return emptyIndex(an).with(es)
}

// articleDocs are an article's documents: one per question, then the whole
// article (its questions and answer together).
type articleDocs []map[string]float64

// docsOf featurizes an article.
func docsOf(an *analyzer, a Article) articleDocs {
	var out articleDocs
	whole := an.featurize(a.Answer)
	for _, q := range append([]string{a.Question}, a.Similar...) {
		if f := an.featurize(q); len(f) > 0 {
			out = append(out, f)
			for t, w := range f {
				whole[t] += w
			}
		}
	}
	return append(out, whole)
}

// entry is a change of an index: an article (nil: the article id is
// deleted) with its documents' features, the whole article last.
type entry struct {
	id   string
	a    *Article
	key  uint64
	docs [][]tw
}

// emptyIndex is an index without articles: the background statistics.
func emptyIndex(an *analyzer) *Index {
	tt := an.terms()
	return &Index{an: an, slots: map[string]int32{}, featAt: []int32{0}, df: slices.Clone(tt.bg), n: tt.bgN}
}

// with is the index after the changes. Indexes made from the same one must
// be made one at a time (they append to the slices they share).
func (x *Index) with(changes []entry) *Index {
	nx := &Index{an: x.an, arts: slices.Clone(x.arts), keys: slices.Clone(x.keys), slots: maps.Clone(x.slots),
		first: slices.Clone(x.first), ndocs: slices.Clone(x.ndocs), featAt: x.featAt, feats: x.feats, post: slices.Clone(x.post), df: slices.Clone(x.df), n: x.n, dead: x.dead}
	for _, e := range changes {
		s, ok := nx.slots[e.id]
		if ok {
			nx.kill(s)
		}
		if e.a == nil {
			if ok {
				nx.arts[s] = nil
				delete(nx.slots, e.id)
			}
			continue
		}
		if !ok {
			s = int32(len(nx.arts))
			nx.slots[e.id] = s
			nx.arts, nx.keys = append(nx.arts, nil), append(nx.keys, 0)
			nx.first, nx.ndocs = append(nx.first, 0), append(nx.ndocs, 0)
		}
		nx.arts[s], nx.keys[s] = e.a, e.key
		nx.first[s], nx.ndocs[s] = int32(len(nx.featAt)-1), uint8(len(e.docs))
		for _, d := range e.docs {
			nx.add(d)
		}
	}
	if nx.dead > 1024 && nx.dead > (len(nx.featAt)-1)/2 {
		return nx.compact()
	}
	nx.finish()
	return nx
}

// add appends a document (of the article whose documents are being added).
func (x *Index) add(d []tw) {
	doc := int32(len(x.featAt) - 1)
	for _, f := range d {
		if int(f.t) >= len(x.df) {
			x.df = append(x.df, make([]int32, int(f.t)+1-len(x.df))...)
		}
		if int(f.t) >= len(x.post) {
			x.post = append(x.post, make([][]posting, int(f.t)+1-len(x.post))...)
		}
		x.post[f.t] = append(x.post[f.t], posting{doc, f.w})
		x.df[f.t]++
	}
	x.feats = append(x.feats, d...)
	x.featAt = append(x.featAt, int32(len(x.feats)))
	x.n++
}

// kill takes the documents of the article in slot s out of the statistics
// (their postings stay, skipped by searches, until the index is compacted).
func (x *Index) kill(s int32) {
	for d := x.first[s]; d < x.first[s]+int32(x.ndocs[s]); d++ {
		for _, f := range x.feats[x.featAt[d]:x.featAt[d+1]] {
			x.df[f.t]--
		}
		x.n--
		x.dead++
	}
	x.ndocs[s] = 0
}

// compact makes the index again from its live documents (when most are
// dead), without featurizing anything.
func (x *Index) compact() *Index {
	es := make([]entry, 0, len(x.slots))
	for s, a := range x.arts {
		if a != nil {
			es = append(es, x.entry(int32(s)))
		}
	}
	return emptyIndex(x.an).with(es)
}

// entry is the article in slot s as a change (its documents shared).
func (x *Index) entry(s int32) entry {
	e := entry{id: x.arts[s].ID, a: x.arts[s], key: x.keys[s]}
	for d := x.first[s]; d < x.first[s]+int32(x.ndocs[s]); d++ {
		e.docs = append(e.docs, x.feats[x.featAt[d]:x.featAt[d+1]:x.featAt[d+1]])
	}
	return e
}

// finish computes the idf of every term and the norm of every live
// document (each in the same order whatever the history, so an index
// changed article by article scores exactly as one made at once).
func (x *Index) finish() {
	x.idf = make([]float64, len(x.df))
	for t, c := range x.df {
		x.idf[t] = idfOf(x.n, c)
	}
	x.docs = make([]docInfo, len(x.featAt)-1)
	for s, a := range x.arts {
		if a == nil {
			continue
		}
		last := x.first[s] + int32(x.ndocs[s]) - 1
		for d := x.first[s]; d <= last; d++ {
			var sum float64
			for _, f := range x.feats[x.featAt[d]:x.featAt[d+1]] {
				v := float64(f.w) * x.idf[f.t]
				sum += v * v
			}
			x.docs[d] = docInfo{math.Sqrt(sum), int32(s), d == last}
		}
	}
	docs, arts := len(x.docs), len(x.arts)
	x.scratch.New = func() any {
		return &scratch{dot: make([]float32, docs), best: make([]float32, arts), whole: make([]float32, arts)}
	}
}

// idfOf is the inverse document frequency of a term in c of n documents.
func idfOf(n int, c int32) float64 {
	if c > 0 {
		return math.Log(1 + float64(n)/float64(c))
	}
	return math.Log(1 + float64(n)/0.5)
}

// Hit is one search result: an article and how well it matches (0..1,
// higher is better).
type Hit struct {
	Article Article `json:"article"`
	Score   float64 `json:"score"`
}

// Search scores the live articles (at now, on the channel; "" = any) for
// the question and returns the best limit, best first.
func (x *Index) Search(question string, now time.Time, channelID string, limit int) []Hit {
	if limit < 1 {
		return []Hit{}
	}
	q := x.an.terms().query(x.an.featurize(question))
	sc := x.scratch.Get().(*scratch)
	defer x.scratch.Put(sc)
	var qnorm float64
	for _, f := range q {
		idf := idfOf(x.n, 0)
		if f.t >= 0 && int(f.t) < len(x.idf) {
			idf = x.idf[f.t]
		}
		v := f.w * idf
		qnorm += v * v
		if f.t < 0 || int(f.t) >= len(x.post) {
			continue
		}
		fv := float32(v * idf)
		for _, p := range x.post[f.t] {
			if sc.dot[p.doc] == 0 {
				sc.touched = append(sc.touched, p.doc)
			}
			sc.dot[p.doc] += fv * p.w
		}
	}
	qnorm = math.Sqrt(qnorm)
	for _, d := range sc.touched {
		dot, di := sc.dot[d], x.docs[d]
		sc.dot[d] = 0
		if di.norm == 0 { // dead
			continue
		}
		s := float64(dot) / (qnorm * di.norm)
		a := di.art
		if sc.best[a] == 0 && sc.whole[a] == 0 {
			sc.arts = append(sc.arts, a)
		}
		if di.whole {
			sc.whole[a] = float32(s)
		} else if float32(s) > sc.best[a] {
			sc.best[a] = float32(s)
		}
	}
	sc.touched = sc.touched[:0]
	var top []ranked // best first, at most limit
	for _, a := range sc.arts {
		s := (1-articleWeight)*float64(sc.best[a]) + articleWeight*float64(sc.whole[a])
		sc.best[a], sc.whole[a] = 0, 0
		if s = math.Round(s*1e4) / 1e4; s <= 0 || (len(top) == limit && s < top[limit-1].score) {
			continue // (before reading the article: most are not among the best)
		}
		r := ranked{x.arts[a].ID, a, s}
		if (len(top) == limit && !better(r, top[limit-1])) || !x.arts[a].Live(now, channelID) {
			continue
		}
		i := sort.Search(len(top), func(i int) bool { return better(r, top[i]) })
		if len(top) < limit {
			top = append(top, ranked{})
		}
		copy(top[i+1:], top[i:])
		top[i] = r
	}
	sc.arts = sc.arts[:0]
	hits := make([]Hit, len(top))
	for i, r := range top {
		hits[i] = Hit{Article: *x.arts[r.art], Score: r.score}
	}
	return hits
}

// termTable numbers an analyzer's features; every index made with the
// analyzer shares it, and it only grows.
type termTable struct {
	mu  sync.RWMutex
	ids map[string]int32
	bg  []int32 // by term id: the background questions with the term
	bgN int     // background questions
}

// qf is a query's feature: a term id (-1: no document has it) and weight.
type qf struct {
	t int32
	w float64
}

// sortedTerms are a document's terms in their order (by text).
func sortedTerms(f map[string]float64) []string {
	ts := make([]string, 0, len(f))
	for t := range f {
		ts = append(ts, t)
	}
	slices.Sort(ts)
	return ts
}

// docs numbers the features of an article's documents (the empty ones
// dropped).
func (tt *termTable) docs(ad articleDocs) [][]tw {
	tt.mu.Lock()
	defer tt.mu.Unlock()
	var out [][]tw
	for _, f := range ad {
		if len(f) == 0 {
			continue
		}
		d := make([]tw, 0, len(f))
		for _, t := range sortedTerms(f) {
			d = append(d, tw{tt.id(t), float32(f[t])})
		}
		out = append(out, d)
	}
	return out
}

// id is a term's id, numbering it if new (mu held).
func (tt *termTable) id(t string) int32 {
	id, ok := tt.ids[t]
	if !ok {
		id = int32(len(tt.ids))
		tt.ids[t] = id
	}
	return id
}

// query looks up a question's features, in their order.
func (tt *termTable) query(f map[string]float64) []qf {
	ts := sortedTerms(f)
	out := make([]qf, len(ts))
	tt.mu.RLock()
	defer tt.mu.RUnlock()
	for i, t := range ts {
		id, ok := tt.ids[t]
		if !ok {
			id = -1
		}
		out[i] = qf{id, f[t]}
	}
	return out
}
