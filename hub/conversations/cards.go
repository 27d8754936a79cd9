package conversations

import (
	"context"
	"fmt"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/contacts"
	"github.com/kefu-hub/kefu/hub/store"
)

// Cards is the customer card as agents see it: a contact's card, visible to
// an agent who may see one of the contact's conversations, with the
// contact's conversations.
type Cards struct {
	k        *store.Store
	contacts *contacts.Store
}

// NewCards returns the card view.
func NewCards(k *store.Store, cts *contacts.Store) *Cards { return &Cards{k: k, contacts: cts} }

// MaySee reports whether an agent may see a contact: admins and
// supervisors see every contact of the tenant (they monitor every
// conversation), agents those they own and those of their conversations.
func (s *Cards) MaySee(ctx context.Context, a *hub.Agent, contactID string) (bool, error) {
	if a.SeesAll() {
		return true, nil
	}
	return s.contacts.Visible(ctx, a, contactID)
}

// Get returns a customer card the agent may see.
func (s *Cards) Get(ctx context.Context, a *hub.Agent, contactID string) (*contacts.Card, error) {
	ok, err := s.MaySee(ctx, a, contactID)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("contact %s: %w", contactID, hub.ErrNotFound)
	}
	return s.contacts.Card(ctx, a.TenantID, contactID)
}

// Update changes a customer card the agent may see and tells the
// agents working the contact's active conversation.
func (s *Cards) Update(ctx context.Context, a *hub.Agent, contactID string, p contacts.Patch) (*contacts.Card, error) {
	if _, err := s.Get(ctx, a, contactID); err != nil {
		return nil, err
	}
	var c *contacts.Card
	err := s.k.Write(ctx, func(tx *store.Tx) error {
		var err error
		if c, err = contacts.UpdateCard(ctx, tx, a.TenantID, contactID, p); err != nil {
			return err
		}
		var to []string
		q := `SELECT COALESCE(assignee_id, '') FROM conversations WHERE contact_id = ? AND status <> 'closed'`
		if err := tx.Select(ctx, &to, q, c.ID); err != nil {
			return fmt.Errorf("find contact's agent: %w", err)
		}
		to = append(to, "")
		tx.Emit(hub.Event{TenantID: c.TenantID, Type: hub.EvContactUpdated, AgentID: to[0]}, map[string]any{"contact": c, "event": "card"})
		return nil
	})
	return c, err
}

// Conversations lists a contact's conversations the agent may see (with
// those of the contacts merged into it), newest first.
func (s *Cards) Conversations(ctx context.Context, a *hub.Agent, contactID string, limit int) ([]hub.Conversation, error) {
	if _, err := s.Get(ctx, a, contactID); err != nil {
		return nil, err
	}
	// a survivor of merges shows the conversations of the contacts merged into it
	q := `SELECT ` + convCols + ` FROM conversations WHERE tenant_id = ? AND contact_id IN (` + contacts.WithMerged + `)`
	args := []any{a.TenantID, contactID, contactID}
	if !a.SeesAll() {
		q += ` AND assignee_id = ?`
		args = append(args, a.ID)
	}
	q += ` ORDER BY created_at DESC, id LIMIT ?`
	out := []hub.Conversation{}
	if err := s.k.Select(ctx, &out, q, append(args, pageLimit(limit))...); err != nil {
		return nil, fmt.Errorf("contact conversations: %w", err)
	}
	return out, withRatings(ctx, s.k, out)
}
