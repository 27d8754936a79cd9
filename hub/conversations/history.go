package conversations

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/contacts"
	"github.com/kefu-hub/kefu/hub/store"
)

// Filter narrows a conversation list; the history search
// (历史会话查询) uses the same list with more filters.
type Filter struct {
	Status     hub.ConvStatus // queued, open, offline, closed, "all", or "" for all active
	Assignee   string         // an agent id, "me", or ""
	ChannelID  string
	CategoryID string
	From, To   *time.Time // created_at >= From, < To
	Contact    string     // a substring of the contact's name, email or phone
	Q          string     // a substring of a message's text
	Before     string     // a conversation id: the page after it
	Limit      int
}

// List lists what the agent may see, newest activity first. Plain
// agents see only their own, whatever they ask for.
func (s *Store) List(ctx context.Context, a *hub.Agent, f Filter) ([]hub.Conversation, error) {
	q := `SELECT ` + convCols + ` FROM conversations WHERE tenant_id = ?`
	args := []any{a.TenantID}
	switch f.Status {
	case "":
		q += ` AND status <> 'closed'`
	case "all":
	case hub.ConvQueued, hub.ConvOpen, hub.ConvOffline, hub.ConvClosed:
		q += ` AND status = ?`
		args = append(args, f.Status)
	default:
		return nil, hub.Invalid("status must be queued, open, offline, closed or all")
	}
	assignee := f.Assignee
	if assignee == "me" || !a.SeesAll() {
		assignee = a.ID
	}
	add := func(cond string, v ...any) {
		q += ` AND ` + cond
		args = append(args, v...)
	}
	if assignee != "" {
		add(`assignee_id = ?`, assignee)
	}
	if f.ChannelID != "" {
		add(`channel_id = ?`, f.ChannelID)
	}
	if f.CategoryID != "" {
		add(`category_id = ?`, f.CategoryID)
	}
	if f.From != nil {
		add(`created_at >= ?`, f.From.UTC())
	}
	if f.To != nil {
		add(`created_at < ?`, f.To.UTC())
	}
	if f.Contact != "" {
		p := store.Like(f.Contact)
		sub, args := contacts.Matching(a.TenantID, p)
		add(`contact_id IN (`+sub+`)`, args...)
	}
	if f.Q != "" {
		add(`id IN (SELECT conversation_id FROM messages WHERE tenant_id = ? AND LOWER(text) LIKE ? ESCAPE '\')`,
			a.TenantID, store.Like(f.Q))
	}
	if f.Before != "" {
		cur, err := s.cursor(ctx, a, f.Before)
		if err != nil {
			return nil, err
		}
		add(`(updated_at < ? OR (updated_at = ? AND id > ?))`, cur.UpdatedAt, cur.UpdatedAt, cur.ID)
	}
	if f.Limit <= 0 {
		f.Limit = 100
	}
	f.Limit = min(f.Limit, 500)
	q += ` ORDER BY updated_at DESC, id LIMIT ?`
	args = append(args, f.Limit)
	out := []hub.Conversation{}
	if err := s.k.Select(ctx, &out, q, args...); err != nil {
		return nil, fmt.Errorf("list conversations: %w", err)
	}
	return out, s.Decorate(ctx, out)
}

// cursor reads where a page ends: a conversation the agent may see.
func (s *Store) cursor(ctx context.Context, a *hub.Agent, id string) (*hub.Conversation, error) {
	var c hub.Conversation
	q := `SELECT id, updated_at, assignee_id FROM conversations WHERE tenant_id = ? AND id = ?`
	err := s.k.Get(ctx, &c, q, a.TenantID, id)
	if err == nil && !a.SeesAll() && Deref(c.AssigneeID) != a.ID {
		err = sql.ErrNoRows
	}
	if err != nil {
		if store.NoRows(err) {
			return nil, hub.Invalid("before must be the id of a conversation of a previous page")
		}
		return nil, fmt.Errorf("read cursor: %w", err)
	}
	return &c, nil
}

// Transcript is a whole conversation for export: the conversation with its
// contact, every message, and the names of the agents who wrote.
type Transcript struct {
	Conversation *hub.Conversation
	Messages     []hub.Message
	AgentNames   map[string]string
}

// maxTranscript bounds an export (a conversation is rarely longer).
const maxTranscript = 20000

// Transcript reads a conversation the agent may see, for export.
func (s *Store) Transcript(ctx context.Context, a *hub.Agent, convID string) (*Transcript, error) {
	c, err := s.Get(ctx, a, convID)
	if err != nil {
		return nil, err
	}
	ms, err := messagesAfter(ctx, s.k, c.ID, 0, maxTranscript)
	if err != nil {
		return nil, err
	}
	t := &Transcript{Conversation: c, Messages: ms, AgentNames: map[string]string{}}
	var agents []struct {
		ID   string `db:"id"`
		Name string `db:"name"`
	}
	q := `SELECT id, name FROM agents WHERE tenant_id = ? AND id IN
		(SELECT DISTINCT sender_id FROM messages WHERE conversation_id = ? AND sender_type = 'agent')`
	if err := s.k.Select(ctx, &agents, q, a.TenantID, c.ID); err != nil {
		return nil, fmt.Errorf("transcript agents: %w", err)
	}
	for _, ag := range agents {
		t.AgentNames[ag.ID] = ag.Name
	}
	return t, nil
}
