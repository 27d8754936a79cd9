package contacts

import (
	"context"
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// fieldCond is the condition of the custom field filter (a field holding
// a value, or a multi select holding it among its values). A rare value's
// contacts, up to common of them, are found through the values' index; a
// common value is tested on each contact while the list is read in its
// (indexed) order, which stops at the page's end.
func (s *Store) fieldCond(ctx context.Context, tenantID, field, value string, indexedOrder bool) (string, []any, error) {
	if utf8.RuneCountInString(value) > 200 || utf8.RuneCountInString(field) > 100 {
		// not in the table (an index entry holds so much): a plain LIKE on
		// the stored JSON first, then the value itself read from the JSON
		return `custom LIKE ? ESCAPE '\' AND (',' || COALESCE(` + s.k.JSONText("custom") + `, '') || ',') LIKE ? ESCAPE '\'`,
			[]any{"%" + likeEscape(jsonFragment(field)+`":"`) + "%" + likeEscape(jsonFragment(value)) + "%", field,
				"%," + likeEscape(value) + ",%"}, nil
	}
	args := []any{tenantID, field, value}
	if indexedOrder {
		var n int
		if err := s.k.Get(ctx, &n, `SELECT COUNT(*) FROM (SELECT 1 FROM contact_field_values WHERE tenant_id = ? AND field = ?
			AND value = ? LIMIT ?) x`, tenantID, field, value, common); err != nil {
			return "", nil, fmt.Errorf("count field value holders: %w", err)
		}
		if n >= common {
			return `EXISTS (SELECT 1 FROM contact_field_values v WHERE v.contact_id = contacts.id AND v.field = ?
				AND v.value = ?)`, []any{field, value}, nil
		}
	}
	return `id IN (SELECT contact_id FROM contact_field_values WHERE tenant_id = ? AND field = ? AND value = ?)`, args, nil
}

// jsonFragment is s as it appears inside a JSON string the hub wrote.
func jsonFragment(s string) string {
	b, _ := json.Marshal(s)
	return string(b[1 : len(b)-1])
}
