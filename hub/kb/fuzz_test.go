package kb_test

import (
	"math"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/hub/kb"
	"github.com/kefu-hub/kefu/hub/kb/zh"
)

// FuzzSearch: any customer text (invalid UTF-8, control characters, mixed
// scripts) searches without panicking, and every score is within 0..1,
// best first.
func FuzzSearch(f *testing.F) {
	seg := &zh.Segmenter{}
	if _, err := seg.Load(); err != nil {
		f.Fatal(err)
	}
	x := kb.BuildIndex(seg, kb.Lexicon{Synonyms: []string{"运费=邮费"}, StopWords: []string{"吗"}, Words: []string{"云闪付"}},
		loadFAQ(f))
	for _, s := range []string{"退款多久到账", "運費怎麼算", "refund多久", "", "\xff\xfe", "吗吗吗", "ｈｅｌｌｏ　世界", "1+1=2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		hits := x.Search(q, time.Now(), "", 5)
		for i, h := range hits {
			if math.IsNaN(h.Score) || h.Score < 0 || h.Score > 1.0001 || (i > 0 && h.Score > hits[i-1].Score) {
				t.Fatalf("%q: scores %+v", q, hits)
			}
		}
	})
}
