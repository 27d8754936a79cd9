package conversations

import (
	"context"
	"fmt"
	"strconv"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/automations"
	"github.com/kefu-hub/kefu/hub/store"
	"github.com/kefu-hub/kefu/tickets"
)

// Windows are the platforms' reply rules by channel type (from the
// connector kinds).
type Windows map[string]hub.ReplyPolicy

// ArmClose schedules, for a channel whose platform takes no message once
// its reply window closed (hub.ReplyPolicy.TicketWhenClosed), the check at
// the moment the window opened by customer message m closes. Each customer
// message moves it.
func (w Windows) ArmClose(ctx context.Context, tx *store.Tx, ch *hub.Channel, c *hub.Conversation, m *hub.Message, contactExternalID string) error {
	p, ok := w[ch.Type]
	if !ok || !p.TicketWhenClosed {
		return nil
	}
	within, _ := p.For(contactExternalID)
	return automations.Arm(ctx, tx, c, automations.TimerWindowClosed, strconv.FormatInt(m.Seq, 10), m.CreatedAt.Add(within))
}

// windowClosed runs when a reply window closed: if no agent's reply reached
// the customer since their message, the customer's unanswered messages go
// to a ticket (the agent follows up another way), and the timeline says so.
// A conversation already offline has its ticket; a closed one needs none.
func windowClosed(s *Store) automations.Handler {
	return func(ctx context.Context, tx *store.Tx, t automations.Timer) (automations.Result, error) {
		return closeUnanswered(ctx, tx, s, t)
	}
}

func closeUnanswered(ctx context.Context, tx *store.Tx, s *Store, t automations.Timer) (automations.Result, error) {
	c, err := s.LockByID(ctx, tx, t.ConversationID)
	if err != nil || c == nil || c.Status == hub.ConvClosed || c.Status == hub.ConvOffline {
		return automations.Result{}, err
	}
	ref, _ := strconv.ParseInt(t.Ref, 10, 64)
	var answered int
	q := `SELECT COUNT(*) FROM messages WHERE conversation_id = ? AND seq > ? AND direction = 'out' AND sender_type = 'agent' AND status <> 'failed'`
	if err := tx.Get(ctx, &answered, q, c.ID, ref); err != nil {
		return automations.Result{}, fmt.Errorf("count answers: %w", err)
	}
	if answered > 0 {
		return automations.Result{}, nil
	}
	var lastAnswer int64
	lq := `SELECT COALESCE(MAX(seq), 0) FROM messages WHERE conversation_id = ? AND direction = 'out' AND sender_type = 'agent' AND status <> 'failed'`
	if err := tx.Get(ctx, &lastAnswer, lq, c.ID); err != nil {
		return automations.Result{}, fmt.Errorf("last answer: %w", err)
	}
	ms, err := InboundSince(ctx, tx, c.ID, lastAnswer)
	if err != nil || len(ms) == 0 {
		return automations.Result{}, err
	}
	ids := make([]string, len(ms))
	for i, m := range ms {
		ids[i] = m.ID
	}
	ticketID, _, err := tickets.OpenOrAppend(ctx, tx, tickets.Ref{TenantID: c.TenantID, ChannelID: c.ChannelID,
		ContactID: c.ContactID, ConversationID: c.ID, Subject: ms[0].Text}, ids)
	if err != nil {
		return automations.Result{}, err
	}
	note := &hub.Message{ID: hub.NewID("ms"), TenantID: c.TenantID, ConversationID: c.ID, ChannelID: c.ChannelID,
		Direction: hub.DirectionInternal, SenderType: hub.SenderSystem, Type: "note",
		Text:           "回复时限已过，平台不再接受发给该客户的消息；未回复的消息已转为工单 " + ticketID + "，请通过其他方式跟进。",
		AttachmentsRaw: "[]", Attachments: []hub.Attachment{}, Status: hub.MessageStored, CreatedAt: tx.Now()}
	if ok, err := Insert(ctx, tx, note); err != nil || !ok {
		return automations.Result{}, fmt.Errorf("store window note: %w", orConflict(err))
	}
	emit(tx, c, hub.EvMessageCreated, Deref(c.AssigneeID), messagePayload(note, nil))
	return automations.Result{}, nil
}
