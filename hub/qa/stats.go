package qa

import (
	"context"
	"fmt"
	"time"
)

// AgentScore is an agent's QA figures over a period: reviews scored in it
// and their average score on a 100-point scale (a review's score ÷ its
// full score × 100; the score after an appeal's resolution).
type AgentScore struct {
	AgentID string   `db:"agent_id"`
	Reviews int64    `db:"reviews"`
	Avg     *float64 `db:"avg"`
}

// AgentScores are the QA figures of a tenant's agents for reviews scored
// within [from, to).
func (s *Store) AgentScores(ctx context.Context, tenantID string, from, to time.Time) (map[string]AgentScore, error) {
	var rows []AgentScore
	const q = `SELECT agent_id, COUNT(*) AS reviews, AVG(score * 100.0 / max_score) AS avg FROM qa_reviews
		WHERE tenant_id = ? AND score IS NOT NULL AND max_score > 0 AND scored_at >= ? AND scored_at < ?
		GROUP BY agent_id`
	if err := s.k.Select(ctx, &rows, q, tenantID, from, to); err != nil {
		return nil, fmt.Errorf("qa scores by agent: %w", err)
	}
	out := make(map[string]AgentScore, len(rows))
	for _, r := range rows {
		out[r.AgentID] = r
	}
	return out, nil
}
