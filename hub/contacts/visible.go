package contacts

import (
	"context"
	"fmt"
	"strings"

	"github.com/kefu-hub/kefu/hub"
)

// On PostgreSQL, a plain agent's customer list (scope: the contacts they
// own, those of their conversations) is read from those contacts when they
// are few and the search text common, instead of by walking the tenant's
// list in order. The walk stops at the page's end, quick while the agent's
// matches are dense among the newest contacts; a text whose matches among
// theirs are all old (or an agent owning a handful of a million contacts)
// makes it read most of the list: 0.39 s p99 at a million contacts. SQLite
// keeps the walk: reading the agent's contacts measured no faster there;
// it walks the list's index unless the agent sees few contacts (list).
var (
	// few is how many contacts an agent may see for a search to read them
	// (each side counted up to it: owned, and their conversations).
	few = 50000
	// fewPlain is the same without a search text, where the walk is quick
	// unless the agent's contacts are very sparse.
	fewPlain = 2000
)

// handled is the contacts of the conversations assigned to an agent (with
// a text: those holding it, through the agent and text index of
// contact_agent_search, which PostgreSQL's triggers keep; ~100 ms less at
// 10,000 conversations than testing the text on each of their contacts),
// and the survivors of the contacts of those conversations merged away
// (their text is tested on them).
func handled(a *hub.Agent, like string) (string, []any) {
	q, args := `SELECT contact_id FROM contact_agent_search WHERE tenant_id = ? AND agent_id = ?`, []any{a.TenantID, a.ID}
	if like != "" {
		q, args = q+` AND body LIKE ? ESCAPE '\'`, append(args, like)
	}
	return q + ` UNION SELECT merged_into FROM contacts m WHERE m.merged_into IS NOT NULL AND m.id IN (SELECT contact_id
		FROM contact_agent_search WHERE tenant_id = ? AND agent_id = ?)`, append(args, a.TenantID, a.ID)
}

// fewVisible reports whether a plain agent sees fewer than n contacts,
// counting (each up to n) those they own and their conversations.
func (s *Store) fewVisible(ctx context.Context, a *hub.Agent, n int) (bool, error) {
	if a.Role != hub.RoleAgent || n <= 0 {
		return false, nil
	}
	var seen int
	err := s.k.Get(ctx, &seen, `SELECT (SELECT COUNT(*) FROM (SELECT 1 FROM contacts WHERE tenant_id = ? AND owner_id = ? LIMIT ?) o)
		+ (SELECT COUNT(*) FROM (SELECT 1 FROM conversations WHERE tenant_id = ? AND assignee_id = ? LIMIT ?) c)`,
		a.TenantID, a.ID, n, a.TenantID, a.ID, n)
	if err != nil {
		return false, fmt.Errorf("count visible contacts: %w", err)
	}
	return seen < n, nil
}

// fewOwn is how many contacts an agent owns holding a common search text,
// and has conversations, for the list to read their contacts without first
// searching the list's newest (probeRows): below it, the owned matches come
// from the owner and text index (contacts_owner_search) for about the cost
// of the page.
var fewOwn = 5000

// fewOwnMatches reports whether a plain agent owns fewer than fewOwn
// contacts holding the text t and has fewer than few conversations.
func (s *Store) fewOwnMatches(ctx context.Context, a *hub.Agent, t string) (bool, error) {
	if fewOwn <= 0 {
		return false, nil
	}
	var n struct {
		Owned int `db:"owned"`
		Convs int `db:"convs"`
	}
	err := s.k.Get(ctx, &n, `SELECT (SELECT COUNT(*) FROM (SELECT 1 FROM contacts WHERE tenant_id = ? AND owner_id = ?
		AND `+haystack+` LIKE ? ESCAPE '\' LIMIT ?) o) AS owned,
		(SELECT COUNT(*) FROM (SELECT 1 FROM conversations WHERE tenant_id = ? AND assignee_id = ? LIMIT ?) c) AS convs`,
		a.TenantID, a.ID, "%"+likeEscape(t)+"%", fewOwn, a.TenantID, a.ID, few)
	if err != nil {
		return false, fmt.Errorf("count owned matches: %w", err)
	}
	return n.Owned < fewOwn && n.Convs < few, nil
}

// ownList is the query of a page of a plain agent's list read from their
// contacts: those matching among the contacts they own (through the owner
// index), those of their conversations (by id) and, with a text, those
// whose handles hold it, sorted. where and args
// are the list's other conditions, t its search text (lower-cased, maybe
// empty); LIMIT and OFFSET are left to bind.
func (s *Store) ownList(a *hub.Agent, t, where string, args []any, order string) (string, []any) {
	in := func(set string) string { return `id = ANY(ARRAY(` + set + `))` } // an index scan of the ids
	var parts []string
	var all []any
	branch := func(cond string, v ...any) {
		parts = append(parts, `SELECT `+cardCols+` FROM contacts WHERE `+cond+` AND `+where)
		all = append(append(all, v...), args...)
	}
	hay, p, like := "", "%"+likeEscape(t)+"%", ""
	var hv []any
	if t != "" {
		hay, hv, like = ` AND `+haystack+` LIKE ? ESCAPE '\'`, []any{p}, p
	}
	branch(`tenant_id = ? AND owner_id = ?`+hay, append([]any{a.TenantID, a.ID}, hv...)...)
	hq, ha := handled(a, like)
	branch(in(hq)+` AND tenant_id = ?`+hay, append(append(ha, a.TenantID), hv...)...)
	if t != "" {
		vis, v := scope(a, Rules{}) // the rules widen no list read this way
		branch(in(`SELECT contact_id FROM contact_handles WHERE tenant_id = ? AND LOWER(handle) LIKE ? ESCAPE '\'`)+` AND `+vis,
			append([]any{a.TenantID, p}, v...)...)
	}
	return `SELECT ` + cardCols + ` FROM (` + strings.Join(parts, ` UNION `) + `) k ORDER BY ` + order + ` LIMIT ? OFFSET ?`, all
}

// probeRows is how many contacts, first in the list's order, are searched
// for a page before a plain agent's contacts are read instead: a text
// common among them fills the page there.
var probeRows = 20000

// list reads a page (limit+1 contacts, for More) of the contacts an agent
// may see that hold the search text t (lower-cased, maybe empty) and meet
// where (with args). A plain agent's list is read from their contacts when
// they are few and the text common (or there is none and they are very
// few), once the page was not among the list's first contacts.
func (s *Store) list(ctx context.Context, a *hub.Agent, t, where string, args []any, order string, indexedOrder bool,
	limit, offset int) ([]Card, error) {
	base, baseArgs := where, args
	vis, v, r, err := s.visibility(ctx, a)
	if err != nil {
		return nil, err
	}
	where, args = vis+` AND `+where, append(v, args...)
	// a plain agent's own contacts, unless the rules let them see more
	plain := a.Role == hub.RoleAgent && !r.widens(a)
	agent, own := plain && s.k.Postgres, false
	many := t == "" // no text: the agent's contacts are read when very few
	if t != "" {
		cond, v, m, err := s.textCond(ctx, a.TenantID, t, indexedOrder, plain)
		if err != nil {
			return nil, err
		}
		where, args, many = where+` AND `+cond, append(args, v...), m
	}
	probe := true
	if agent && many && t != "" {
		// few matches among the contacts the agent owns (the owner and
		// text index finds them) and few conversations: read theirs
		if own, err = s.fewOwnMatches(ctx, a, t); err != nil {
			return nil, err
		}
		probe = !own
	}
	// a plain agent who sees few contacts: PostgreSQL reads theirs; SQLite
	// leaves them to its planner, and otherwise walks the list's index (left
	// to itself it read every contact the agent sees and sorted them: 0.2–
	// 0.45 s a page at a million contacts with 20,000 owned and 10,000
	// conversations, where the walk stops at the page's end: 18 ms). A rare
	// text (one its candidates list; many false) is read from its candidates.
	from := `contacts`
	if plain && many && !own && (s.k.Postgres || indexedOrder) {
		n := few
		if t == "" {
			n = fewPlain
		}
		fewSeen, err := s.fewVisible(ctx, a, n)
		if err != nil {
			return nil, err
		}
		if s.k.Postgres {
			own = fewSeen
		} else if !fewSeen {
			from = `contacts INDEXED BY contacts_tenant_created`
		}
	}
	out := []Card{}
	if own {
		if probe && t != "" && indexedOrder && probeRows > 0 {
			q := `SELECT ` + cardCols + ` FROM (SELECT * FROM contacts WHERE tenant_id = ? ORDER BY ` + order + ` LIMIT ?) contacts
				WHERE ` + where + ` ORDER BY ` + order + ` LIMIT ? OFFSET ?`
			err := s.k.Select(ctx, &out, q, append(append([]any{a.TenantID, probeRows}, args...), limit+1, offset)...)
			if err != nil || len(out) > limit {
				return out, wrap(err)
			}
		}
		out = out[:0]
		q, args := s.ownList(a, t, base, baseArgs, order)
		return out, wrap(s.k.Select(ctx, &out, q, append(args, limit+1, offset)...))
	}
	q := `SELECT ` + cardCols + ` FROM ` + from + ` WHERE ` + where + ` ORDER BY ` + order + ` LIMIT ? OFFSET ?`
	return out, wrap(s.k.Select(ctx, &out, q, append(args, limit+1, offset)...))
}

func wrap(err error) error {
	if err != nil {
		return fmt.Errorf("search contacts: %w", err)
	}
	return nil
}
