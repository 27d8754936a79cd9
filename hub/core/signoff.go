package core

import (
	"context"
	"fmt"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/store"
)

// SignOff puts a disabled agent's open conversations back in the queue
// with a fresh routing plan (the agent's old plan may name them); it runs
// in the transaction that disables the agent (identity.Agents.Update), which
// has already freed the agent's seats. The caller drains the queue.
func (s *Store) SignOff(ctx context.Context, tx *store.Tx, a *hub.Agent, why string) error {
	fx := &effects{tx: tx}
	var convs []hub.Conversation
	q := `SELECT ` + convCols + ` FROM conversations WHERE tenant_id = ? AND assignee_id = ? AND status = 'open'` + s.db.ForUpdate()
	if err := tx.Select(ctx, &convs, q, a.TenantID, a.ID); err != nil {
		return fmt.Errorf("agent's open conversations: %w", err)
	}
	now := s.now()
	for i := range convs {
		c := &convs[i]
		const up = `UPDATE conversations SET status = 'queued', assignee_id = NULL, queued_at = ?, updated_at = ? WHERE id = ?`
		if _, err := tx.Exec(ctx, up, now, now, c.ID); err != nil {
			return fmt.Errorf("requeue conversation: %w", err)
		}
		if _, err := tx.Exec(ctx, `UPDATE conversation_routing SET plan = '', stage = 0 WHERE conversation_id = ?`, c.ID); err != nil {
			return fmt.Errorf("reset routing plan: %w", err)
		}
		c.Status, c.AssigneeID, c.QueuedAt, c.UpdatedAt = hub.ConvQueued, nil, &now, now
		if err := s.logRouting(ctx, tx, c, logEntry{Outcome: "queued", AgentID: a.ID, Reason: why}); err != nil {
			return err
		}
		ch := &hub.Channel{ID: c.ChannelID, TenantID: c.TenantID}
		payload := map[string]any{"conversation": c, "from_agent_id": a.ID, "reason": why}
		fx.emit(ch, hub.EvConversationTransferred, c.ID, a.ID, payload)
		fx.emit(ch, hub.EvConversationQueued, c.ID, "", payload)
	}
	return nil
}
