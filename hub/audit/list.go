package audit

import (
	"context"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/kefu-hub/kefu/hub"
)

// Filter picks entries of one tenant; zero fields match everything.
type Filter struct {
	// Actor is an agent's id or email.
	Actor string
	// Action is an action ("channel.update") or a noun naming all of its
	// actions ("channel").
	Action string
	// Target is the id of what was acted on.
	Target string
	// From and To bound the time: From ≤ at < To.
	From, To time.Time
	// Cursor continues a listing where the previous page ended.
	Cursor string
	// Limit is the page size (1–500, default 50).
	Limit int
}

// Page is a page of entries, newest first, and the cursor of the next one
// ("" when this is the last).
type Page struct {
	Entries []Entry `json:"entries"`
	Next    string  `json:"next_cursor"`
}

// List returns a page of a tenant's audit log, newest first.
func (s *Store) List(ctx context.Context, tenantID string, f Filter) (*Page, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	limit = min(limit, 500)
	where, args := []string{"tenant_id = ?"}, []any{tenantID}
	if f.Actor != "" {
		where, args = append(where, "(actor_id = ? OR actor_name = ?)"), append(args, f.Actor, strings.ToLower(f.Actor))
	}
	if f.Action != "" {
		where, args = append(where, `(action = ? OR action LIKE ? ESCAPE '\')`), append(args, f.Action, likePrefix(f.Action)+".%")
	}
	if f.Target != "" {
		where, args = append(where, "target_id = ?"), append(args, f.Target)
	}
	if !f.From.IsZero() {
		where, args = append(where, "at >= ?"), append(args, f.From.UTC())
	}
	if !f.To.IsZero() {
		where, args = append(where, "at < ?"), append(args, f.To.UTC())
	}
	if f.Cursor != "" {
		at, id, err := parseCursor(f.Cursor)
		if err != nil {
			return nil, err
		}
		where, args = append(where, "(at < ? OR (at = ? AND id < ?))"), append(args, at, at, id)
	}
	q := `SELECT ` + cols + ` FROM audit_log WHERE ` + strings.Join(where, " AND ") +
		` ORDER BY at DESC, id DESC LIMIT ?`
	p := &Page{Entries: []Entry{}}
	if err := s.k.Select(ctx, &p.Entries, q, append(args, limit+1)...); err != nil {
		return nil, fmt.Errorf("list audit log: %w", err)
	}
	if len(p.Entries) > limit {
		p.Entries = p.Entries[:limit]
		last := p.Entries[limit-1]
		p.Next = cursor(last.At, last.ID)
	}
	for i := range p.Entries {
		p.Entries[i].At = p.Entries[i].At.UTC()
	}
	return p, nil
}

// likePrefix escapes LIKE's wildcards in a prefix (action names have
// underscores, and a filter is user input).
func likePrefix(s string) string {
	return strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(s)
}

func cursor(at time.Time, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(at.UnixMicro(), 10) + ":" + id))
}

func parseCursor(c string) (time.Time, string, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err == nil {
		if us, id, ok := strings.Cut(string(b), ":"); ok {
			if n, err := strconv.ParseInt(us, 10, 64); err == nil {
				return time.UnixMicro(n).UTC(), id, nil
			}
		}
	}
	return time.Time{}, "", hub.Invalid("cursor is not one this API returned")
}
