package richanswers

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/kb"
	"github.com/kefu-hub/kefu/hub/sheet"
)

// Column is the sheet column of the rich answers: the sanitized markup,
// the limited HTML the editor keeps (<p>, <strong>, <ul>/<li>, <a href>,
// <img src> …), which a spreadsheet shows as text to edit.
const Column = "富文本答案"

// columnAliases are the header names an import also takes.
var columnAliases = []string{"rich_answer", "rich", "html", "富文本"}

// Export writes the knowledge base's sheet (kb.Export) with the rich
// answers in their column (empty for a plain article), as stored: every
// way in (the editor, an import, a restore) stores sanitized markup.
func (s *Store) Export(ctx context.Context, tenantID string, f sheet.Format, out io.Writer) error {
	var rows []struct {
		ArticleID string `db:"article_id"`
		row
	}
	const q = `SELECT article_id, html, text, updated_at FROM kb_rich_answers WHERE tenant_id = ?`
	if err := s.k.Select(ctx, &rows, q, tenantID); err != nil {
		return fmt.Errorf("read rich answers: %w", err)
	}
	byID := make(map[string]row, len(rows))
	for _, r := range rows {
		byID[r.ArticleID] = r.row
	}
	cell := func(a kb.Article) string {
		if r, ok := byID[a.ID]; ok && r.Text == a.Answer {
			return r.HTML // sanitized when saved (prepare)
		}
		return ""
	}
	return s.kb.Export(ctx, tenantID, f, out, kb.Column{Name: Column, Cell: cell})
}

// Import imports a CSV or XLSX sheet (kb.Import); a row's 富文本答案 is
// sanitized as the editor's is and becomes the article's rich answer, its
// text the answer. A row whose markup cannot be an answer, or whose 答案
// says something else than the markup's text, is refused with the reason,
// and nothing of it stored.
func (s *Store) Import(ctx context.Context, tenantID string, data []byte, f sheet.Format, o kb.ImportOptions) (kb.ImportResult, error) {
	read := func(cell string, p *kb.Patch) error {
		doc, err := s.prepare(ctx, tenantID, cell)
		if err != nil {
			return err
		}
		if p.Answer != nil && *p.Answer != "" && !sameText(*p.Answer, doc.Text) {
			return hub.BadField("rich_mismatch", "html",
				"答案与富文本答案的文字不一致（只改其中一列；要纯文本答案请清空富文本答案） (the answer differs from the rich answer's text)")
		}
		p.Answer, p.Hook = &doc.Text, keeper(tenantID, doc.HTML)
		return nil
	}
	o.Columns = append(o.Columns, kb.Column{Name: Column, Aliases: columnAliases, Row: read})
	return s.kb.Import(ctx, tenantID, data, f, o)
}

// sameText compares an answer cell with a markup's text, whatever the
// spreadsheet did to the spaces and line ends.
func sameText(a, b string) bool {
	return strings.Join(strings.Fields(a), "") == strings.Join(strings.Fields(b), "")
}
