package core

import (
	"context"
	"fmt"
	"strings"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/store"
	"github.com/kefu-hub/kefu/tickets"
)

// ReplyToTicket sends an agent's answer to a ticket's customer: a message on
// the ticket's conversation delivered through its channel, the way any
// agent reply is, and added to the ticket's history. The conversation may be
// offline (nobody was online; the ticket holds it) or already closed: the
// reply still goes out as long as the platform accepts it (WeChat's reply
// window applies and is told before sending). The caller has checked that
// the agent may see the ticket.
func (s *Store) ReplyToTicket(ctx context.Context, a *hub.Agent, ticketID, text string) (*hub.Message, error) {
	text = hub.Clean(text)
	if strings.TrimSpace(text) == "" {
		return nil, hub.Invalid("text is required")
	}
	if len(text) > 20000 {
		return nil, hub.Invalid("text is longer than 20000 bytes")
	}
	var m *hub.Message
	err := s.write(ctx, func(tx *store.Tx, fx *effects) error {
		convID, err := tickets.Conversation(ctx, tx, a.TenantID, ticketID)
		if err != nil {
			return err
		}
		var c hub.Conversation
		cq := tx.Rebind(`SELECT ` + convCols + ` FROM conversations WHERE tenant_id = ? AND id = ?` + s.db.ForUpdate())
		if err := tx.GetContext(ctx, &c, cq, a.TenantID, convID); err != nil {
			return fmt.Errorf("lock ticket conversation: %w", err)
		}
		if err := s.checkReplyWindow(ctx, tx, &c); err != nil {
			return err
		}
		if m, err = s.outgoing(ctx, tx, fx, &c, "agent", a.ID, Reply{Content: text, Type: "text"}); err != nil {
			return err
		}
		return tickets.Append(ctx, tx, a.TenantID, ticketID, m.ID)
	})
	return m, err
}
