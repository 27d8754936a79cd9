package app

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/kefu-hub/kefu/hub"
)

// Pusher sends notifications through an app channel's push config
// (connectors/app/push: FCM HTTP v1, APNs, a signed webhook). It retries
// what is worth retrying itself and reports each token's outcome.
type Pusher interface {
	Push(ctx context.Context, ch *hub.Channel, config json.RawMessage, targets []PushToken, n Notification) []PushResult
}

// Notification is what a push shows and carries.
type Notification struct {
	Title string
	Body  string
	// CollapseID lets the device replace a notification with a newer one
	// of the same message (the message id).
	CollapseID     string
	Badge          int // unread agent messages in the conversation
	ConversationID string
	MessageID      string
	Seq            int64
	ContactID      string
}

// PushResult is one token's outcome.
type PushResult struct {
	Token string
	OK    bool
	// Invalid marks a token the provider says is gone (unregistered app,
	// expired token): it is removed.
	Invalid bool
	Err     string
}

// Send is the app channel's delivery of an agent's (or an automatic)
// message: a user with an app socket open on any hub process has it from
// the event stream already; one without gets exactly one push (the
// delivery queue calls Send once per message, and pushes are not retried
// from here: the pusher retries itself).
func (c *Connector) Send(ctx context.Context, ch *hub.Channel, out *hub.Outbound) hub.SendResult {
	if out.Kind == hub.OutboundEvent || out.Message == nil || out.Contact == nil || c.users == nil {
		return hub.SendResult{}
	}
	ext := out.Contact.ExternalID
	present, err := c.users.present(ctx, ch.ID, ext)
	if err != nil {
		return hub.SendResult{Err: fmt.Errorf("app presence: %w", err)}
	}
	if present {
		return hub.SendResult{}
	}
	tokens, err := c.users.tokens(ctx, ch.ID, ext)
	if err != nil {
		return hub.SendResult{Err: err}
	}
	cfg, p := parseConfig(ch.Config), pushes{c}
	switch {
	case len(tokens) == 0:
		p.record(ctx, ch.ID, ext, "no_token")
		return hub.SendResult{}
	case c.pusher == nil || cfg.Push == nil:
		p.record(ctx, ch.ID, ext, "not_configured")
		return hub.SendResult{}
	}
	res := c.pusher.Push(ctx, ch, cfg.Push, tokens, p.notification(ctx, ch, out))
	p.settle(ctx, ch, ext, res)
	return hub.SendResult{}
}

// pushes are the connector's methods that send a push.
type pushes struct{ *Connector }

// settle removes invalid tokens and records the outcome.
func (c pushes) settle(ctx context.Context, ch *hub.Channel, ext string, res []PushResult) {
	var invalid, errs []string
	sent := 0
	for _, r := range res {
		switch {
		case r.OK:
			sent++
		case r.Invalid:
			invalid = append(invalid, r.Token)
		default:
			errs = append(errs, r.Err)
		}
	}
	if err := c.users.dropTokens(ctx, ch.ID, invalid); err != nil {
		c.deps.Log.Warn("drop invalid push tokens", "channel", ch.ID, "err", err)
	}
	summary := fmt.Sprintf("sent %d/%d", sent, len(res))
	if len(invalid) > 0 {
		summary += fmt.Sprintf(", %d invalid token(s) removed", len(invalid))
	}
	if len(errs) > 0 {
		summary += ": " + strings.Join(errs, "; ")
	}
	c.record(ctx, ch.ID, ext, summary)
}

func (c pushes) record(ctx context.Context, channelID, ext, result string) {
	if err := c.users.pushed(ctx, channelID, ext, result); err != nil {
		c.deps.Log.Warn("record push result", "channel", channelID, "err", err)
	}
}

// notification is the push for a message: the sender's name and the
// message (or what it carries), the conversation's unread count as badge.
func (c pushes) notification(ctx context.Context, ch *hub.Channel, out *hub.Outbound) Notification {
	m := out.Message
	title := ch.Name
	if m.SenderType == hub.SenderAgent {
		if name := c.names.Get(ch.TenantID, m.SenderID); name != "" {
			title = name
		}
	}
	body := hub.Bounded(m.Text, 120)
	if strings.TrimSpace(body) == "" {
		body = map[string]string{"image": "[图片]"}[m.Type]
		if body == "" {
			body = "[文件]"
		}
	}
	n := Notification{Title: title, Body: body, CollapseID: m.ID, ConversationID: m.ConversationID, MessageID: m.ID,
		Seq: m.Seq, ContactID: out.Contact.ID, Badge: 1}
	reads, err := c.users.reads(ctx, []string{m.ConversationID})
	if err == nil {
		conv := &hub.Conversation{ID: m.ConversationID, LastSeq: m.Seq}
		n.Badge = max(1, c.unread(ctx, conv, reads[m.ConversationID]))
	}
	return n
}
