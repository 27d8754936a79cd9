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
}

// Limits of a change of custom-field values, and the longest value the
// field filter finds (longer ones are kept, not indexed).
const (
	maxFieldKeys   = 50
	maxIndexedRune = 200
)

// decode reads the stored custom values.
func (t *Ticket) decode() {
	t.Custom = map[string]string{}
	if t.CustomRaw != "" {
		_ = json.Unmarshal([]byte(t.CustomRaw), &t.Custom) // written by setFields
	}
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
			if one == "" || utf8.RuneCountInString(one) > maxIndexedRune {
				continue
			}
			if _, err := tx.Exec(ctx, ins, id, k, one, tenantID); err != nil {
				return fmt.Errorf("index ticket field value: %w", err)
			}
		}
	}
	return nil
}

// fieldCond is the list's custom-field filter: tickets whose field holds
// the value (for a multi select, among its options), read on the values'
// index.
func fieldCond(tenantID, field, value string) (string, []any, error) {
	value = strings.TrimSpace(hub.Clean(value))
	if field == "" {
		return "", nil, nil
	}
	if value == "" || utf8.RuneCountInString(value) > maxIndexedRune || utf8.RuneCountInString(field) > 40 {
		return "", nil, fmt.Errorf("%w: field needs a field_value of 1 to %d characters", ErrInvalid, maxIndexedRune)
	}
	return `tickets.id IN (SELECT v.ticket_id FROM ticket_field_values v WHERE v.tenant_id = ? AND v.field = ? AND v.value = ?)`,
		[]any{tenantID, field, value}, nil
}

// narrow adds the filters of a saved view beyond the named views': group,
// custom field and text.
func (f Filter) narrow(tenantID, q string, args []any) (string, []any, error) {
	switch f.Group {
	case "":
	case "none":
		q += ` AND group_id IS NULL`
	default:
		q, args = q+` AND group_id = ?`, append(args, f.Group)
	}
	cond, v, err := fieldCond(tenantID, f.Field, f.FieldValue)
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
	where, args, err := f.where(tenantID, s.k.Now())
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
	_, _, err := f.where("", time.Time{})
	return err
}
