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

// notification composes a notice to the tenant's chosen staff — a new
// ticket, a bad rating, a Mailer's mail — (nil when there is nobody to
// tell, or nothing left to tell about).
func (c *Connector) notification(ctx context.Context, ch *hub.Channel, a *account, out *hub.Outbound) (*gomail.Msg, error) {
	to, err := noticeTo(ctx, c.d.Store, ch.TenantID, out.Event)
	if err != nil || len(to) == 0 {
		return nil, err
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
	m.SetMessageIDWithValue("kefu.notice." + strings.TrimPrefix(out.ID, "msg_") + "@" + a.Domain())
	m.SetDate()
	m.SetGenHeader(gomail.Header("Auto-Submitted"), "auto-generated")
	m.SetGenHeader(gomail.Header("X-Auto-Response-Suppress"), "All")
	var subject, body string
	switch out.Event.Type {
	case hub.EvTicketCreated:
		subject, body, err = c.ticketNotice(ctx, ch, out.Event)
	case hub.EvConversationRated:
		subject, body = c.ratingNotice(ctx, ch, out.Event)
	case EvStaffNotice:
		var p struct{ Subject, Body string }
		_ = json.Unmarshal(out.Event.Payload, &p)
		subject, body = p.Subject, p.Body
	}
	if err != nil || subject == "" {
		return nil, err
	}
	m.Subject(subject)
	m.SetBodyString(gomail.TypeTextPlain, body)
	return m, nil
}

// ticketNotice is a new ticket's notice ("" when the ticket is gone).
func (c *Connector) ticketNotice(ctx context.Context, ch *hub.Channel, e *hub.Event) (string, string, error) {
	var p struct {
		TicketID string `json:"ticket_id"`
	}
	_ = json.Unmarshal(e.Payload, &p)
	head, err := tickets.HeadOf(ctx, c.d.Store, ch.TenantID, p.TicketID)
	if errors.Is(err, tickets.ErrNotFound) {
		return "", "", nil
	}
	if err != nil {
		return "", "", err
	}
	who := ""
	if ct, err := contacts.Get(ctx, c.d.Store, head.ContactID); err == nil {
		who = strings.TrimSpace(ct.Name + " " + ct.Email + " " + ct.Phone)
	}
	via := head.ChannelID
	if src, err := c.d.Channel(ctx, head.ChannelID); err == nil {
		via = src.Name
	}
	body := fmt.Sprintf("有新的工单（留言）%s：\n\n主题：%s\n客户：%s\n渠道：%s\n", head.Tag(), head.Subject, who, via)
	return "[新工单] " + head.Subject + " " + head.Tag(), body + c.link("/tickets"), nil
}

// ratingNotice is a bad rating's alert for the supervisors.
func (c *Connector) ratingNotice(ctx context.Context, ch *hub.Channel, e *hub.Event) (string, string) {
	var p struct {
		Score   int    `json:"score"`
		Label   string `json:"label"`
		Comment string `json:"comment"`
		AgentID string `json:"agent_id"`
	}
	_ = json.Unmarshal(e.Payload, &p)
	agent := "—"
	if p.AgentID != "" && c.d.Customers != nil {
		if n, err := c.d.Customers.AgentName(ctx, ch.TenantID, p.AgentID); err == nil {
			agent = n
		}
	}
	comment := p.Comment
	if comment == "" {
		comment = "（无）"
	}
	body := fmt.Sprintf("客户给出了差评，请及时跟进：\n\n评价：%s（%d 分）\n留言：%s\n客服：%s\n会话：%s\n",
		p.Label, p.Score, comment, agent, e.ConversationID)
	return "[差评提醒] " + p.Label + " · " + agent, body + c.link("/console/ratings")
}

// link is a line pointing at a page of the hub ("" without a public URL).
func (c *Connector) link(path string) string {
	if c.d.PublicURL == "" {
		return ""
	}
	return "\n查看：" + strings.TrimRight(c.d.PublicURL, "/") + path + "\n"
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

// noticeTo are a notice's addressees: the addresses a staff mail names,
// else the tenant's notification list.
func noticeTo(ctx context.Context, k *store.Store, tenantID string, e *hub.Event) ([]Recipient, error) {
	if e != nil && e.Type == EvStaffNotice {
		var p struct {
			To []string `json:"to"`
		}
		if json.Unmarshal(e.Payload, &p) == nil && len(p.To) > 0 {
			out := make([]Recipient, len(p.To))
			for i, a := range p.To {
				out[i] = Recipient{Address: a}
			}
			return out, nil
		}
	}
	return Recipients(ctx, k, tenantID)
}
