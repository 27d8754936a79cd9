package conversations

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/store"
)

const msgCols = `id, tenant_id, conversation_id, channel_id, seq, direction, sender_type, sender_id, type, text,
	attachments, rich, external_id, client_id, status, error, created_at`

// Messages returns a conversation's messages with seq > after, in order.
func (s *Store) Messages(ctx context.Context, a *hub.Agent, convID string, after int64, limit int) ([]hub.Message, error) {
	if _, err := s.visible(ctx, a, convID); err != nil {
		return nil, err
	}
	return messagesAfter(ctx, s.k, convID, after, pageLimit(limit))
}

func messagesAfter(ctx context.Context, q store.Querier, convID string, after int64, limit int) ([]hub.Message, error) {
	out := []hub.Message{}
	if err := q.Select(ctx, &out, `SELECT `+msgCols+` FROM messages WHERE conversation_id = ? AND seq > ? ORDER BY seq LIMIT ?`,
		convID, after, limit); err != nil {
		return nil, fmt.Errorf("list messages: %w", err)
	}
	for i := range out {
		out[i].DecodeAttachments()
	}
	return out, nil
}

// MessagesBefore returns up to limit messages with seq < before, the newest
// of them, in seq order: a page of history for infinite scroll.
func (s *Store) MessagesBefore(ctx context.Context, a *hub.Agent, convID string, before int64, limit int) ([]hub.Message, error) {
	if _, err := s.visible(ctx, a, convID); err != nil {
		return nil, err
	}
	out := []hub.Message{}
	q := `SELECT ` + msgCols + ` FROM messages WHERE conversation_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?`
	if err := s.k.Select(ctx, &out, q, convID, before, pageLimit(limit)); err != nil {
		return nil, fmt.Errorf("list messages: %w", err)
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	for i := range out {
		out[i].DecodeAttachments()
	}
	return out, nil
}

// ByIDs returns messages by id, in the order they were written (a ticket's
// history).
func (s *Store) ByIDs(ctx context.Context, ids []string) ([]hub.Message, error) {
	out := []hub.Message{}
	if len(ids) == 0 {
		return out, nil
	}
	q := `SELECT ` + msgCols + ` FROM messages WHERE id IN (?) ORDER BY created_at, seq`
	if err := s.k.SelectIn(ctx, &out, q, ids); err != nil {
		return nil, fmt.Errorf("messages by id: %w", err)
	}
	for i := range out {
		out[i].DecodeAttachments()
	}
	return out, nil
}

// CustomerMessages are the messages of a conversation the customer sees
// (never internal notes), after seq, oldest first.
func (s *Store) CustomerMessages(ctx context.Context, convID string, after int64, limit int) ([]hub.Message, error) {
	var ms []hub.Message
	q := `SELECT ` + msgCols + ` FROM messages WHERE conversation_id = ? AND seq > ? AND direction IN ('in', 'out')
		ORDER BY seq LIMIT ?`
	if err := s.k.Select(ctx, &ms, q, convID, after, limit); err != nil {
		return nil, fmt.Errorf("customer messages: %w", err)
	}
	for i := range ms {
		ms[i].DecodeAttachments()
	}
	return ms, nil
}

// CustomerMessagesBefore are the last limit messages the customer sees of
// a conversation before seq, oldest first (the app pages back).
func CustomerMessagesBefore(ctx context.Context, k *store.Store, convID string, before int64, limit int) ([]hub.Message, error) {
	var ms []hub.Message
	q := `SELECT ` + msgCols + ` FROM messages WHERE conversation_id = ? AND seq < ? AND direction IN ('in', 'out')
		ORDER BY seq DESC LIMIT ?`
	if err := k.Select(ctx, &ms, q, convID, before, limit); err != nil {
		return nil, fmt.Errorf("customer messages before: %w", err)
	}
	slices.Reverse(ms)
	for i := range ms {
		ms[i].DecodeAttachments()
	}
	return ms, nil
}

// LastInbound is when a channel's last customer message arrived (nil: none
// yet), for the channel's health page.
func (s *Store) LastInbound(ctx context.Context, channelID string) (*time.Time, error) {
	var last []time.Time
	q := `SELECT created_at FROM messages WHERE channel_id = ? AND direction = 'in' ORDER BY created_at DESC LIMIT 1`
	if err := s.k.Select(ctx, &last, q, channelID); err != nil {
		return nil, fmt.Errorf("last message: %w", err)
	}
	if len(last) == 0 {
		return nil, nil //nolint:nilnil // no message yet
	}
	return &last[0], nil
}

// StoredIn returns the ids of the messages a channel already stored under
// platform ids (by platform id), in the ingest transaction: one read for a
// batch.
func StoredIn(ctx context.Context, tx *store.Tx, channelID string, externalIDs []string) (map[string]string, error) {
	out := map[string]string{}
	if len(externalIDs) == 0 {
		return out, nil
	}
	var rows []struct {
		ExternalID string `db:"external_id"`
		ID         string `db:"id"`
	}
	q := `SELECT external_id, id FROM messages WHERE channel_id = ? AND external_id IN (?)`
	if err := tx.SelectIn(ctx, &rows, q, channelID, externalIDs); err != nil {
		return nil, fmt.Errorf("dedup check: %w", err)
	}
	for _, r := range rows {
		out[r.ExternalID] = r.ID
	}
	return out, nil
}

// Insert takes the conversation's next seq and inserts the message. The
// caller holds the conversation row lock; when the insert hits the dedup key
// after all (a concurrent duplicate), the seq is given back so the sequence
// stays gap-free, and it reports false.
func Insert(ctx context.Context, tx *store.Tx, m *hub.Message) (bool, error) {
	if err := tx.Get(ctx, &m.Seq, qNextSeq, m.CreatedAt, m.CreatedAt, m.ConversationID); err != nil {
		return false, fmt.Errorf("next seq: %w", err)
	}
	var ids []string
	err := tx.Select(ctx, &ids, qInsertMessage, m.ID, m.TenantID, m.ConversationID, m.ChannelID, m.Seq, m.Direction,
		m.SenderType, m.SenderID, m.Type, m.Text, m.AttachmentsRaw, m.Rich, m.ExternalID, m.ClientID, m.Status, m.CreatedAt)
	if err != nil {
		return false, fmt.Errorf("insert message: %w", err)
	}
	if len(ids) == 1 {
		return true, nil
	}
	if _, err := tx.Exec(ctx, `UPDATE conversations SET last_seq = last_seq - 1 WHERE id = ?`, m.ConversationID); err != nil {
		return false, fmt.Errorf("give back seq: %w", err)
	}
	return false, nil
}

// ErrStoredMeanwhile is a message of InsertMany that a concurrent delivery
// stored first: the seqs taken for the batch would leave a gap, so the
// caller rolls the transaction back and stores its messages one by one.
var ErrStoredMeanwhile = errors.New("conversations: a message of the batch was stored meanwhile")

// InsertMany stores messages of several conversations, in their order, with
// a few statements for the whole batch: each conversation's seq counter
// moves once for all of its messages, and the rows go in multi-row inserts.
// The caller holds the conversations' row locks. When one message hits the
// dedup key after all it returns ErrStoredMeanwhile (see there).
func InsertMany(ctx context.Context, tx *store.Tx, ms []*hub.Message) error {
	if len(ms) == 0 {
		return nil
	}
	counts, order := map[string]int64{}, []string{}
	for _, m := range ms {
		if counts[m.ConversationID] == 0 {
			order = append(order, m.ConversationID)
		}
		counts[m.ConversationID]++
	}
	last, err := moveSeqs(ctx, tx, order, counts, ms[len(ms)-1].CreatedAt)
	if err != nil {
		return err
	}
	for _, m := range ms { // the conversation's seqs, in the batch's order
		m.Seq = last[m.ConversationID] - counts[m.ConversationID] + 1
		counts[m.ConversationID]--
	}
	const per = 200
	for start := 0; start < len(ms); start += per {
		part := ms[start:min(start+per, len(ms))]
		rows := make([]string, len(part))
		args := make([]any, 0, 15*len(part))
		for i, m := range part {
			rows[i] = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', ?)"
			args = append(args, m.ID, m.TenantID, m.ConversationID, m.ChannelID, m.Seq, m.Direction, m.SenderType,
				m.SenderID, m.Type, m.Text, m.AttachmentsRaw, m.ExternalID, m.ClientID, m.Status, m.CreatedAt)
		}
		q := `INSERT INTO messages (id, tenant_id, conversation_id, channel_id, seq, direction, sender_type, sender_id,
			type, text, attachments, external_id, client_id, status, error, created_at) VALUES ` +
			strings.Join(rows, ", ") + ` ON CONFLICT DO NOTHING RETURNING id`
		var ids []string
		if err := tx.SelectContext(ctx, &ids, tx.Rebind(q), args...); err != nil {
			return fmt.Errorf("insert messages: %w", err)
		}
		if len(ids) != len(part) {
			return ErrStoredMeanwhile
		}
	}
	return nil
}

// moveSeqs moves each conversation's seq counter by its count and returns
// the new last seqs: on PostgreSQL in one statement (every statement is a
// round trip), on SQLite one cheap statement per conversation.
func moveSeqs(ctx context.Context, tx *store.Tx, ids []string, counts map[string]int64, at time.Time) (map[string]int64, error) {
	last := make(map[string]int64, len(ids))
	if !tx.Store().Postgres {
		const q = `UPDATE conversations SET last_seq = last_seq + ?, last_message_at = ?, updated_at = ? WHERE id = ? RETURNING last_seq`
		for _, id := range ids {
			var seq int64
			if err := tx.Get(ctx, &seq, q, counts[id], at, at, id); err != nil {
				return nil, fmt.Errorf("next seqs: %w", err)
			}
			last[id] = seq
		}
		return last, nil
	}
	rows := make([]string, len(ids))
	args := []any{at, at}
	for i, id := range ids {
		rows[i] = "(?, CAST(? AS BIGINT))"
		args = append(args, id, counts[id])
	}
	q := `UPDATE conversations AS c SET last_seq = c.last_seq + v.column2, last_message_at = ?, updated_at = ?
		FROM (VALUES ` + strings.Join(rows, ", ") + `) AS v WHERE c.id = v.column1 RETURNING c.id, c.last_seq`
	var got []struct {
		ID      string `db:"id"`
		LastSeq int64  `db:"last_seq"`
	}
	if err := tx.SelectContext(ctx, &got, tx.Rebind(q), args...); err != nil {
		return nil, fmt.Errorf("next seqs: %w", err)
	}
	for _, g := range got {
		last[g.ID] = g.LastSeq
	}
	if len(last) != len(ids) {
		return nil, fmt.Errorf("next seqs: %d of %d conversations found", len(last), len(ids))
	}
	return last, nil
}

// Count counts a conversation's messages after seq, of a direction and
// sender type ("" for any; with both empty, what answers the customer or
// the agent: not automatic messages, not notes).
func Count(ctx context.Context, tx *store.Tx, convID string, after int64, dir hub.Direction, sender hub.SenderType) (int, error) {
	q := `SELECT COUNT(*) FROM messages WHERE conversation_id = ? AND seq > ?`
	args := []any{convID, after}
	if dir != "" {
		q += ` AND direction = ?`
		args = append(args, dir)
	}
	if sender != "" {
		q += ` AND sender_type = ?`
		args = append(args, sender)
	} else if dir == "" {
		q += ` AND NOT (direction = 'out' AND sender_type = 'system') AND direction <> 'internal'` // notes answer nobody
	}
	var n int
	if err := tx.Get(ctx, &n, q, args...); err != nil {
		return 0, fmt.Errorf("count messages: %w", err)
	}
	return n, nil
}

// InboundSince lists the ids and texts of the customer's messages after seq
// (what goes into a ticket), oldest first.
func InboundSince(ctx context.Context, tx *store.Tx, convID string, after int64) ([]hub.Message, error) {
	var ms []hub.Message
	q := `SELECT id, text FROM messages WHERE conversation_id = ? AND seq > ? AND direction = 'in' ORDER BY seq`
	if err := tx.Select(ctx, &ms, q, convID, after); err != nil {
		return nil, fmt.Errorf("ticket messages: %w", err)
	}
	return ms, nil
}

// Seq is the seq of a stored message.
func Seq(ctx context.Context, tx *store.Tx, messageID string) (int64, error) {
	var seq int64
	if err := tx.Get(ctx, &seq, `SELECT seq FROM messages WHERE id = ?`, messageID); err != nil {
		return 0, fmt.Errorf("message seq: %w", err)
	}
	return seq, nil
}

func pageLimit(n int) int {
	if n <= 0 {
		return 100
	}
	return min(n, 500)
}
