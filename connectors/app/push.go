package app

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/kefu-hub/kefu/connectors/app/push"
	"github.com/kefu-hub/kefu/hub"
)

// Send is the app channel's delivery of an agent's (or an automatic)
// message: a user with an app socket open on any hub process when it was
// written has it from the event stream (one who connected since, from the
// welcome); one without gets exactly one push (the
// delivery queue calls Send once per message, and a push is not retried
// from here: the push senders retry what is worth retrying themselves).
func (c *Connector) Send(ctx context.Context, ch *hub.Channel, out *hub.Outbound) hub.SendResult {
	if out.Kind == hub.OutboundEvent || out.Message == nil || out.Contact == nil || c.users == nil {
		return hub.SendResult{}
	}
	ext := out.Contact.ExternalID
	present, err := c.users.present(ctx, ch.ID, ext, out.Message.CreatedAt)
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
	s, p := parseSecrets(ch.Secret), pushes{c}
	switch {
	case len(tokens) == 0:
		p.record(ctx, ch.ID, ext, "no_token")
		return hub.SendResult{}
	case s.Push == nil:
		p.record(ctx, ch.ID, ext, "not_configured")
		return hub.SendResult{}
	}
	raw, _ := json.Marshal(s.Push)
	pusher, err := c.pushers.For(ch.ID, raw)
	if err != nil {
		p.record(ctx, ch.ID, ext, err.Error())
		return hub.SendResult{}
	}
	targets := make([]push.Target, len(tokens))
	for i, t := range tokens {
		targets[i] = push.Target{Platform: t.Platform, Token: t.Token, Provider: t.Provider}
	}
	p.settle(ctx, ch, ext, pusher.Send(ctx, targets, p.notification(ctx, ch, out)))
	return hub.SendResult{}
}

// pushes are the connector's methods that send a push.
type pushes struct{ *Connector }

// settle removes invalid tokens and records the outcome.
func (c pushes) settle(ctx context.Context, ch *hub.Channel, ext string, res []push.Result) {
	var invalid, errs []string
	sent := 0
	for _, r := range res {
		switch r.Outcome {
		case push.Delivered:
			sent++
		case push.InvalidToken:
			invalid = append(invalid, r.Token)
		default:
			errs = append(errs, fmt.Sprint(r.Err))
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
// message (or what it carries), the conversation's unread count as badge,
// collapsing on the message (a retry replaces, never adds).
func (c pushes) notification(ctx context.Context, ch *hub.Channel, out *hub.Outbound) push.Notification {
	m := out.Message
	title := ch.Name
	if m.SenderType == hub.SenderAgent {
		if name := c.names.Get(ch.TenantID, m.SenderID); name != "" {
			title = name
		}
	}
	body := m.Text
	if strings.TrimSpace(body) == "" {
		body = map[string]string{"image": "[图片]"}[m.Type]
		if body == "" {
			body = "[文件]"
		}
	}
	n := push.Notification{ID: m.ID, ConversationID: m.ConversationID, Title: title, Body: body, CollapseID: m.ID, Badge: 1,
		Data: map[string]string{"message_id": m.ID, "seq": fmt.Sprint(m.Seq), "contact_id": out.Contact.ID}}
	reads, err := c.users.reads(ctx, []string{m.ConversationID})
	if err == nil {
		conv := &hub.Conversation{ID: m.ConversationID, LastSeq: m.Seq}
		n.Badge = max(1, c.unread(ctx, conv, reads[m.ConversationID]))
	}
	return n
}
