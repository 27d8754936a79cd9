package email

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/mail"
	"slices"
	"strings"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/channels"
	"github.com/kefu-hub/kefu/hub/contacts"
	"github.com/kefu-hub/kefu/hub/outbound"
	"github.com/kefu-hub/kefu/hub/store"
	"github.com/kefu-hub/kefu/tickets"
)

// Recipient is someone a tenant tells by e-mail of new tickets: an agent
// (AgentID set, Address their sign-in address when added) or any address.
type Recipient struct {
	Address string `db:"address" json:"address"`
	AgentID string `db:"agent_id" json:"agent_id,omitempty"`
}

// MaxRecipients bounds a tenant's notification list.
const MaxRecipients = 50

// Recipients is a tenant's notification list.
func Recipients(ctx context.Context, q store.Querier, tenantID string) ([]Recipient, error) {
	out := []Recipient{}
	if err := q.Select(ctx, &out, `SELECT address, agent_id FROM email_recipients WHERE tenant_id = ? ORDER BY address`, tenantID); err != nil {
		return nil, fmt.Errorf("e-mail recipients: %w", err)
	}
	return out, nil
}

// SetRecipients replaces a tenant's notification list. An agent named by
// id is checked against the tenant (agentEmail answers hub.ErrNotFound for
// a foreign one) and notified at their address.
func SetRecipients(ctx context.Context, k *store.Store, tenantID string, rs []Recipient,
	agentEmail func(ctx context.Context, tenantID, id string) (string, error)) ([]Recipient, error) {
	if len(rs) > MaxRecipients {
		return nil, hub.Invalid("at most %d recipients", MaxRecipients)
	}
	seen := map[string]bool{}
	var clean []Recipient
	for _, r := range rs {
		r.AgentID = strings.TrimSpace(r.AgentID)
		if r.AgentID != "" {
			addr, err := agentEmail(ctx, tenantID, r.AgentID)
			if err != nil {
				return nil, err
			}
			r.Address = addr
		}
		a, err := mail.ParseAddress(strings.TrimSpace(r.Address))
		if err != nil || a.Address != strings.TrimSpace(r.Address) {
			return nil, hub.Invalid("%q is not an e-mail address", r.Address)
		}
		r.Address = strings.ToLower(a.Address)
		if !seen[r.Address] {
			seen[r.Address] = true
			clean = append(clean, r)
		}
	}
	err := k.Write(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM email_recipients WHERE tenant_id = ?`, tenantID); err != nil {
			return fmt.Errorf("clear e-mail recipients: %w", err)
		}
		for _, r := range clean {
			q := `INSERT INTO email_recipients (tenant_id, address, agent_id, created_at) VALUES (?, ?, ?, ?)`
			if _, err := tx.Exec(ctx, q, tenantID, r.Address, r.AgentID, tx.Now()); err != nil {
				return fmt.Errorf("add e-mail recipient: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return Recipients(ctx, k, tenantID)
}

// Notify is the kernel's event hook that announces a new ticket (a left
// message, a mail, an unanswered chat) by e-mail: in the transaction that
// opens the ticket it queues a delivery through the tenant's first e-mail
// channel when the tenant chose recipients. The delivery queue sends it
// once, retrying with backoff.
func Notify(ctx context.Context, tx *store.Tx, e *hub.Event) error {
	switch {
	case e.TenantID == "":
		return nil
	case e.Type == hub.EvTicketCreated:
	case e.Type == hub.EvMessageCreated:
		if !bytes.Contains(e.Payload, []byte(`"sender_type":"agent"`)) {
			return nil // the cheap test first: this runs for every message
		}
		return mailTicketReply(ctx, tx, e)
	case e.Type == hub.EvConversationRated:
		var p struct {
			Bad bool `json:"bad"`
		}
		if json.Unmarshal(e.Payload, &p) != nil || !p.Bad {
			return nil
		}
	default:
		return nil
	}
	return tellStaff(ctx, tx, e)
}

// mailTicketReply sends an agent's public reply on a ticket of another
// channel (a web leave-message, a WeChat ticket …) to the customer's e-mail
// address too, when they left one and the tenant has a mailbox: the
// customer who left a message is rarely still on the page.
func mailTicketReply(ctx context.Context, tx *store.Tx, e *hub.Event) error {
	var p struct {
		Message *hub.Message `json:"message"`
	}
	if json.Unmarshal(e.Payload, &p) != nil || p.Message == nil || p.Message.Direction != hub.DirectionOut {
		return nil
	}
	ticketID, err := tickets.OfMessage(ctx, tx, e.TenantID, p.Message.ID)
	if err != nil || ticketID == "" {
		return err
	}
	ids, err := channels.OfType(ctx, tx, e.TenantID, Type)
	if err != nil || len(ids) == 0 || slices.Contains(ids, e.ChannelID) {
		return err // no mailbox, or the mailbox's own ticket (its reply is a mail already)
	}
	head, err := tickets.HeadOf(ctx, tx, e.TenantID, ticketID)
	if err != nil {
		return err
	}
	c, err := contacts.Get(ctx, tx, head.ContactID)
	if err != nil || !strings.Contains(c.Email, "@") {
		return err
	}
	m := &hub.Message{ID: p.Message.ID, ConversationID: p.Message.ConversationID, Type: p.Message.Type, Text: p.Message.Text,
		Attachments: p.Message.Attachments, SenderType: p.Message.SenderType}
	return outbound.Queue(ctx, tx, ids[0], &hub.Outbound{TenantID: e.TenantID, Kind: hub.OutboundReply, Message: m, Contact: c})
}

// EvStaffNotice carries a Mailer's mail (subject and body) through the
// delivery queue; it is never emitted as an event.
const EvStaffNotice hub.EventType = "email.staff_notice"

// Mailer tells a tenant's chosen staff (the 邮件通知人) something by
// e-mail through the tenant's e-mail channel, durably: the mail is queued
// in the caller's transaction and sent, retried with backoff, once it
// commits. A tenant without an e-mail channel or recipients gets nothing.
type Mailer interface {
	TellStaff(ctx context.Context, tx *store.Tx, tenantID, subject, body string) error
}

// Staff is the Mailer.
type Staff struct{}

// TellStaff queues the mail.
func (Staff) TellStaff(ctx context.Context, tx *store.Tx, tenantID, subject, body string) error {
	p, _ := json.Marshal(map[string]string{"subject": hub.Bounded(oneLine(subject), 200), "body": hub.Bounded(body, 20000)})
	return tellStaff(ctx, tx, &hub.Event{TenantID: tenantID, Type: EvStaffNotice, Payload: p, CreatedAt: tx.Now()})
}

// tellAddresses queues a staff mail to the given addresses rather than
// the notification list.
func tellAddresses(ctx context.Context, tx *store.Tx, tenantID string, to []string, subject, body string) error {
	p, _ := json.Marshal(map[string]any{"subject": hub.Bounded(oneLine(subject), 200), "body": hub.Bounded(body, 20000),
		"to": to})
	e := &hub.Event{TenantID: tenantID, Type: EvStaffNotice, Payload: p, CreatedAt: tx.Now()}
	ids, err := channels.OfType(ctx, tx, tenantID, Type)
	if err != nil || len(ids) == 0 {
		return err
	}
	return outbound.Queue(ctx, tx, ids[0], &hub.Outbound{TenantID: tenantID, Kind: hub.OutboundEvent, Event: e, Staff: true})
}

func tellStaff(ctx context.Context, tx *store.Tx, e *hub.Event) error {
	ids, err := channels.OfType(ctx, tx, e.TenantID, Type)
	if err != nil || len(ids) == 0 {
		return err
	}
	var n []int
	if err := tx.Select(ctx, &n, `SELECT COUNT(*) FROM email_recipients WHERE tenant_id = ?`, e.TenantID); err != nil {
		return fmt.Errorf("count e-mail recipients: %w", err)
	}
	if len(n) == 0 || n[0] == 0 {
		return nil
	}
	ev := *e
	return outbound.Queue(ctx, tx, ids[0], &hub.Outbound{TenantID: e.TenantID, Kind: hub.OutboundEvent, Event: &ev, Staff: true})
}
