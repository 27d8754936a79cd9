// Package fields is the custom-field engine (自定义字段): the fields a
// tenant's admins define for a kind of record (customers now, tickets
// later), each with a type (text, number, date, single or multi select),
// a required flag and its options, and the validation of the values a
// record carries for them. Values travel as strings keyed by the field's
// key; a multi-select value is its options joined by commas.
package fields

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/store"
)

// Type is a field's kind of value.
type Type string

// The field types.
const (
	Text   Type = "text"
	Number Type = "number"
	Date   Type = "date"
	Select Type = "select"
	Multi  Type = "multi_select"
)

// Entity names the kind of record a field belongs to.
type Entity string

// The entities with custom fields.
const (
	Contact Entity = "contact"
	Ticket  Entity = "ticket"
)

// Field is one admin-defined field.
type Field struct {
	ID       string    `db:"id" json:"id"`
	TenantID string    `db:"tenant_id" json:"-"`
	Entity   Entity    `db:"entity" json:"entity"`
	Key      string    `db:"key" json:"key"`
	Label    string    `db:"label" json:"label"`
	Type     Type      `db:"type" json:"type"`
	Required bool      `db:"required" json:"required"`
	Options  []string  `db:"-" json:"options"`
	Position int       `db:"position" json:"position"`
	Created  time.Time `db:"created_at" json:"created_at"`
	RawOpts  string    `db:"options" json:"-"`
}

// IsSelect reports a single or multi select field.
func (f *Field) IsSelect() bool { return f.Type == Select || f.Type == Multi }

// Spec is what an admin sends to define or change a field; nil fields stay.
type Spec struct {
	Key      *string   `json:"key"`
	Label    *string   `json:"label"`
	Type     *Type     `json:"type"`
	Required *bool     `json:"required"`
	Options  *[]string `json:"options"`
	Position *int      `json:"position"`
}

// Limits of a definition.
const (
	MaxFields  = 50
	MaxOptions = 100
	maxText    = 1000
)

var keyShape = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)

// Store keeps the field definitions.
type Store struct{ k *store.Store }

// New returns the field store.
func New(k *store.Store) *Store { return &Store{k: k} }

const cols = `id, tenant_id, entity, key, label, type, required, options, position, created_at`

// List returns a tenant's fields of an entity, in their order.
func List(ctx context.Context, q store.Querier, tenantID string, e Entity) ([]Field, error) {
	out := []Field{}
	const sql = `SELECT ` + cols + ` FROM custom_fields WHERE tenant_id = ? AND entity = ? ORDER BY position, created_at, id`
	if err := q.Select(ctx, &out, sql, tenantID, string(e)); err != nil {
		return nil, fmt.Errorf("list custom fields: %w", err)
	}
	for i := range out {
		out[i].Options = []string{}
		_ = json.Unmarshal([]byte(out[i].RawOpts), &out[i].Options) // written by us
	}
	return out, nil
}

// List returns a tenant's fields of an entity.
func (s *Store) List(ctx context.Context, tenantID string, e Entity) ([]Field, error) {
	return List(ctx, s.k, tenantID, e)
}

// Create defines a field.
func (s *Store) Create(ctx context.Context, tenantID string, e Entity, sp Spec) (*Field, error) {
	if e != Contact && e != Ticket {
		return nil, hub.Invalid("entity must be contact or ticket")
	}
	f := &Field{ID: hub.NewID("cf"), TenantID: tenantID, Entity: e, Type: Text, Options: []string{}}
	if sp.Key == nil || sp.Label == nil {
		return nil, hub.Coded("field_spec", hub.Invalid("请填写字段标识和名称 (key and label are required)"))
	}
	if err := sp.apply(f); err != nil {
		return nil, err
	}
	err := s.k.Write(ctx, func(tx *store.Tx) error {
		var n int
		if err := tx.Get(ctx, &n, `SELECT COUNT(*) FROM custom_fields WHERE tenant_id = ? AND entity = ?`, tenantID, string(e)); err != nil {
			return fmt.Errorf("count custom fields: %w", err)
		}
		if n >= MaxFields {
			return hub.Invalid("最多 %d 个自定义字段 (at most %d custom fields)", MaxFields, MaxFields)
		}
		f.Created = tx.Now()
		opts, _ := json.Marshal(f.Options)
		const ins = `INSERT INTO custom_fields (` + cols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
		_, err := tx.Exec(ctx, ins, f.ID, tenantID, string(e), f.Key, f.Label, string(f.Type), f.Required, string(opts),
			f.Position, f.Created)
		if store.IsUnique(err) {
			return hub.Coded("field_key_taken", fmt.Errorf("字段标识 %q 已存在 (key %q is taken): %w", f.Key, f.Key, hub.ErrConflict),
				"key", f.Key)
		}
		if err != nil {
			return fmt.Errorf("insert custom field: %w", err)
		}
		return nil
	})
	return f, err
}

// Update changes a field. Its key and type stay (the values stored under
// them would no longer fit).
func (s *Store) Update(ctx context.Context, tenantID, id string, sp Spec) (*Field, error) {
	var f *Field
	err := s.k.Write(ctx, func(tx *store.Tx) error {
		var err error
		if f, err = get(ctx, tx, tenantID, id); err != nil {
			return err
		}
		if (sp.Key != nil && *sp.Key != f.Key) || (sp.Type != nil && *sp.Type != f.Type) {
			return hub.Invalid("字段标识和类型创建后不能修改 (a field's key and type cannot change)")
		}
		if err := sp.apply(f); err != nil {
			return err
		}
		opts, _ := json.Marshal(f.Options)
		const up = `UPDATE custom_fields SET label = ?, required = ?, options = ?, position = ? WHERE tenant_id = ? AND id = ?`
		if _, err := tx.Exec(ctx, up, f.Label, f.Required, string(opts), f.Position, tenantID, id); err != nil {
			return fmt.Errorf("update custom field: %w", err)
		}
		return nil
	})
	return f, err
}

// Delete removes a field's definition; the values records keep under its
// key stay (shown as plain extra fields) until the records are edited.
func (s *Store) Delete(ctx context.Context, tenantID, id string) error {
	n, err := s.k.Exec(ctx, `DELETE FROM custom_fields WHERE tenant_id = ? AND id = ?`, tenantID, id)
	if err != nil {
		return fmt.Errorf("delete custom field: %w", err)
	}
	if n == 0 {
		return fmt.Errorf("custom field %s: %w", id, hub.ErrNotFound)
	}
	return nil
}

func get(ctx context.Context, q store.Querier, tenantID, id string) (*Field, error) {
	var f Field
	if err := q.Get(ctx, &f, `SELECT `+cols+` FROM custom_fields WHERE tenant_id = ? AND id = ?`, tenantID, id); err != nil {
		if store.NoRows(err) {
			return nil, fmt.Errorf("custom field %s: %w", id, hub.ErrNotFound)
		}
		return nil, fmt.Errorf("get custom field: %w", err)
	}
	f.Options = []string{}
	_ = json.Unmarshal([]byte(f.RawOpts), &f.Options)
	return &f, nil
}

func (sp Spec) apply(f *Field) error {
	if sp.Key != nil {
		k := strings.TrimSpace(*sp.Key)
		if !keyShape.MatchString(k) {
			return hub.Coded("field_key", hub.Invalid("字段标识须为小写字母开头的字母、数字或下划线，最多 40 个字符 (key must match [a-z][a-z0-9_]{0,39})"))
		}
		f.Key = k
	}
	if sp.Label != nil {
		l := strings.TrimSpace(hub.Clean(*sp.Label))
		if n := utf8.RuneCountInString(l); n == 0 || n > 50 {
			return hub.Invalid("字段名称为 1 到 50 个字符 (label is 1 to 50 characters)")
		}
		f.Label = l
	}
	if sp.Type != nil {
		switch *sp.Type {
		case Text, Number, Date, Select, Multi:
			f.Type = *sp.Type
		default:
			return hub.Invalid("字段类型须为 text、number、date、select 或 multi_select (type must be text, number, date, select or multi_select)")
		}
	}
	if sp.Required != nil {
		f.Required = *sp.Required
	}
	if sp.Position != nil {
		f.Position = *sp.Position
	}
	if sp.Options != nil {
		opts, err := cleanOptions(*sp.Options)
		if err != nil {
			return err
		}
		f.Options = opts
	}
	if f.IsSelect() && len(f.Options) == 0 {
		return hub.Invalid("选择字段至少需要一个选项 (a select field needs options)")
	}
	if !f.IsSelect() {
		f.Options = []string{}
	}
	return nil
}

func cleanOptions(in []string) ([]string, error) {
	if len(in) > MaxOptions {
		return nil, hub.Invalid("最多 %d 个选项 (at most %d options)", MaxOptions, MaxOptions)
	}
	out := []string{}
	for _, o := range in {
		o = strings.TrimSpace(hub.Clean(o))
		if o == "" || slices.Contains(out, o) {
			continue
		}
		if strings.ContainsAny(o, ",，") || utf8.RuneCountInString(o) > 50 {
			return nil, hub.Invalid("选项 %q 不能含逗号，最多 50 个字符 (options hold no commas, 50 characters at most)", o)
		}
		out = append(out, o)
	}
	return out, nil
}

// FieldError is a value that does not fit its field: the 400 names the
// field (its key and label) and says why in Chinese first; problem
// (required, number, date, option, too_long) and kv (value, max) let the
// UI say it in the reader's language.
func FieldError(f *Field, problem, zh, en string, kv ...string) error {
	return hub.Coded("field_invalid", hub.Invalid("字段「%s」%s (field %s %s)", f.Label, zh, f.Key, en),
		append([]string{"field", f.Key, "label", f.Label, "problem", problem}, kv...)...)
}

// Check validates and normalizes the values a record carries for the
// defined fields: every required field has a value, numbers are numbers,
// dates are dates (2006-01-02), select values are among the options
// (multi-select ones joined by commas, each once). Keys no field defines
// are kept as they are (free-form values from before the fields existed).
// It returns the values to store.
func Check(defs []Field, values map[string]string) (map[string]string, error) {
	out := make(map[string]string, len(values))
	for k, v := range values {
		out[k] = v
	}
	for i := range defs {
		f := &defs[i]
		v, err := f.Normalize(out[f.Key])
		if err != nil {
			return nil, err
		}
		if v == "" {
			if f.Required {
				return nil, FieldError(f, "required", "为必填项", "is required")
			}
			delete(out, f.Key)
			continue
		}
		out[f.Key] = v
	}
	return out, nil
}

// Normalize validates one value of the field and returns its stored form
// ("" for no value).
func (f *Field) Normalize(v string) (string, error) {
	v = strings.TrimSpace(hub.Clean(v))
	if v == "" {
		return "", nil
	}
	switch f.Type {
	case Number:
		n, err := strconv.ParseFloat(v, 64)
		if err != nil || len(v) > 40 {
			return "", FieldError(f, "number", "必须是数字", "must be a number")
		}
		return strconv.FormatFloat(n, 'f', -1, 64), nil
	case Date:
		d, err := time.Parse("2006-1-2", strings.ReplaceAll(v, "/", "-"))
		if err != nil {
			return "", FieldError(f, "date", "必须是日期（如 2026-01-31）", "must be a date (2006-01-02)")
		}
		return d.Format(time.DateOnly), nil
	case Select:
		if !slices.Contains(f.Options, v) {
			return "", FieldError(f, "option", fmt.Sprintf("的值“%s”不在选项中", v), fmt.Sprintf("has no option %q", v), "value", v)
		}
		return v, nil
	case Multi:
		var picked []string
		for _, p := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == '，' }) {
			p = strings.TrimSpace(p)
			if p == "" || slices.Contains(picked, p) {
				continue
			}
			if !slices.Contains(f.Options, p) {
				return "", FieldError(f, "option", fmt.Sprintf("的值“%s”不在选项中", p), fmt.Sprintf("has no option %q", p), "value", p)
			}
			picked = append(picked, p)
		}
		return strings.Join(picked, ","), nil
	}
	if utf8.RuneCountInString(v) > maxText {
		return "", FieldError(f, "too_long", fmt.Sprintf("最多 %d 个字符", maxText), fmt.Sprintf("is at most %d characters", maxText), "max", strconv.Itoa(maxText))
	}
	return v, nil
}

// Find returns the field with a key (nil: none).
func Find(defs []Field, key string) *Field {
	for i := range defs {
		if defs[i].Key == key {
			return &defs[i]
		}
	}
	return nil
}

// Rules checks the values of one entity's records against the tenant's
// fields of that entity, in the caller's transaction (the tickets store
// takes it, knowing nothing of this package).
type Rules struct{ Entity Entity }

// Check applies a change (keys to values, "" clears one) to a record's
// values and returns the values to store (see Check). The change may name
// only defined fields; values kept under the key of a field since deleted
// stay. terms are, per field, the values an equality filter finds the
// record by: the value, or each option of a multi select.
func (r Rules) Check(ctx context.Context, q store.Querier, tenantID string, values, change map[string]string) (
	out map[string]string, terms map[string][]string, err error) {
	defs, err := List(ctx, q, tenantID, r.Entity)
	if err != nil {
		return nil, nil, err
	}
	out = make(map[string]string, len(values)+len(change))
	for k, v := range values {
		out[k] = v
	}
	for k, v := range change {
		if Find(defs, k) == nil {
			return nil, nil, hub.Coded("field_unknown", hub.Invalid("没有标识为 %q 的自定义字段 (no custom field %q)", k, k), "field", k)
		}
		out[k] = v
	}
	if out, err = Check(defs, out); err != nil {
		return nil, nil, err
	}
	terms = make(map[string][]string, len(out))
	for k, v := range out {
		if f := Find(defs, k); f != nil && f.Type == Multi {
			terms[k] = strings.Split(v, ",")
		} else {
			terms[k] = []string{v}
		}
	}
	return out, terms, nil
}

// Required returns the keys and labels of the tenant's required fields of
// the entity, in their order (a record made without a form, such as a
// ticket from an offline message, is checked against them later).
func (r Rules) Required(ctx context.Context, q store.Querier, tenantID string) (keys, labels []string, err error) {
	defs, err := List(ctx, q, tenantID, r.Entity)
	if err != nil {
		return nil, nil, err
	}
	for _, f := range defs {
		if f.Required {
			keys, labels = append(keys, f.Key), append(labels, f.Label)
		}
	}
	return keys, labels, nil
}
