package contacts

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/store"
)

// FollowUp is one entry of a customer's follow-up log (跟进记录): when, by
// whom, what was done, and when to follow up next.
type FollowUp struct {
	ID         string     `db:"id" json:"id"`
	TenantID   string     `db:"tenant_id" json:"-"`
	ContactID  string     `db:"contact_id" json:"contact_id"`
	AgentID    string     `db:"agent_id" json:"agent_id"`
	Note       string     `db:"note" json:"note"`
	NextAt     *time.Time `db:"next_at" json:"next_at"`
	RemindedAt *time.Time `db:"reminded_at" json:"reminded_at"`
	CreatedAt  time.Time  `db:"created_at" json:"created_at"`
}

// NewFollowUp is what an agent logs.
type NewFollowUp struct {
	Note   string     `json:"note"`
	NextAt *time.Time `json:"next_at"`
}

const followCols = `id, tenant_id, contact_id, agent_id, note, next_at, reminded_at, created_at`

// AddFollowUp logs a follow-up on a contact (the caller decided the agent
// may see it). Its next date becomes the contact's next follow-up (the
// "due" filter of the list); an earlier pending reminder is superseded.
func (s *Store) AddFollowUp(ctx context.Context, a *hub.Agent, contactID string, n NewFollowUp) (*FollowUp, error) {
	note := strings.TrimSpace(hub.Clean(n.Note))
	if note == "" {
		return nil, hub.Coded("followup_note_required", hub.Invalid("请填写跟进内容 (note is required)"))
	}
	if utf8.RuneCountInString(note) > 5000 {
		return nil, hub.Invalid("跟进内容最多 5000 个字符 (note is at most 5000 characters)")
	}
	f := &FollowUp{ID: hub.NewID("fu"), TenantID: a.TenantID, ContactID: contactID, AgentID: a.ID, Note: note}
	if n.NextAt != nil {
		t := n.NextAt.UTC()
		f.NextAt = &t
	}
	err := s.k.Write(ctx, func(tx *store.Tx) error {
		c, err := card(ctx, tx, a.TenantID, contactID)
		if err != nil {
			return err
		}
		f.CreatedAt = tx.Now()
		if _, err := tx.Exec(ctx, `UPDATE contact_followups SET reminded_at = ? WHERE contact_id = ? AND reminded_at IS NULL
			AND next_at IS NOT NULL`, f.CreatedAt, c.ID); err != nil {
			return fmt.Errorf("supersede follow-ups: %w", err)
		}
		const ins = `INSERT INTO contact_followups (` + followCols + `) VALUES (?, ?, ?, ?, ?, ?, NULL, ?)`
		if _, err := tx.Exec(ctx, ins, f.ID, f.TenantID, c.ID, f.AgentID, f.Note, f.NextAt, f.CreatedAt); err != nil {
			return fmt.Errorf("insert follow-up: %w", err)
		}
		if _, err := tx.Exec(ctx, `UPDATE contacts SET next_followup_at = ?, updated_at = ? WHERE id = ?`, f.NextAt,
			f.CreatedAt, c.ID); err != nil {
			return fmt.Errorf("contact next follow-up: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return f, nil
}

// FollowUps lists a contact's follow-up log, newest first (a merge moves
// the merged contact's log to the survivor).
func (s *Store) FollowUps(ctx context.Context, tenantID, contactID string) ([]FollowUp, error) {
	out := []FollowUp{}
	const q = `SELECT ` + followCols + ` FROM contact_followups WHERE tenant_id = ? AND contact_id = ?
		ORDER BY created_at DESC, id DESC LIMIT 500`
	if err := s.k.Select(ctx, &out, q, tenantID, contactID); err != nil {
		return nil, fmt.Errorf("list follow-ups: %w", err)
	}
	return out, nil
}

// Remind sends the follow-ups that fell due by now to their agents (a
// contact.followup_due event, which the workbench shows as a notification)
// and marks them reminded. Each is claimed with a conditional update, so
// however many processes sweep it is sent once.
func (s *Store) Remind(ctx context.Context, now time.Time) (int, error) {
	var due []FollowUp
	const q = `SELECT ` + followCols + ` FROM contact_followups WHERE reminded_at IS NULL AND next_at <= ?
		ORDER BY next_at LIMIT 200`
	if err := s.k.Select(ctx, &due, q, now); err != nil {
		return 0, fmt.Errorf("due follow-ups: %w", err)
	}
	sent := 0
	for i := range due {
		f := &due[i]
		err := s.k.Write(ctx, func(tx *store.Tx) error {
			n, err := tx.Exec(ctx, `UPDATE contact_followups SET reminded_at = ? WHERE id = ? AND reminded_at IS NULL`,
				tx.Now(), f.ID)
			if err != nil || n == 0 {
				return err
			}
			c, err := card(ctx, tx, f.TenantID, f.ContactID)
			if err != nil {
				return err
			}
			sent++
			tx.Emit(hub.Event{TenantID: f.TenantID, Type: hub.EvFollowUpDue, AgentID: f.AgentID},
				map[string]any{"followup": f, "contact": map[string]string{"id": c.ID, "name": c.Name, "phone": c.Phone}})
			return nil
		})
		if err != nil {
			return sent, fmt.Errorf("remind follow-up: %w", err)
		}
	}
	return sent, nil
}

// RemindEvery runs Remind until ctx ends.
func (s *Store) RemindEvery(ctx context.Context, every time.Duration, log *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if _, err := s.Remind(ctx, s.k.Now()); err != nil {
			log.Warn("follow-up reminders", "err", err)
		}
	}
}
