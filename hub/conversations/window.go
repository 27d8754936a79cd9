package conversations

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/store"
)

// CheckWindow refuses a reply the platform would refuse, under the
// conversation's row lock so concurrent replies count each other.
func (s *Store) CheckWindow(ctx context.Context, tx *store.Tx, c *hub.Conversation) error {
	w, err := s.Window(ctx, tx, c)
	if err != nil || w == nil || w.Open {
		return err
	}
	return &hub.WindowClosedError{Window: w}
}

// Window computes a conversation's reply window; nil when its channel type
// has no rule. Replies that failed do not count (the platform refused them).
func (s *Store) Window(ctx context.Context, q store.Querier, c *hub.Conversation) (*hub.ReplyWindow, error) {
	ch, err := s.channels.Get(ctx, c.ChannelID)
	if err != nil {
		return nil, err
	}
	p, ok := s.windows[ch.Type]
	if !ok {
		return nil, nil //nolint:nilnil // no rule: nothing to show
	}
	var last []struct {
		Seq       int64     `db:"seq"`
		Type      string    `db:"type"`
		CreatedAt time.Time `db:"created_at"`
	}
	lq := `SELECT seq, type, created_at FROM messages WHERE conversation_id = ? AND direction = 'in' ORDER BY seq DESC LIMIT 1`
	if err := q.Select(ctx, &last, lq, c.ID); err != nil {
		return nil, fmt.Errorf("last customer message: %w", err)
	}
	opened, err := openedAt(ctx, q, c, p)
	if err != nil {
		return nil, err
	}
	var unsub []struct {
		At         sql.NullTime `db:"unsubscribed_at"`
		ExternalID string       `db:"external_id"`
	}
	uq := `SELECT unsubscribed_at, external_id FROM contacts WHERE id = ?`
	if err := q.Select(ctx, &unsub, uq, c.ContactID); err != nil {
		return nil, fmt.Errorf("contact subscription: %w", err)
	}
	extID := ""
	if len(unsub) == 1 {
		extID = unsub[0].ExternalID
	}
	within, limit := p.For(extID)
	w := &hub.ReplyWindow{Max: limit}
	if len(last) == 0 && opened.IsZero() {
		w.Reason, w.Message = hub.WindowExpired, "the customer has not written yet; the platform accepts replies only after a customer message"
		return w, nil
	}
	var base time.Time
	var lastSeq int64
	if len(last) == 1 {
		base, lastSeq = last[0].CreatedAt, last[0].Seq
		if r, ok := p.Types[last[0].Type]; ok {
			within, limit = r.Within, r.Max
		} else if last[0].Type == "event" && p.EventWithin > 0 {
			within, limit = p.EventWithin, p.EventMax
		}
	}
	if !opened.IsZero() && !opened.Before(base) {
		// A follow or click after the last message opens a fresh window;
		// replies since that message count against it.
		base = opened
		within, limit = p.For(extID)
	}
	w.Max, w.Unlimited = limit, limit == 0
	var sent int
	cq := `SELECT COUNT(*) FROM messages WHERE conversation_id = ? AND direction = 'out' AND seq > ? AND status <> 'failed'`
	if limit > 0 {
		if err := q.Get(ctx, &sent, cq, c.ID, lastSeq); err != nil {
			return nil, fmt.Errorf("count replies: %w", err)
		}
	}
	exp := base.Add(within)
	w.ExpiresAt, w.Remaining = &exp, max(limit-sent, 0)
	switch {
	case len(unsub) == 1 && unsub[0].At.Valid && !unsub[0].At.Time.Before(base):
		w.Reason, w.Remaining = hub.WindowUnsubscribed, 0
		w.Message = "the customer unfollowed the account: the platform no longer accepts messages to them (客户已取消关注)"
	case !s.k.Now().Before(exp):
		w.Reason, w.Remaining = hub.WindowExpired, 0
		w.Message = fmt.Sprintf("the reply window closed at %s (%s after the customer's last message); the customer must write again first (已超过可回复时间，需等待客户再次发消息)",
			exp.Format(time.RFC3339), within)
	case w.Remaining == 0 && !w.Unlimited:
		w.Reason = hub.WindowQuota
		w.Message = fmt.Sprintf("%d replies were already sent since the customer's last message, the platform's maximum; the customer must write again first (已达回复条数上限，需等待客户再次发消息)", limit)
	default:
		w.Open = true
	}
	if !w.Open && p.Explain != "" {
		w.Message += " — " + p.Explain
	}
	return w, nil
}

// replyTo is the customer message an outgoing message (seq) answers, for
// channels with a reply rule: the last customer message before it, and how
// many outgoing messages since then, this one included.
func replyTo(ctx context.Context, tx *store.Tx, c *hub.Conversation, seq int64) (*hub.ReplyTo, error) {
	var last []struct {
		Seq        int64          `db:"seq"`
		ExternalID sql.NullString `db:"external_id"`
	}
	lq := `SELECT seq, external_id FROM messages WHERE conversation_id = ? AND direction = 'in' AND seq < ? ORDER BY seq DESC LIMIT 1`
	if err := tx.Select(ctx, &last, lq, c.ID, seq); err != nil {
		return nil, fmt.Errorf("answered message: %w", err)
	}
	if len(last) == 0 || !last[0].ExternalID.Valid {
		return nil, nil //nolint:nilnil // nothing to answer: the connector refuses if it must answer
	}
	var n int
	cq := `SELECT COUNT(*) FROM messages WHERE conversation_id = ? AND direction = 'out' AND seq > ? AND seq <= ?`
	if err := tx.Get(ctx, &n, cq, c.ID, last[0].Seq, seq); err != nil {
		return nil, fmt.Errorf("count answers: %w", err)
	}
	return &hub.ReplyTo{ExternalID: last[0].ExternalID.String, N: n}, nil
}

// openedAt is when the contact last did something that opens a window by
// the policy's Opens (zero: never).
func openedAt(ctx context.Context, q store.Querier, c *hub.Conversation, p hub.ReplyPolicy) (time.Time, error) {
	if len(p.Opens) == 0 {
		return time.Time{}, nil
	}
	args := []any{c.ContactID}
	for _, e := range p.Opens {
		args = append(args, string(e))
	}
	var at []time.Time
	eq := `SELECT created_at FROM contact_events WHERE contact_id = ? AND event IN (?` + strings.Repeat(", ?", len(p.Opens)-1) +
		`) ORDER BY created_at DESC LIMIT 1`
	if err := q.Select(ctx, &at, eq, args...); err != nil {
		return time.Time{}, fmt.Errorf("last window-opening event: %w", err)
	}
	if len(at) == 0 {
		return time.Time{}, nil
	}
	return at[0], nil
}
