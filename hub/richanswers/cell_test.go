package richanswers_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/hubtest"
	"github.com/kefu-hub/kefu/hub/kb"
	"github.com/kefu-hub/kefu/hub/sheet"
)

// bolds is a rich answer of n bold characters: 18 characters of markup
// each, 20 bytes, one character of text.
func bolds(n int) string { return "<p>" + strings.Repeat("<strong>运</strong>", n) + "</p>" }

// TestRichAnswerFitsACell: a spreadsheet cell holds at most 32,767
// characters (Excel; excelize cuts a longer one without a word), so a rich
// answer is at most that long: one near the limit goes through a real
// XLSX export and import whole, one past it is refused when saved (under
// the 50,000-byte limit all the same), and an XLSX export of one saved
// longer before (CSV holds it) is refused naming the article rather than
// cut. Both dialects.
func TestRichAnswerFitsACell(t *testing.T) {
	hubtest.Each(t, func(t *testing.T, h *hubtest.Hub) {
		ctx := t.Context()
		admin, a := newArticle(t, h, "发什么快递？", "顺丰")
		fit, over := bolds(1800), bolds(1830)
		if sheet.CellLen(fit) > sheet.MaxCell || sheet.CellLen(over) <= sheet.MaxCell || len(over) > 50000 {
			t.Fatalf("markup of %d and %d characters", sheet.CellLen(fit), sheet.CellLen(over))
		}
		want, err := h.Rich.Set(ctx, admin.TenantID, admin.ID, a.ID, fit)
		if err != nil || want.HTML != fit {
			t.Fatalf("near the limit: %d characters kept, %v", len(want.HTML), err)
		}
		var out bytes.Buffer
		if err := h.Rich.Export(ctx, admin.TenantID, sheet.XLSX, &out); err != nil {
			t.Fatal(err)
		}
		rows, err := sheet.Read(bytes.NewReader(out.Bytes()), sheet.XLSX, 10)
		if err != nil || len(rows) != 2 || len(rows[1]) != 7 || rows[1][6] != want.HTML {
			t.Fatalf("the XLSX cell holds %d of %d characters: %v", len(rows[1][6]), len(want.HTML), err)
		}
		if _, err := h.KB.Update(ctx, admin.TenantID, a.ID, kb.Patch{Answer: ptr("顺丰")}); err != nil {
			t.Fatal(err)
		}
		res, err := h.Rich.Import(ctx, admin.TenantID, out.Bytes(), sheet.XLSX, kb.ImportOptions{By: admin.ID})
		if err != nil || res.Updated != 1 || len(res.Errors) != 0 {
			t.Fatalf("import: %+v %v", res, err)
		}
		if got, err := h.Rich.Get(ctx, admin.TenantID, a.ID); err != nil || got.HTML != want.HTML || got.Text != want.Text {
			t.Fatalf("after the round trip: %d characters, %v", len(got.HTML), err)
		}

		_, err = h.Rich.Set(ctx, admin.TenantID, admin.ID, a.ID, over)
		var coded *hub.CodedError
		if !errors.As(err, &coded) || coded.Code != "input_too_long" || coded.Params["max"] != "32767" || !errors.As(err, new(*hub.InvalidError)) {
			t.Fatalf("past a cell's limit: %v", err)
		}
		if got, _ := h.Rich.Get(ctx, admin.TenantID, a.ID); got.HTML != want.HTML {
			t.Fatalf("the refused save changed the rich answer (%d characters)", len(got.HTML))
		}

		// Saved before the limit: the XLSX export refuses it, the CSV keeps it whole.
		if _, err := h.K.Exec(ctx, `UPDATE kb_rich_answers SET html = ? WHERE article_id = ?`, over, a.ID); err != nil {
			t.Fatal(err)
		}
		err = h.Rich.Export(ctx, admin.TenantID, sheet.XLSX, new(bytes.Buffer))
		if !errors.As(err, &coded) || coded.Code != "sheet_cell_too_long" || coded.Params["question"] != "发什么快递？" ||
			coded.Params["column"] != "富文本答案" || !errors.Is(err, hub.ErrConflict) {
			t.Errorf("an XLSX export of a longer rich answer: %v", err)
		}
		out.Reset()
		if err := h.Rich.Export(ctx, admin.TenantID, sheet.CSV, &out); err != nil || !strings.Contains(out.String(), over) {
			t.Errorf("the CSV export: %v", err)
		}
	})
}
