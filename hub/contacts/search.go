package contacts

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/kefu-hub/kefu/hub/store"
)

// haystack is the text a search matches: the contact's fields joined (by a
// separator typed text never holds) and lower-cased. One LIKE over it costs
// a fraction of one per field; PostgreSQL indexes this very expression
// (contacts_search), SQLite a copy of it (the contacts_search FTS5 table).
const haystack = `LOWER(name || '\x01' || email || '\x01' || phone || '\x01' || company || '\x01' || external_id || '\x01' ||
	tags || '\x01' || custom)`

// exact is the condition that decides a match: the text in the haystack or
// in one of the contact's platform handles. The indexes only narrow the
// rows it is tried on.
const exact = `(` + haystack + ` LIKE ? ESCAPE '\' OR id IN (SELECT contact_id FROM contact_handles
	WHERE tenant_id = ? AND LOWER(handle) LIKE ? ESCAPE '\'))`

// common is how many candidate contacts make a text common: past it, the
// list reads the contacts in its (indexed) order and stops at the page's
// end, which with one contact in 200 or more matching takes fewer rows than
// fetching and sorting every match.
var common = 5000

// textCond is the condition of a search text t (lower-cased, not empty) for
// the contacts of a tenant. indexedOrder says the list's order has an
// index, so that a common text is better matched while reading in order;
// own that a plain agent's contacts may be read instead, on which a common
// text (many says it is one) is better matched (on SQLite, through its
// candidates).
func (s *Store) textCond(ctx context.Context, tenantID, t string, indexedOrder, own bool) (cond string, args []any,
	many bool, err error) {
	p := "%" + likeEscape(t) + "%"
	args = []any{p, tenantID, p}
	if s.k.Postgres {
		return s.pgCond(ctx, tenantID, t, p, indexedOrder, own)
	}
	match, n, err := s.ftsQuery(ctx, t)
	if err != nil {
		return "", nil, false, err
	}
	if match == "" {
		if n == 0 {
			return `1 = 0`, nil, false, nil // no contact holds the text
		}
		return exact, args, true, nil // too common to list its candidates
	}
	if indexedOrder {
		// how many candidates, up to common
		if err := s.k.Get(ctx, &n, `SELECT COUNT(*) FROM (SELECT rowid FROM contacts_search WHERE contacts_search MATCH ?
			LIMIT ?) x`, match, common); err != nil {
			return "", nil, false, fmt.Errorf("count search candidates: %w", err)
		}
		if n >= common && !own {
			return exact, args, true, nil
		}
	}
	// a plain agent's common text is matched on its candidates too (0.1 s
	// at 100,000 of them): their contacts are read from them, or the list
	// walked testing them
	return `contacts.rowid IN (SELECT rowid FROM contacts_search WHERE contacts_search MATCH ?) AND ` + exact,
		append([]any{match}, args...), n >= common, nil
}

// ftsQuery is the FTS5 query of the SQLite candidates of a text: every
// trigram of it (a text of three characters or more), or any trigram it
// starts (shorter texts; each character of a document starts one). It is
// "" when no candidate exists (n = 0) or when a short text starts too many
// trigrams or is held by too many contacts (n > 0).
func (s *Store) ftsQuery(ctx context.Context, t string) (string, int, error) {
	quote := func(g string) string { return `"` + strings.ReplaceAll(g, `"`, `""`) + `"` }
	r := []rune(t)
	if len(r) >= 3 {
		seen, grams := map[string]bool{}, []string{}
		for i := 0; i+3 <= len(r) && len(grams) < 16; i++ {
			if g := string(r[i : i+3]); !seen[g] {
				seen[g] = true
				grams = append(grams, quote(g))
			}
		}
		return strings.Join(grams, " AND "), 1, nil
	}
	const most = 400
	var terms []struct {
		Term string `db:"term"`
		Doc  int    `db:"doc"`
	}
	if err := s.k.Select(ctx, &terms, `SELECT term, doc FROM contacts_search_terms WHERE term >= ? AND term < ? LIMIT ?`,
		t, t+string(utf8.MaxRune), most+1); err != nil {
		return "", 0, fmt.Errorf("search trigrams: %w", err)
	}
	docs, grams := 0, make([]string, 0, len(terms))
	for _, tm := range terms {
		docs += tm.Doc
		grams = append(grams, quote(tm.Term))
	}
	if len(terms) > most || docs >= common {
		return "", docs, nil
	}
	return strings.Join(grams, " OR "), docs, nil
}

func anys(ss []string) []any {
	out := make([]any, len(ss))
	for i, v := range ss {
		out[i] = v
	}
	return out
}

// pgCond is textCond on PostgreSQL: the matches, found through the trigram
// indexes (a text of one or two characters has no trigram: through the
// indexes of the characters each contact holds), up to common of them,
// become the condition; a common text is matched reading in order (or, for
// own, on the agent's contacts) instead.
func (s *Store) pgCond(ctx context.Context, tenantID, t, p string, indexedOrder, own bool) (string, []any, bool, error) {
	cond, hcond, cargs := haystack+` LIKE ? ESCAPE '\'`, `LOWER(handle) LIKE ? ESCAPE '\'`, []any{p}
	if utf8.RuneCountInString(t) < 3 {
		var chars []any
		for _, r := range t {
			if !slices.Contains(chars, any(string(r))) {
				chars = append(chars, string(r))
			}
		}
		arr := ` @> ARRAY[` + store.Placeholders(len(chars)) + `]::text[] AND `
		cond, hcond = `string_to_array(`+haystack+`, NULL)`+arr+cond, `string_to_array(LOWER(handle), NULL)`+arr+hcond
		cargs = append(chars, p)
	}
	var ids, hs []string
	q := `SELECT id FROM contacts WHERE tenant_id = ? AND ` + cond + ` LIMIT ?`
	if err := s.k.Select(ctx, &ids, q, append(append([]any{tenantID}, cargs...), common)...); err != nil {
		return "", nil, false, fmt.Errorf("search candidates: %w", err)
	}
	q = `SELECT contact_id FROM contact_handles WHERE tenant_id = ? AND ` + hcond + ` LIMIT ?`
	if err := s.k.Select(ctx, &hs, q, append(append([]any{tenantID}, cargs...), common)...); err != nil {
		return "", nil, false, fmt.Errorf("search handle candidates: %w", err)
	}
	switch ids = append(ids, hs...); {
	case len(ids) == 0:
		return `1 = 0`, nil, false, nil
	case len(ids) >= common && (indexedOrder || own):
		return exact, []any{p, tenantID, p}, true, nil
	case len(ids) >= common:
		args := append(append([]any{tenantID}, cargs...), tenantID)
		return `id IN (SELECT id FROM contacts WHERE tenant_id = ? AND ` + cond + ` UNION SELECT contact_id FROM contact_handles
			WHERE tenant_id = ? AND ` + hcond + `)`, append(args, cargs...), true, nil
	}
	return `id IN (` + store.Placeholders(len(ids)) + `)`, anys(ids), false, nil
}
