package hub

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/kefu-hub/kefu/hub/db"
)

// EvVisitorUpdated is the ephemeral event agents' visitor lists follow: a
// web visitor arrived, moved to another page, was invited or left.
const EvVisitorUpdated = "visitor.updated"

// EvVisitorInvite asks a visitor's sockets (any process) to show an invite.
const EvVisitorInvite = "visitor.invite"

// EvConversationRated tells the agent a customer rated the conversation.
const EvConversationRated = "conversation.rated"

// VisitorOnline is how recent a visitor socket's heartbeat must be for the
// visitor to count as on the site.
const VisitorOnline = 90 * time.Second

// newVisitAfter is how long a visitor must have been away for the next
// arrival to count as a new visit.
const newVisitAfter = 30 * time.Minute

// Visitor states shown in the live visitor list.
const (
	VisitorBrowsing = "browsing"
	VisitorInvited  = "invited"
	VisitorChatting = "chatting"
	VisitorLeaving  = "leaving_message"
)

// WebVisitor is a website visitor as agents see it.
type WebVisitor struct {
	ID                string       `db:"id" json:"id"`
	TenantID          string       `db:"tenant_id" json:"-"`
	ChannelID         string       `db:"channel_id" json:"channel_id"`
	ContactExternalID string       `db:"contact_external_id" json:"contact_external_id"`
	Name              string       `db:"name" json:"name"`
	Visits            int          `db:"visits" json:"visits"`
	FirstSeenAt       time.Time    `db:"first_seen_at" json:"first_seen_at"`
	EnteredAt         time.Time    `db:"entered_at" json:"entered_at"`
	LastSeenAt        time.Time    `db:"last_seen_at" json:"last_seen_at"`
	LeftAt            *time.Time   `db:"left_at" json:"left_at,omitempty"`
	IP                string       `db:"ip" json:"ip"`
	Region            string       `db:"region" json:"region"`
	UserAgent         string       `db:"user_agent" json:"user_agent"`
	Browser           string       `db:"browser" json:"browser"`
	OS                string       `db:"os" json:"os"`
	Referrer          string       `db:"referrer" json:"referrer"`
	Engine            string       `db:"engine" json:"engine"`
	Keyword           string       `db:"keyword" json:"keyword"`
	PageURL           string       `db:"page_url" json:"page_url"`
	PageTitle         string       `db:"page_title" json:"page_title"`
	Lang              string       `db:"lang" json:"lang"`
	Invites           int          `db:"invites" json:"invites"`
	InviteID          string       `db:"invite_id" json:"-"`
	InvitedAt         *time.Time   `db:"invited_at" json:"invited_at,omitempty"`
	DeclinedAt        *time.Time   `db:"declined_at" json:"declined_at,omitempty"`
	ConvStatus        *string      `db:"conv_status" json:"-"`
	ConversationID    *string      `db:"conv_id" json:"conversation_id,omitempty"`
	State             string       `db:"-" json:"state"`
	Online            bool         `db:"-" json:"online"`
	DwellSeconds      int64        `db:"-" json:"dwell_seconds"`
	Pages             []VisitorHit `db:"-" json:"pages,omitempty"`
}

// VisitorHit is one page of a visitor's trail.
type VisitorHit struct {
	SeenAt time.Time `db:"seen_at" json:"seen_at"`
	URL    string    `db:"url" json:"url"`
	Title  string    `db:"title" json:"title"`
}

// VisitorArrival is what a visitor's socket tells the hub when it connects.
type VisitorArrival struct {
	ID, TenantID, ChannelID, ContactExternalID, Name    string
	IP, Region, UserAgent, Browser, OS                  string
	Referrer, Engine, Keyword, PageURL, PageTitle, Lang string
}

const visitorCols = `v.id, v.tenant_id, v.channel_id, v.contact_external_id, v.name, v.visits, v.first_seen_at,
	v.entered_at, v.last_seen_at, v.left_at, v.ip, v.region, v.user_agent, v.browser, v.os, v.referrer, v.engine,
	v.keyword, v.page_url, v.page_title, v.lang, v.invites, v.invite_id, v.invited_at, v.declined_at`

// visitorJoin adds the visitor's active conversation (chatting / leaving a
// message) to a visitor query.
const visitorJoin = ` FROM visitors v
	LEFT JOIN contacts ct ON ct.channel_id = v.channel_id AND ct.external_id = v.contact_external_id
	LEFT JOIN conversations cv ON cv.contact_id = ct.id AND cv.channel_id = v.channel_id AND cv.status <> 'closed'`

const visitorSelect = `SELECT ` + visitorCols + `, cv.status AS conv_status, cv.id AS conv_id` + visitorJoin

// VisitorArrived records a visitor's socket connecting: a new visitor, a new
// visit (away longer than 30 minutes) or a further page of the current one.
// Every string is customer text: it is cleaned and bounded here.
func (s *Store) VisitorArrived(ctx context.Context, v *VisitorArrival) (*WebVisitor, error) {
	for _, p := range []*string{&v.Name, &v.IP, &v.Region, &v.UserAgent, &v.Browser, &v.OS, &v.Referrer,
		&v.Engine, &v.Keyword, &v.PageURL, &v.PageTitle, &v.Lang} {
		*p = Bounded(*p, 1000)
	}
	if v.Region == "" && v.IP != "" {
		v.Region = s.auto.geo.Lookup(v.IP)
	}
	now := s.now()
	err := s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		var prev []WebVisitor
		q := tx.Rebind(`SELECT ` + visitorCols + ` FROM visitors v WHERE v.id = ?` + s.db.ForUpdate())
		if err := tx.SelectContext(ctx, &prev, q, v.ID); err != nil {
			return fmt.Errorf("find visitor: %w", err)
		}
		if len(prev) == 0 {
			const ins = `INSERT INTO visitors (id, tenant_id, channel_id, contact_external_id, name, visits, first_seen_at,
				entered_at, last_seen_at, ip, region, user_agent, browser, os, referrer, engine, keyword, page_url,
				page_title, lang) VALUES (?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
			if _, err := tx.ExecContext(ctx, tx.Rebind(ins), v.ID, v.TenantID, v.ChannelID, v.ContactExternalID, v.Name,
				now, now, now, v.IP, v.Region, v.UserAgent, v.Browser, v.OS, v.Referrer, v.Engine, v.Keyword,
				v.PageURL, v.PageTitle, v.Lang); err != nil {
				return fmt.Errorf("insert visitor: %w", err)
			}
			return s.addHit(ctx, tx, v.ID, v.TenantID, now, v.PageURL, v.PageTitle)
		}
		p := prev[0]
		if p.TenantID != v.TenantID || p.ChannelID != v.ChannelID {
			return fmt.Errorf("visitor %s: %w", v.ID, ErrNotFound)
		}
		newVisit := now.Sub(p.LastSeenAt) > newVisitAfter
		visits, entered := p.Visits, p.EnteredAt
		ref, engine, keyword := p.Referrer, p.Engine, p.Keyword
		if newVisit {
			visits, entered = visits+1, now
		}
		if newVisit || (v.Referrer != "" && !sameSite(v.Referrer, v.PageURL)) {
			// Where the visit came from is its first page's referrer; moving
			// around the site does not replace it.
			ref, engine, keyword = v.Referrer, v.Engine, v.Keyword
		}
		name := p.Name
		if v.Name != "" {
			name = v.Name
		}
		const up = `UPDATE visitors SET contact_external_id = ?, name = ?, visits = ?, entered_at = ?, last_seen_at = ?,
			left_at = NULL, ip = ?, region = ?, user_agent = ?, browser = ?, os = ?, referrer = ?, engine = ?, keyword = ?,
			page_url = ?, page_title = ?, lang = ? WHERE id = ?`
		if _, err := tx.ExecContext(ctx, tx.Rebind(up), v.ContactExternalID, name, visits, entered, now, v.IP, v.Region,
			v.UserAgent, v.Browser, v.OS, ref, engine, keyword, v.PageURL, v.PageTitle, v.Lang, v.ID); err != nil {
			return fmt.Errorf("update visitor: %w", err)
		}
		if newVisit || p.PageURL != v.PageURL {
			return s.addHit(ctx, tx, v.ID, v.TenantID, now, v.PageURL, v.PageTitle)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.announceVisitor(ctx, v.TenantID, v.ID)
}

// sameSite reports whether a referrer is a page of the same host (an
// internal navigation, not where the visit came from).
func sameSite(ref, page string) bool {
	r, err := url.Parse(ref)
	p, err2 := url.Parse(page)
	return err == nil && err2 == nil && r.Host != "" && strings.EqualFold(r.Host, p.Host)
}

func (s *Store) addHit(ctx context.Context, tx *sqlx.Tx, id, tenantID string, at time.Time, url, title string) error {
	if url == "" {
		return nil
	}
	const q = `INSERT INTO visitor_pages (visitor_id, tenant_id, seen_at, url, title) VALUES (?, ?, ?, ?, ?)`
	if _, err := tx.ExecContext(ctx, tx.Rebind(q), id, tenantID, at, url, title); err != nil {
		return fmt.Errorf("page trail: %w", err)
	}
	return nil
}

// VisitorPage records a navigation inside a single-page site.
func (s *Store) VisitorPage(ctx context.Context, tenantID, id, url, title string) error {
	url, title = Bounded(url, 1000), Bounded(title, 1000)
	err := s.db.Tx(ctx, func(tx *sqlx.Tx) error {
		const q = `UPDATE visitors SET page_url = ?, page_title = ?, last_seen_at = ?, left_at = NULL
			WHERE tenant_id = ? AND id = ? AND page_url <> ?`
		res, err := tx.ExecContext(ctx, tx.Rebind(q), url, title, s.now(), tenantID, id, url)
		if err != nil {
			return fmt.Errorf("visitor page: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		return s.addHit(ctx, tx, id, tenantID, s.now(), url, title)
	})
	if err != nil {
		return err
	}
	_, err = s.announceVisitor(ctx, tenantID, id)
	return err
}

// VisitorsSeen refreshes the heartbeat of visitors whose sockets are open.
func (s *Store) VisitorsSeen(ctx context.Context, ids []string) error {
	for len(ids) > 0 {
		n := min(len(ids), 200)
		q, args, err := sqlx.In(`UPDATE visitors SET last_seen_at = ?, left_at = NULL WHERE id IN (?)`, s.now(), ids[:n])
		if err != nil {
			return err
		}
		if _, err := s.db.W.ExecContext(ctx, s.db.W.Rebind(q), args...); err != nil {
			return fmt.Errorf("visitor heartbeat: %w", err)
		}
		ids = ids[n:]
	}
	return nil
}

// VisitorLeft records that a visitor's last socket closed.
func (s *Store) VisitorLeft(ctx context.Context, tenantID, id string) error {
	const q = `UPDATE visitors SET left_at = ? WHERE tenant_id = ? AND id = ?`
	if _, err := s.db.W.ExecContext(ctx, s.db.W.Rebind(q), s.now(), tenantID, id); err != nil {
		return fmt.Errorf("visitor left: %w", err)
	}
	_, err := s.announceVisitor(ctx, tenantID, id)
	return err
}

// VisitorInvited records an invite shown to the visitor (by an agent or by
// the channel's automatic rules).
func (s *Store) VisitorInvited(ctx context.Context, tenantID, id, inviteID string) error {
	const q = `UPDATE visitors SET invites = invites + 1, invite_id = ?, invited_at = ? WHERE tenant_id = ? AND id = ?`
	if _, err := s.db.W.ExecContext(ctx, s.db.W.Rebind(q), Clean(inviteID), s.now(), tenantID, id); err != nil {
		return fmt.Errorf("visitor invited: %w", err)
	}
	_, err := s.announceVisitor(ctx, tenantID, id)
	return err
}

// VisitorInviteReply records the visitor accepting or declining an invite.
func (s *Store) VisitorInviteReply(ctx context.Context, tenantID, id string, accepted bool) error {
	q := `UPDATE visitors SET invite_id = '' WHERE tenant_id = ? AND id = ?`
	args := []any{tenantID, id}
	if !accepted {
		q = `UPDATE visitors SET invite_id = '', declined_at = ? WHERE tenant_id = ? AND id = ?`
		args = []any{s.now(), tenantID, id}
	}
	if _, err := s.db.W.ExecContext(ctx, s.db.W.Rebind(q), args...); err != nil {
		return fmt.Errorf("invite reply: %w", err)
	}
	_, err := s.announceVisitor(ctx, tenantID, id)
	return err
}

// announceVisitor tells the tenant's agents the visitor's current state.
func (s *Store) announceVisitor(ctx context.Context, tenantID, id string) (*WebVisitor, error) {
	v, err := s.visitor(ctx, tenantID, id)
	if err != nil {
		return nil, err
	}
	payload, _ := json.Marshal(map[string]any{"visitor": v})
	s.notify.Events([]Event{{TenantID: tenantID, Type: EvVisitorUpdated, Payload: payload}})
	return v, nil
}

func (s *Store) visitor(ctx context.Context, tenantID, id string) (*WebVisitor, error) {
	var vs []WebVisitor
	q := s.db.R.Rebind(visitorSelect + ` WHERE v.tenant_id = ? AND v.id = ?`)
	if err := s.db.R.SelectContext(ctx, &vs, q, tenantID, id); err != nil {
		return nil, fmt.Errorf("get visitor: %w", err)
	}
	if len(vs) == 0 {
		return nil, fmt.Errorf("visitor %s: %w", id, ErrNotFound)
	}
	vs[0].derive(s.now())
	return &vs[0], nil
}

func (v *WebVisitor) derive(now time.Time) {
	v.Online = v.LeftAt == nil && now.Sub(v.LastSeenAt) < VisitorOnline
	end := now
	if !v.Online {
		end = v.LastSeenAt
	}
	v.DwellSeconds = int64(end.Sub(v.EnteredAt) / time.Second)
	switch {
	case v.ConvStatus != nil && *v.ConvStatus == ConvOffline:
		v.State = VisitorLeaving
	case v.ConvStatus != nil:
		v.State = VisitorChatting
	case v.InviteID != "" && v.InvitedAt != nil && now.Sub(*v.InvitedAt) < 10*time.Minute:
		v.State = VisitorInvited
	default:
		v.State = VisitorBrowsing
	}
}

// VisitorFilter narrows the visitor list.
type VisitorFilter struct {
	ChannelID string
	// Online keeps visitors on the site now; otherwise recent ones (7 days).
	Online bool
	Limit  int
}

// Visitors lists a tenant's web visitors, most recently seen first. Every
// agent of the tenant sees them (to invite one).
func (s *Store) Visitors(ctx context.Context, a *Agent, f VisitorFilter) ([]WebVisitor, error) {
	now := s.now()
	q := visitorSelect + ` WHERE v.tenant_id = ? AND v.last_seen_at > ?`
	since := now.Add(-7 * 24 * time.Hour)
	if f.Online {
		since = now.Add(-VisitorOnline)
		q += ` AND v.left_at IS NULL`
	}
	args := []any{a.TenantID, since}
	if f.ChannelID != "" {
		q += ` AND v.channel_id = ?`
		args = append(args, f.ChannelID)
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 500
	}
	q += fmt.Sprintf(` ORDER BY v.last_seen_at DESC LIMIT %d`, f.Limit)
	vs := []WebVisitor{}
	if err := s.db.R.SelectContext(ctx, &vs, s.db.R.Rebind(q), args...); err != nil {
		return nil, fmt.Errorf("list visitors: %w", err)
	}
	for i := range vs {
		vs[i].derive(now)
	}
	return vs, nil
}

// Visitor returns one visitor with the page trail (newest 100 pages).
func (s *Store) Visitor(ctx context.Context, a *Agent, id string) (*WebVisitor, error) {
	v, err := s.visitor(ctx, a.TenantID, id)
	if err != nil {
		return nil, err
	}
	q := s.db.R.Rebind(`SELECT seen_at, url, title FROM visitor_pages WHERE visitor_id = ? ORDER BY seen_at DESC LIMIT 100`)
	v.Pages = []VisitorHit{}
	if err := s.db.R.SelectContext(ctx, &v.Pages, q, v.ID); err != nil {
		return nil, fmt.Errorf("page trail: %w", err)
	}
	return v, nil
}

// InviteVisitor asks the visitor's open pages (on any hub process) to show
// an invite from the agent. It fails when the visitor is not on the site.
func (s *Store) InviteVisitor(ctx context.Context, a *Agent, id, text string) (string, error) {
	v, err := s.visitor(ctx, a.TenantID, id)
	if err != nil {
		return "", err
	}
	if !v.Online {
		return "", fmt.Errorf("%w: the visitor has left the site", ErrConflict)
	}
	inviteID := NewID("iv")
	payload, _ := json.Marshal(map[string]any{"visitor_id": v.ID, "invite_id": inviteID,
		"text": Bounded(text, 500), "agent": map[string]string{"name": a.Name}})
	s.notify.Events([]Event{{TenantID: a.TenantID, Type: EvVisitorInvite, Payload: payload}})
	return inviteID, s.VisitorInvited(ctx, a.TenantID, v.ID, inviteID)
}

// StartConversation opens a conversation with a visitor from the agent's
// side (proactive chat): assigned to the agent, with the agent's first
// message, which the visitor's widget shows at once.
func (s *Store) StartConversation(ctx context.Context, a *Agent, visitorID, text string) (*Conversation, error) {
	text = Clean(text)
	if strings.TrimSpace(text) == "" {
		return nil, Invalid("text is required")
	}
	v, err := s.visitor(ctx, a.TenantID, visitorID)
	if err != nil {
		return nil, err
	}
	ch, err := s.TenantChannel(ctx, a.TenantID, v.ChannelID)
	if err != nil {
		return nil, err
	}
	var conv *Conversation
	err = s.write(ctx, func(tx *sqlx.Tx, fx *effects) error {
		contact, err := s.upsertContact(ctx, tx, ch, &Inbound{Contact: ContactInfo{ExternalID: v.ContactExternalID, Name: v.Name}})
		if err != nil {
			return err
		}
		c, isNew, err := s.activeConversation(ctx, tx, fx, ch, contact, "")
		if err != nil {
			return err
		}
		switch {
		case !isNew && c.Status == ConvOpen && deref(c.AssigneeID) != a.ID:
			return fmt.Errorf("%w: the visitor is chatting with another agent", ErrConflict)
		case isNew || c.Status != ConvOpen:
			if err := s.transferToAgent(ctx, tx, c, a.ID); err != nil {
				return err
			}
			if err := s.emitAssigned(ctx, tx, fx, c, map[string]any{"proactive": true}); err != nil {
				return err
			}
		}
		conv = c
		_, err = s.outgoing(ctx, tx, fx, c, "agent", a.ID, Reply{Content: text, Type: "text"})
		return err
	})
	return conv, err
}

// ContactConversation is a contact's active conversation on a channel, else
// the most recent one (nil when the contact never wrote).
func (s *Store) ContactConversation(ctx context.Context, channelID, contactExternalID string) (*Conversation, error) {
	var cs []Conversation
	q := `SELECT ` + convCols + ` FROM conversations WHERE channel_id = ?
		AND contact_id = (SELECT id FROM contacts WHERE channel_id = ? AND external_id = ?)
		ORDER BY CASE WHEN status <> 'closed' THEN 0 ELSE 1 END, created_at DESC LIMIT 1`
	if err := s.db.R.SelectContext(ctx, &cs, s.db.R.Rebind(q), channelID, channelID, Clean(contactExternalID)); err != nil {
		return nil, fmt.Errorf("contact conversation: %w", err)
	}
	if len(cs) == 0 {
		return nil, nil
	}
	return &cs[0], nil
}

// CustomerMessages are the messages of a conversation the customer sees
// (never internal notes), after seq, oldest first.
func (s *Store) CustomerMessages(ctx context.Context, convID string, after int64, limit int) ([]Message, error) {
	var ms []Message
	q := `SELECT ` + msgCols + ` FROM messages WHERE conversation_id = ? AND seq > ? AND direction IN ('in', 'out')
		ORDER BY seq LIMIT ?`
	if err := s.db.R.SelectContext(ctx, &ms, s.db.R.Rebind(q), convID, after, limit); err != nil {
		return nil, fmt.Errorf("customer messages: %w", err)
	}
	for i := range ms {
		ms[i].decode()
	}
	return ms, nil
}

// ChannelAvailable reports whether someone can answer a channel's customers
// now: an agent who is online (not busy) of the channel's default group
// while that group is within its business hours (else of the group it
// overflows to), or of the tenant when the channel has no default group.
func (s *Store) ChannelAvailable(ctx context.Context, ch *Channel) (bool, error) {
	if ch.DefaultGroupID == nil {
		return s.groupAvailable(ctx, ch.TenantID, "")
	}
	groups, err := s.groupSettings(ctx, ch.TenantID)
	if err != nil {
		return false, err
	}
	tz := s.tenantTZ(ctx, ch.TenantID)
	seen := map[string]bool{}
	for id := *ch.DefaultGroupID; id != "" && !seen[id]; id = groups[id].Settings.OverflowGroupID {
		seen[id] = true
		g, ok := groups[id]
		if !ok || !g.Settings.Hours.Open(s.now(), tz) {
			continue
		}
		if on, err := s.groupAvailable(ctx, ch.TenantID, id); err != nil || on {
			return on, err
		}
	}
	return false, nil
}

// groupAvailable reports whether an agent of the group (or of the tenant
// when group is "") is online and enabled.
func (s *Store) groupAvailable(ctx context.Context, tenantID, group string) (bool, error) {
	q := `SELECT COUNT(*) FROM agents a WHERE a.tenant_id = ? AND a.status = 'online' AND NOT a.disabled`
	args := []any{tenantID}
	if group != "" {
		q += ` AND EXISTS (SELECT 1 FROM group_members m WHERE m.agent_id = a.id AND m.group_id = ?)`
		args = append(args, group)
	}
	var n int
	if err := s.db.R.GetContext(ctx, &n, s.db.R.Rebind(q), args...); err != nil {
		return false, fmt.Errorf("channel availability: %w: %w", db.ErrUnavailable, err)
	}
	return n > 0, nil
}

// RateConversation stores a customer's rating (1–5 and a comment) of their
// own conversation on a channel, once; the agent is told.
func (s *Store) RateConversation(ctx context.Context, ch *Channel, contactExternalID, convID string, score int, comment string) error {
	if score < 1 || score > 5 {
		return Invalid("score must be 1 to 5")
	}
	comment = Bounded(comment, 1000)
	return s.write(ctx, func(tx *sqlx.Tx, fx *effects) error {
		var cs []Conversation
		q := `SELECT ` + convCols + ` FROM conversations WHERE id = ? AND channel_id = ?
			AND contact_id = (SELECT id FROM contacts WHERE channel_id = ? AND external_id = ?)`
		if err := tx.SelectContext(ctx, &cs, tx.Rebind(q), convID, ch.ID, ch.ID, contactExternalID); err != nil {
			return fmt.Errorf("rated conversation: %w", err)
		}
		if len(cs) == 0 {
			return fmt.Errorf("conversation %s: %w", convID, ErrNotFound)
		}
		const ins = `INSERT INTO ratings (conversation_id, tenant_id, score, comment, created_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (conversation_id) DO NOTHING`
		res, err := tx.ExecContext(ctx, tx.Rebind(ins), convID, ch.TenantID, score, comment, s.now())
		if err != nil {
			return fmt.Errorf("store rating: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("%w: the conversation is already rated", ErrConflict)
		}
		c := cs[0]
		fx.emit(ch, EvConversationRated, c.ID, deref(c.AssigneeID), map[string]any{"conversation_id": c.ID,
			"score": score, "comment": comment})
		return nil
	})
}

// Rating is a conversation's customer rating.
type Rating struct {
	Score     int       `db:"score" json:"score"`
	Comment   string    `db:"comment" json:"comment"`
	CreatedAt time.Time `db:"created_at" json:"created_at"`
}

// ConversationRating returns a conversation's rating (nil when unrated).
func (s *Store) ConversationRating(ctx context.Context, convID string) (*Rating, error) {
	var rs []Rating
	q := s.db.R.Rebind(`SELECT score, comment, created_at FROM ratings WHERE conversation_id = ?`)
	if err := s.db.R.SelectContext(ctx, &rs, q, convID); err != nil {
		return nil, fmt.Errorf("rating: %w", err)
	}
	if len(rs) == 0 {
		return nil, nil
	}
	return &rs[0], nil
}
