package contacts

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/channels"
	"github.com/kefu-hub/kefu/hub/fields"
	"github.com/kefu-hub/kefu/hub/sheet"
	"github.com/kefu-hub/kefu/hub/store"
)

// Import and export of the customer list as a spreadsheet (CSV or XLSX).
// The columns are the card's, by their Chinese names (English ones are read
// too), then one per custom field by its label (or key). An export reads
// back as an import: its id, created and next follow-up columns are skipped.

// column is one card column of the sheet.
type column struct {
	zh, en string
	set    func(p *Patch, v string)
	get    func(c *Card) string
}

var columns = []column{
	{"姓名", "name", func(p *Patch, v string) { p.Name = &v }, func(c *Card) string { return c.Name }},
	{"电话", "phone", func(p *Patch, v string) { p.Phone = &v }, func(c *Card) string { return c.Phone }},
	{"邮箱", "email", func(p *Patch, v string) { p.Email = &v }, func(c *Card) string { return c.Email }},
	{"公司", "company", func(p *Patch, v string) { p.Company = &v }, func(c *Card) string { return c.Company }},
	{"QQ", "qq", func(p *Patch, v string) { p.QQ = &v }, func(c *Card) string { return c.QQ }},
	{"微信", "wechat", func(p *Patch, v string) { p.WeChat = &v }, func(c *Card) string { return c.WeChat }},
	{"标签", "tags", func(p *Patch, v string) {
		t := strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == '，' || r == '|' })
		p.Tags = &t
	}, func(c *Card) string { return strings.Join(c.Tags, ",") }},
	{"备注", "notes", func(p *Patch, v string) { p.Notes = &v }, func(c *Card) string { return c.Notes }},
}

// Columns an export writes that an import skips.
const (
	colID       = "ID"
	colOwner    = "负责人"
	colNext     = "下次跟进"
	colCreated  = "创建时间"
	maxImport   = 10_000
	maxExport   = 50_000
	exportBatch = 200
)

// RowError is one reason a row cannot be imported: its row number in the
// sheet (the header is row 1), the column and why.
type RowError struct {
	Row    int    `json:"row"`
	Column string `json:"column"`
	Reason string `json:"reason"`
}

// ImportReport says what an import did, or on a dry run would do.
type ImportReport struct {
	DryRun    bool       `json:"dry_run"`
	Rows      int        `json:"rows"`
	Created   int        `json:"created"`
	Committed bool       `json:"committed"`
	Errors    []RowError `json:"errors"`
}

// ErrNoRows is a sheet with a header and nothing under it, or nothing.
var ErrNoRows = hub.Invalid("表格中没有客户数据 (the sheet has no customer rows)")

// Import reads a customer sheet. Every row is checked (the card's limits,
// the custom fields' types and required ones, the owner's e-mail) and each
// problem reported with its row and column; a dry run stops there. Without
// one, the customers are created together, owned by the importing agent
// unless the owner column names another — or, when any row has a problem,
// none is (Committed false).
func (s *Store) Import(ctx context.Context, a *hub.Agent, r io.Reader, f sheet.Format, dryRun bool) (*ImportReport, error) {
	rows, err := sheet.Read(r, f, maxImport)
	switch {
	case errors.Is(err, sheet.ErrTooMany):
		return nil, hub.Invalid("一次最多导入 %d 行 (at most %d rows per import)", maxImport, maxImport)
	case errors.Is(err, sheet.ErrUnreadable):
		return nil, hub.Coded("sheet_unreadable", hub.Invalid("无法读取表格，请上传 CSV 或 XLSX 文件 (%s)", err.Error()))
	case err != nil:
		return nil, err
	}
	if len(rows) < 2 {
		return nil, ErrNoRows
	}
	defs, err := fields.List(ctx, s.k, a.TenantID, fields.Contact)
	if err != nil {
		return nil, err
	}
	owners, err := agentEmails(ctx, s.k, a.TenantID)
	if err != nil {
		return nil, err
	}
	rep := &ImportReport{DryRun: dryRun, Rows: len(rows) - 1, Errors: []RowError{}}
	setters, errs := header(rows[0], defs, owners)
	rep.Errors = append(rep.Errors, errs...)
	patches := make([]Patch, 0, len(rows)-1)
	for i, row := range rows[1:] {
		n := i + 2
		p := Patch{Custom: &map[string]string{}}
		var bad []RowError
		for j, cell := range row {
			if j < len(setters) && setters[j] != nil {
				if err := setters[j](&p, strings.TrimSpace(cell)); err != nil {
					bad = append(bad, RowError{Row: n, Column: rows[0][j], Reason: err.Error()})
				}
			}
		}
		bad = append(bad, checkRow(n, p, defs)...)
		rep.Errors = append(rep.Errors, bad...)
		patches = append(patches, p)
	}
	if dryRun || len(rep.Errors) > 0 {
		return rep, nil
	}
	err = s.k.Write(ctx, func(tx *store.Tx) error {
		ch, err := channels.EnsureManual(ctx, tx, a.TenantID)
		if err != nil {
			return err
		}
		for i := range patches {
			if patches[i].OwnerID == nil {
				patches[i].OwnerID = &a.ID
			}
			if _, err := insertManual(ctx, tx, a.TenantID, ch, patches[i]); err != nil {
				return fmt.Errorf("row %d: %w", i+2, err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	rep.Created, rep.Committed = len(patches), true
	return rep, nil
}

// header maps each column of the header row to what sets it; unknown
// columns are reported (row 1).
func header(h []string, defs []fields.Field, owners map[string]string) ([]func(*Patch, string) error, []RowError) {
	out := make([]func(*Patch, string) error, len(h))
	var errs []RowError
	seen := map[string]bool{}
	for j, name := range h {
		name = strings.TrimSpace(strings.TrimPrefix(name, "\uFEFF"))
		key := strings.ToLower(name)
		if seen[key] {
			errs = append(errs, RowError{Row: 1, Column: name, Reason: "列重复 (the column appears twice)"})
			continue
		}
		seen[key] = true
		if out[j] = cardColumn(name, owners); out[j] != nil {
			continue
		}
		switch name {
		case colID, colNext, colCreated, "":
			continue
		}
		for i := range defs {
			d := &defs[i]
			if name == d.Label || key == d.Key {
				out[j] = func(p *Patch, v string) error { (*p.Custom)[d.Key] = v; return nil }
			}
		}
		if out[j] == nil {
			errs = append(errs, RowError{Row: 1, Column: name, Reason: "未知的列 (unknown column)"})
		}
	}
	return out, errs
}

func cardColumn(name string, owners map[string]string) func(*Patch, string) error {
	for _, c := range columns {
		if name == c.zh || strings.EqualFold(name, c.en) {
			return func(p *Patch, v string) error { c.set(p, v); return nil }
		}
	}
	if name == colOwner || strings.EqualFold(name, "owner") {
		return func(p *Patch, v string) error {
			if v == "" {
				return nil
			}
			id, ok := owners[strings.ToLower(v)]
			if !ok {
				return fmt.Errorf("负责人 %q 不是本企业的客服邮箱 (no agent has that e-mail)", v)
			}
			p.OwnerID = &id
			return nil
		}
	}
	return nil
}

// checkRow applies a row's patch to a blank card, as Create would, and
// reports what it refuses.
func checkRow(n int, p Patch, defs []fields.Field) []RowError {
	c := &Card{Custom: map[string]string{}, Tags: []string{}}
	if err := p.apply(c); err != nil {
		return []RowError{{Row: n, Column: "", Reason: err.Error()}}
	}
	var out []RowError
	if c.Name == "" && c.Phone == "" && c.Email == "" {
		out = append(out, RowError{Row: n, Column: "姓名", Reason: "请填写姓名、电话或邮箱 (name, phone or email is required)"})
	}
	for i := range defs {
		d := &defs[i]
		v, err := d.Normalize(c.Custom[d.Key])
		if err == nil && v == "" && d.Required {
			err = fields.FieldError(d, "required", "为必填项", "is required")
		}
		if err != nil {
			out = append(out, RowError{Row: n, Column: d.Label, Reason: err.Error()})
		}
	}
	return out
}

// agentEmails maps a tenant's active agents' e-mails (lower case) to ids.
func agentEmails(ctx context.Context, q store.Querier, tenantID string) (map[string]string, error) {
	var as []struct {
		ID    string `db:"id"`
		Email string `db:"email"`
	}
	if err := q.Select(ctx, &as, `SELECT id, email FROM agents WHERE tenant_id = ? AND disabled = FALSE`, tenantID); err != nil {
		return nil, fmt.Errorf("list agents: %w", err)
	}
	out := map[string]string{}
	for _, a := range as {
		out[strings.ToLower(a.Email)] = a.ID
	}
	return out, nil
}

// insertManual stores one contact entered by hand (or imported) on the
// tenant's manual channel and applies its card.
func insertManual(ctx context.Context, tx *store.Tx, tenantID, channelID string, p Patch) (*Card, error) {
	id, now := hub.NewID("ct"), tx.Now()
	const ins = `INSERT INTO contacts (id, tenant_id, channel_id, external_id, name, email, phone, created_at, updated_at, source)
		VALUES (?, ?, ?, ?, '', '', '', ?, ?, 'manual')`
	if _, err := tx.Exec(ctx, ins, id, tenantID, channelID, id, now, now); err != nil {
		return nil, fmt.Errorf("insert contact: %w", err)
	}
	return updateCard(ctx, tx, tenantID, id, p, true)
}

// Export writes the customers an agent may see that match q (paging and
// sort from q ignored; at most 50,000) as a sheet. CSV cells a spreadsheet
// would run as formulas are defused.
func (s *Store) Export(ctx context.Context, a *hub.Agent, q Query, w io.Writer, f sheet.Format) error {
	defs, err := fields.List(ctx, s.k, a.TenantID, fields.Contact)
	if err != nil {
		return err
	}
	emails, err := agentEmails(ctx, s.k, a.TenantID)
	if err != nil {
		return err
	}
	byID := map[string]string{}
	for e, id := range emails {
		byID[id] = e
	}
	head := []string{colID}
	for _, c := range columns {
		head = append(head, c.zh)
	}
	head = append(head, colOwner)
	for _, d := range defs {
		head = append(head, d.Label)
	}
	head = append(head, colNext, colCreated)
	var rows [][]string
	q.Limit, q.Offset = exportBatch, 0
	for len(rows) < maxExport {
		p, err := s.Search(ctx, a, q)
		if err != nil {
			return err
		}
		if err := s.handles(ctx, p.Contacts); err != nil {
			return err
		}
		for i := range p.Contacts {
			rows = append(rows, exportRow(&p.Contacts[i], defs, byID))
		}
		if !p.More {
			break
		}
		q.Offset += exportBatch
	}
	return sheet.Write(w, f, head, rows)
}

func exportRow(c *Card, defs []fields.Field, owners map[string]string) []string {
	r := []string{c.ID}
	for _, col := range columns {
		r = append(r, col.get(c))
	}
	owner := ""
	if c.OwnerID != nil {
		owner = owners[*c.OwnerID]
	}
	r = append(r, owner)
	for _, d := range defs {
		r = append(r, c.Custom[d.Key])
	}
	next := ""
	if c.NextFollowUp != nil {
		next = c.NextFollowUp.UTC().Format(time.RFC3339)
	}
	return append(r, next, c.CreatedAt.UTC().Format(time.RFC3339))
}

// handles fills the QQ and WeChat handles of a page of cards.
func (s *Store) handles(ctx context.Context, cs []Card) error {
	if len(cs) == 0 {
		return nil
	}
	ids := make([]string, len(cs))
	at := map[string]*Card{}
	for i := range cs {
		ids[i], at[cs[i].ID] = cs[i].ID, &cs[i]
	}
	var hs []struct {
		ContactID string `db:"contact_id"`
		Platform  string `db:"platform"`
		Handle    string `db:"handle"`
	}
	if err := s.k.SelectIn(ctx, &hs, `SELECT contact_id, platform, handle FROM contact_handles WHERE contact_id IN (?)`, ids); err != nil {
		return fmt.Errorf("contact handles: %w", err)
	}
	for _, h := range hs {
		switch h.Platform {
		case HandleQQ:
			at[h.ContactID].QQ = h.Handle
		case HandleWeChat:
			at[h.ContactID].WeChat = h.Handle
		}
	}
	return nil
}
