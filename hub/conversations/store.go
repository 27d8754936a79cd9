// Package conversations owns a customer's threads and their messages: each
// conversation with its status and gap-free message sequence, replies and
// internal notes, ratings, categories, the platforms' reply windows, and
// what agents and customers read of them. Routing (the assign package)
// moves conversations between statuses through the transaction-level
// methods here; nobody else writes these tables.
package conversations

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/automations"
	"github.com/kefu-hub/kefu/hub/channels"
	"github.com/kefu-hub/kefu/hub/contacts"
	"github.com/kefu-hub/kefu/hub/ratings"
	"github.com/kefu-hub/kefu/hub/store"
)

// Store keeps the conversations and their messages.
type Store struct {
	k        *store.Store
	channels *channels.Store
	contacts *contacts.Store
	autos    *automations.Store
	// windows are the platforms' reply rules by channel type; pushes the
	// channel types that deliver over their own sockets (no delivery).
	windows Windows
	pushes  map[string]bool
	log     *slog.Logger
	watch   Watch
	ratings *ratings.Store
}

// Options are the channel-type facts the store needs (from the connector
// kinds).
type Options struct {
	Windows Windows
	Pushes  map[string]bool
	Log     *slog.Logger
	// Watch sees every agent message as it is stored, in the sending
	// transaction (quality inspection's sensitive words); nil: none.
	Watch Watch
	// Ratings keeps the satisfaction ratings (nil: one of its own).
	Ratings *ratings.Store
}

// Watch looks at an agent's message in the transaction that stores it; an
// error fails the send.
type Watch func(ctx context.Context, tx *store.Tx, c *hub.Conversation, m *hub.Message) error

// Statements of the inbox.
const (
	qNextSeq       = `UPDATE conversations SET last_seq = last_seq + 1, last_message_at = ?, updated_at = ? WHERE id = ? RETURNING last_seq`
	qInsertMessage = `INSERT INTO messages (id, tenant_id, conversation_id, channel_id, seq, direction, sender_type, sender_id,
		type, text, attachments, rich, external_id, client_id, status, error, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', ?) ON CONFLICT DO NOTHING RETURNING id`
	qFindActive = `SELECT ` + convCols + ` FROM conversations WHERE channel_id = ? AND contact_id = ? AND status <> 'closed'`
)

// New returns the conversation store.
func New(k *store.Store, chans *channels.Store, cts *contacts.Store, autos *automations.Store, o Options) *Store {
	if o.Log == nil {
		o.Log = k.Log()
	}
	if o.Ratings == nil {
		o.Ratings = ratings.New(k, ratings.Options{})
	}
	return &Store{k: k, channels: chans, contacts: cts, autos: autos, windows: o.Windows, pushes: o.Pushes, log: o.Log,
		watch: o.Watch, ratings: o.Ratings}
}

const convCols = `id, tenant_id, channel_id, contact_id, group_id, assignee_id, status, last_seq, close_reason,
	created_at, updated_at, queued_at, assigned_at, closed_at, last_message_at, category_id`

// Get returns a conversation the agent may see, with its contact, channel
// type, reply window and rating; anything else (another tenant's, or
// another agent's for a plain agent) is ErrNotFound.
func (s *Store) Get(ctx context.Context, a *hub.Agent, id string) (*hub.Conversation, error) {
	c, err := s.visible(ctx, a, id)
	if err != nil {
		return nil, err
	}
	c.Contact, err = contacts.Get(ctx, s.k, c.ContactID)
	if err == nil {
		c.ReplyWindow, err = s.Window(ctx, s.k, c)
	}
	if err == nil {
		c.Rating, err = s.Rating(ctx, c.ID)
	}
	if ch, cerr := s.channels.Get(ctx, c.ChannelID); cerr == nil {
		c.ChannelType = ch.Type
	}
	return c, err
}

// visible reads a conversation the agent may see.
func (s *Store) visible(ctx context.Context, a *hub.Agent, id string) (*hub.Conversation, error) {
	var c hub.Conversation
	if err := s.k.Get(ctx, &c, `SELECT `+convCols+` FROM conversations WHERE tenant_id = ? AND id = ?`, a.TenantID, id); err != nil {
		if store.NoRows(err) {
			return nil, fmt.Errorf("conversation %s: %w", id, hub.ErrNotFound)
		}
		return nil, fmt.Errorf("get conversation: %w", err)
	}
	if !a.SeesAll() && Deref(c.AssigneeID) != a.ID {
		return nil, fmt.Errorf("conversation %s: %w", id, hub.ErrNotFound)
	}
	return &c, nil
}

// ByID returns a conversation of any tenant (for the hub's own work).
func (s *Store) ByID(ctx context.Context, id string) (*hub.Conversation, error) {
	var c hub.Conversation
	if err := s.k.Get(ctx, &c, `SELECT `+convCols+` FROM conversations WHERE id = ?`, id); err != nil {
		if store.NoRows(err) {
			return nil, fmt.Errorf("conversation %s: %w", id, hub.ErrNotFound)
		}
		return nil, fmt.Errorf("get conversation: %w", err)
	}
	return &c, nil
}

// Lock reads and row-locks a conversation of the agent's tenant that the
// agent may act on.
func (s *Store) Lock(ctx context.Context, tx *store.Tx, a *hub.Agent, id string) (*hub.Conversation, error) {
	var c hub.Conversation
	q := `SELECT ` + convCols + ` FROM conversations WHERE tenant_id = ? AND id = ?` + s.k.ForUpdate()
	if err := tx.Get(ctx, &c, q, a.TenantID, id); err != nil {
		if store.NoRows(err) {
			return nil, fmt.Errorf("conversation %s: %w", id, hub.ErrNotFound)
		}
		return nil, fmt.Errorf("lock conversation: %w", err)
	}
	if !a.SeesAll() && Deref(c.AssigneeID) != a.ID {
		return nil, fmt.Errorf("conversation %s: %w", id, hub.ErrNotFound)
	}
	return &c, nil
}

// LockByID reads and row-locks a conversation of any tenant (nil when it
// does not exist).
func (s *Store) LockByID(ctx context.Context, tx *store.Tx, id string) (*hub.Conversation, error) {
	var cs []hub.Conversation
	if err := tx.Select(ctx, &cs, `SELECT `+convCols+` FROM conversations WHERE id = ?`+s.k.ForUpdate(), id); err != nil {
		return nil, fmt.Errorf("lock conversation: %w", err)
	}
	if len(cs) == 0 {
		return nil, nil //nolint:nilnil // gone: nothing to do
	}
	return &cs[0], nil
}

// LockFree reads and row-locks the conversations (of any tenant, by id)
// that no other transaction holds, in id order; the others, and missing
// ones, are absent: another process is working on them (routing passes of
// several hubs share the work this way instead of waiting in line).
func (s *Store) LockFree(ctx context.Context, tx *store.Tx, ids []string) (map[string]*hub.Conversation, error) {
	out := map[string]*hub.Conversation{}
	if len(ids) == 0 {
		return out, nil
	}
	var cs []hub.Conversation
	q := `SELECT ` + convCols + ` FROM conversations WHERE id IN (?) ORDER BY id` + s.k.ForUpdateSkipLocked()
	if err := tx.SelectIn(ctx, &cs, q, ids); err != nil {
		return nil, fmt.Errorf("lock conversations: %w", err)
	}
	for i := range cs {
		out[cs[i].ID] = &cs[i]
	}
	return out, nil
}

// Deref is the string a pointer holds, or "".
func Deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func orEmpty(a []hub.Attachment) []hub.Attachment {
	if a == nil {
		return []hub.Attachment{}
	}
	return a
}

func messagePayload(m *hub.Message, c *hub.Contact) map[string]any {
	p := map[string]any{"message": m}
	if c != nil {
		p["contact"] = c
	}
	return p
}

// emit records an event about a conversation, addressed to agentID.
func emit(tx *store.Tx, c *hub.Conversation, typ hub.EventType, agentID string, payload any) {
	tx.Emit(hub.Event{TenantID: c.TenantID, ChannelID: c.ChannelID, Type: typ, ConversationID: c.ID, AgentID: agentID}, payload)
}

// orConflict is err, or ErrConflict when an insert hit a unique key
// without an error (a concurrent duplicate).
func orConflict(err error) error {
	if err != nil {
		return err
	}
	return hub.ErrConflict
}

// Many maps conversation ids to their conversations.
func (s *Store) Many(ctx context.Context, ids []string) (map[string]hub.Conversation, error) {
	out := map[string]hub.Conversation{}
	if len(ids) == 0 {
		return out, nil
	}
	var cs []hub.Conversation
	if err := s.k.SelectIn(ctx, &cs, `SELECT `+convCols+` FROM conversations WHERE id IN (?)`, ids); err != nil {
		return nil, fmt.Errorf("conversations by id: %w", err)
	}
	for _, c := range cs {
		out[c.ID] = c
	}
	return out, nil
}
