package kb_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/hubtest"
	"github.com/kefu-hub/kefu/hub/kb"
	"github.com/kefu-hub/kefu/hub/sheet"
)

// TestXLSXRoundTrip: an XLSX export reads back as the same rows (a formula
// stays text), imports back as an update; a dry run reports the rows it
// would create, update and skip and changes nothing; an import is a
// version of the articles it changes.
func TestXLSXRoundTrip(t *testing.T) {
	hubtest.Each(t, func(t *testing.T, h *hubtest.Hub) {
		ctx := context.Background()
		tn := h.NewTenant(t)
		tenant := tn.Admin.TenantID
		a := create(t, h.KB, tenant, "运费怎么收？", []string{"包邮吗", "邮费多少"}, "=全场满99元包邮。")
		var out bytes.Buffer
		if err := h.KB.Export(ctx, tenant, sheet.XLSX, &out); err != nil {
			t.Fatal(err)
		}
		rows, err := sheet.Read(bytes.NewReader(out.Bytes()), sheet.XLSX, 10)
		if err != nil || len(rows) != 2 || rows[0][0] != "标准问题" || rows[1][1] != "包邮吗|邮费多少" || rows[1][2] != "=全场满99元包邮。" {
			t.Fatalf("export: %q %v", rows, err)
		}
		var in bytes.Buffer
		err = sheet.Write(&in, sheet.XLSX, []string{"question", "answer", "category"}, [][]string{
			{"运费怎么收？", "全场满99元包邮，偏远地区除外。", "物流"},
			{"可以退货吗？", "七天无理由退货。", "售后"},
			{"没有答案的问题", "", ""},
		})
		if err != nil {
			t.Fatal(err)
		}
		dry, err := h.KB.Import(ctx, tenant, in.Bytes(), sheet.XLSX, kb.ImportOptions{DryRun: true, By: tn.Admin.ID})
		if err != nil || !dry.DryRun || dry.Created != 1 || dry.Updated != 1 || len(dry.Errors) != 1 || dry.Errors[0].Row != 4 {
			t.Fatalf("dry run: %+v %v", dry, err)
		}
		if as, _ := h.KB.List(ctx, tenant, kb.Filter{}); len(as) != 1 || as[0].Answer != "=全场满99元包邮。" {
			t.Fatalf("a dry run changed the articles: %+v", as)
		}
		if r, _ := h.KB.Search(ctx, tenant, kb.Query{Text: "可以退货吗"}); len(r.Hits) != 0 {
			t.Fatalf("a dry run indexed an article: %+v", r.Hits)
		}
		res, err := h.KB.Import(ctx, tenant, in.Bytes(), sheet.XLSX, kb.ImportOptions{By: tn.Admin.ID})
		if err != nil || res.DryRun || res.Created != 1 || res.Updated != 1 {
			t.Fatalf("import: %+v %v", res, err)
		}
		if r, _ := h.KB.Search(ctx, tenant, kb.Query{Text: "可以退货吗"}); len(r.Hits) == 0 || r.Hits[0].Article.Question != "可以退货吗？" {
			t.Fatalf("search after import: %+v", r.Hits)
		}
		vs, err := h.KB.Versions(ctx, tenant, a.ID)
		if err != nil || len(vs) != 2 || vs[0].Action != "import" || vs[0].EditedBy != tn.Admin.ID || vs[1].Article.Answer != "=全场满99元包邮。" {
			t.Fatalf("versions after import: %+v %v", vs, err)
		}
		for _, bad := range [][]byte{[]byte("not a zip"), out.Bytes()[:100]} {
			if _, err := h.KB.Import(ctx, tenant, bad, sheet.XLSX, kb.ImportOptions{}); !errors.As(err, new(*hub.InvalidError)) {
				t.Errorf("import of a broken file: %v, want invalid", err)
			}
		}
	})
}
