package kb

import (
	"math"
	"sort"
	"sync"
	"time"
)

// Index is one tenant's search index: every question and similar question
// of every article is a document; a question's score for an article is the
// TF-IDF cosine similarity (0..1) with its closest document, so a score
// means the same whatever the question's length, and one threshold works.
type Index struct {
	an       *analyzer
	articles []Article
	docOf    []int32 // document → article
	isWhole  []bool  // the document is the whole article
	norms    []float64
	postings map[string][]posting
	idf      map[string]float64
	stats    *corpusStats
	cache    map[string]articleDocs
	scratch  sync.Pool
}

// scratch is one search's dot products, one per document, and the
// documents it touched (reset after each search).
type scratch struct {
	dot         []float32
	touched     []int32
	best, whole []float32 // per article: its best question, the whole article
	arts        []int32   // the articles touched
}

type ranked struct {
	art   int32
	score float64
}

// better orders results: higher score, then earlier article (stable
// results for equal scores).
func better(a, b ranked) bool {
	if a.score != b.score {
		return a.score > b.score
	}
	return a.art < b.art
}

// articleWeight is the share of an article's score that comes from the
// whole article (its questions and answer as one document); the rest is
// its closest question or similar question.
var articleWeight = 0.5

type posting struct {
	doc int32
	w   float32
}

// BuildIndex indexes articles for search with the built-in lexicon and
// the tenant's.
func BuildIndex(seg *Segmenter, lex Lexicon, articles []Article) *Index {
	return buildIndex(newAnalyzer(seg, lex), articles, nil)
}

// articleDocs are an article's documents: one per question, then the whole
// article (its questions and answer together).
type articleDocs []map[string]float64

// docsOf featurizes an article; segmenting is most of an index's build
// time, so a rebuild reuses what the previous index (same lexicon) did for
// the articles that did not change.
func docsOf(an *analyzer, a Article, prev *Index) articleDocs {
	if prev != nil && prev.an == an {
		if d, ok := prev.cached(articleKey(a)); ok {
			return d
		}
	}
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

func buildIndex(an *analyzer, articles []Article, prev *Index) *Index {
	ads, keys := make([]articleDocs, len(articles)), make([]string, len(articles))
	for i, a := range articles {
		ads[i], keys[i] = docsOf(an, a, prev), articleKey(a)
	}
	return indexDocs(an, articles, ads, keys)
}

// articleKey names an article's documents in an index's cache.
func articleKey(a Article) string { return a.ID + a.UpdatedAt.String() }

// cached is the documents of the article under key (nil x: none).
func (x *Index) cached(key string) (articleDocs, bool) {
	if x == nil {
		return nil, false
	}
	d, ok := x.cache[key]
	return d, ok
}

// corpusStats are the document frequencies the idf comes from: a tenant's
// documents' and the background questions'.
type corpusStats struct {
	df map[string]int32
	n  int
}

// statsOf counts the documents of articles, over the background.
func statsOf(an *analyzer, ads []articleDocs) *corpusStats {
	bg := an.background()
	st := &corpusStats{df: make(map[string]int32, len(bg.df)), n: bg.n}
	for t, c := range bg.df {
		st.df[t] = int32(c)
	}
	for _, ad := range ads {
		for _, d := range ad {
			if len(d) > 0 {
				st.n++
				for t := range d {
					st.df[t]++
				}
			}
		}
	}
	return st
}

// idf is a feature's inverse document frequency.
func (st *corpusStats) idf(t string) float64 {
	if c := st.df[t]; c > 0 {
		return math.Log(1 + float64(st.n)/float64(c))
	}
	return math.Log(1 + float64(st.n)/0.5)
}

// indexDocs indexes articles whose documents are featurized already,
// caching each article's documents under its key for the next rebuild.
func indexDocs(an *analyzer, articles []Article, ads []articleDocs, keys []string) *Index {
	x := &Index{an: an, articles: articles, postings: map[string][]posting{}, idf: map[string]float64{},
		cache: make(map[string]articleDocs, len(articles))}
	var docs []map[string]float64
	for i := range articles {
		ad := ads[i]
		x.cache[keys[i]] = ad
		for j, f := range ad {
			if len(f) > 0 {
				docs = append(docs, f)
				x.docOf = append(x.docOf, int32(i))
				x.isWhole = append(x.isWhole, j == len(ad)-1)
			}
		}
	}
	st := statsOf(an, ads)
	x.stats = st
	for _, d := range docs {
		for t := range d {
			if _, ok := x.idf[t]; !ok {
				x.idf[t] = st.idf(t)
			}
		}
	}
	x.norms = make([]float64, len(docs))
	for i, d := range docs {
		var sum float64
		for t, w := range d {
			v := w * x.idf[t]
			sum += v * v
			x.postings[t] = append(x.postings[t], posting{int32(i), float32(v)})
		}
		x.norms[i] = math.Sqrt(sum)
	}
	x.scratch.New = func() any {
		return &scratch{dot: make([]float32, len(docs)), best: make([]float32, len(articles)),
			whole: make([]float32, len(articles))}
	}
	return x
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
	q := x.an.featurize(question)
	sc := x.scratch.Get().(*scratch)
	defer x.scratch.Put(sc)
	var qnorm float64
	for t, w := range q {
		idf, ok := x.idf[t]
		if !ok {
			idf = x.stats.idf(t)
		}
		v := w * idf
		qnorm += v * v
		for _, p := range x.postings[t] {
			if sc.dot[p.doc] == 0 {
				sc.touched = append(sc.touched, p.doc)
			}
			sc.dot[p.doc] += float32(v) * p.w
		}
	}
	qnorm = math.Sqrt(qnorm)
	for _, d := range sc.touched {
		s := float64(sc.dot[d]) / (qnorm * x.norms[d])
		sc.dot[d] = 0
		a := x.docOf[d]
		if sc.best[a] == 0 && sc.whole[a] == 0 {
			sc.arts = append(sc.arts, a)
		}
		if x.isWhole[d] {
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
		if s = math.Round(s*1e4) / 1e4; s <= 0 || (len(top) == limit && !better(ranked{a, s}, top[limit-1])) ||
			!x.articles[a].Live(now, channelID) {
			continue
		}
		i := sort.Search(len(top), func(i int) bool { return better(ranked{a, s}, top[i]) })
		if len(top) < limit {
			top = append(top, ranked{})
		}
		copy(top[i+1:], top[i:])
		top[i] = ranked{a, s}
	}
	sc.arts = sc.arts[:0]
	hits := make([]Hit, len(top))
	for i, r := range top {
		hits[i] = Hit{Article: x.articles[r.art], Score: r.score}
	}
	return hits
}
