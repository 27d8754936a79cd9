// Package zh cuts Chinese text into words for the knowledge base's
// search: gse with small built-in dictionaries (general words, shop words,
// stop words, synonym groups, background questions) and a 繁體→简体 table,
// loaded once per process.
package zh

import (
	_ "embed"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/go-ego/gse"
	"golang.org/x/text/width"
)

// The dictionaries are small on purpose: zh.txt is the 80k words of gse's
// simplified-Chinese dictionary seen at least 20 times (0.9 MB instead of
// 5 MB; loads in a fraction of a second), shop.txt the words of online shops
// the general dictionary lacks or cuts wrongly, background.txt typical
// shop questions that only count in the word statistics (so a small
// knowledge base still knows 怎么 is common and 运费 is not), t2s.txt the 繁體→简体
// character table (from OpenCC's TSCharacters, one character to one).
var (
	//go:embed dict/zh.txt
	zhDict string
	//go:embed dict/shop.txt
	shopDict string
	//go:embed dict/t2s.txt
	t2sTable string
	//go:embed dict/stop.txt
	stopDict string
	//go:embed dict/synonyms.txt
	synonymDict string
	//go:embed dict/background.txt
	backgroundDict string
)

// Segmenter cuts Chinese text into words. Its dictionary loads on first use
// (or when Load is called at start-up in the background), once per process.
type Segmenter struct {
	once     sync.Once
	seg      gse.Segmenter
	t2s      map[rune]rune
	loadTime time.Duration
	err      error
}

// Load loads the dictionaries if they are not yet loaded and reports how
// long loading took.
func (s *Segmenter) Load() (time.Duration, error) {
	s.once.Do(func() {
		start := time.Now()
		s.seg.SkipLog = true
		if err := s.seg.LoadDictStr(zhDict); err != nil {
			s.err = fmt.Errorf("load chinese dictionary: %w", err)
			return
		}
		for _, l := range strings.Split(shopDict, "\n") {
			if w := strings.TrimSpace(l); w != "" && !strings.HasPrefix(w, "#") {
				// A high frequency makes the segmenter prefer the shop word.
				if err := s.seg.AddToken(w, 2000, "n"); err != nil {
					s.err = fmt.Errorf("shop word %q: %w", w, err)
					return
				}
			}
		}
		s.t2s = map[rune]rune{}
		for _, l := range strings.Split(t2sTable, "\n") {
			if r := []rune(l); len(r) == 2 {
				s.t2s[r[0]] = r[1]
			}
		}
		s.t2s['帳'] = '账' // 帳 is 账 (accounts) far more often than 帐 (tents) in a shop
		s.loadTime = time.Since(start)
	})
	return s.loadTime, s.err
}

// Normalize folds what should not matter for matching: full-width forms,
// case, and traditional characters (退貨 is 退货).
func (s *Segmenter) Normalize(text string) string {
	text = strings.ToLower(width.Fold.String(text))
	return strings.Map(func(r rune) rune {
		if v, ok := s.t2s[r]; ok {
			return v
		}
		return r
	}, text)
}

// Cut segments normalized text into words, without punctuation or spaces.
func (s *Segmenter) Cut(text string) []string {
	var out []string
	for _, w := range s.seg.Cut(text, true) {
		if w = strings.TrimSpace(w); w != "" && !isPunct(w) {
			out = append(out, w)
		}
	}
	return out
}

func isPunct(w string) bool {
	for _, r := range w {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return false
		}
	}
	return true
}

// IsHan reports whether r is a Chinese character.
func IsHan(r rune) bool { return unicode.Is(unicode.Han, r) }

// Dictionaries are the texts of the built-in dictionaries that decide how
// text is cut: a change in any of them changes every stored segmentation.
func Dictionaries() []string { return []string{zhDict, shopDict, t2sTable, stopDict, synonymDict} }

// SynonymGroups are the built-in synonym groups, one a line (运费=邮费; a
// line starting with # is a comment).
func SynonymGroups() []string { return strings.Split(synonymDict, "\n") }

// StopWords are the built-in stop words.
func StopWords() []string { return strings.Fields(stopDict) }

// Background are the built-in background questions, one a line: they only
// count in the word statistics.
func Background() []string { return strings.Split(backgroundDict, "\n") }
