package tickets

import (
	"context"
	"fmt"
	"strings"

	"github.com/kefu-hub/kefu/hub/store"
)

// Head is what a mail about a ticket names: its id, tag and subject.
type Head struct {
	ID             string `db:"id"`
	TenantID       string `db:"tenant_id"`
	ChannelID      string `db:"channel_id"`
	ContactID      string `db:"contact_id"`
	ConversationID string `db:"conversation_id"`
	Subject        string `db:"subject"`
	Status         Status `db:"status"`
}

// Tag is the short reference a mail subject carries ("[#abcdefgh]"): the
// first eight characters of the ticket id after its prefix.
func (h *Head) Tag() string { return "[#" + TagOf(h.ID) + "]" }

// TagOf is a ticket id's short reference, without the brackets.
func TagOf(id string) string {
	id = strings.TrimPrefix(id, "tc_")
	if len(id) > 8 {
		id = id[:8]
	}
	return id
}

const headCols = `id, tenant_id, channel_id, contact_id, conversation_id, subject, status`

// HeadOf returns a ticket of the tenant.
func HeadOf(ctx context.Context, k store.Querier, tenantID, id string) (*Head, error) {
	var hs []Head
	if err := k.Select(ctx, &hs, `SELECT `+headCols+` FROM tickets WHERE tenant_id = ? AND id = ?`, tenantID, id); err != nil {
		return nil, fmt.Errorf("ticket head: %w", err)
	}
	if len(hs) == 0 {
		return nil, ErrNotFound
	}
	return &hs[0], nil
}

// OfConversation returns the newest ticket holding the conversation.
func OfConversation(ctx context.Context, k *store.Store, tenantID, conversationID string) (*Head, error) {
	var hs []Head
	q := `SELECT ` + headCols + ` FROM tickets WHERE tenant_id = ? AND conversation_id = ? ORDER BY created_at DESC, id LIMIT 1`
	if err := k.Select(ctx, &hs, q, tenantID, conversationID); err != nil {
		return nil, fmt.Errorf("ticket of conversation: %w", err)
	}
	if len(hs) == 0 {
		return nil, ErrNotFound
	}
	return &hs[0], nil
}

// ByTag finds the tenant's ticket on a channel whose tag a mail subject
// carries (TagOf).
func ByTag(ctx context.Context, k *store.Store, tenantID, channelID, tag string) (*Head, error) {
	if len(tag) != 8 || strings.Trim(tag, "abcdefghijklmnopqrstuvwxyz234567") != "" {
		return nil, ErrNotFound
	}
	var hs []Head
	q := `SELECT ` + headCols + ` FROM tickets WHERE tenant_id = ? AND channel_id = ? AND id LIKE ? ORDER BY created_at DESC LIMIT 2`
	if err := k.Select(ctx, &hs, q, tenantID, channelID, "tc_"+tag+"%"); err != nil {
		return nil, fmt.Errorf("ticket by tag: %w", err)
	}
	if len(hs) != 1 {
		return nil, ErrNotFound
	}
	return &hs[0], nil
}

// ReopenForCustomer sets a solved or closed ticket back to open because its
// customer wrote again about it (answered its mail), so what they wrote
// joins it rather than opening a new ticket. It does nothing when the
// contact already has another unsolved ticket on the channel (which takes
// the message) or the ticket is not a customer's offline ticket.
func ReopenForCustomer(ctx context.Context, k *store.Store, tenantID, id string) error {
	return k.Write(ctx, func(tx *store.Tx) error {
		var hs []Head
		q := `SELECT ` + headCols + ` FROM tickets WHERE tenant_id = ? AND id = ? AND origin = 'offline'` + k.ForUpdate()
		if err := tx.Select(ctx, &hs, q, tenantID, id); err != nil {
			return fmt.Errorf("lock ticket: %w", err)
		}
		if len(hs) == 0 || (hs[0].Status != Solved && hs[0].Status != Closed) {
			return nil
		}
		var open []string
		oq := `SELECT id FROM tickets WHERE channel_id = ? AND contact_id = ? AND status <> 'solved' AND status <> 'closed'
			AND origin = 'offline'`
		if err := tx.Select(ctx, &open, oq, hs[0].ChannelID, hs[0].ContactID); err != nil {
			return fmt.Errorf("find open ticket: %w", err)
		}
		if len(open) > 0 {
			return nil
		}
		if err := keepSolve(ctx, tx, id); err != nil {
			return err
		}
		const up = `UPDATE tickets SET status = 'open', solved_at = NULL, closed_at = NULL, updated_at = ? WHERE id = ?`
		if _, err := tx.Exec(ctx, up, tx.Now(), id); err != nil {
			return fmt.Errorf("reopen ticket: %w", err)
		}
		return moveClocks(ctx, tx, tenantID, id, happened{}) // the resolution clock runs again
	})
}

// OfMessage is the ticket whose history holds a message ("" when none), in
// the caller's transaction.
func OfMessage(ctx context.Context, q store.Querier, tenantID, messageID string) (string, error) {
	var ids []string
	if err := q.Select(ctx, &ids, `SELECT ticket_id FROM ticket_messages WHERE tenant_id = ? AND message_id = ?`, tenantID, messageID); err != nil {
		return "", fmt.Errorf("ticket of message: %w", err)
	}
	if len(ids) == 0 {
		return "", nil
	}
	return ids[0], nil
}
