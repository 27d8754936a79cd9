package qa

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/store"
)

// Review is one sampled conversation under inspection.
type Review struct {
	ID             string              `db:"id" json:"id"`
	TenantID       string              `db:"tenant_id" json:"-"`
	BatchID        string              `db:"batch_id" json:"batch_id"`
	TemplateID     string              `db:"template_id" json:"template_id"`
	ConversationID string              `db:"conversation_id" json:"conversation_id"`
	AgentID        string              `db:"agent_id" json:"agent_id"`
	ReviewerID     *string             `db:"reviewer_id" json:"reviewer_id"`
	Status         Status              `db:"status" json:"status"`
	Score          *int                `db:"score" json:"score"`
	MaxScore       int                 `db:"max_score" json:"max_score"`
	Fatal          bool                `db:"fatal" json:"fatal"`
	Items          jsonList[ItemScore] `db:"items" json:"items"`
	Comment        string              `db:"comment" json:"comment"`
	AppealReason   string              `db:"appeal_reason" json:"appeal_reason"`
	Resolution     string              `db:"resolution" json:"resolution"`
	CreatedAt      time.Time           `db:"created_at" json:"created_at"`
	ScoredAt       opt                 `db:"scored_at" json:"scored_at"`
	AcknowledgedAt opt                 `db:"acknowledged_at" json:"acknowledged_at"`
	AppealedAt     opt                 `db:"appealed_at" json:"appealed_at"`
	ResolvedAt     opt                 `db:"resolved_at" json:"resolved_at"`
}

const reviewCols = `id, tenant_id, batch_id, template_id, conversation_id, agent_id, reviewer_id, status, score, max_score,
	fatal, items, comment, appeal_reason, resolution, created_at, scored_at, acknowledged_at, appealed_at, resolved_at`

// Filter narrows the review list. Tab is the reviewer workbench's tab:
// "pending" (待评), "done" (已评: scored, acknowledged or resolved),
// "appealed" (申诉中); empty lists all.
type Filter struct {
	Tab     string
	AgentID string
	BatchID string
	Limit   int
}

var tabs = map[string]string{
	"pending":  ` AND status = 'pending'`,
	"done":     ` AND status IN ('scored', 'acknowledged', 'resolved')`,
	"appealed": ` AND status = 'appealed'`,
	"":         ``,
}

// Reviews lists reviews, newest first: every review of the tenant for
// admins and supervisors, an agent's own scored ones for the agent.
func (s *Store) Reviews(ctx context.Context, a *hub.Agent, f Filter) ([]Review, error) {
	cond, ok := tabs[f.Tab]
	if !ok {
		return nil, hub.Invalid("tab is pending, done or appealed")
	}
	q := `SELECT ` + reviewCols + ` FROM qa_reviews WHERE tenant_id = ?` + cond
	args := []any{a.TenantID}
	if !a.SeesAll() {
		q += ` AND agent_id = ? AND status <> 'pending'`
		args = append(args, a.ID)
	} else if f.AgentID != "" {
		q += ` AND agent_id = ?`
		args = append(args, f.AgentID)
	}
	if f.BatchID != "" {
		q += ` AND batch_id = ?`
		args = append(args, f.BatchID)
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 500
	}
	q += fmt.Sprintf(` ORDER BY created_at DESC, id LIMIT %d`, f.Limit)
	out := []Review{}
	if err := s.k.Select(ctx, &out, q, args...); err != nil {
		return nil, fmt.Errorf("list qa reviews: %w", err)
	}
	return out, nil
}

// Review returns a review the agent may see: any of the tenant's for
// admins and supervisors, their own scored one for the reviewed agent.
func (s *Store) Review(ctx context.Context, a *hub.Agent, id string) (*Review, error) {
	return s.review(ctx, s.k, a, id, "")
}

func (s *Store) review(ctx context.Context, q store.Querier, a *hub.Agent, id, lock string) (*Review, error) {
	var r Review
	if err := q.Get(ctx, &r, `SELECT `+reviewCols+` FROM qa_reviews WHERE tenant_id = ? AND id = ?`+lock, a.TenantID, id); err != nil {
		if store.NoRows(err) {
			return nil, fmt.Errorf("qa review %s: %w", id, hub.ErrNotFound)
		}
		return nil, fmt.Errorf("get qa review: %w", err)
	}
	if !a.SeesAll() && (r.AgentID != a.ID || r.Status == StatusPending) {
		return nil, fmt.Errorf("qa review %s: %w", id, hub.ErrNotFound)
	}
	return &r, nil
}

// change runs fn on a row-locked review and stores what fn changed.
func (s *Store) change(ctx context.Context, a *hub.Agent, id string, fn func(r *Review, now time.Time) error) (*Review, error) {
	var out *Review
	err := s.k.Write(ctx, func(tx *store.Tx) error {
		r, err := s.review(ctx, tx, a, id, s.k.ForUpdate())
		if err != nil {
			return err
		}
		if err := fn(r, tx.Now()); err != nil {
			return err
		}
		const q = `UPDATE qa_reviews SET reviewer_id = ?, status = ?, score = ?, fatal = ?, items = ?, comment = ?,
			appeal_reason = ?, resolution = ?, scored_at = ?, acknowledged_at = ?, appealed_at = ?, resolved_at = ?
			WHERE tenant_id = ? AND id = ?`
		if _, err := tx.Exec(ctx, q, r.ReviewerID, r.Status, r.Score, r.Fatal, r.Items.text(), r.Comment, r.AppealReason,
			r.Resolution, r.ScoredAt, r.AcknowledgedAt, r.AppealedAt, r.ResolvedAt, a.TenantID, id); err != nil {
			return fmt.Errorf("update qa review: %w", err)
		}
		out = r
		return nil
	})
	return out, err
}

// Submission is a reviewer's scoring of a review.
type Submission struct {
	Items   []ItemScore `json:"items"`
	Comment string      `json:"comment"`
}

// Submit scores a pending review (or rescores one the agent has not
// answered yet) against its template; the total is computed here.
func (s *Store) Submit(ctx context.Context, a *hub.Agent, id string, in Submission) (*Review, error) {
	if err := staff(a, "score reviews"); err != nil {
		return nil, err
	}
	comment, err := text(in.Comment, 2000, "comment")
	if err != nil {
		return nil, err
	}
	return s.change(ctx, a, id, func(r *Review, now time.Time) error {
		if r.Status != StatusPending && r.Status != StatusScored {
			return fmt.Errorf("%w: the review is %s", hub.ErrConflict, r.Status)
		}
		t, err := s.Template(ctx, a.TenantID, r.TemplateID)
		if err != nil {
			return err
		}
		sc, err := Score(t, in.Items)
		if err != nil {
			return err
		}
		r.ReviewerID, r.Status, r.Score, r.Fatal, r.Items = &a.ID, StatusScored, &sc.Score, sc.Fatal, sc.Items
		r.MaxScore, r.Comment, r.ScoredAt = t.MaxScore, comment, &now
		return nil
	})
}

// Acknowledge is the reviewed agent accepting a scored review (确认).
func (s *Store) Acknowledge(ctx context.Context, a *hub.Agent, id string) (*Review, error) {
	return s.change(ctx, a, id, func(r *Review, now time.Time) error {
		if err := answerable(a, r); err != nil {
			return err
		}
		r.Status, r.AcknowledgedAt = StatusAcknowledged, &now
		return nil
	})
}

// Appeal is the reviewed agent contesting a scored review (申诉), with
// a reason for the supervisor.
func (s *Store) Appeal(ctx context.Context, a *hub.Agent, id, reason string) (*Review, error) {
	reason, err := text(reason, 2000, "reason")
	if err != nil {
		return nil, err
	}
	if reason == "" {
		return nil, hub.Invalid("reason is required")
	}
	return s.change(ctx, a, id, func(r *Review, now time.Time) error {
		if err := answerable(a, r); err != nil {
			return err
		}
		r.Status, r.AppealReason, r.AppealedAt = StatusAppealed, reason, &now
		return nil
	})
}

// answerable checks that a is the reviewed agent and the review awaits
// their answer.
func answerable(a *hub.Agent, r *Review) error {
	if r.AgentID != a.ID {
		return fmt.Errorf("%w: only the reviewed agent answers a review", hub.ErrForbidden)
	}
	if r.Status != StatusScored {
		return fmt.Errorf("%w: the review is %s", hub.ErrConflict, r.Status)
	}
	return nil
}

// Resolution settles an appeal: keep the score, or adjust it to Score
// (0 to the review's full score); Note tells the agent why.
type Resolution struct {
	Score *int   `json:"score"`
	Note  string `json:"note"`
}

// Resolve settles an appealed review (申诉处理).
func (s *Store) Resolve(ctx context.Context, a *hub.Agent, id string, in Resolution) (*Review, error) {
	if err := staff(a, "resolve appeals"); err != nil {
		return nil, err
	}
	note, err := text(in.Note, 2000, "note")
	if err != nil {
		return nil, err
	}
	return s.change(ctx, a, id, func(r *Review, now time.Time) error {
		if r.Status != StatusAppealed {
			return fmt.Errorf("%w: the review is %s, not appealed", hub.ErrConflict, r.Status)
		}
		if in.Score != nil {
			if *in.Score < 0 || *in.Score > r.MaxScore {
				return hub.Invalid("score is 0 to %d", r.MaxScore)
			}
			r.Score, r.Fatal = in.Score, r.Fatal && *in.Score == 0
		}
		r.Status, r.Resolution, r.ResolvedAt = StatusResolved, note, &now
		return nil
	})
}

// text is a cleaned, bounded free text.
func text(s string, n int, name string) (string, error) {
	s = strings.TrimSpace(hub.Clean(s))
	if utf8.RuneCountInString(s) > n {
		return "", hub.Invalid("%s is at most %d characters", name, n)
	}
	return s, nil
}
