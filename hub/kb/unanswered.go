package kb

import (
	"context"
	"fmt"
	"time"

	"github.com/kefu-hub/kefu/hub"
)

// Unanswered is a question the robot could not answer, with how often it
// was asked (the same text, after folding spaces).
type Unanswered struct {
	Question string    `db:"question" json:"question"`
	Hits     int       `db:"hits" json:"hits"`
	LastAt   time.Time `db:"last_at" json:"last_at"`
}

// Miss counts a question the robot could not answer.
func (s *Store) Miss(ctx context.Context, tenantID, question string) error {
	if question = hub.Truncate(oneLine(question), maxQuestion); question == "" {
		return nil
	}
	const q = `INSERT INTO kb_unanswered (tenant_id, question, hits, last_at) VALUES (?, ?, 1, ?)
		ON CONFLICT (tenant_id, question) DO UPDATE SET hits = kb_unanswered.hits + 1, last_at = excluded.last_at`
	if _, err := s.k.Exec(ctx, q, tenantID, question, s.k.Now()); err != nil {
		return fmt.Errorf("count unanswered question: %w", err)
	}
	return nil
}

// Unanswered lists the most asked questions the robot could not answer.
func (s *Store) Unanswered(ctx context.Context, tenantID string) ([]Unanswered, error) {
	out := []Unanswered{}
	const q = `SELECT question, hits, last_at FROM kb_unanswered WHERE tenant_id = ?
		ORDER BY hits DESC, last_at DESC, question LIMIT 200`
	if err := s.k.Select(ctx, &out, q, tenantID); err != nil {
		return nil, fmt.Errorf("unanswered questions: %w", err)
	}
	return out, nil
}

// ForgetUnanswered removes a question from the list (an article now
// answers it, or it is not worth one).
func (s *Store) ForgetUnanswered(ctx context.Context, tenantID, question string) error {
	const q = `DELETE FROM kb_unanswered WHERE tenant_id = ? AND question = ?`
	if _, err := s.k.Exec(ctx, q, tenantID, question); err != nil {
		return fmt.Errorf("forget unanswered question: %w", err)
	}
	return nil
}
