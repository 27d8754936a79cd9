// Package visitors is the web channel's record of who is on the customers'
// sites: each visitor with their visits, where they came from (referrer,
// search engine and keyword), the page trail, invitations to chat, and
// their state for agents' live visitor list. It owns the visitors and
// visitor_pages tables.
package visitors

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/kefu-hub/kefu/connectors"
	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/store"
)

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

// Visitor is a website visitor as agents see it.
type Visitor struct {
	ID                string          `db:"id" json:"id"`
	TenantID          string          `db:"tenant_id" json:"-"`
	ChannelID         string          `db:"channel_id" json:"channel_id"`
	ContactExternalID string          `db:"contact_external_id" json:"contact_external_id"`
	Name              string          `db:"name" json:"name"`
	Visits            int             `db:"visits" json:"visits"`
	FirstSeenAt       time.Time       `db:"first_seen_at" json:"first_seen_at"`
	EnteredAt         time.Time       `db:"entered_at" json:"entered_at"`
	LastSeenAt        time.Time       `db:"last_seen_at" json:"last_seen_at"`
	LeftAt            *time.Time      `db:"left_at" json:"left_at,omitempty"`
	IP                string          `db:"ip" json:"ip"`
	Region            string          `db:"region" json:"region"`
	UserAgent         string          `db:"user_agent" json:"user_agent"`
	Browser           string          `db:"browser" json:"browser"`
	OS                string          `db:"os" json:"os"`
	Referrer          string          `db:"referrer" json:"referrer"`
	Engine            string          `db:"engine" json:"engine"`
	Keyword           string          `db:"keyword" json:"keyword"`
	PageURL           string          `db:"page_url" json:"page_url"`
	PageTitle         string          `db:"page_title" json:"page_title"`
	Lang              string          `db:"lang" json:"lang"`
	Invites           int             `db:"invites" json:"invites"`
	InviteID          string          `db:"invite_id" json:"-"`
	InvitedAt         *time.Time      `db:"invited_at" json:"invited_at,omitempty"`
	DeclinedAt        *time.Time      `db:"declined_at" json:"declined_at,omitempty"`
	ConvStatus        *hub.ConvStatus `db:"-" json:"-"`
	ConversationID    *string         `db:"-" json:"conversation_id,omitempty"`
	State             string          `db:"-" json:"state"`
	Online            bool            `db:"-" json:"online"`
	DwellSeconds      int64           `db:"-" json:"dwell_seconds"`
	Pages             []Hit           `db:"-" json:"pages,omitempty"`
}

// Hit is one page of a visitor's trail.
type Hit struct {
	SeenAt time.Time `db:"seen_at" json:"seen_at"`
	URL    string    `db:"url" json:"url"`
	Title  string    `db:"title" json:"title"`
}

// Arrival is what a visitor's socket tells the hub when it connects.
type Arrival struct {
	ID, TenantID, ChannelID, ContactExternalID, Name    string
	IP, Region, UserAgent, Browser, OS                  string
	Referrer, Engine, Keyword, PageURL, PageTitle, Lang string
}

const visitorCols = `v.id, v.tenant_id, v.channel_id, v.contact_external_id, v.name, v.visits, v.first_seen_at,
	v.entered_at, v.last_seen_at, v.left_at, v.ip, v.region, v.user_agent, v.browser, v.os, v.referrer, v.engine,
	v.keyword, v.page_url, v.page_title, v.lang, v.invites, v.invite_id, v.invited_at, v.declined_at`

const visitorSelect = `SELECT ` + visitorCols + ` FROM visitors v`

// Arrived records a visitor's socket connecting: a new visitor, a new
// visit (away longer than 30 minutes) or a further page of the current one.
// Every string is customer text: it is cleaned and bounded here.
//
// Arrivals are written in batches (batch.go): when many sockets connect at
// once, one transaction records many of them, so the arrivals take the
// single SQLite writer a few times instead of once each, and the inbox's
// transactions go in between. The visitor returned is the row as written;
// its state does not know of a conversation (the live list learns that when
// the arrival is announced, AnnounceEvery later).
func (s *Store) Arrived(ctx context.Context, v *Arrival) (*Visitor, error) {
	for _, p := range []*string{&v.Name, &v.IP, &v.Region, &v.UserAgent, &v.Browser, &v.OS, &v.Referrer,
		&v.Engine, &v.Keyword, &v.PageURL, &v.PageTitle, &v.Lang} {
		*p = hub.Bounded(*p, 1000)
	}
	if v.Region == "" && v.IP != "" {
		v.Region = s.region(v.IP)
	}
	o := &op{tenantID: v.TenantID, id: v.ID, arrival: v}
	if err := s.w.do(ctx, o); err != nil {
		return nil, err
	}
	return o.visitor, nil
}

const arrivalSelect = visitorSelect + ` WHERE v.id = ?`

// arrive writes one arrival inside a batch's transaction.
func (s *Store) arrive(ctx context.Context, tx *store.Tx, v *Arrival, now time.Time) (*Visitor, error) {
	var prev []Visitor
	if err := tx.Select(ctx, &prev, arrivalSelect+s.k.ForUpdate(), v.ID); err != nil {
		return nil, fmt.Errorf("find visitor: %w", err)
	}
	if len(prev) == 0 {
		const ins = `INSERT INTO visitors (id, tenant_id, channel_id, contact_external_id, name, visits, first_seen_at,
			entered_at, last_seen_at, ip, region, user_agent, browser, os, referrer, engine, keyword, page_url,
			page_title, lang) VALUES (?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
		if _, err := tx.Exec(ctx, ins, v.ID, v.TenantID, v.ChannelID, v.ContactExternalID, v.Name,
			now, now, now, v.IP, v.Region, v.UserAgent, v.Browser, v.OS, v.Referrer, v.Engine, v.Keyword,
			v.PageURL, v.PageTitle, v.Lang); err != nil {
			return nil, fmt.Errorf("insert visitor: %w", err)
		}
		out := &Visitor{ID: v.ID, TenantID: v.TenantID, ChannelID: v.ChannelID, ContactExternalID: v.ContactExternalID,
			Name: v.Name, Visits: 1, FirstSeenAt: now, EnteredAt: now, LastSeenAt: now, IP: v.IP, Region: v.Region,
			UserAgent: v.UserAgent, Browser: v.Browser, OS: v.OS, Referrer: v.Referrer, Engine: v.Engine,
			Keyword: v.Keyword, PageURL: v.PageURL, PageTitle: v.PageTitle, Lang: v.Lang}
		return out, s.addHit(ctx, tx, v.ID, v.TenantID, now, v.PageURL, v.PageTitle)
	}
	p := prev[0]
	if p.TenantID != v.TenantID || p.ChannelID != v.ChannelID {
		return nil, fmt.Errorf("visitor %s: %w", v.ID, hub.ErrNotFound)
	}
	newVisit := now.Sub(p.LastSeenAt) > newVisitAfter
	newPage := newVisit || p.PageURL != v.PageURL
	if newVisit {
		p.Visits, p.EnteredAt = p.Visits+1, now
	}
	if newVisit || (v.Referrer != "" && !sameSite(v.Referrer, v.PageURL)) {
		// Where the visit came from is its first page's referrer; moving
		// around the site does not replace it.
		p.Referrer, p.Engine, p.Keyword = v.Referrer, v.Engine, v.Keyword
	}
	if v.Name != "" {
		p.Name = v.Name
	}
	p.ContactExternalID, p.LastSeenAt, p.LeftAt, p.IP, p.Region = v.ContactExternalID, now, nil, v.IP, v.Region
	p.UserAgent, p.Browser, p.OS, p.PageURL, p.PageTitle, p.Lang = v.UserAgent, v.Browser, v.OS, v.PageURL, v.PageTitle, v.Lang
	const up = `UPDATE visitors SET contact_external_id = ?, name = ?, visits = ?, entered_at = ?, last_seen_at = ?,
		left_at = NULL, ip = ?, region = ?, user_agent = ?, browser = ?, os = ?, referrer = ?, engine = ?, keyword = ?,
		page_url = ?, page_title = ?, lang = ? WHERE id = ?`
	if _, err := tx.Exec(ctx, up, p.ContactExternalID, p.Name, p.Visits, p.EnteredAt, now, p.IP, p.Region,
		p.UserAgent, p.Browser, p.OS, p.Referrer, p.Engine, p.Keyword, p.PageURL, p.PageTitle, p.Lang, v.ID); err != nil {
		return nil, fmt.Errorf("update visitor: %w", err)
	}
	if newPage {
		return &p, s.addHit(ctx, tx, v.ID, v.TenantID, now, v.PageURL, v.PageTitle)
	}
	return &p, nil
}

// sameSite reports whether a referrer is a page of the same host (an
// internal navigation, not where the visit came from).
func sameSite(ref, page string) bool {
	r, err := url.Parse(ref)
	p, err2 := url.Parse(page)
	return err == nil && err2 == nil && r.Host != "" && strings.EqualFold(r.Host, p.Host)
}

func (s *Store) addHit(ctx context.Context, tx *store.Tx, id, tenantID string, at time.Time, url, title string) error {
	if url == "" {
		return nil
	}
	const q = `INSERT INTO visitor_pages (visitor_id, tenant_id, seen_at, url, title) VALUES (?, ?, ?, ?, ?)`
	if _, err := tx.Exec(ctx, q, id, tenantID, at, url, title); err != nil {
		return fmt.Errorf("page trail: %w", err)
	}
	return nil
}

// Page records a navigation inside a single-page site.
func (s *Store) Page(ctx context.Context, tenantID, id, url, title string) error {
	url, title = hub.Bounded(url, 1000), hub.Bounded(title, 1000)
	err := s.k.Write(ctx, func(tx *store.Tx) error {
		const q = `UPDATE visitors SET page_url = ?, page_title = ?, last_seen_at = ?, left_at = NULL
			WHERE tenant_id = ? AND id = ? AND page_url <> ?`
		n, err := tx.Exec(ctx, q, url, title, s.k.Now(), tenantID, id, url)
		if err != nil {
			return fmt.Errorf("visitor page: %w", err)
		}
		if n == 0 {
			return nil
		}
		return s.addHit(ctx, tx, id, tenantID, s.k.Now(), url, title)
	})
	if err != nil {
		return err
	}
	s.touch(tenantID, id)
	return nil
}

// Seen refreshes the heartbeat of visitors whose sockets are open.
func (s *Store) Seen(ctx context.Context, ids []string) error {
	for len(ids) > 0 {
		n := min(len(ids), 200)
		q, args, err := sqlx.In(`UPDATE visitors SET last_seen_at = ?, left_at = NULL WHERE id IN (?)`, s.k.Now(), ids[:n])
		if err != nil {
			return err
		}
		if _, err := s.k.W.ExecContext(ctx, s.k.W.Rebind(q), args...); err != nil {
			return fmt.Errorf("visitor heartbeat: %w", err)
		}
		ids = ids[n:]
	}
	return nil
}

// ContactsFrom are the contacts (external ids) of the anonymous visitors
// of a channel last seen from ip since then, the most recent first, at
// most limit (the web channel counts their active conversations).
func (s *Store) ContactsFrom(ctx context.Context, channelID, ip string, since time.Time, limit int) ([]string, error) {
	var ids []string
	const q = `SELECT contact_external_id FROM visitors WHERE channel_id = ? AND ip = ? AND last_seen_at >= ?
		AND contact_external_id NOT LIKE 'u:%' ORDER BY last_seen_at DESC LIMIT ?`
	if err := s.k.Select(ctx, &ids, q, channelID, ip, since, limit); err != nil {
		return nil, fmt.Errorf("visitors from an address: %w", err)
	}
	return ids, nil
}

// Left records that a visitor's last socket closed (in a batch with other
// arrivals and departures, like Arrived).
func (s *Store) Left(ctx context.Context, tenantID, id string) error {
	return s.w.do(ctx, &op{tenantID: tenantID, id: id})
}

// Invited records an invite shown to the visitor (by an agent or by
// the channel's automatic rules).
func (s *Store) Invited(ctx context.Context, tenantID, id, inviteID string) error {
	const q = `UPDATE visitors SET invites = invites + 1, invite_id = ?, invited_at = ? WHERE tenant_id = ? AND id = ?`
	if _, err := s.k.Exec(ctx, q, hub.Clean(inviteID), s.k.Now(), tenantID, id); err != nil {
		return fmt.Errorf("visitor invited: %w", err)
	}
	s.touch(tenantID, id)
	return nil
}

// InviteReply records the visitor accepting or declining an invite.
func (s *Store) InviteReply(ctx context.Context, tenantID, id string, accepted bool) error {
	q := `UPDATE visitors SET invite_id = '' WHERE tenant_id = ? AND id = ?`
	args := []any{tenantID, id}
	if !accepted {
		q = `UPDATE visitors SET invite_id = '', declined_at = ? WHERE tenant_id = ? AND id = ?`
		args = []any{s.k.Now(), tenantID, id}
	}
	if _, err := s.k.Exec(ctx, q, args...); err != nil {
		return fmt.Errorf("invite reply: %w", err)
	}
	s.touch(tenantID, id)
	return nil
}

// Get returns one visitor of a tenant with its state.
func (s *Store) Get(ctx context.Context, tenantID, id string) (*Visitor, error) {
	var vs []Visitor
	if err := s.k.Select(ctx, &vs, visitorSelect+` WHERE v.tenant_id = ? AND v.id = ?`, tenantID, id); err != nil {
		return nil, fmt.Errorf("get visitor: %w", err)
	}
	if len(vs) == 0 {
		return nil, fmt.Errorf("visitor %s: %w", id, hub.ErrNotFound)
	}
	if err := s.states(ctx, vs); err != nil {
		return nil, err
	}
	return &vs[0], nil
}

func (v *Visitor) derive(now time.Time) {
	v.Online = v.LeftAt == nil && now.Sub(v.LastSeenAt) < VisitorOnline
	end := now
	if !v.Online {
		end = v.LastSeenAt
	}
	v.DwellSeconds = int64(end.Sub(v.EnteredAt) / time.Second)
	switch {
	case v.ConvStatus != nil && *v.ConvStatus == hub.ConvOffline:
		v.State = VisitorLeaving
	case v.ConvStatus != nil:
		v.State = VisitorChatting
	case v.InviteID != "" && v.InvitedAt != nil && now.Sub(*v.InvitedAt) < 10*time.Minute:
		v.State = VisitorInvited
	default:
		v.State = VisitorBrowsing
	}
}

// Filter narrows the visitor list.
type Filter struct {
	ChannelID string
	// Online keeps visitors on the site now; otherwise recent ones (7 days).
	Online bool
	Limit  int
}

// List lists a tenant's web visitors, most recently seen first. Every
// agent of the tenant sees them (to invite one).
func (s *Store) List(ctx context.Context, a *hub.Agent, f Filter) ([]Visitor, error) {
	now := s.k.Now()
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
	vs := []Visitor{}
	if err := s.k.R.SelectContext(ctx, &vs, s.k.R.Rebind(q), args...); err != nil {
		return nil, fmt.Errorf("list visitors: %w", err)
	}
	return vs, s.states(ctx, vs)
}

// WithTrail returns one visitor with the page trail (newest 100 pages).
func (s *Store) WithTrail(ctx context.Context, a *hub.Agent, id string) (*Visitor, error) {
	v, err := s.Get(ctx, a.TenantID, id)
	if err != nil {
		return nil, err
	}
	const q = `SELECT seen_at, url, title FROM visitor_pages WHERE visitor_id = ? ORDER BY seen_at DESC LIMIT 100`
	v.Pages = []Hit{}
	if err := s.k.Select(ctx, &v.Pages, q, v.ID); err != nil {
		return nil, fmt.Errorf("page trail: %w", err)
	}
	return v, nil
}

// Invite asks the visitor's open pages (on any hub process) to show
// an invite from the agent. It fails when the visitor is not on the site.
func (s *Store) Invite(ctx context.Context, a *hub.Agent, id, text string) (string, error) {
	v, err := s.Get(ctx, a.TenantID, id)
	if err != nil {
		return "", err
	}
	if !v.Online {
		return "", fmt.Errorf("%w: the visitor has left the site", hub.ErrConflict)
	}
	inviteID := hub.NewID("iv")
	payload, _ := json.Marshal(map[string]any{"visitor_id": v.ID, "invite_id": inviteID,
		"text": hub.Bounded(text, 500), "agent": map[string]string{"name": a.Name}})
	s.k.Announce(hub.Event{TenantID: a.TenantID, Type: hub.EvVisitorInvite, Payload: payload})
	return inviteID, s.Invited(ctx, a.TenantID, v.ID, inviteID)
}

// Store keeps the visitors.
type Store struct {
	k         *store.Store
	customers connectors.Customers
	region    func(ip string) string
	w         writer    // arrivals and departures, in batches (batch.go)
	ann       announcer // the visitors to tell agents about (announce.go)
}

// New returns the visitor store; customers tells it who is chatting, region
// looks an address up in the IP database.
func New(k *store.Store, customers connectors.Customers, region func(ip string) string) *Store {
	s := &Store{k: k, customers: customers, region: region}
	s.w.s = s
	return s
}

// states fills in each visitor's active conversation (chatting or leaving
// a message) and state, asking the hub once per channel.
func (s *Store) states(ctx context.Context, vs []Visitor) error {
	byChannel := map[string][]string{}
	for _, v := range vs {
		byChannel[v.ChannelID] = append(byChannel[v.ChannelID], v.ContactExternalID)
	}
	active := map[string]map[string]hub.Conversation{}
	for ch, exts := range byChannel {
		m, err := s.customers.Active(ctx, ch, exts)
		if err != nil {
			return err
		}
		active[ch] = m
	}
	now := s.k.Now()
	for i := range vs {
		if c, ok := active[vs[i].ChannelID][vs[i].ContactExternalID]; ok {
			vs[i].ConvStatus, vs[i].ConversationID = &c.Status, &c.ID
		}
		vs[i].derive(now)
	}
	return nil
}
