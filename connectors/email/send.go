package email

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strings"

	gomail "github.com/wneessen/go-mail"

	"github.com/kefu-hub/kefu/connectors"
	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/contacts"
	"github.com/kefu-hub/kefu/hub/files"
	"github.com/kefu-hub/kefu/hub/store"
	"github.com/kefu-hub/kefu/tickets"
)

// Send delivers one push through the mailbox's SMTP server: an agent's
// message to the customer (threaded onto the customer's last mail), or a
// new ticket's notification to the tenant's chosen staff (Notify queues
// those). The delivery queue retries a failure with backoff; an SMTP 5xx
// answer (a refused recipient …) is permanent and shows on the message.
func (c *Connector) Send(ctx context.Context, ch *hub.Channel, out *hub.Outbound) hub.SendResult {
	a, err := accountOf(ch)
	if err != nil {
		return hub.SendResult{Err: err, Permanent: true}
	}
	var msg *gomail.Msg
	var rec *sent
	switch {
	case out.Kind == hub.OutboundEvent && out.Event != nil:
		msg, err = c.notification(ctx, ch, a, out)
	case out.Message != nil && out.Contact != nil:
		msg, rec, err = c.answer(ctx, ch, a, out)
	default:
		return hub.SendResult{Err: errors.New("nothing an e-mail can carry"), Permanent: true}
	}
	if err != nil {
		return hub.SendResult{Err: err, Permanent: errors.Is(err, errPermanent)}
	}
	if msg == nil {
		return hub.SendResult{StatusCode: 250} // nobody to tell
	}
	if err := c.deliver(ctx, a, msg); err != nil {
		var se *gomail.SendError
		perm := errors.As(err, &se) && !se.IsTemp() && se.Reason != gomail.ErrConnCheck && se.Reason != gomail.ErrSMTPMailFrom
		return hub.SendResult{Err: fmt.Errorf("smtp %s: %w", a.SMTPHost, err), Permanent: perm}
	}
	if rec != nil {
		if err := c.remember(ctx, ch, *rec); err != nil {
			c.log.Warn("e-mail sent but not recorded for threading", "channel_id", ch.ID, "err", err)
		}
	}
	return hub.SendResult{StatusCode: 250}
}

// errPermanent marks a message that can never be sent (no address).
var errPermanent = errors.New("permanent")

// sent is an outgoing mail kept for threading the customer's answer.
type sent struct {
	messageID, address, ticketID string
}

// answer composes an agent's (or an automatic) message to the customer.
func (c *Connector) answer(ctx context.Context, ch *hub.Channel, a *account, out *hub.Outbound) (*gomail.Msg, *sent, error) {
	to := strings.TrimSpace(out.Contact.Email)
	if to == "" && strings.Contains(out.Contact.ExternalID, "@") {
		to = out.Contact.ExternalID
	}
	if to == "" {
		return nil, nil, fmt.Errorf("%w: the customer has no e-mail address", errPermanent)
	}
	var head *tickets.Head
	if out.Message.ConversationID != "" {
		h, err := tickets.OfConversation(ctx, c.d.Store, ch.TenantID, out.Message.ConversationID)
		if err != nil && !errors.Is(err, tickets.ErrNotFound) {
			return nil, nil, err
		}
		head = h
	}
	thread, err := c.thread(ctx, ch.ID, strings.ToLower(to))
	if err != nil {
		return nil, nil, err
	}
	m := gomail.NewMsg()
	if err := m.FromFormat(a.FromName, a.FromAddress); err != nil {
		return nil, nil, fmt.Errorf("%w: from: %w", errPermanent, err)
	}
	if err := m.AddToFormat(out.Contact.Name, to); err != nil {
		return nil, nil, fmt.Errorf("%w: the customer's address %q: %w", errPermanent, to, err)
	}
	subject := ch.Name
	if head != nil {
		subject = strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(head.Subject, "Re: "), "回复："))
		if subject == "" {
			subject = ch.Name
		}
		subject = "Re: " + subject + " " + head.Tag()
	}
	m.Subject(subject)
	id := "kefu." + strings.TrimPrefix(out.ID, "msg_") + "@" + a.Domain()
	m.SetMessageIDWithValue(id)
	m.SetDate()
	if len(thread) > 0 {
		m.SetGenHeader(gomail.HeaderInReplyTo, "<"+thread[len(thread)-1]+">")
		refs := make([]string, len(thread))
		for i, t := range thread {
			refs[i] = "<" + t + ">"
		}
		m.SetGenHeader(gomail.HeaderReferences, strings.Join(refs, " "))
	}
	body := out.Message.Text
	for _, at := range out.Message.Attachments {
		if data, name, ok := c.file(ctx, ch.TenantID, at); ok {
			if err := m.AttachReader(name, bytes.NewReader(data)); err != nil {
				return nil, nil, fmt.Errorf("attach %s: %w", name, err)
			}
			continue
		}
		if at.URL != "" {
			body += "\n" + at.Name + " " + at.URL
		}
	}
	m.SetBodyString(gomail.TypeTextPlain, body)
	rec := &sent{messageID: id, address: strings.ToLower(to)}
	if head != nil {
		rec.ticketID = head.ID
	}
	return m, rec, nil
}

// file reads an attachment the hub stores, to attach it to the mail.
func (c *Connector) file(ctx context.Context, tenantID string, at hub.Attachment) ([]byte, string, bool) {
	id, ok := strings.CutPrefix(at.URL, files.FileURL(""))
	if !ok || c.d.Files == nil || id == "" {
		return nil, "", false
	}
	f, err := c.d.Files.Get(ctx, tenantID, id)
	if err != nil || f.Status != files.FileReady || len(f.Data) == 0 {
		return nil, "", false
	}
	name := f.Name
	if name == "" {
		name = at.Name
	}
	return f.Data, name, true
}

// thread is the Message-IDs of the customer's conversation with the
// mailbox, oldest first (at most ten): the last one is what a reply
// answers (In-Reply-To), all of them its References.
func (c *Connector) thread(ctx context.Context, channelID, address string) ([]string, error) {
	var rows []struct {
		ID  string `db:"message_id"`
		Dir string `db:"direction"`
	}
	q := `SELECT message_id, direction FROM email_messages WHERE channel_id = ? AND address = ?
		ORDER BY created_at DESC, message_id LIMIT 10`
	if err := c.d.Store.Select(ctx, &rows, q, channelID, address); err != nil {
		return nil, fmt.Errorf("mail thread: %w", err)
	}
	// The reply answers the customer's last mail: drop our own later ones
	// from the end so In-Reply-To names the customer's.
	for len(rows) > 0 && rows[0].Dir != "in" {
		rows = rows[1:]
	}
	out := make([]string, len(rows))
	for i, r := range rows {
		out[len(rows)-1-i] = r.ID
	}
	return out, nil
}

// remember keeps a mail's Message-ID (in or out) once.
func (c *Connector) remember(ctx context.Context, ch *hub.Channel, s sent) error {
	return rememberMail(ctx, c.d.Store, ch, s, "out")
}

func rememberMail(ctx context.Context, k *store.Store, ch *hub.Channel, s sent, dir string) error {
	q := `INSERT INTO email_messages (channel_id, message_id, tenant_id, direction, address, ticket_id, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`
	if _, err := k.Exec(ctx, q, ch.ID, s.messageID, ch.TenantID, dir, s.address, s.ticketID, k.Now()); err != nil {
		return fmt.Errorf("remember mail: %w", err)
	}
	return nil
}

// notification composes a new ticket's notice to the tenant's chosen staff
// (nil when there is nobody to tell).
func (c *Connector) notification(ctx context.Context, ch *hub.Channel, a *account, out *hub.Outbound) (*gomail.Msg, error) {
	to, err := Recipients(ctx, c.d.Store, ch.TenantID)
	if err != nil || len(to) == 0 {
		return nil, err
	}
	var p struct {
		TicketID string `json:"ticket_id"`
	}
	_ = json.Unmarshal(out.Event.Payload, &p)
	head, err := tickets.HeadOf(ctx, c.d.Store, ch.TenantID, p.TicketID)
	if errors.Is(err, tickets.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	who := ""
	if ct, err := contacts.Get(ctx, c.d.Store, head.ContactID); err == nil {
		who = strings.TrimSpace(ct.Name + " " + ct.Email + " " + ct.Phone)
	}
	via := head.ChannelID
	if src, err := c.d.Channel(ctx, head.ChannelID); err == nil {
		via = src.Name
	}
	m := gomail.NewMsg()
	if err := m.FromFormat(a.FromName, a.FromAddress); err != nil {
		return nil, fmt.Errorf("%w: from: %w", errPermanent, err)
	}
	for _, r := range to {
		if err := m.AddTo(r.Address); err != nil {
			c.log.Warn("notification recipient refused", "tenant_id", ch.TenantID, "address", r.Address, "err", err)
		}
	}
	m.Subject("[新工单] " + head.Subject + " " + head.Tag())
	m.SetMessageIDWithValue("kefu.notice." + strings.TrimPrefix(out.ID, "msg_") + "@" + a.Domain())
	m.SetDate()
	m.SetGenHeader(gomail.Header("Auto-Submitted"), "auto-generated")
	m.SetGenHeader(gomail.Header("X-Auto-Response-Suppress"), "All")
	body := fmt.Sprintf("有新的工单（留言）%s：\n\n主题：%s\n客户：%s\n渠道：%s\n", head.Tag(), head.Subject, who, via)
	if c.d.PublicURL != "" {
		body += "\n处理工单：" + strings.TrimRight(c.d.PublicURL, "/") + "/tickets\n"
	}
	m.SetBodyString(gomail.TypeTextPlain, body)
	return m, nil
}

// client builds the SMTP client for a mailbox: the TLS mode it names, the
// hub's dial guard (no internal addresses unless the operator allows them).
func (c *Connector) client(a *account) (*gomail.Client, error) {
	d := connectors.NewDialer(c.d.AllowPrivate, c.DialTimeout)
	dial := d.DialContext
	opts := []gomail.Option{gomail.WithPort(a.SMTPPort), gomail.WithTimeout(c.DialTimeout), gomail.WithHELO(a.Domain())}
	auth := gomail.SMTPAuthPlain
	switch a.SMTPTLS {
	case TLSSSL:
		td := &tls.Dialer{NetDialer: d, Config: &tls.Config{ServerName: a.SMTPHost, MinVersion: tls.VersionTLS12}}
		dial = td.DialContext
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	case TLSStartTLS:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory),
			gomail.WithTLSConfig(&tls.Config{ServerName: a.SMTPHost, MinVersion: tls.VersionTLS12}))
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
		auth = gomail.SMTPAuthPlainNoEnc
	}
	opts = append(opts, gomail.WithDialContextFunc(func(ctx context.Context, network, addr string) (net.Conn, error) {
		return dial(ctx, network, addr)
	}))
	if a.SMTPUser != "" {
		opts = append(opts, gomail.WithSMTPAuth(auth), gomail.WithUsername(a.SMTPUser), gomail.WithPassword(a.sec.SMTPPassword))
	}
	return gomail.NewClient(a.SMTPHost, opts...)
}

func (c *Connector) deliver(ctx context.Context, a *account, m *gomail.Msg) error {
	cl, err := c.client(a)
	if err != nil {
		return fmt.Errorf("smtp client: %w", err)
	}
	return cl.DialAndSendWithContext(ctx, m)
}
