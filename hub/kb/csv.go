package kb

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/sheet"
	"github.com/kefu-hub/kefu/hub/store"
)

// CSV columns of an export and an import (Excel opens the UTF-8 file with
// its byte-order mark); lists are separated by "|".
var csvHeader = []string{"标准问题", "相似问法", "答案", "分类", "标签", "启用"}

// csvAliases are the header names an import also takes (English, and the
// export's own).
var csvAliases = map[string]int{
	"标准问题": 0, "问题": 0, "question": 0,
	"相似问法": 1, "相似问题": 1, "similar": 1,
	"答案": 2, "answer": 2,
	"分类": 3, "category": 3,
	"标签": 4, "tags": 4,
	"启用": 5, "enabled": 5,
}

// Import limits.
const (
	MaxImportBytes = 5 << 20
	maxImportRows  = 5000
)

// Column is a column of the sheet another package keeps (the rich
// answer), after the knowledge base's own: Cell is an article's cell in an
// export; Row reads a row's non-empty cell on import, before the row is
// stored (it may set the patch's answer and hook, or refuse the row with
// a hub.InvalidError).
type Column struct {
	Name    string
	Aliases []string // lower case
	Cell    func(Article) string
	Row     func(cell string, p *Patch) error
}

// Export writes a tenant's articles as a CSV (UTF-8 with a BOM; cells a
// spreadsheet would run as a formula get a leading apostrophe, which an
// import takes off again) or XLSX sheet (cells always text), with the
// extra columns. An XLSX export with a cell longer than a spreadsheet cell
// holds is refused (a conflict naming the article), never cut.
func (s *Store) Export(ctx context.Context, tenantID string, f sheet.Format, out io.Writer, extra ...Column) error {
	as, err := s.all(ctx, tenantID)
	if err != nil {
		return err
	}
	rows := make([][]string, len(as))
	for i, a := range as {
		on := "是"
		if !a.Enabled {
			on = "否"
		}
		rows[i] = []string{a.Question, strings.Join(a.Similar, "|"), a.Answer, a.Category, strings.Join(a.Tags, "|"), on}
		for _, c := range extra {
			rows[i] = append(rows[i], c.Cell(a))
		}
	}
	head := csvHeader[:len(csvHeader):len(csvHeader)]
	for _, c := range extra {
		head = append(head, c.Name)
	}
	var long *sheet.TooLongError
	if err := sheet.Write(out, f, head, rows); errors.As(err, &long) {
		return hub.Coded("sheet_cell_too_long", fmt.Errorf("%w: article %q: %s: %w", hub.ErrConflict, as[long.Row].Question, head[long.Col], err),
			"question", as[long.Row].Question, "column", head[long.Col], "max", strconv.Itoa(sheet.MaxCell))
	} else if err != nil {
		return fmt.Errorf("write kb export: %w", err)
	}
	return nil
}

// ExportCSV writes the articles as CSV (see Export).
func (s *Store) ExportCSV(ctx context.Context, tenantID string, out io.Writer) error {
	return s.Export(ctx, tenantID, sheet.CSV, out)
}

// RowError is a row an import skipped, and why (row 1 is the header).
type RowError struct {
	Row     int    `json:"row"`
	Message string `json:"message"`
	// Reason and Params: the stable reason of the refusal, when it has
	// one (hub.CodedError), which the UI words in the reader's language.
	Reason string            `json:"reason,omitempty"`
	Params map[string]string `json:"params,omitempty"`
}

// ImportResult is what an import did (or, in a dry run, would do).
type ImportResult struct {
	Created int        `json:"created"`
	Updated int        `json:"updated"`
	Errors  []RowError `json:"errors"`
	DryRun  bool       `json:"dry_run"`
}

// ImportOptions are how an import runs: a dry run checks every row and
// reports what it would create and update, changing nothing; By is the
// agent importing (recorded in the versions); Columns are read after the
// knowledge base's own.
type ImportOptions struct {
	DryRun  bool
	By      string
	Columns []Column
}

// errDryRun rolls a dry run's transaction back.
var errDryRun = errors.New("dry run")

// ImportCSV imports a CSV file (see Import).
func (s *Store) ImportCSV(ctx context.Context, tenantID string, data []byte) (ImportResult, error) {
	return s.Import(ctx, tenantID, data, sheet.CSV, ImportOptions{})
}

// Import adds the rows of a CSV or XLSX sheet as articles, or updates the
// article with the same standard question (upsert), in one transaction;
// rows that are not valid are skipped and reported with their number.
func (s *Store) Import(ctx context.Context, tenantID string, data []byte, f sheet.Format, o ImportOptions) (ImportResult, error) {
	res := ImportResult{Errors: []RowError{}}
	rows, err := parseSheet(data, f, o.Columns)
	if err != nil {
		return res, err
	}
	an, err := s.analyzer(ctx, tenantID)
	if err != nil {
		return res, err
	}
	var ids []string // the articles made or changed
	err = s.k.Write(ctx, func(tx *store.Tx) error {
		res, ids = ImportResult{Errors: []RowError{}}, nil
		var existing []row
		if err := tx.Select(ctx, &existing, `SELECT `+cols+` FROM kb_articles WHERE tenant_id = ?`+s.k.ForUpdate(), tenantID); err != nil {
			return fmt.Errorf("read kb articles: %w", err)
		}
		byQ := make(map[string]Article, len(existing))
		for _, r := range existing {
			byQ[r.Question] = r.article()
		}
		for _, r := range rows {
			id, created, err := "", false, r.err
			if err == nil {
				r.p.By = o.By
				id, created, err = s.upsert(ctx, tx, an, tenantID, byQ, r.p)
			}
			var inv *hub.InvalidError
			var coded *hub.CodedError
			switch {
			case errors.As(err, &coded) && errors.As(err, &inv):
				res.Errors = append(res.Errors, RowError{Row: r.n, Message: inv.Msg, Reason: coded.Code, Params: coded.Params})
			case errors.As(err, &inv):
				res.Errors = append(res.Errors, RowError{Row: r.n, Message: inv.Msg})
			case err != nil:
				return err
			case created:
				res.Created++
				ids = append(ids, id)
			default:
				res.Updated++
				ids = append(ids, id)
			}
		}
		if o.DryRun {
			return errDryRun
		}
		if res.Created+res.Updated == 0 {
			return nil
		}
		return bump(ctx, tx, tenantID, ids...)
	})
	if errors.Is(err, errDryRun) {
		err = nil
	} else if err == nil && len(ids) > 0 {
		s.refresh(ctx, tenantID)
	}
	res.DryRun = o.DryRun
	return res, err
}

// upsert stores one imported row: a new article, or the one with its
// standard question changed; it returns the article's id and whether it is new.
func (s *Store) upsert(ctx context.Context, tx *store.Tx, an *analyzer, tenantID string, byQ map[string]Article, p Patch) (string, bool, error) {
	now := tx.Now()
	a, ok := byQ[oneLine(*p.Question)]
	prev := a
	if !ok {
		a = Article{ID: hub.NewID("kb"), Enabled: true, CreatedAt: now}
	}
	a.UpdatedAt = now
	if err := p.apply(&a); err != nil {
		return "", false, err
	}
	if ok {
		const q = `UPDATE kb_articles SET similar_questions = ?, answer = ?, category = ?, tags = ?, enabled = ?,
			updated_at = ? WHERE tenant_id = ? AND id = ?`
		if _, err := tx.Exec(ctx, q, encodeList(a.Similar), a.Answer, a.Category, encodeList(a.Tags), a.Enabled, now,
			tenantID, a.ID); err != nil {
			return "", false, fmt.Errorf("update kb article: %w", err)
		}
	} else {
		const q = `INSERT INTO kb_articles (` + cols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
		if _, err := tx.Exec(ctx, q, a.ID, tenantID, a.Question, encodeList(a.Similar), a.Answer, a.Category,
			encodeList(a.Tags), encodeList(a.Channels), a.Enabled, a.ValidFrom, a.ValidTo, now, now); err != nil {
			return "", false, fmt.Errorf("insert kb article: %w", err)
		}
	}
	byQ[a.Question] = a
	if err := s.putSearch(ctx, tx, an, tenantID, a); err != nil {
		return "", false, err
	}
	var was *Article
	if ok {
		was = &prev
	}
	return a.ID, !ok, saveVersion(ctx, tx, tenantID, was, a, actionImport, p)
}

// csvRow is one data row of an import: the article patch, or why not.
type csvRow struct {
	n   int
	p   Patch
	err error
}

// parseCSV reads an import: a header row naming the columns (any order,
// 标准问题 and 答案 or an extra column required), then one article per row.
func parseCSV(data []byte, extra []Column) ([]csvRow, error) {
	if len(data) > MaxImportBytes {
		return nil, hub.Invalid("文件超过 %d MB", MaxImportBytes>>20)
	}
	data = bytes.TrimPrefix(data, []byte("\uFEFF"))
	if !utf8.Valid(data) {
		return nil, hub.Invalid("文件须为 UTF-8 编码的 CSV（Excel 请选择“CSV UTF-8”格式保存）")
	}
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	head, err := r.Read()
	if err != nil {
		return nil, hub.Invalid("无法读取表头：%v", err)
	}
	col, err := header(head, extra)
	if err != nil {
		return nil, err
	}
	var out []csvRow
	for n := 2; ; n++ {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if len(out) >= maxImportRows {
			return nil, hub.Invalid("一次最多导入 %d 条", maxImportRows)
		}
		if err != nil {
			out = append(out, csvRow{n: n, err: hub.Invalid("无法解析：%v", err)})
			continue
		}
		if blank(rec) {
			continue
		}
		out = append(out, rowPatch(n, rec, col, extra))
	}
	return out, nil
}

// parseSheet reads an import in either format: CSV row by row (a row
// that cannot be parsed is reported, the others kept), XLSX through sheet.
func parseSheet(data []byte, f sheet.Format, extra []Column) ([]csvRow, error) {
	if f != sheet.XLSX {
		return parseCSV(data, extra)
	}
	if len(data) > MaxImportBytes {
		return nil, hub.Invalid("文件超过 %d MB", MaxImportBytes>>20)
	}
	recs, err := sheet.Read(bytes.NewReader(data), f, maxImportRows)
	switch {
	case errors.Is(err, sheet.ErrTooMany):
		return nil, hub.Invalid("一次最多导入 %d 条", maxImportRows)
	case err != nil:
		return nil, hub.Invalid("无法读取 Excel 文件（须为 .xlsx）")
	case len(recs) == 0:
		return nil, hub.Invalid("无法读取表头：文件是空的")
	}
	col, err := header(recs[0], extra)
	if err != nil {
		return nil, err
	}
	var out []csvRow
	for i, rec := range recs[1:] {
		if !blank(rec) {
			out = append(out, rowPatch(i+2, rec, col, extra))
		}
	}
	return out, nil
}

// header maps a header row's fields to the columns (标准问题 required,
// and 答案 or an extra column); extra column j is column len(csvHeader)+j.
func header(head []string, extra []Column) (map[int]int, error) {
	col, extras := map[int]int{}, false // field index → column
	for i, h := range head {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\uFEFF")))
		if c, ok := csvAliases[h]; ok {
			col[i] = c
		}
		for j, e := range extra {
			if h == strings.ToLower(e.Name) || slices.Contains(e.Aliases, h) {
				col[i], extras = len(csvHeader)+j, true
			}
		}
	}
	if !hasCol(col, 0) || (!hasCol(col, 2) && !extras) {
		return nil, hub.Invalid("表头须包含“标准问题”和“答案”列")
	}
	return col, nil
}

func hasCol(col map[int]int, c int) bool {
	for _, v := range col {
		if v == c {
			return true
		}
	}
	return false
}

func blank(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

// rowPatch turns one record into an article patch, the extra columns'
// cells read last.
func rowPatch(n int, rec []string, col map[int]int, extra []Column) csvRow {
	f := make([]string, len(csvHeader)+len(extra))
	for i, v := range rec {
		if c, ok := col[i]; ok {
			f[c] = sheet.Restore(strings.TrimSpace(v))
		}
	}
	split := func(s string) []string { return strings.Split(s, "|") }
	p := Patch{Question: &f[0], Answer: &f[2], Category: &f[3]}
	similar, tags := split(f[1]), split(f[4])
	p.Similar, p.Tags = &similar, &tags
	switch strings.ToLower(f[5]) {
	case "", "是", "true", "1", "yes", "y", "启用":
		on := true
		p.Enabled = &on
	case "否", "false", "0", "no", "n", "停用":
		off := false
		p.Enabled = &off
	default:
		return csvRow{n: n, err: hub.Invalid("“启用”须为 是 或 否")}
	}
	if f[0] == "" {
		return csvRow{n: n, err: hub.Invalid("标准问题不能为空")}
	}
	for j, c := range extra {
		if cell := f[len(csvHeader)+j]; cell != "" {
			if err := c.Row(cell, &p); err != nil {
				return csvRow{n: n, err: err}
			}
		}
	}
	if *p.Answer == "" {
		return csvRow{n: n, err: hub.Invalid("答案不能为空")}
	}
	return csvRow{n: n, p: p}
}
