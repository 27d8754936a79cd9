package richanswers_test

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"

	"github.com/kefu-hub/kefu/hub/files"
	"github.com/kefu-hub/kefu/hub/hubtest"
	"github.com/kefu-hub/kefu/hub/kb"
	"github.com/kefu-hub/kefu/hub/richanswers"
	"github.com/kefu-hub/kefu/hub/sheet"
)

// TestRichAnswerSheetRoundTrip: an export carries each rich answer in a
// 富文本答案 column (empty for a plain article), CSV and XLSX alike, and
// importing it back restores the rich answer a plain edit had dropped.
// Both dialects.
func TestRichAnswerSheetRoundTrip(t *testing.T) {
	hubtest.Each(t, func(t *testing.T, h *hubtest.Hub) {
		ctx := t.Context()
		ten, rich := newArticle(t, h, "怎么退货？", "x")
		markup := `<p><strong>退货</strong>步骤：</p><ol><li>打开订单详情</li><li>点击申请售后</li></ol>` +
			`<p><a href="https://shop.example/help">帮助中心</a></p>`
		want, err := h.Rich.Set(ctx, ten.TenantID, ten.ID, rich.ID, markup)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.KB.Create(ctx, ten.TenantID, kb.Patch{Question: ptr("发什么快递？"), Answer: ptr("顺丰")}); err != nil {
			t.Fatal(err)
		}
		for _, f := range []sheet.Format{sheet.CSV, sheet.XLSX} {
			var out bytes.Buffer
			if err := h.Rich.Export(ctx, ten.TenantID, f, &out); err != nil {
				t.Fatal(err)
			}
			rows, err := sheet.Read(bytes.NewReader(out.Bytes()), f, 10)
			if err != nil || len(rows) != 3 || len(rows[0]) != 7 || strings.TrimPrefix(rows[0][6], "\uFEFF") != richanswers.Column {
				t.Fatalf("%v export: %q %v", f, rows, err)
			}
			for _, r := range rows[1:] {
				r = append(r, make([]string, 7-len(r))...) // an XLSX row ends at its last filled cell
				if r[0] == "怎么退货？" && (r[6] != want.HTML || r[2] != want.Text) || r[0] == "发什么快递？" && r[6] != "" {
					t.Errorf("%v export row %q", f, r)
				}
			}
			// A plain edit drops the rich answer; the import brings it back.
			if _, err := h.KB.Update(ctx, ten.TenantID, rich.ID, kb.Patch{Answer: ptr("请联系客服")}); err != nil {
				t.Fatal(err)
			}
			res, err := h.Rich.Import(ctx, ten.TenantID, out.Bytes(), f, kb.ImportOptions{By: ten.ID})
			if err != nil || res.Updated != 2 || len(res.Errors) != 0 {
				t.Fatalf("%v import: %+v %v", f, res, err)
			}
			got, err := h.Rich.Get(ctx, ten.TenantID, rich.ID)
			if err != nil || got.HTML != want.HTML || got.Text != want.Text {
				t.Errorf("%v after the round trip: %+v %v", f, got, err)
			}
			if vs, _ := h.Rich.Versions(ctx, ten.TenantID, rich.ID); vs[0].Action != "import" || vs[0].Rich != want.HTML {
				t.Errorf("%v the import's version: %+v", f, vs[0])
			}
		}
		other := h.NewTenant(t).Admin
		var out bytes.Buffer
		if err := h.Rich.Export(ctx, other.TenantID, sheet.CSV, &out); err != nil || strings.Contains(out.String(), "退货") {
			t.Errorf("another tenant's export: %q %v", out.String(), err)
		}
	})
}

// TestRichAnswerImportRefuses: an imported 富文本答案 is sanitized as the
// editor's is (no script, no javascript: link); markup that leaves no text,
// an image not among the tenant's files, or an 答案 that says something
// else than the markup refuses its row with the reason, storing nothing
// of it; a dry run stores nothing at all. Both dialects.
func TestRichAnswerImportRefuses(t *testing.T) {
	hubtest.Each(t, func(t *testing.T, h *hubtest.Hub) {
		ctx := t.Context()
		ten, kept := newArticle(t, h, "运费多少？", "满99包邮")
		other := h.NewTenant(t).Admin
		theirs := &files.File{TenantID: other.TenantID, Name: "x.png", ContentType: "image/png", Data: []byte("\x89PNG")}
		if err := files.New(h.K).Save(ctx, theirs); err != nil {
			t.Fatal(err)
		}
		file := csvOf(t, [][]string{
			{"标准问题", "答案", "富文本答案"},
			{"怎么付款？", "", `<p onclick="steal()">点击<a href="javascript:alert(1)">这里</a>付款</p><script>alert(2)</script>` +
				`<img src="javascript:alert(3)">`},
			{"只有脚本", "", `<script>alert(1)</script><img src=x onerror=alert(2)>`},
			{"别人的图片", "", `<p>见图</p><img src="` + files.FileURL(theirs.ID) + `">`},
			{"运费多少？", "满199包邮", `<p><b>满99</b>包邮</p>`},
			{"纯文本", "只有答案", ""},
		})
		dry, err := h.Rich.Import(ctx, ten.TenantID, file, sheet.CSV, kb.ImportOptions{DryRun: true})
		if err != nil || dry.Created != 2 || len(dry.Errors) != 3 {
			t.Fatalf("dry run: %+v %v", dry, err)
		}
		if as, _ := h.KB.List(ctx, ten.TenantID, kb.Filter{}); len(as) != 1 {
			t.Fatalf("a dry run stored %d articles", len(as))
		}
		res, err := h.Rich.Import(ctx, ten.TenantID, file, sheet.CSV, kb.ImportOptions{})
		if err != nil || res.Created != 2 || res.Updated != 0 || len(res.Errors) != 3 {
			t.Fatalf("import: %+v %v", res, err)
		}
		reasons := map[int]string{3: "input_length", 4: "rich_image", 5: "rich_mismatch"}
		for _, e := range res.Errors {
			if reasons[e.Row] != e.Reason || e.Message == "" {
				t.Errorf("row %d refused with %q (%s), want %q", e.Row, e.Reason, e.Message, reasons[e.Row])
			}
		}
		as, _ := h.KB.List(ctx, ten.TenantID, kb.Filter{})
		byQ := map[string]kb.Article{}
		for _, a := range as {
			byQ[a.Question] = a
		}
		if _, ok := byQ["只有脚本"]; ok || len(as) != 3 {
			t.Errorf("articles after the import: %+v", as)
		}
		if vs, _ := h.KB.Versions(ctx, ten.TenantID, kept.ID); byQ["运费多少？"].Answer != "满99包邮" || len(vs) != 1 {
			t.Errorf("a refused row changed its article: %+v, %d versions", byQ["运费多少？"], len(vs))
		}
		pay, err := h.Rich.Get(ctx, ten.TenantID, byQ["怎么付款？"].ID)
		if err != nil || pay.Text != "点击这里付款" || !strings.HasPrefix(pay.HTML, "<p>") || len(pay.Images) != 0 {
			t.Fatalf("sanitized answer: %+v %v", pay, err)
		}
		for _, bad := range []string{"script", "javascript", "onclick", "alert", "<img"} {
			if strings.Contains(pay.HTML, bad) {
				t.Errorf("the stored answer keeps %q: %q", bad, pay.HTML)
			}
		}
		if plain, _ := h.Rich.Get(ctx, ten.TenantID, byQ["纯文本"].ID); plain.HTML != "" || plain.Text != "只有答案" {
			t.Errorf("a row without markup: %+v", plain)
		}
		storedSanitized(t, h, ten.TenantID)
	})
}

func csvOf(t *testing.T, rows [][]string) []byte {
	t.Helper()
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	if err := w.WriteAll(rows); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
