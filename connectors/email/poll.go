package email

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/channels"
	"github.com/kefu-hub/kefu/hub/files"
	"github.com/kefu-hub/kefu/tickets"
)

// Polling bounds.
const (
	// PerPoll is how many new mails one poll takes at most (the rest wait
	// for the next poll).
	PerPoll = 200
	// PerSenderHour is how many mails of one sender an hour become ticket
	// messages; more are ignored (a runaway script, a mail loop).
	PerSenderHour = 30
	// leaseFor is how long a process holds a mailbox while it polls it.
	leaseFor = 3 * time.Minute
	// pollTimeout bounds one poll.
	pollTimeout = 2 * time.Minute
)

// Run polls every mailbox that is due, every Tick, until ctx ends. Every
// hub process runs it; a lease in the database lets one poll a mailbox at
// a time, and each mail is stored once anyway (its Message-ID is the
// message's external id).
func (c *Connector) Run(ctx context.Context) error {
	t := time.NewTicker(c.Tick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			c.PollDue(ctx)
		}
	}
}

// PollDue polls the mailboxes whose interval has passed.
func (c *Connector) PollDue(ctx context.Context) {
	ids, err := channels.OfType(ctx, c.d.Store, "", Type)
	if err != nil {
		c.log.Warn("list e-mail channels", "err", err)
		return
	}
	for _, id := range ids {
		if ctx.Err() != nil {
			return
		}
		ch, err := c.d.Channel(ctx, id)
		if err != nil {
			c.log.Warn("e-mail channel", "channel_id", id, "err", err)
			continue
		}
		if _, err := c.Poll(ctx, ch, false); err != nil {
			c.log.Warn("poll mailbox", "channel_id", id, "tenant_id", ch.TenantID, "err", err)
		}
	}
}

// PollResult is what one poll did.
type PollResult struct {
	Polled    bool `json:"polled"` // false: not due, or another process holds the mailbox
	Fetched   int  `json:"fetched"`
	Published int  `json:"published"`
	Ignored   int  `json:"ignored"`
}

// Poll reads the mailbox's new mails (UIDs after the last one taken, under
// the folder's UIDVALIDITY) and publishes each. force polls before the
// interval has passed. A failure is kept as the mailbox's and the
// channel's last error (shown in the console); the mails after the last
// one published are read again next time.
func (c *Connector) Poll(ctx context.Context, ch *hub.Channel, force bool) (PollResult, error) {
	a, err := accountOf(ch)
	if err != nil || a.IMAPHost == "" {
		return PollResult{}, err
	}
	st, ok, err := c.lease(ctx, ch, force)
	if err != nil || !ok {
		return PollResult{}, err
	}
	pctx, cancel := context.WithTimeout(ctx, pollTimeout)
	res, perr := c.fetch(pctx, ch, a, st)
	cancel()
	res.Polled = true
	msg := ""
	if perr != nil {
		msg = "IMAP: " + perr.Error()
	}
	if err := c.release(ctx, ch, a, msg); err != nil {
		return res, errors.Join(perr, err)
	}
	if err := channels.RecordError(ctx, c.d.Store, ch.ID, msg); err != nil {
		return res, errors.Join(perr, err)
	}
	return res, perr
}

// state is a mailbox's position: the folder's UIDVALIDITY and the last UID taken.
type state struct {
	Validity int64 `db:"uid_validity"`
	LastUID  int64 `db:"last_uid"`
}

// lease takes the mailbox for this process when it is due (or forced) and
// nobody else holds it.
func (c *Connector) lease(ctx context.Context, ch *hub.Channel, force bool) (state, bool, error) {
	k, now := c.d.Store, c.d.Store.Now()
	ins := `INSERT INTO email_mailboxes (channel_id, tenant_id) VALUES (?, ?) ON CONFLICT (channel_id) DO NOTHING`
	if _, err := k.Exec(ctx, ins, ch.ID, ch.TenantID); err != nil {
		return state{}, false, fmt.Errorf("mailbox state: %w", err)
	}
	q := `UPDATE email_mailboxes SET lease_owner = ?, lease_until = ?
		WHERE channel_id = ? AND (lease_until IS NULL OR lease_until < ? OR lease_owner = ?)`
	args := []any{c.owner, now.Add(leaseFor), ch.ID, now, c.owner}
	if !force {
		q += ` AND (next_poll_at IS NULL OR next_poll_at <= ?)`
		args = append(args, now)
	}
	n, err := k.Exec(ctx, q, args...)
	if err != nil || n == 0 {
		return state{}, false, err
	}
	var st state
	if err := k.Get(ctx, &st, `SELECT uid_validity, last_uid FROM email_mailboxes WHERE channel_id = ?`, ch.ID); err != nil {
		return state{}, false, fmt.Errorf("mailbox state: %w", err)
	}
	return st, true, nil
}

// release gives the lease back and sets the next poll.
func (c *Connector) release(ctx context.Context, ch *hub.Channel, a *account, lastErr string) error {
	now := c.d.Store.Now()
	q := `UPDATE email_mailboxes SET lease_owner = '', lease_until = NULL, next_poll_at = ?, last_polled_at = ?, last_error = ?
		WHERE channel_id = ? AND lease_owner = ?`
	if _, err := c.d.Store.Exec(ctx, q, now.Add(a.Poll()), now, hub.Truncate(lastErr, 500), ch.ID, c.owner); err != nil {
		return fmt.Errorf("release mailbox: %w", err)
	}
	return nil
}

// advance records the last UID taken, while this process holds the lease.
func (c *Connector) advance(ctx context.Context, ch *hub.Channel, validity uint32, uid imap.UID) error {
	q := `UPDATE email_mailboxes SET uid_validity = ?, last_uid = ? WHERE channel_id = ? AND lease_owner = ?`
	if _, err := c.d.Store.Exec(ctx, q, int64(validity), int64(uid), ch.ID, c.owner); err != nil {
		return fmt.Errorf("advance mailbox: %w", err)
	}
	return nil
}

// dialIMAP connects and logs in.
func (c *Connector) dialIMAP(ctx context.Context, a *account) (*imapclient.Client, error) {
	d := connectorsDialer(c, a.IMAPHost)
	addr := net.JoinHostPort(a.IMAPHost, strconv.Itoa(a.IMAPPort))
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	opts := &imapclient.Options{TLSConfig: &tls.Config{ServerName: a.IMAPHost, MinVersion: tls.VersionTLS12}}
	var cl *imapclient.Client
	switch a.IMAPTLS {
	case TLSSSL:
		tc := tls.Client(conn, opts.TLSConfig)
		if err := tc.HandshakeContext(ctx); err != nil {
			conn.Close()
			return nil, fmt.Errorf("TLS: %w", err)
		}
		cl = imapclient.New(tc, opts)
	case TLSStartTLS:
		if cl, err = imapclient.NewStartTLS(conn, opts); err != nil {
			conn.Close()
			return nil, fmt.Errorf("STARTTLS: %w", err)
		}
	default:
		cl = imapclient.New(conn, opts)
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	if err := cl.Login(a.IMAPUser, a.sec.IMAPPassword).Wait(); err != nil {
		cl.Close()
		return nil, fmt.Errorf("%w: %w", errLogin, err)
	}
	return cl, nil
}

// fetch takes the folder's new mails in UID order.
func (c *Connector) fetch(ctx context.Context, ch *hub.Channel, a *account, st state) (PollResult, error) {
	var res PollResult
	cl, err := c.dialIMAP(ctx, a)
	if err != nil {
		return res, err
	}
	defer cl.Close()
	sel, err := cl.Select(a.IMAPFolder, &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		return res, fmt.Errorf("select %s: %w", a.IMAPFolder, err)
	}
	last := imap.UID(st.LastUID)
	if int64(sel.UIDValidity) != st.Validity {
		// A new folder (or a recreated one): every UID is new. Mails taken
		// before are recognised by their Message-ID and stored once.
		last = 0
		if err := c.advance(ctx, ch, sel.UIDValidity, 0); err != nil {
			return res, err
		}
	}
	if sel.NumMessages == 0 {
		return res, nil
	}
	crit := &imap.SearchCriteria{UID: []imap.UIDSet{{imap.UIDRange{Start: last + 1, Stop: 0}}}}
	sd, err := cl.UIDSearch(crit, nil).Wait()
	if err != nil {
		return res, fmt.Errorf("search: %w", err)
	}
	var uids []imap.UID
	for _, u := range sd.AllUIDs() {
		if u > last { // "n:*" always matches the last mail, even below n
			uids = append(uids, u)
		}
	}
	slices.Sort(uids)
	if len(uids) == 0 {
		return res, nil
	}
	if len(uids) > PerPoll {
		uids = uids[:PerPoll]
	}
	sizes, err := cl.Fetch(imap.UIDSetNum(uids...), &imap.FetchOptions{UID: true, RFC822Size: true}).Collect()
	if err != nil {
		return res, fmt.Errorf("fetch sizes: %w", err)
	}
	size := map[imap.UID]int64{}
	for _, m := range sizes {
		size[m.UID] = m.RFC822Size
	}
	body := &imap.FetchItemBodySection{Peek: true}
	for _, uid := range uids {
		if size[uid] > MaxMailSize {
			c.log.Warn("mail too large, skipped", "channel_id", ch.ID, "uid", uid, "size", size[uid])
			res.Ignored++
		} else {
			ms, err := cl.Fetch(imap.UIDSetNum(uid), &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{body}}).Collect()
			if err != nil {
				return res, fmt.Errorf("fetch mail %d: %w", uid, err)
			}
			if len(ms) == 1 {
				res.Fetched++
				published, err := c.take(ctx, ch, a, ms[0].FindBodySection(body))
				if err != nil {
					return res, err
				}
				if published {
					res.Published++
				} else {
					res.Ignored++
				}
			}
		}
		if err := c.advance(ctx, ch, sel.UIDValidity, uid); err != nil {
			return res, err
		}
	}
	return res, nil
}

// take publishes one raw mail as a customer's left message, unless a
// machine wrote it, it comes from the mailbox itself or its sender is over
// the hourly limit. It fails only when the hub cannot store it now (the
// mail is read again next poll).
func (c *Connector) take(ctx context.Context, ch *hub.Channel, a *account, raw []byte) (bool, error) {
	m, err := Parse(bytes.NewReader(raw))
	if err != nil {
		c.log.Warn("unreadable mail ignored", "channel_id", ch.ID, "err", err)
		return false, nil
	}
	if why := m.Automatic(a.FromAddress, a.IMAPUser, a.SMTPUser); why != "" {
		c.log.Info("mail ignored", "channel_id", ch.ID, "message_id", m.MessageID, "from", m.From, "reason", why)
		return false, nil
	}
	if over, err := c.overLimit(ctx, ch, m); err != nil || over {
		if over {
			c.log.Warn("mail ignored: sender over the hourly limit", "channel_id", ch.ID, "from", m.From, "limit", PerSenderHour)
		}
		return false, err
	}
	ticketID, err := c.match(ctx, ch, m)
	if err != nil {
		return false, err
	}
	text := m.Text
	if ticketID != "" {
		if err := tickets.ReopenForCustomer(ctx, c.d.Store, ch.TenantID, ticketID); err != nil {
			return false, err
		}
		text = Reply(text)
	} else if m.Subject != "" {
		text = strings.TrimSpace(m.Subject + "\n\n" + text)
	}
	atts, err := c.save(ctx, ch, m)
	if err != nil {
		return false, err
	}
	if len(m.Skipped) > 0 {
		text += "\n\n[未保存的附件（超过 10 个或大于 10 MB）：" + strings.Join(m.Skipped, "、") + "]"
	}
	if strings.TrimSpace(text) == "" {
		text = "（无正文）"
	}
	in := hub.Inbound{TenantID: ch.TenantID, ChannelID: ch.ID, ExternalID: m.MessageID,
		Contact: hub.ContactInfo{ExternalID: m.From, Name: m.FromName, Email: m.From}, Type: "text", Text: text,
		Attachments: atts, ReceivedAt: c.d.Store.Now(), LeaveMessage: true}
	if err := c.d.Publish(ctx, in); err != nil {
		return false, fmt.Errorf("publish mail %s: %w", m.MessageID, err)
	}
	return true, rememberMail(ctx, c.d.Store, ch, sent{messageID: m.MessageID, address: m.From, ticketID: ticketID}, "in")
}

// overLimit reports whether the sender's mails of the last hour reached
// PerSenderHour (a mail already taken does not count against itself).
func (c *Connector) overLimit(ctx context.Context, ch *hub.Channel, m *Mail) (bool, error) {
	var n []int
	q := `SELECT COUNT(*) FROM email_messages WHERE channel_id = ? AND address = ? AND direction = 'in' AND created_at > ?
		AND message_id <> ?`
	if err := c.d.Store.Select(ctx, &n, q, ch.ID, m.From, c.d.Store.Now().Add(-time.Hour), m.MessageID); err != nil {
		return false, fmt.Errorf("sender rate: %w", err)
	}
	return len(n) == 1 && n[0] >= PerSenderHour, nil
}

// match finds the ticket a mail answers: a Message-ID it cites that the
// mailbox sent or received about a ticket, else the subject's tag.
func (c *Connector) match(ctx context.Context, ch *hub.Channel, m *Mail) (string, error) {
	for _, id := range m.Thread() {
		var ts []string
		q := `SELECT ticket_id FROM email_messages WHERE channel_id = ? AND message_id = ? AND ticket_id <> ''`
		if err := c.d.Store.Select(ctx, &ts, q, ch.ID, id); err != nil {
			return "", fmt.Errorf("thread lookup: %w", err)
		}
		if len(ts) > 0 {
			// Only this mailbox's own tickets take the answer (a reply to
			// another channel's ticket opens one here, its subject naming the tag).
			if h, err := tickets.HeadOf(ctx, c.d.Store, ch.TenantID, ts[0]); err == nil && h.ChannelID == ch.ID {
				return ts[0], nil
			}
		}
	}
	if tag := m.Tag(); tag != "" {
		h, err := tickets.ByTag(ctx, c.d.Store, ch.TenantID, ch.ID, tag)
		if err == nil {
			return h.ID, nil
		}
		if !errors.Is(err, tickets.ErrNotFound) {
			return "", err
		}
	}
	return "", nil
}

// save stores the mail's attachments in the files store, each once (its id
// derives from the channel, the Message-ID and its place in the mail).
func (c *Connector) save(ctx context.Context, ch *hub.Channel, m *Mail) ([]hub.Attachment, error) {
	if c.d.Files == nil {
		return nil, nil
	}
	var out []hub.Attachment
	for i, p := range m.Attachments {
		ct := p.ContentType
		if ct == "" {
			ct = "application/octet-stream"
		}
		f := &files.File{ID: files.FileID(ch.ID, m.MessageID+"#"+strconv.Itoa(i)), TenantID: ch.TenantID, ChannelID: ch.ID,
			Name: p.Name, ContentType: ct, Data: p.Data}
		if err := c.d.Files.Save(ctx, f); err != nil {
			return nil, fmt.Errorf("save attachment %s: %w", p.Name, err)
		}
		out = append(out, hub.Attachment{URL: files.FileURL(f.ID), Name: f.Name, Type: ct, Size: int64(len(p.Data))})
	}
	return out, nil
}
