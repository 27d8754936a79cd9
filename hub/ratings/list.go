package ratings

import (
	"context"
	"fmt"
	"time"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/store"
)

// Filter narrows the ratings list; zero fields do not filter.
type Filter struct {
	From, To  time.Time // created in [From, To)
	AgentID   string
	ChannelID string
	Score     int    // exactly this score
	Reason    string // ticked this reason
	Bad       bool   // only bad ones (at or below the tenant's BadAt)
	Before    time.Time
	Limit     int
}

// Row is one rating as the list shows it.
type Row struct {
	ConversationID string      `db:"conversation_id" json:"conversation_id"`
	Score          int         `db:"score" json:"score"`
	Label          string      `db:"-" json:"label"`
	Bad            bool        `db:"-" json:"bad"`
	Comment        string      `db:"comment" json:"comment"`
	Reasons        hub.Reasons `db:"reasons" json:"reasons"`
	CreatedAt      time.Time   `db:"created_at" json:"created_at"`
	UpdatedAt      *time.Time  `db:"updated_at" json:"updated_at,omitempty"`
	AgentID        string      `db:"agent_id" json:"agent_id"`
	AgentName      string      `db:"agent_name" json:"agent_name"`
	ChannelID      string      `db:"channel_id" json:"channel_id"`
	ChannelType    string      `db:"channel_type" json:"channel_type"`
	ChannelName    string      `db:"channel_name" json:"channel_name"`
	ContactName    string      `db:"contact_name" json:"contact_name"`
}

// List is a tenant's ratings, newest first, with who was rated and by whom.
func (s *Store) List(ctx context.Context, q store.Querier, tenantID string, f Filter) ([]Row, error) {
	st, err := s.Settings(ctx, q, tenantID)
	if err != nil {
		return nil, err
	}
	sql := `SELECT r.conversation_id, r.score, r.comment, r.reasons, r.created_at, r.updated_at,
		COALESCE(c.assignee_id, '') AS agent_id, COALESCE(a.name, '') AS agent_name, c.channel_id,
		ch.type AS channel_type, ch.name AS channel_name, COALESCE(ct.name, '') AS contact_name
		FROM ratings r JOIN conversations c ON c.id = r.conversation_id
		JOIN channels ch ON ch.id = c.channel_id
		LEFT JOIN agents a ON a.id = c.assignee_id
		LEFT JOIN contacts ct ON ct.id = c.contact_id
		WHERE r.tenant_id = ?`
	args := []any{tenantID}
	add := func(cond string, v any) {
		sql += " AND " + cond
		args = append(args, v)
	}
	if !f.From.IsZero() {
		add("r.created_at >= ?", f.From)
	}
	if !f.To.IsZero() {
		add("r.created_at < ?", f.To)
	}
	if !f.Before.IsZero() {
		add("r.created_at < ?", f.Before)
	}
	if f.AgentID != "" {
		add("c.assignee_id = ?", f.AgentID)
	}
	if f.ChannelID != "" {
		add("c.channel_id = ?", f.ChannelID)
	}
	if f.Score != 0 {
		add("r.score = ?", f.Score)
	}
	if f.Reason != "" {
		add(`r.reasons LIKE ? ESCAPE '\'`, hub.ReasonPattern(f.Reason))
	}
	if f.Bad {
		add("r.score <= ?", st.BadAt)
	}
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 100
	}
	sql += ` ORDER BY r.created_at DESC, r.conversation_id LIMIT ?`
	args = append(args, f.Limit)
	rows := []Row{}
	if err := q.Select(ctx, &rows, sql, args...); err != nil {
		return nil, fmt.Errorf("list ratings: %w", err)
	}
	for i := range rows {
		rows[i].Bad = rows[i].Score <= st.BadAt
		rows[i].Label = st.label(rows[i].Score)
	}
	return rows, nil
}

// label is the name of a score on the tenant's scale (the nearest level
// at or below it: a scale of three stores 5, 3 and 1).
func (s Settings) label(score int) string {
	best := ""
	for _, l := range s.Levels {
		if l.Score <= score {
			return l.Label
		}
		best = l.Label
	}
	return best
}
