package core

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/identity"
	"github.com/kefu-hub/kefu/hub/outbound"
	"github.com/kefu-hub/kefu/hub/store"
)

// Conversation returns a conversation the agent may see; anything else
// (another tenant's, or another agent's for a plain agent) is ErrNotFound.
func (s *Store) Conversation(ctx context.Context, a *hub.Agent, id string) (*hub.Conversation, error) {
	var c hub.Conversation
	q := `SELECT ` + convCols + ` FROM conversations WHERE tenant_id = ? AND id = ?`
	if err := s.db.R.GetContext(ctx, &c, s.db.R.Rebind(q), a.TenantID, id); err != nil {
		if store.NoRows(err) {
			return nil, fmt.Errorf("conversation %s: %w", id, hub.ErrNotFound)
		}
		return nil, fmt.Errorf("get conversation: %w", err)
	}
	if !a.SeesAll() && deref(c.AssigneeID) != a.ID {
		return nil, fmt.Errorf("conversation %s: %w", id, hub.ErrNotFound)
	}
	contact, err := s.contact(ctx, c.ContactID)
	c.Contact = contact
	if err == nil {
		c.ReplyWindow, err = s.replyWindow(ctx, s.db.R, &c) // window.go
	}
	if err == nil {
		c.Rating, err = s.ConversationRating(ctx, c.ID)
	}
	if ch, cerr := s.ch.Get(ctx, c.ChannelID); cerr == nil {
		c.ChannelType = ch.Type
	}
	return &c, err
}

func (s *Store) contact(ctx context.Context, id string) (*hub.Contact, error) {
	var c hub.Contact
	if err := s.db.R.GetContext(ctx, &c, s.db.R.Rebind(qContact), id); err != nil {
		return nil, fmt.Errorf("get contact: %w", err)
	}
	return &c, nil
}

const msgCols = `id, tenant_id, conversation_id, channel_id, seq, direction, sender_type, sender_id, type, text,
	attachments, external_id, client_id, status, error, created_at`

// Messages returns a conversation's messages with seq > after, in order.
func (s *Store) Messages(ctx context.Context, a *hub.Agent, convID string, after int64, limit int) ([]hub.Message, error) {
	if _, err := s.Conversation(ctx, a, convID); err != nil {
		return nil, err
	}
	if limit <= 0 {
		limit = 100
	}
	limit = min(limit, 500)
	return s.messagesAfter(ctx, s.db.R, convID, after, limit)
}

func (s *Store) messagesAfter(ctx context.Context, q sqlx.QueryerContext, convID string, after int64, limit int) ([]hub.Message, error) {
	out := []hub.Message{}
	sq := s.db.R.Rebind(`SELECT ` + msgCols + ` FROM messages WHERE conversation_id = ? AND seq > ? ORDER BY seq LIMIT ?`)
	if err := sqlx.SelectContext(ctx, q, &out, sq, convID, after, limit); err != nil {
		return nil, fmt.Errorf("list messages: %w", err)
	}
	for i := range out {
		out[i].DecodeAttachments()
	}
	return out, nil
}

// Reply is an agent's outgoing message.
type Reply struct {
	Content     string           `json:"content"`
	Type        string           `json:"type"`
	Attachments []hub.Attachment `json:"attachments"`
	ClientID    string           `json:"client_message_id"`
}

// lockConversation reads and row-locks a conversation of the agent's tenant
// that the agent may act on.
func (s *Store) lockConversation(ctx context.Context, tx *store.Tx, a *hub.Agent, id string) (*hub.Conversation, error) {
	var c hub.Conversation
	q := tx.Rebind(`SELECT ` + convCols + ` FROM conversations WHERE tenant_id = ? AND id = ?` + s.db.ForUpdate())
	if err := tx.GetContext(ctx, &c, q, a.TenantID, id); err != nil {
		if store.NoRows(err) {
			return nil, fmt.Errorf("conversation %s: %w", id, hub.ErrNotFound)
		}
		return nil, fmt.Errorf("lock conversation: %w", err)
	}
	if !a.SeesAll() && deref(c.AssigneeID) != a.ID {
		return nil, fmt.Errorf("conversation %s: %w", id, hub.ErrNotFound)
	}
	return &c, nil
}

// SendReply stores an agent's reply as pending and queues its delivery
// through the channel's connector. A repeated client_message_id returns the
// first message instead of sending twice.
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
	err := s.write(ctx, func(tx *store.Tx, fx *effects) error {
		c, err := s.lockConversation(ctx, tx, a, convID)
		if err != nil {
			return err
		}
		if c.Status == hub.ConvClosed {
			return fmt.Errorf("%w: conversation is closed", hub.ErrConflict)
		}
		if r.ClientID != "" {
			var prev []hub.Message
			pq := tx.Rebind(`SELECT ` + msgCols + ` FROM messages WHERE conversation_id = ? AND client_id = ?`)
			if err := tx.SelectContext(ctx, &prev, pq, c.ID, r.ClientID); err != nil {
				return fmt.Errorf("find client message: %w", err)
			}
			if len(prev) == 1 {
				m = &prev[0]
				m.DecodeAttachments()
				return nil
			}
		}
		if err := s.checkReplyWindow(ctx, tx, c); err != nil { // window.go: told before sending
			return err
		}
		m, err = s.outgoing(ctx, tx, fx, c, "agent", a.ID, r)
		return err
	})
	return m, err
}

// outgoing stores an outgoing message (agent reply or automatic reply),
// queues its delivery and emits it.
func (s *Store) outgoing(ctx context.Context, tx *store.Tx, fx *effects, c *hub.Conversation, senderType hub.SenderType, senderID string, r Reply) (*hub.Message, error) {
	ch, err := s.ch.Get(ctx, c.ChannelID)
	if err != nil {
		return nil, err
	}
	r.Content = s.mask(ctx, ch, r.Content) // automations.go
	atts, _ := json.Marshal(orEmpty(r.Attachments))
	m := &hub.Message{ID: hub.NewID("ms"), TenantID: c.TenantID, ConversationID: c.ID, ChannelID: c.ChannelID, Direction: "out",
		SenderType: senderType, SenderID: senderID, Type: r.Type, Text: r.Content, AttachmentsRaw: string(atts),
		Attachments: orEmpty(r.Attachments), Status: hub.MessagePending, CreatedAt: s.now()}
	if s.pushes[ch.Type] {
		m.Status = hub.MessageSent // the channel's own sockets carry it; it needs no delivery
	}
	if r.ClientID != "" {
		m.ClientID = &r.ClientID
	}
	if ok, err := s.insertMessage(ctx, tx, m); err != nil || !ok {
		return nil, fmt.Errorf("store reply: %w", errorsOr(err, hub.ErrConflict))
	}
	contact, err := s.contactTx(ctx, tx, c.ContactID) // the transaction may have created it
	if err != nil {
		return nil, err
	}
	if !s.pushes[ch.Type] {
		snap := *m
		if err := outbound.Queue(ctx, tx, ch.ID, &hub.Outbound{TenantID: c.TenantID, Kind: hub.OutboundMessage,
			Message: &snap, Contact: contact}); err != nil {
			return nil, err
		}
	}
	fx.emit(ch, hub.EvMessageCreated, c.ID, deref(c.AssigneeID), messagePayload(m, nil))
	return m, s.afterOutgoing(ctx, tx, ch, c, m) // automations.go
}

func errorsOr(err, fallback error) error {
	if err != nil {
		return err
	}
	return fallback
}

// CloseConversation closes a conversation and frees the agent's capacity;
// the caller then drains the queue.
func (s *Store) CloseConversation(ctx context.Context, a *hub.Agent, convID, reason string) (*hub.Conversation, error) {
	return s.Close(ctx, a, convID, Closing{Reason: reason})
}

// Closing is how a conversation ends: a free-text reason and, optionally,
// one of the tenant's conversation categories.
type Closing struct {
	Reason     string `json:"reason"`
	CategoryID string `json:"category_id"`
}

// Close closes a conversation with a reason and category. Closing a closed
// conversation sets nothing and is not an error.
func (s *Store) Close(ctx context.Context, a *hub.Agent, convID string, cl Closing) (*hub.Conversation, error) {
	var c *hub.Conversation
	err := s.write(ctx, func(tx *store.Tx, fx *effects) error {
		var err error
		c, err = s.lockConversation(ctx, tx, a, convID)
		if err != nil {
			return err
		}
		if err := s.checkCategory(ctx, tx, a.TenantID, cl.CategoryID); err != nil { // categories.go
			return err
		}
		return s.closeLocked(ctx, tx, fx, a, c, cl)
	})
	return c, err
}

// closeLocked closes a conversation the caller has locked.
func (s *Store) closeLocked(ctx context.Context, tx *store.Tx, fx *effects, a *hub.Agent, c *hub.Conversation, cl Closing) error {
	var cat *string
	if cl.CategoryID != "" {
		cat = &cl.CategoryID
	}
	if c.Status == hub.ConvClosed { // already closed: only a category can still be set
		if cat == nil {
			return nil
		}
		const q = `UPDATE conversations SET category_id = ? WHERE id = ?`
		c.CategoryID = cat
		if _, err := tx.ExecContext(ctx, tx.Rebind(q), cat, c.ID); err != nil {
			return fmt.Errorf("set category: %w", err)
		}
		return nil
	}
	now := s.now()
	const q = `UPDATE conversations SET status = 'closed', closed_at = ?, close_reason = ?, category_id = ?, updated_at = ? WHERE id = ?`
	if _, err := tx.ExecContext(ctx, tx.Rebind(q), now, hub.Clean(cl.Reason), cat, now, c.ID); err != nil {
		return fmt.Errorf("close conversation: %w", err)
	}
	if err := s.release(ctx, tx, c); err != nil {
		return err
	}
	c.Status, c.ClosedAt, c.CloseReason, c.CategoryID, c.UpdatedAt = hub.ConvClosed, &now, cl.Reason, cat, now
	ch := &hub.Channel{ID: c.ChannelID, TenantID: c.TenantID}
	fx.emit(ch, hub.EvConversationClosed, c.ID, deref(c.AssigneeID), map[string]any{"conversation": c, "by": a.ID})
	return nil
}

// release gives back the capacity an open conversation held.
func (s *Store) release(ctx context.Context, tx *store.Tx, c *hub.Conversation) error {
	if c.Status != hub.ConvOpen || c.AssigneeID == nil {
		return nil
	}
	const q = `UPDATE agents SET current_chats = current_chats - 1 WHERE id = ? AND current_chats > 0`
	if _, err := tx.ExecContext(ctx, tx.Rebind(q), *c.AssigneeID); err != nil {
		return fmt.Errorf("release capacity: %w", err)
	}
	return nil
}

// Transfer is a request to hand a conversation to an agent or a group.
type Transfer struct {
	AgentID string `json:"agent_id"`
	GroupID string `json:"group_id"`
	Reason  string `json:"reason"`
}

// TransferConversation moves a conversation to another agent (who must be
// signed in and under their maximum) or back into a group's queue.
func (s *Store) TransferConversation(ctx context.Context, a *hub.Agent, convID string, t Transfer) (*hub.Conversation, error) {
	if (t.AgentID == "") == (t.GroupID == "") {
		return nil, hub.Invalid("give exactly one of agent_id or group_id")
	}
	var c *hub.Conversation
	err := s.write(ctx, func(tx *store.Tx, fx *effects) error {
		var err error
		if c, err = s.lockConversation(ctx, tx, a, convID); err != nil {
			return err
		}
		if c.Status == hub.ConvClosed {
			return fmt.Errorf("%w: conversation is closed", hub.ErrConflict)
		}
		if t.AgentID != "" && t.AgentID == deref(c.AssigneeID) {
			return hub.Invalid("the conversation is already assigned to that agent")
		}
		from := deref(c.AssigneeID)
		if err := s.release(ctx, tx, c); err != nil {
			return err
		}
		ch := &hub.Channel{ID: c.ChannelID, TenantID: c.TenantID}
		payload := map[string]any{"from_agent_id": from, "to_agent_id": t.AgentID, "to_group_id": t.GroupID,
			"reason": hub.Clean(t.Reason), "by": a.ID}
		if t.AgentID != "" {
			err = s.transferToAgent(ctx, tx, c, t.AgentID)
		} else {
			err = s.transferToGroup(ctx, tx, c, t.GroupID)
		}
		if err != nil {
			return err
		}
		if err := s.afterTransfer(ctx, tx, fx, c, a, t); err != nil { // pickup.go: tell the customer, re-plan
			return err
		}
		payload["conversation"] = c
		if from != "" {
			fx.emit(ch, hub.EvConversationTransferred, c.ID, from, payload)
		}
		if t.AgentID != "" {
			return s.emitAssigned(ctx, tx, fx, c, payload)
		}
		fx.emit(ch, hub.EvConversationQueued, c.ID, "", payload)
		return nil
	})
	return c, err
}

func (s *Store) transferToAgent(ctx context.Context, tx *store.Tx, c *hub.Conversation, agentID string) error {
	now := s.now()
	const claim = `UPDATE agents SET current_chats = current_chats + 1, last_assigned_at = ?
		WHERE tenant_id = ? AND id = ? AND status <> 'offline' AND NOT disabled AND current_chats < max_chats`
	res, err := tx.ExecContext(ctx, tx.Rebind(claim), now, c.TenantID, agentID)
	if err != nil {
		return fmt.Errorf("claim agent: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		if _, err := s.id.Agents.Get(ctx, c.TenantID, agentID); err != nil {
			return hub.Invalid("agent %q does not exist", agentID)
		}
		return fmt.Errorf("%w: the agent is offline or at their maximum of concurrent chats", hub.ErrConflict)
	}
	const q = `UPDATE conversations SET status = 'open', assignee_id = ?, assigned_at = ?, updated_at = ? WHERE id = ?`
	if _, err := tx.ExecContext(ctx, tx.Rebind(q), agentID, now, now, c.ID); err != nil {
		return fmt.Errorf("assign conversation: %w", err)
	}
	c.Status, c.AssigneeID, c.AssignedAt = hub.ConvOpen, &agentID, &now
	return nil
}

func (s *Store) transferToGroup(ctx context.Context, tx *store.Tx, c *hub.Conversation, group string) error {
	gid, err := identity.Resolve(ctx, tx, c.TenantID, group)
	if err != nil {
		return err
	}
	if gid == nil {
		return hub.Invalid("group %q does not exist", group)
	}
	now := s.now()
	const q = `UPDATE conversations SET status = 'queued', assignee_id = NULL, group_id = ?, queued_at = ?, updated_at = ? WHERE id = ?`
	if _, err := tx.ExecContext(ctx, tx.Rebind(q), *gid, now, now, c.ID); err != nil {
		return fmt.Errorf("requeue conversation: %w", err)
	}
	c.Status, c.AssigneeID, c.GroupID, c.QueuedAt = hub.ConvQueued, nil, gid, &now
	return nil
}

// emitAssigned tells the new agent about the conversation, with its recent
// history so the agent sees everything at once.
func (s *Store) emitAssigned(ctx context.Context, tx *store.Tx, fx *effects, c *hub.Conversation, extra map[string]any) error {
	from := c.LastSeq - 50
	if from < 0 {
		from = 0
	}
	msgs, err := s.messagesAfter(ctx, tx, c.ID, from, 50)
	if err != nil {
		return err
	}
	contact, err := s.contactTx(ctx, tx, c.ContactID) // the transaction may have created it
	if err != nil {
		return err
	}
	c.Contact = contact
	payload := map[string]any{"conversation": c, "messages": msgs}
	for k, v := range extra {
		if k != "conversation" {
			payload[k] = v
		}
	}
	fx.emit(&hub.Channel{ID: c.ChannelID, TenantID: c.TenantID}, hub.EvConversationAssigned, c.ID, deref(c.AssigneeID), payload)
	return nil
}

// ByIDs returns messages by id, in the order they were written (a ticket's
// history).
func (s *Store) ByIDs(ctx context.Context, ids []string) ([]hub.Message, error) {
	out := []hub.Message{}
	if len(ids) == 0 {
		return out, nil
	}
	q := `SELECT ` + msgCols + ` FROM messages WHERE id IN (?) ORDER BY created_at, seq`
	if err := s.db.SelectIn(ctx, &out, q, ids); err != nil {
		return nil, fmt.Errorf("messages by id: %w", err)
	}
	for i := range out {
		out[i].DecodeAttachments()
	}
	return out, nil
}

// LastInbound is when a channel's last customer message arrived (nil: none
// yet), for the channel's health page.
func (s *Store) LastInbound(ctx context.Context, channelID string) (*time.Time, error) {
	var last []time.Time
	q := `SELECT created_at FROM messages WHERE channel_id = ? AND direction = 'in' ORDER BY created_at DESC LIMIT 1`
	if err := s.db.Select(ctx, &last, q, channelID); err != nil {
		return nil, fmt.Errorf("last message: %w", err)
	}
	if len(last) == 0 {
		return nil, nil
	}
	return &last[0], nil
}
