package conversations

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/contacts"
	"github.com/kefu-hub/kefu/hub/identity"
	"github.com/kefu-hub/kefu/hub/store"
)

// The status changes of a conversation, each in the caller's transaction.
// The assign package drives them (and keeps its queue index in step); the
// inbox opens conversations.

// ActiveOf finds and locks the active conversations of a channel's contacts
// (by contact id), in a fixed order: one read for an ingest batch. On
// PostgreSQL it does not wait for those another transaction holds (a
// routing pass assigning them): their contacts come back in busy, and the
// inbox stores their messages a moment later rather than holding the
// whole batch (everyone else's messages) behind that lock.
func (s *Store) ActiveOf(ctx context.Context, tx *store.Tx, channelID string, contactIDs []string) (active map[string]*hub.Conversation, busy map[string]bool, err error) {
	active, busy = map[string]*hub.Conversation{}, map[string]bool{}
	if len(contactIDs) == 0 {
		return active, busy, nil
	}
	var cs []struct {
		hub.Conversation
		Free bool `db:"free"`
	}
	q := `SELECT ` + convCols + `, TRUE AS free FROM conversations WHERE channel_id = ? AND contact_id IN (?)
		AND status <> 'closed' ORDER BY id`
	if s.k.Postgres {
		// The locked rows are read by the locking scan itself (their
		// latest versions); the rest only by id, to name them busy.
		const active = `channel_id = ? AND contact_id IN (?) AND status <> 'closed'`
		q = `WITH free AS (SELECT ` + convCols + ` FROM conversations WHERE ` + active + ` ORDER BY id FOR UPDATE SKIP LOCKED)
			SELECT ` + convCols + `, TRUE AS free FROM free
			UNION ALL SELECT ` + convCols + `, FALSE AS free FROM conversations WHERE ` + active + `
			AND id NOT IN (SELECT id FROM free)`
		err = tx.SelectIn(ctx, &cs, q, channelID, contactIDs, channelID, contactIDs)
	} else {
		err = tx.SelectIn(ctx, &cs, q, channelID, contactIDs)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("find conversations: %w", err)
	}
	for i := range cs {
		if !cs[i].Free {
			busy[cs[i].ContactID] = true
			continue
		}
		c := cs[i].Conversation
		active[c.ContactID] = &c
	}
	return active, busy, nil
}

// Open finds the contact's active conversation on the channel and locks
// it, or opens one (queued, for routing after commit) in the group named
// (else the channel's default). The partial unique index decides when two
// processes open one at once. It reports whether it opened one. The
// visitor, when the channel knows one, rides on the conversation.created
// event (the reports count where conversations came from).
func (s *Store) Open(ctx context.Context, tx *store.Tx, ch *hub.Channel, c *hub.Contact, group string,
	visit *hub.Visitor) (*hub.Conversation, bool, error) {
	// The insert comes first (one statement for a new conversation); the
	// partial unique key turns it into nothing when one is active, which is
	// then read, locked.
	gid, err := identity.Resolve(ctx, tx, ch.TenantID, group)
	if err != nil {
		return nil, false, err
	}
	if gid == nil {
		gid = ch.DefaultGroupID
	}
	now := tx.Now()
	conv := hub.Conversation{ID: hub.NewID("cv"), TenantID: ch.TenantID, ChannelID: ch.ID, ContactID: c.ID, GroupID: gid,
		Status: hub.ConvQueued, CreatedAt: now, UpdatedAt: now, QueuedAt: &now}
	const ins = `INSERT INTO conversations (id, tenant_id, channel_id, contact_id, group_id, status, last_seq, created_at,
		updated_at, queued_at) VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?, ?)
		ON CONFLICT (channel_id, contact_id) WHERE status <> 'closed' DO NOTHING RETURNING id`
	var ids []string
	if err := tx.Select(ctx, &ids, ins, conv.ID, conv.TenantID, conv.ChannelID, conv.ContactID, conv.GroupID, conv.Status,
		now, now, now); err != nil {
		return nil, false, fmt.Errorf("open conversation: %w", err)
	}
	if len(ids) == 0 {
		var convs []hub.Conversation
		if err := tx.Select(ctx, &convs, qFindActive+s.k.ForUpdate(), ch.ID, c.ID); err != nil || len(convs) == 0 {
			return nil, false, fmt.Errorf("find conversation: %w", errors.Join(err, store.ErrUnavailable))
		}
		return &convs[0], false, nil
	}
	conv.Contact = c
	emit(tx, &conv, hub.EvConversationCreated, "", created(&conv, visit))
	return &conv, true, nil
}

// ErrMoved is a conditional status change that found the conversation no
// longer in the state it expected (another process got there first).
var ErrMoved = errors.New("the conversation moved on meanwhile")

// Take gives a queued conversation to an agent whose seat the caller has
// claimed (routing, pick-up); gid, when set, becomes its group. ErrMoved
// when it no longer waits.
func Take(ctx context.Context, tx *store.Tx, c *hub.Conversation, agentID string, gid *string) error {
	now := tx.Now()
	q := `UPDATE conversations SET status = 'open', assignee_id = ?, assigned_at = ?, updated_at = ?,
		group_id = COALESCE(?, group_id) WHERE id = ? AND status = 'queued' RETURNING last_seq, group_id`
	var rows []struct {
		Seq int64   `db:"last_seq"`
		GID *string `db:"group_id"`
	}
	if err := tx.Select(ctx, &rows, q, agentID, now, now, gid, c.ID); err != nil {
		return fmt.Errorf("take conversation: %w", err)
	}
	if len(rows) == 0 {
		return ErrMoved
	}
	c.Status, c.AssigneeID, c.AssignedAt, c.LastSeq, c.GroupID = hub.ConvOpen, &agentID, &now, rows[0].Seq, rows[0].GID
	return nil
}

// Taking is a Take written later, with others (TakeAll).
type Taking struct {
	ID, AgentID string
	GroupID     *string
	At          time.Time
}

// TakeLater is Take without the statement: c (locked, queued, read under
// the lock) becomes the agent's in memory, and the returned Taking is
// written with TakeAll before the transaction reads or commits.
func TakeLater(c *hub.Conversation, agentID string, gid *string, now time.Time) Taking {
	if gid == nil {
		gid = c.GroupID
	}
	c.Status, c.AssigneeID, c.AssignedAt, c.GroupID = hub.ConvOpen, &agentID, &now, gid
	return Taking{ID: c.ID, AgentID: agentID, GroupID: gid, At: now}
}

// TakeAll writes takings in one PostgreSQL statement (SQLite takes one at
// a time, with Take); ErrMoved when a conversation was not queued any more.
func TakeAll(ctx context.Context, tx *store.Tx, ts []Taking) error {
	var args []any
	for _, t := range ts {
		args = append(args, t.ID, t.AgentID, t.GroupID, t.At)
	}
	q := `UPDATE conversations SET status = 'open', assignee_id = v.agent, assigned_at = v.at, updated_at = v.at,
		group_id = v.grp FROM (VALUES ` + store.TypedRows(len(ts), "text", "text", "text", "timestamptz") + `)
		AS v(id, agent, grp, at) WHERE conversations.id = v.id AND status = 'queued'`
	n, err := tx.Exec(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("take conversations: %w", err)
	}
	if n != int64(len(ts)) {
		return ErrMoved
	}
	return nil
}

// AssignTo gives a locked conversation (of any active status) to an agent
// whose seat the caller has claimed (a transfer, a proactive chat).
func AssignTo(ctx context.Context, tx *store.Tx, c *hub.Conversation, agentID string) error {
	now := tx.Now()
	const q = `UPDATE conversations SET status = 'open', assignee_id = ?, assigned_at = ?, updated_at = ? WHERE id = ?`
	if _, err := tx.Exec(ctx, q, agentID, now, now, c.ID); err != nil {
		return fmt.Errorf("assign conversation: %w", err)
	}
	c.Status, c.AssigneeID, c.AssignedAt = hub.ConvOpen, &agentID, &now
	return nil
}

// Requeue puts a locked conversation back in the queue, unassigned, in
// group gid when given (a transfer to a group, an agent signed off).
func Requeue(ctx context.Context, tx *store.Tx, c *hub.Conversation, gid *string) error {
	now := tx.Now()
	const q = `UPDATE conversations SET status = 'queued', assignee_id = NULL, group_id = COALESCE(?, group_id),
		queued_at = ?, updated_at = ? WHERE id = ?`
	if _, err := tx.Exec(ctx, q, gid, now, now, c.ID); err != nil {
		return fmt.Errorf("requeue conversation: %w", err)
	}
	if gid != nil {
		c.GroupID = gid
	}
	c.Status, c.AssigneeID, c.QueuedAt, c.UpdatedAt = hub.ConvQueued, nil, &now, now
	return nil
}

// Reopen puts an offline conversation back in the queue (someone came
// online); ErrMoved when it is no longer offline.
func Reopen(ctx context.Context, tx *store.Tx, c *hub.Conversation) error {
	now := tx.Now()
	const q = `UPDATE conversations SET status = 'queued', queued_at = ?, updated_at = ? WHERE id = ? AND status = 'offline'`
	n, err := tx.Exec(ctx, q, now, now, c.ID)
	if err != nil {
		return fmt.Errorf("requeue offline conversation: %w", err)
	}
	if n == 0 {
		return ErrMoved
	}
	c.Status, c.QueuedAt, c.UpdatedAt = hub.ConvQueued, &now, now
	return nil
}

// GoOffline marks a waiting conversation offline (a ticket will hold it);
// ErrMoved when it no longer waits.
func GoOffline(ctx context.Context, tx *store.Tx, c *hub.Conversation) error {
	n, err := tx.Exec(ctx, `UPDATE conversations SET status = 'offline', updated_at = ? WHERE id = ? AND status = 'queued'`,
		tx.Now(), c.ID)
	if err != nil {
		return fmt.Errorf("mark offline: %w", err)
	}
	if n == 0 {
		return ErrMoved
	}
	c.Status = hub.ConvOffline
	return nil
}

// Closing is how a conversation ends: a free-text reason and, optionally,
// one of the tenant's conversation categories.
type Closing struct {
	Reason     string `json:"reason"`
	CategoryID string `json:"category_id"`
	// RatingOffered says the close offers the customer a rating
	// (CloseInviting); the close event carries it.
	RatingOffered bool `json:"-"`
}

// CloseLocked closes a conversation the caller has locked, frees the seat
// it held and tells the agents; by is who closed it ("automation" for the
// idle timer). Closing a closed conversation only sets a category.
func CloseLocked(ctx context.Context, tx *store.Tx, c *hub.Conversation, by string, cl Closing) error {
	var cat *string
	if cl.CategoryID != "" {
		cat = &cl.CategoryID
	}
	if c.Status == hub.ConvClosed {
		if cat == nil {
			return nil
		}
		c.CategoryID = cat
		if _, err := tx.Exec(ctx, `UPDATE conversations SET category_id = ? WHERE id = ?`, cat, c.ID); err != nil {
			return fmt.Errorf("set category: %w", err)
		}
		return nil
	}
	now := tx.Now()
	const q = `UPDATE conversations SET status = 'closed', closed_at = ?, close_reason = ?, category_id = ?, updated_at = ? WHERE id = ?`
	if _, err := tx.Exec(ctx, q, now, hub.Clean(cl.Reason), cat, now, c.ID); err != nil {
		return fmt.Errorf("close conversation: %w", err)
	}
	if err := Release(ctx, tx, c); err != nil {
		return err
	}
	c.Status, c.ClosedAt, c.CloseReason, c.CategoryID, c.UpdatedAt = hub.ConvClosed, &now, cl.Reason, cat, now
	emit(tx, c, hub.EvConversationClosed, Deref(c.AssigneeID), map[string]any{"conversation": c, "by": by,
		"rating_offered": cl.RatingOffered})
	return nil
}

// Release gives back the seat an open conversation held.
func Release(ctx context.Context, tx *store.Tx, c *hub.Conversation) error {
	if c.Status != hub.ConvOpen || c.AssigneeID == nil {
		return nil
	}
	return identity.ReleaseSeat(ctx, tx, *c.AssigneeID)
}

// OpenOf locks an agent's open conversations (an agent signed off).
func (s *Store) OpenOf(ctx context.Context, tx *store.Tx, a *hub.Agent) ([]hub.Conversation, error) {
	var convs []hub.Conversation
	q := `SELECT ` + convCols + ` FROM conversations WHERE tenant_id = ? AND assignee_id = ? AND status = 'open'` + s.k.ForUpdate()
	if err := tx.Select(ctx, &convs, q, a.TenantID, a.ID); err != nil {
		return nil, fmt.Errorf("agent's open conversations: %w", err)
	}
	return convs, nil
}

// Assigned is a conversation given to its agent in a transaction; Extra
// fields join its conversation.assigned event.
type Assigned struct {
	Conversation *hub.Conversation
	Extra        map[string]any
}

// assignedHistory is how many recent messages conversation.assigned carries.
const assignedHistory = 50

// EmitAssigned tells each conversation's agent it is theirs, with its
// recent history so the agent sees everything at once — the history and
// the contacts of all of them read with two queries.
func (s *Store) EmitAssigned(ctx context.Context, tx *store.Tx, as ...Assigned) error {
	if len(as) == 0 {
		return nil
	}
	ids, cts := make([]string, len(as)), make([]string, len(as))
	for i, a := range as {
		ids[i], cts[i] = a.Conversation.ID, a.Conversation.ContactID
	}
	var ms []hub.Message
	q := `SELECT ` + msgCols + ` FROM (SELECT m.*, ROW_NUMBER() OVER (PARTITION BY conversation_id ORDER BY seq DESC) AS rn
		FROM messages m WHERE conversation_id IN (?)) x WHERE rn <= ? ORDER BY conversation_id, seq`
	if err := tx.SelectIn(ctx, &ms, q, ids, assignedHistory); err != nil {
		return fmt.Errorf("assigned history: %w", err)
	}
	history := map[string][]hub.Message{}
	for i := range ms {
		ms[i].DecodeAttachments()
		history[ms[i].ConversationID] = append(history[ms[i].ConversationID], ms[i])
	}
	people, err := contacts.ByIDsIn(ctx, tx, cts) // the transaction may have created them
	if err != nil {
		return err
	}
	for _, a := range as {
		c := a.Conversation
		c.Contact = people[c.ContactID]
		msgs := history[c.ID]
		if msgs == nil {
			msgs = []hub.Message{}
		}
		payload := map[string]any{"conversation": c, "messages": msgs}
		for k, v := range a.Extra {
			if k != "conversation" {
				payload[k] = v
			}
		}
		emit(tx, c, hub.EvConversationAssigned, Deref(c.AssigneeID), payload)
	}
	return nil
}

// Emit records an event about a conversation in the caller's transaction,
// addressed to agentID (the routing store's queue and transfer events).
func Emit(tx *store.Tx, c *hub.Conversation, typ hub.EventType, agentID string, payload any) {
	emit(tx, c, typ, agentID, payload)
}

// QueuedSince is how long a conversation has waited (0 when it does not).
func QueuedSince(c *hub.Conversation, now time.Time) time.Duration {
	if c.QueuedAt == nil {
		return 0
	}
	return now.Sub(*c.QueuedAt)
}

// Opening is a conversation the inbox opens for a new customer.
type Opening struct {
	Contact *hub.Contact
	Group   string // the group the message named (else the channel's default)
	// Visitor is where the customer came from, when the channel knows.
	Visitor *hub.Visitor
}

// created is the payload of conversation.created: the conversation, and
// where its visitor came from when the channel knows (the reports count
// conversations by source, region and device).
func created(c *hub.Conversation, visit *hub.Visitor) map[string]any {
	p := map[string]any{"conversation": *c}
	if v := visit; v != nil {
		p["visitor"] = hub.Visitor{IP: hub.Clean(v.IP), Region: hub.Clean(v.Region), Referrer: hub.Clean(v.Referrer),
			Keyword: hub.Clean(v.Keyword), Page: hub.Clean(v.Page), Engine: hub.Clean(v.Engine), Device: hub.Clean(v.Device)}
	}
	return p
}

// OpenMany opens queued conversations for customers of one channel who
// have none active, with one multi-row insert, as Open does for one. It
// returns those it opened by contact id; one the partial unique index
// turned away (another process opened it meanwhile) is missing, and the
// caller opens it with Open.
func OpenMany(ctx context.Context, tx *store.Tx, ch *hub.Channel, opens []Opening) (map[string]*hub.Conversation, error) {
	out := make(map[string]*hub.Conversation, len(opens))
	if len(opens) == 0 {
		return out, nil
	}
	groups := map[string]*string{}
	now := tx.Now()
	convs := make([]hub.Conversation, len(opens))
	rows := make([]string, len(opens))
	args := make([]any, 0, 9*len(opens))
	for i, o := range opens {
		gid, seen := groups[o.Group]
		if !seen {
			var err error
			if gid, err = identity.Resolve(ctx, tx, ch.TenantID, o.Group); err != nil {
				return nil, err
			}
			groups[o.Group] = gid
		}
		if gid == nil {
			gid = ch.DefaultGroupID
		}
		// A microsecond apart: the queue takes them in arrival order.
		at := now.Add(time.Duration(i) * time.Microsecond)
		convs[i] = hub.Conversation{ID: hub.NewID("cv"), TenantID: ch.TenantID, ChannelID: ch.ID, ContactID: o.Contact.ID,
			GroupID: gid, Status: hub.ConvQueued, CreatedAt: at, UpdatedAt: at, QueuedAt: &at, Contact: o.Contact}
		c := &convs[i]
		rows[i] = "(?, ?, ?, ?, ?, ?, 0, ?, ?, ?)"
		args = append(args, c.ID, c.TenantID, c.ChannelID, c.ContactID, c.GroupID, c.Status, at, at, at)
	}
	q := `INSERT INTO conversations (id, tenant_id, channel_id, contact_id, group_id, status, last_seq, created_at,
		updated_at, queued_at) VALUES ` + strings.Join(rows, ", ") + `
		ON CONFLICT (channel_id, contact_id) WHERE status <> 'closed' DO NOTHING RETURNING id`
	var ids []string
	if err := tx.Select(ctx, &ids, q, args...); err != nil {
		return nil, fmt.Errorf("open conversations: %w", err)
	}
	opened := make(map[string]bool, len(ids))
	for _, id := range ids {
		opened[id] = true
	}
	for i := range convs {
		if c := &convs[i]; opened[c.ID] {
			out[c.ContactID] = c
			emit(tx, c, hub.EvConversationCreated, "", created(c, opens[i].Visitor))
		}
	}
	return out, nil
}
