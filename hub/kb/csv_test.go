package kb_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/hubtest"
	"github.com/kefu-hub/kefu/hub/kb"
)

// TestCSVRoundTrip: an export opens in Excel (BOM, Chinese header, lists
// joined by |, formulas defused) and imports back unchanged; an import
// upserts by standard question, skips bad rows with their numbers, and the
// search finds what it added.
func TestCSVRoundTrip(t *testing.T) {
	hubtest.Each(t, func(t *testing.T, h *hubtest.Hub) {
		ctx := context.Background()
		tenant := h.NewTenant(t).Admin.TenantID
		create(t, h.KB, tenant, "运费怎么收？", []string{"包邮吗", "邮费多少"}, "=全场满99元包邮。")
		var out bytes.Buffer
		if err := h.KB.ExportCSV(ctx, tenant, &out); err != nil {
			t.Fatal(err)
		}
		want := "\uFEFF标准问题,相似问法,答案,分类,标签,启用\n运费怎么收？,包邮吗|邮费多少,'=全场满99元包邮。,,,是\n"
		if out.String() != want {
			t.Fatalf("export:\n%q\nwant\n%q", out.String(), want)
		}
		in := strings.Join([]string{
			"\uFEFF答案,标准问题,相似问法,分类,启用,标签",
			"'=全场满99元包邮，偏远地区除外。,运费怎么收？,包邮吗|邮费多少|运费多少,物流,是,运费",
			`"七天无理由退货，
运费由买家承担。",可以退货吗？,能退吗|怎么退货,售后,,`,
			",没有答案的问题,,,,",
			"答案,问题,,,也许,",
			",,,,,",
			"答," + strings.Repeat("长", 201) + ",,,,",
		}, "\r\n")
		res, err := h.KB.ImportCSV(ctx, tenant, []byte(in))
		if err != nil {
			t.Fatal(err)
		}
		if res.Created != 1 || res.Updated != 1 || len(res.Errors) != 3 || res.Errors[0].Row != 4 || res.Errors[1].Row != 5 ||
			res.Errors[2].Row != 7 || !strings.Contains(res.Errors[0].Message, "答案") {
			t.Fatalf("import: %+v", res)
		}
		as, err := h.KB.List(ctx, tenant, kb.Filter{})
		if err != nil || len(as) != 2 {
			t.Fatalf("articles after import: %+v %v", as, err)
		}
		for _, a := range as {
			if a.Question == "运费怎么收？" && (a.Answer != "=全场满99元包邮，偏远地区除外。" || len(a.Similar) != 3 || a.Category != "物流") {
				t.Errorf("updated article: %+v", a)
			}
			if a.Question == "可以退货吗？" && (a.Answer != "七天无理由退货，\n运费由买家承担。" || !a.Enabled) {
				t.Errorf("created article: %+v", a)
			}
		}
		if r, err := h.KB.Search(ctx, tenant, kb.Query{Text: "能退吗"}); err != nil || len(r.Hits) == 0 ||
			r.Hits[0].Article.Question != "可以退货吗？" {
			t.Errorf("search after import: %+v %v", r, err)
		}
		for _, bad := range []string{"问题,回复\nx,y", "\xff\xfe标准问题"} {
			if _, err := h.KB.ImportCSV(ctx, tenant, []byte(bad)); !errors.As(err, new(*hub.InvalidError)) {
				t.Errorf("import %q: %v, want invalid", bad, err)
			}
		}
	})
}
