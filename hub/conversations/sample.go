package conversations

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/kefu-hub/kefu/hub/store"
)

// Criteria choose closed conversations for quality inspection (抽检):
// closed within [From, To), taken by one of AgentIDs (any agent when
// empty), on ChannelID, rated at most MaxRating (0: rated or not), with
// at least MinMessages customer and agent messages, and any of Keywords in
// their transcript (internal notes included).
type Criteria struct {
	From, To    time.Time
	AgentIDs    []string
	ChannelID   string
	MaxRating   int
	MinMessages int
	Keywords    []string
}

// Closed is a closed conversation a sampling rule may pick.
type Closed struct {
	ID        string    `db:"id"`
	AgentID   string    `db:"agent_id"`
	ChannelID string    `db:"channel_id"`
	ClosedAt  time.Time `db:"closed_at"`
}

// maxCandidates bounds what one sampling reads.
const maxCandidates = 5000

// Sampler reads the closed conversations quality inspection samples from
// (it owns no table; the conversations' are read here, beside their store).
type Sampler struct{ k *store.Store }

// NewSampler returns the sampler.
func NewSampler(k *store.Store) *Sampler { return &Sampler{k: k} }

// Closed lists a tenant's closed conversations that an agent answered
// and that match c, oldest first, at most maxCandidates.
func (s *Sampler) Closed(ctx context.Context, tenantID string, c Criteria) ([]Closed, error) {
	q := `SELECT c.id, c.assignee_id AS agent_id, c.channel_id, c.closed_at FROM conversations c
		WHERE c.tenant_id = ? AND c.status = 'closed' AND c.assignee_id IS NOT NULL AND c.closed_at >= ? AND c.closed_at < ?`
	args := []any{tenantID, c.From, c.To}
	if len(c.AgentIDs) > 0 {
		q += ` AND c.assignee_id IN (?)`
		args = append(args, c.AgentIDs)
	}
	if c.ChannelID != "" {
		q += ` AND c.channel_id = ?`
		args = append(args, c.ChannelID)
	}
	if c.MaxRating > 0 {
		q += ` AND EXISTS (SELECT 1 FROM ratings r WHERE r.conversation_id = c.id AND r.score <= ?)`
		args = append(args, c.MaxRating)
	}
	if c.MinMessages > 0 {
		q += ` AND (SELECT COUNT(*) FROM messages m WHERE m.conversation_id = c.id AND m.direction IN ('in', 'out')) >= ?`
		args = append(args, c.MinMessages)
	}
	if len(c.Keywords) > 0 {
		var or []string
		for _, kw := range c.Keywords {
			or = append(or, `LOWER(m.text) LIKE ? ESCAPE '\'`)
			args = append(args, store.Like(strings.ToLower(kw)))
		}
		q += ` AND EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id AND (` + strings.Join(or, " OR ") + `))`
	}
	q += fmt.Sprintf(` ORDER BY c.closed_at, c.id LIMIT %d`, maxCandidates)
	out := []Closed{}
	if err := s.k.SelectIn(ctx, &out, q, args...); err != nil {
		return nil, fmt.Errorf("sample closed conversations: %w", err)
	}
	return out, nil
}
