package core

import (
	"context"
	"fmt"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/store"
)

// MessageResult records a delivery's outcome on its message (sent, or
// failed with the platform's reason) and tells the agents.
func (s *Store) MessageResult(ctx context.Context, tx *store.Tx, msgID, status, errText string) error {
	fx := &effects{tx: tx}
	const q = `UPDATE messages SET status = ?, error = ? WHERE id = ?`
	if _, err := tx.ExecContext(ctx, tx.Rebind(q), status, errText, msgID); err != nil {
		return fmt.Errorf("message status: %w", err)
	}
	var m hub.Message
	if err := tx.GetContext(ctx, &m, tx.Rebind(`SELECT `+msgCols+` FROM messages WHERE id = ?`), msgID); err != nil {
		return fmt.Errorf("reread message: %w", err)
	}
	m.DecodeAttachments()
	// COALESCE: an unassigned conversation (an offline auto-reply) has a NULL
	// assignee, which sqlx cannot scan into a []*string element.
	var assignee []string
	if err := tx.SelectContext(ctx, &assignee, tx.Rebind(`SELECT COALESCE(assignee_id, '') FROM conversations WHERE id = ?`), m.ConversationID); err != nil {
		return fmt.Errorf("message conversation: %w", err)
	}
	to := ""
	if len(assignee) == 1 {
		to = assignee[0]
	}
	fx.emit(&hub.Channel{ID: m.ChannelID, TenantID: m.TenantID}, hub.EvMessageUpdated, m.ConversationID, to, messagePayload(&m, nil))
	return nil
}
