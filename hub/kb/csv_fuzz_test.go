package kb

import (
	"errors"
	"testing"
	"unicode/utf8"

	"github.com/kefu-hub/kefu/hub"
)

// FuzzParseCSV: any uploaded file (binary, invalid UTF-8, broken quoting,
// huge rows) parses without panicking into an invalid-input error or rows
// numbered from 2 upwards, each a valid-looking patch or a reason.
func FuzzParseCSV(f *testing.F) {
	for _, s := range []string{
		"\uFEFF标准问题,相似问法,答案,分类,标签,启用\n运费怎么收？,包邮吗|邮费多少,'=全场满99元包邮。,,,是\n",
		"question,answer\n\"a\nb\",c\n",
		"答案,问题\nx,\n,y\n",
		"标准问题,答案\n\"unterminated,x\n",
		"\xff\xfe\x00a", "", "标准问题",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, err := parseCSV(data, nil)
		if err != nil {
			if !errors.As(err, new(*hub.InvalidError)) {
				t.Fatalf("not an invalid-input error: %v", err)
			}
			return
		}
		last := 1
		for _, r := range rows {
			if r.n <= last {
				t.Fatalf("row numbers not increasing: %d after %d", r.n, last)
			}
			last = r.n
			if r.err == nil && (r.p.Question == nil || *r.p.Question == "" || !utf8.ValidString(*r.p.Answer)) {
				t.Fatalf("row %d accepted without a question or with invalid text: %+v", r.n, r.p)
			}
		}
	})
}
