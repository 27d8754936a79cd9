package hub

import (
	"context"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/kefu-hub/kefu/tickets"
)

// ReplyToTicket sends an agent's answer to a ticket's customer: a message on
// the ticket's conversation delivered through its channel, the way any
// agent reply is, and added to the ticket's history. The conversation may be
// offline (nobody was online; the ticket holds it) or already closed: the
// reply still goes out as long as the platform accepts it (WeChat's reply
// window applies and is told before sending). The caller has checked that
// the agent may see the ticket.
func (s *Store) ReplyToTicket(ctx context.Context, a *Agent, ticketID, text string) (*Message, error) {
	text = Clean(text)
	if strings.TrimSpace(text) == "" {
		return nil, Invalid("text is required")
	}
	if len(text) > 20000 {
		return nil, Invalid("text is longer than 20000 bytes")
	}
	var m *Message
	err := s.write(ctx, func(tx *sqlx.Tx, fx *effects) error {
		var convID []string
		q := tx.Rebind(`SELECT conversation_id FROM tickets WHERE tenant_id = ? AND id = ?`)
		if err := tx.SelectContext(ctx, &convID, q, a.TenantID, ticketID); err != nil {
			return fmt.Errorf("find ticket: %w", err)
		}
		if len(convID) == 0 {
			return fmt.Errorf("ticket %s: %w", ticketID, ErrNotFound)
		}
		var c Conversation
		cq := tx.Rebind(`SELECT ` + convCols + ` FROM conversations WHERE tenant_id = ? AND id = ?` + s.db.ForUpdate())
		if err := tx.GetContext(ctx, &c, cq, a.TenantID, convID[0]); err != nil {
			return fmt.Errorf("lock ticket conversation: %w", err)
		}
		if err := s.checkReplyWindow(ctx, tx, &c); err != nil {
			return err
		}
		var err error
		if m, err = s.outgoing(ctx, tx, fx, &c, "agent", a.ID, Reply{Content: text, Type: "text"}); err != nil {
			return err
		}
		return tickets.Append(ctx, tx, a.TenantID, ticketID, m.ID, s.now())
	})
	return m, err
}
