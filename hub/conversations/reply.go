package conversations

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/automations"
	"github.com/kefu-hub/kefu/hub/contacts"
	"github.com/kefu-hub/kefu/hub/identity"
	"github.com/kefu-hub/kefu/hub/outbound"
	"github.com/kefu-hub/kefu/hub/store"
	"github.com/kefu-hub/kefu/tickets"
)

// Reply is an agent's outgoing message.
type Reply struct {
	Content     string           `json:"content"`
	Type        string           `json:"type"`
	Attachments []hub.Attachment `json:"attachments"`
	ClientID    string           `json:"client_message_id"`
	// Rich is the robot's rich answer (sanitized HTML) whose text Content
	// is; agents' bodies cannot set it.
	Rich string `json:"-"`
}

// Text is an automatic text message.
func Text(s string) Reply { return Reply{Content: s, Type: "text"} }

// SendReply stores an agent's reply and has it delivered through the
// channel's connector. A repeated client_message_id returns the first
// message instead of sending twice.
func (s *Store) SendReply(ctx context.Context, a *hub.Agent, convID string, r Reply) (*hub.Message, error) {
	r.Content = hub.Clean(r.Content)
	if strings.TrimSpace(r.Content) == "" && len(r.Attachments) == 0 {
		return nil, hub.Invalid("content is required")
	}
	if len(r.Content) > 20000 {
		return nil, hub.Invalid("content is longer than 20000 bytes")
	}
	if r.Type == "" {
		r.Type = "text"
	}
	var m *hub.Message
	err := s.k.Write(ctx, func(tx *store.Tx) error {
		c, err := s.Lock(ctx, tx, a, convID)
		if err != nil {
			return err
		}
		if c.Status == hub.ConvClosed {
			return fmt.Errorf("%w: conversation is closed", hub.ErrConflict)
		}
		if r.ClientID != "" {
			var prev []hub.Message
			q := `SELECT ` + msgCols + ` FROM messages WHERE conversation_id = ? AND client_id = ?`
			if err := tx.Select(ctx, &prev, q, c.ID, r.ClientID); err != nil {
				return fmt.Errorf("find client message: %w", err)
			}
			if len(prev) == 1 {
				m = &prev[0]
				m.DecodeAttachments()
				return nil
			}
		}
		if err := s.CheckWindow(ctx, tx, c); err != nil { // told before sending
			return err
		}
		m, err = s.Outgoing(ctx, tx, c, hub.SenderAgent, a.ID, r)
		return err
	})
	return m, err
}

// Outgoing stores an outgoing message (an agent's reply or an automatic
// one) in the caller's transaction, has it delivered and tells the agents.
// A channel that pushes over its own sockets gets it from the event stream:
// it is sent as soon as it is stored.
func (s *Store) Outgoing(ctx context.Context, tx *store.Tx, c *hub.Conversation, sender hub.SenderType, senderID string, r Reply) (*hub.Message, error) {
	ch, err := s.channels.Get(ctx, c.ChannelID)
	if err != nil {
		return nil, err
	}
	if sender != hub.SenderAgent {
		// What an agent deliberately writes reaches the customer as written
		// (an order number, the card the customer asked about); masking is
		// for what customers send.
		masked := s.autos.Mask(ctx, ch, r.Content)
		if masked != r.Content {
			r.Rich = "" // the markup would show what the mask hid: the text alone
		}
		r.Content = masked
	}
	atts, _ := json.Marshal(orEmpty(r.Attachments))
	m := &hub.Message{ID: hub.NewID("ms"), TenantID: c.TenantID, ConversationID: c.ID, ChannelID: c.ChannelID,
		Direction: hub.DirectionOut, SenderType: sender, SenderID: senderID, Type: r.Type, Text: r.Content,
		AttachmentsRaw: string(atts), Attachments: orEmpty(r.Attachments), Rich: r.Rich, Status: hub.MessagePending,
		CreatedAt: tx.Now()}
	if s.pushes[ch.Type] {
		m.Status = hub.MessageSent // the channel's own sockets carry it; it needs no delivery
	}
	if r.ClientID != "" {
		m.ClientID = &r.ClientID
	}
	if ok, err := Insert(ctx, tx, m); err != nil || !ok {
		return nil, fmt.Errorf("store reply: %w", orConflict(err))
	}
	if !s.pushes[ch.Type] {
		contact, err := contacts.Get(ctx, tx, c.ContactID) // the transaction may have created it
		if err != nil {
			return nil, err
		}
		snap := *m
		var answers *hub.ReplyTo
		if _, ok := s.windows[ch.Type]; ok {
			if answers, err = replyTo(ctx, tx, c, m.Seq); err != nil {
				return nil, err
			}
		}
		if err := outbound.Queue(ctx, tx, ch.ID, &hub.Outbound{TenantID: c.TenantID, Kind: hub.OutboundMessage,
			Message: &snap, Contact: contact, ReplyTo: answers}); err != nil {
			return nil, err
		}
	}
	emit(tx, c, hub.EvMessageCreated, Deref(c.AssigneeID), messagePayload(m, nil))
	if m.SenderType != hub.SenderAgent {
		return m, nil
	}
	if s.watch != nil {
		if err := s.watch(ctx, tx, c, m); err != nil {
			return nil, err
		}
	}
	// The agent wrote: remind the customer if they go quiet.
	if auto := s.autos.For(ctx, ch); auto.Idle.Enabled {
		return m, automations.Arm(ctx, tx, c, automations.TimerIdleReminder, fmt.Sprint(m.Seq),
			m.CreatedAt.Add(automations.Secs(auto.Idle.ReminderAfterSeconds)))
	}
	return m, nil
}

// AddNote stores an internal note (内部备注) on a conversation the agent may
// see, open or closed, and tells the agents working it.
func (s *Store) AddNote(ctx context.Context, a *hub.Agent, convID, text string) (*hub.Message, error) {
	text = hub.Clean(text)
	if strings.TrimSpace(text) == "" || utf8.RuneCountInString(text) > 5000 {
		return nil, hub.Invalid("text is required, at most 5000 characters")
	}
	var m *hub.Message
	err := s.k.Write(ctx, func(tx *store.Tx) error {
		c, err := s.Lock(ctx, tx, a, convID)
		if err != nil {
			return err
		}
		m = &hub.Message{ID: hub.NewID("ms"), TenantID: c.TenantID, ConversationID: c.ID, ChannelID: c.ChannelID,
			Direction: hub.DirectionInternal, SenderType: hub.SenderAgent, SenderID: a.ID, Type: "note", Text: text,
			AttachmentsRaw: "[]", Attachments: []hub.Attachment{}, Status: hub.MessageStored, CreatedAt: tx.Now()}
		if ok, err := Insert(ctx, tx, m); err != nil || !ok {
			return fmt.Errorf("store note: %w", orConflict(err))
		}
		emit(tx, c, hub.EvMessageCreated, Deref(c.AssigneeID), messagePayload(m, nil))
		return nil
	})
	return m, err
}

// TransferNote records a transfer in the conversation's timeline, in the
// caller's transaction: an internal message (type "transfer") by the agent
// who transferred it, its text the reason given (maybe empty), so the
// receiving agent and the history show who handed it over and why. Like a
// note, the customer never sees it.
func TransferNote(ctx context.Context, tx *store.Tx, c *hub.Conversation, by *hub.Agent, reason string) (*hub.Message, error) {
	m := &hub.Message{ID: hub.NewID("ms"), TenantID: c.TenantID, ConversationID: c.ID, ChannelID: c.ChannelID,
		Direction: hub.DirectionInternal, SenderType: hub.SenderAgent, SenderID: by.ID, Type: "transfer",
		Text: hub.Bounded(reason, 1000), AttachmentsRaw: "[]", Attachments: []hub.Attachment{}, Status: hub.MessageStored,
		CreatedAt: tx.Now()}
	if ok, err := Insert(ctx, tx, m); err != nil || !ok {
		return nil, fmt.Errorf("store transfer note: %w", orConflict(err))
	}
	emit(tx, c, hub.EvMessageCreated, Deref(c.AssigneeID), messagePayload(m, nil))
	return m, nil
}

// RequestRating asks the customer to rate a conversation the agent may see:
// the request is an event of the tenant's stream, which the web visitor
// socket turns into the rating form and API channels receive as a callback
// event; on WeChat, Weibo, QQ and WeCom the invitation text goes out with
// it. There, with the tenant's invitation text empty, it refuses
// (ratings.ErrInviteEmpty) and logs nothing: nothing would be sent, and
// the reports' 参评率 counts the request as a rating offered.
func (s *Store) RequestRating(ctx context.Context, a *hub.Agent, convID string) error {
	return s.k.Write(ctx, func(tx *store.Tx) error {
		c, err := s.Lock(ctx, tx, a, convID)
		if err != nil {
			return err
		}
		ch, err := s.channels.Get(ctx, c.ChannelID)
		if err != nil {
			return err
		}
		text, err := InviteRating(ctx, tx, s, c, ch, false)
		if err != nil {
			return err
		}
		emit(tx, c, hub.EvRatingRequested, Deref(c.AssigneeID), map[string]any{"conversation_id": c.ID, "requested_by": a.ID})
		return sendInvitation(ctx, tx, s, c, text)
	})
}

// MessageResult records a delivery's outcome on its message (sent, or
// failed with the platform's reason) and tells the agents; the outbound
// store calls it in the transaction that logs the attempt.
func (s *Store) MessageResult(ctx context.Context, tx *store.Tx, msgID, status, errText string) error {
	return messageResult(ctx, tx, msgID, status, errText)
}

// Undelivered marks an agent's message the platform took and later
// reported undelivered (WeCom 微信客服's msg_send_fail) as failed with the
// reason, and tells the agents. Only a sent message of that channel is
// touched; another id is ignored.
func Undelivered(ctx context.Context, k *store.Store, channelID, msgID, reason string) error {
	return k.Write(ctx, func(tx *store.Tx) error {
		var ids []string
		q := `SELECT id FROM messages WHERE id = ? AND channel_id = ? AND direction = ? AND status = ?`
		if err := tx.Select(ctx, &ids, q, msgID, channelID, hub.DirectionOut, hub.MessageSent); err != nil {
			return fmt.Errorf("undelivered message: %w", err)
		}
		if len(ids) == 0 {
			return nil
		}
		return messageResult(ctx, tx, msgID, string(hub.MessageFailed), hub.Truncate(reason, 500))
	})
}

func messageResult(ctx context.Context, tx *store.Tx, msgID, status, errText string) error {
	if _, err := tx.Exec(ctx, `UPDATE messages SET status = ?, error = ? WHERE id = ?`, status, errText, msgID); err != nil {
		return fmt.Errorf("message status: %w", err)
	}
	var m hub.Message
	if err := tx.Get(ctx, &m, `SELECT `+msgCols+` FROM messages WHERE id = ?`, msgID); err != nil {
		return fmt.Errorf("reread message: %w", err)
	}
	m.DecodeAttachments()
	// COALESCE: an unassigned conversation (an offline auto-reply) has a NULL
	// assignee, which sqlx cannot scan into a []*string element.
	var assignee []string
	if err := tx.Select(ctx, &assignee, `SELECT COALESCE(assignee_id, '') FROM conversations WHERE id = ?`, m.ConversationID); err != nil {
		return fmt.Errorf("message conversation: %w", err)
	}
	to := ""
	if len(assignee) == 1 {
		to = assignee[0]
	}
	tx.Emit(hub.Event{TenantID: m.TenantID, ChannelID: m.ChannelID, Type: hub.EvMessageUpdated, ConversationID: m.ConversationID,
		AgentID: to}, messagePayload(&m, nil))
	return nil
}

// ReplyToTicket sends an agent's answer to a ticket's customer: a message on
// the ticket's conversation delivered through its channel, the way any
// agent reply is, and added to the ticket's history. The conversation may be
// offline (nobody was online; the ticket holds it) or already closed: the
// reply still goes out as long as the platform accepts it (the reply window
// applies and is told before sending). The caller has checked that the
// agent may see the ticket.
func (s *Store) ReplyToTicket(ctx context.Context, a *hub.Agent, ticketID, text string) (*hub.Message, error) {
	text = hub.Clean(text)
	if strings.TrimSpace(text) == "" {
		return nil, hub.Invalid("text is required")
	}
	if len(text) > 20000 {
		return nil, hub.Invalid("text is longer than 20000 bytes")
	}
	var m *hub.Message
	err := s.k.Write(ctx, func(tx *store.Tx) error {
		convID, err := tickets.Conversation(ctx, tx, a.TenantID, ticketID)
		if err != nil {
			return err
		}
		var c hub.Conversation
		q := `SELECT ` + convCols + ` FROM conversations WHERE tenant_id = ? AND id = ?` + s.k.ForUpdate()
		if err := tx.Get(ctx, &c, q, a.TenantID, convID); err != nil {
			return fmt.Errorf("lock ticket conversation: %w", err)
		}
		if err := s.CheckWindow(ctx, tx, &c); err != nil {
			return err
		}
		// A ticket reply reads like a letter: it carries the agent's
		// signature (their profile) when they set one.
		prof, err := identity.ProfileOf(ctx, tx, a.ID)
		if err != nil {
			return err
		}
		body := text
		if prof.Signature != "" {
			body += "\n\n-- \n" + prof.Signature
		}
		if m, err = s.Outgoing(ctx, tx, &c, hub.SenderAgent, a.ID, Text(body)); err != nil {
			return err
		}
		return tickets.Append(ctx, tx, a.TenantID, ticketID, m.ID)
	})
	return m, err
}
