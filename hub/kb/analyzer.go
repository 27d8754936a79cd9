package kb

import (
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/kefu-hub/kefu/hub/kb/zh"
)

// Feature weights: whole words count most; character bigrams and single
// characters catch typos, unknown words and word boundaries cut
// differently in the question and the article.
var (
	wordWeight    = 1.0
	bigramWeight  = 0.8
	unigramWeight = 0.35
)

// analyzer turns text into weighted features for one tenant: its synonyms
// (every word of a group becomes the first), stop words and domain words
// over the built-in ones.
type analyzer struct {
	seg     *zh.Segmenter
	canon   map[string]string // a protected word → the word kept
	maxWord int               // longest protected word, in runes
	stop    map[string]bool
	bgOnce  sync.Once
	bg      background
	ttOnce  sync.Once
	tt      *termTable
}

// background is the document frequency of the built-in background
// questions, added to every index's statistics.
type background struct {
	df map[string]float64 // a count, as a feature map
	n  int
}

func (a *analyzer) background() background {
	a.bgOnce.Do(func() {
		a.bg.df = map[string]float64{}
		for _, l := range zh.Background() {
			if f := a.featurize(l); len(f) > 0 {
				a.bg.n++
				for t := range f {
					a.bg.df[t]++
				}
			}
		}
	})
	return a.bg
}

// terms is the analyzer's term table, the background's terms first.
func (a *analyzer) terms() *termTable {
	a.ttOnce.Do(func() {
		bg := a.background()
		tt := &termTable{ids: make(map[string]int32, len(bg.df)), bg: make([]int32, 0, len(bg.df)), bgN: bg.n}
		for _, t := range sortedTerms(bg.df) {
			tt.bg = append(tt.bg, int32(bg.df[t]))
			tt.id(t)
		}
		a.tt = tt
	})
	return a.tt
}

func newAnalyzer(seg *zh.Segmenter, lex Lexicon) *analyzer {
	a := &analyzer{seg: seg, canon: map[string]string{}, stop: map[string]bool{}}
	groups := append(zh.SynonymGroups(), lex.Synonyms...)
	for _, g := range groups {
		if strings.HasPrefix(strings.TrimSpace(g), "#") {
			continue
		}
		ws := synonymGroup(seg.Normalize(g))
		for _, w := range ws {
			a.protect(w, ws[0])
		}
	}
	for _, w := range lex.Words {
		if w = seg.Normalize(strings.TrimSpace(w)); w != "" {
			if _, ok := a.canon[w]; !ok {
				a.protect(w, w)
			}
		}
	}
	for _, w := range append(zh.StopWords(), lex.StopWords...) {
		a.stop[seg.Normalize(w)] = true
	}
	return a
}

func (a *analyzer) protect(w, canon string) {
	a.canon[w] = canon
	a.maxWord = max(a.maxWord, utf8.RuneCountInString(w))
}

// words are the content words of text: protected words matched longest
// first (and replaced by their canonical form), the rest cut by the
// segmenter, stop words dropped.
func (a *analyzer) words(text string) []string {
	rs := []rune(a.seg.Normalize(text))
	var out []string
	start := 0
	flush := func(end int) {
		if start < end {
			out = append(out, a.seg.Cut(string(rs[start:end]))...)
		}
	}
	for i := 0; i < len(rs); {
		n := a.match(rs[i:])
		if n == 0 {
			i++
			continue
		}
		flush(i)
		out = append(out, a.canon[string(rs[i:i+n])])
		i += n
		start = i
	}
	flush(len(rs))
	kept := out[:0]
	for _, w := range out {
		if c, ok := a.canon[w]; ok {
			w = c
		}
		if !a.stop[w] {
			kept = append(kept, w)
		}
	}
	return kept
}

// match is the length of the longest protected word at the start of rs.
func (a *analyzer) match(rs []rune) int {
	for n := min(a.maxWord, len(rs)); n >= 1; n-- {
		if _, ok := a.canon[string(rs[:n])]; ok {
			return n
		}
	}
	return 0
}

// featurize weighs the features of text: words, then bigrams and single
// characters of the Chinese runs between them.
func (a *analyzer) featurize(text string) map[string]float64 {
	return featurizeWords(a.words(text))
}

// featurizeWords weighs the features of text cut into words (stored
// segmentations are featurized again without the segmenter).
func featurizeWords(words []string) map[string]float64 {
	f := map[string]float64{}
	var run []rune
	endRun := func() {
		for i := range run {
			f["u:"+string(run[i])] += unigramWeight
			if i+1 < len(run) {
				f["b:"+string(run[i:i+2])] += bigramWeight
			}
		}
		run = run[:0]
	}
	for _, w := range words {
		f["w:"+w] += wordWeight
		han := true
		for _, r := range w {
			han = han && zh.IsHan(r)
		}
		if !han {
			endRun()
			continue
		}
		run = append(run, []rune(w)...)
	}
	endRun()
	return f
}
