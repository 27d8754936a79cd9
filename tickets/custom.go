package tickets

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/store"
)

// FieldRules checks a ticket's custom-field values against the tenant's
// ticket fields (hub/fields provides it): values are a ticket's current
// values, change the keys an agent sets ("" clears one); it returns the
// values to store and, per field, the values the list's filter finds the
// ticket by (each option of a multi select), or an error naming the field.
type FieldRules interface {
	Check(ctx context.Context, q store.Querier, tenantID string, values, change map[string]string) (
		map[string]string, map[string][]string, error)
	// Required returns the keys and labels of the required ticket fields.
	Required(ctx context.Context, q store.Querier, tenantID string) (keys, labels []string, err error)
}

// Limits of a change of custom-field values; the longest value indexed
// as it is (a longer one, up to the longest a text field holds, is
// indexed by its first maxIndexedRune characters and a mark, see term);
// and how many holders of a value make it common (see fieldShape).
const (
	maxFieldKeys   = 50
	maxIndexedRune = 200
	maxFieldValue  = 1000
)

var commonValue = 500

// term is the form of a value ticket_field_values keeps and the field
// filter looks up: the value itself, or for a value longer than an index
// entry should hold its first maxIndexedRune characters followed by "…"
// (longer than any value kept as it is, so never equal to one); tickets
// sharing such a beginning are told apart by the value in their JSON.
func term(v string) (string, bool) {
	if utf8.RuneCountInString(v) <= maxIndexedRune {
		return v, false
	}
	return string([]rune(v)[:maxIndexedRune]) + "…", true
}

// decode reads the stored custom values.
func (t *Ticket) decode() {
	t.Custom = map[string]string{}
	if t.CustomRaw != "" {
		_ = json.Unmarshal([]byte(t.CustomRaw), &t.Custom) // written by setFields
	}
	t.Missing = []string{}
}

// missing lists, on each ticket, the required fields it has no value for
// (a ticket from an offline message or an e-mail is made without the
// form, and a field may become required after a ticket was made).
func (s *Store) missing(ctx context.Context, q store.Querier, tenantID string, ts []Ticket) error {
	keys, _, err := s.rules.Required(ctx, q, tenantID)
	if err != nil {
		return err
	}
	for i := range ts {
		ts[i].Missing = []string{}
		for _, k := range keys {
			if ts[i].Custom[k] == "" {
				ts[i].Missing = append(ts[i].Missing, k)
			}
		}
	}
	return nil
}

// mayFinish refuses to solve or close a ticket while a required field has
// no value (a conflict naming the fields): the agent fills them first.
func (s *Store) mayFinish(ctx context.Context, tx *store.Tx, tenantID, id string) error {
	keys, labels, err := s.rules.Required(ctx, tx, tenantID)
	if err != nil || len(keys) == 0 {
		return err
	}
	var raw []string
	if err := tx.Select(ctx, &raw, `SELECT custom FROM tickets WHERE tenant_id = ? AND id = ?`, tenantID, id); err != nil {
		return fmt.Errorf("read ticket fields: %w", err)
	}
	t := Ticket{}
	if len(raw) > 0 {
		t.CustomRaw = raw[0]
	}
	t.decode()
	var miss, names []string
	for i, k := range keys {
		if t.Custom[k] == "" {
			miss, names = append(miss, k), append(names, labels[i])
		}
	}
	if len(miss) == 0 {
		return nil
	}
	return hub.Coded("ticket_fields_required", fmt.Errorf("请先填写必填字段：%s (fill in the required fields first: %s): %w",
		strings.Join(names, "、"), strings.Join(miss, ", "), hub.ErrConflict), "fields", strings.Join(miss, ","), "labels", strings.Join(names, "、"))
}

// setFields checks a change of a ticket's custom values and stores them:
// the JSON on the ticket and each value (each option of a multi select)
// in ticket_field_values, which the list's field filter reads.
func (s *Store) setFields(ctx context.Context, tx *store.Tx, tenantID, id string, change map[string]string) error {
	if len(change) > maxFieldKeys {
		return fmt.Errorf("%w: fields has at most %d keys", ErrInvalid, maxFieldKeys)
	}
	var raw []string
	if err := tx.Select(ctx, &raw, `SELECT custom FROM tickets WHERE tenant_id = ? AND id = ?`, tenantID, id); err != nil {
		return fmt.Errorf("read ticket fields: %w", err)
	}
	if len(raw) == 0 {
		return ErrNotFound
	}
	cur := &Ticket{CustomRaw: raw[0]}
	cur.decode()
	values, terms, err := s.rules.Check(ctx, tx, tenantID, cur.Custom, change)
	if err != nil {
		return err
	}
	if maps.Equal(values, cur.Custom) {
		return nil
	}
	b, _ := json.Marshal(values)
	if _, err := tx.Exec(ctx, `UPDATE tickets SET custom = ? WHERE tenant_id = ? AND id = ?`, string(b), tenantID, id); err != nil {
		return fmt.Errorf("store ticket fields: %w", err)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM ticket_field_values WHERE ticket_id = ?`, id); err != nil {
		return fmt.Errorf("clear ticket field values: %w", err)
	}
	const ins = `INSERT INTO ticket_field_values (ticket_id, field, value, tenant_id) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`
	for k, vs := range terms {
		for _, one := range vs {
			if one == "" {
				continue
			}
			t, _ := term(one)
			if _, err := tx.Exec(ctx, ins, id, k, t, tenantID); err != nil {
				return fmt.Errorf("index ticket field value: %w", err)
			}
		}
	}
	return nil
}

// shape is what the list's query shape depends on beyond the filter:
// the dialect, and whether the field filter's value is common (held by
// commonValue tickets or more).
type shape struct{ postgres, common bool }

// fieldShape tells whether a filter's field value is common: a rare
// value's tickets are read from the values' index (then sorted), a common
// value is tested on each ticket while the list is read in its indexed
// order, which stops at the page's end (or a count at its cap).
func (s *Store) fieldShape(ctx context.Context, tenantID string, f Filter) (shape, error) {
	sh := shape{postgres: s.k.Postgres}
	value := strings.TrimSpace(hub.Clean(f.FieldValue))
	if f.Field == "" || value == "" {
		return sh, nil
	}
	t, _ := term(value)
	var n int
	const q = `SELECT COUNT(*) FROM (SELECT 1 FROM ticket_field_values WHERE tenant_id = ? AND field = ? AND value = ? LIMIT ?) x`
	if err := s.k.Get(ctx, &n, q, tenantID, f.Field, t, commonValue); err != nil {
		return sh, fmt.Errorf("count field value holders: %w", err)
	}
	sh.common = n >= commonValue
	return sh, nil
}

// fieldCond is the list's custom-field filter: tickets whose field holds
// the value (for a multi select, among its options), found by its term
// in ticket_field_values; a long value is then compared with the value
// in the ticket's JSON.
func fieldCond(tenantID, field, value string, sh shape) (string, []any, error) {
	value = strings.TrimSpace(hub.Clean(value))
	if field == "" {
		return "", nil, nil
	}
	if value == "" || utf8.RuneCountInString(value) > maxFieldValue || utf8.RuneCountInString(field) > 40 {
		return "", nil, fmt.Errorf("%w: field needs a field_value of 1 to %d characters", ErrInvalid, maxFieldValue)
	}
	t, long := term(value)
	q, args := `tickets.id IN (SELECT v.ticket_id FROM ticket_field_values v WHERE v.tenant_id = ? AND v.field = ? AND v.value = ?)`,
		[]any{tenantID, field, t}
	if sh.common {
		q, args = `EXISTS (SELECT 1 FROM ticket_field_values v WHERE v.ticket_id = tickets.id AND v.field = ? AND v.value = ?)`,
			[]any{field, t}
	}
	if long {
		json := `json_extract(tickets.custom, '$.' || ?)`
		if sh.postgres {
			json = `(tickets.custom::jsonb ->> ?)`
		}
		q, args = q+` AND `+json+` = ?`, append(args, field, value)
	}
	return q, args, nil
}

// narrow adds the filters of a saved view beyond the named views': group,
// custom field and text.
func (f Filter) narrow(tenantID, q string, args []any, sh shape) (string, []any, error) {
	switch f.Group {
	case "":
	case "none":
		q += ` AND group_id IS NULL`
	default:
		q, args = q+` AND group_id = ?`, append(args, f.Group)
	}
	cond, v, err := fieldCond(tenantID, f.Field, f.FieldValue, sh)
	if err != nil {
		return "", nil, err
	}
	if cond != "" {
		q, args = q+` AND `+cond, append(args, v...)
	}
	if t := strings.TrimSpace(hub.Clean(f.Text)); t != "" {
		if utf8.RuneCountInString(t) > 200 {
			return "", nil, fmt.Errorf("%w: q is at most 200 characters", ErrInvalid)
		}
		q += ` AND (LOWER(subject) LIKE ? ESCAPE '\' OR id = ?)`
		args = append(args, "%"+likeEscape(strings.ToLower(t))+"%", t)
	}
	return q, args, nil
}

// likeEscape escapes LIKE's wildcards in s.
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// Count counts the tickets of a filter, up to limit (a saved view's badge:
// a filter no index serves stops at limit matches instead of counting a
// hundred thousand tickets).
func (s *Store) Count(ctx context.Context, tenantID string, f Filter, limit int) (int, error) {
	sh, err := s.fieldShape(ctx, tenantID, f)
	if err != nil {
		return 0, err
	}
	where, args, err := f.where(tenantID, s.k.Now(), sh)
	if err != nil {
		return 0, err
	}
	var n int
	q := `SELECT COUNT(*) FROM (SELECT 1 FROM tickets WHERE ` + where + ` LIMIT ?) x`
	if err := s.k.Get(ctx, &n, q, append(args, limit)...); err != nil {
		return 0, fmt.Errorf("count tickets: %w", err)
	}
	return n, nil
}

// Check reports a filter that can never list anything valid (an unknown
// status, priority, view or sort, an oversize text or field value).
func (f Filter) Check() error {
	_, _, err := f.where("", time.Time{}, shape{})
	return err
}
