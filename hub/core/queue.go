package core

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/routing"
	"github.com/kefu-hub/kefu/hub/store"
	"github.com/kefu-hub/kefu/tickets"
)

// queue makes a conversation wait at its home step: it records the step and
// why, tells the customer their position the first time, arms the overflow
// and max-wait timers, and turns the conversation into a ticket when the
// queue is already full.
func (s *Store) queue(ctx context.Context, c *hub.Conversation, rs *routeRow, ts []target, dec routing.Decision, announce bool) (Decision, error) {
	d := Decision{ConversationID: c.ID, Outcome: "queued", Reason: dec.Reason, tried: dec.Tried}
	rs.targets = ts
	home := dec.Step
	t := ts[home]
	key := t.Step.Key()
	reason := dec.Reason
	if len(dec.Notes) > 0 {
		reason += " (" + strings.Join(dec.Notes, "; ") + ")"
	}
	moved, first := home != rs.Stage, rs.Announced == 0
	if !moved && !first && !announce && reason == rs.LastReason && rs.QueueKey == key {
		return d, nil
	}
	ch, err := s.ch.Get(ctx, c.ChannelID)
	if err != nil {
		return d, err
	}
	auto := s.automations(ctx, ch)
	err = s.write(ctx, func(tx *store.Tx, fx *effects) error {
		if ok, err := s.stillQueued(ctx, tx, c); err != nil || !ok {
			return err
		}
		if first && t.settings.MaxQueue > 0 {
			n, err := s.queueLength(ctx, tx, c, key)
			if err != nil {
				return err
			}
			if n >= t.settings.MaxQueue {
				why := fmt.Sprintf("the queue of %s is full (%d waiting, at most %d)", t.label(), n, t.settings.MaxQueue)
				d.Outcome, d.Reason = "offline", why
				d.TicketID, err = s.toTicket(ctx, tx, fx, c, ch, auto.Queue.QueueFullText, "queue_full", why)
				return err
			}
		}
		now := s.now()
		stageAt := rs.StageAt
		if moved || stageAt == nil {
			stageAt = &now
		}
		const up = `UPDATE conversation_routing SET stage = ?, stage_at = ?, queue_key = ?, last_reason = ? WHERE conversation_id = ?`
		if _, err := tx.ExecContext(ctx, tx.Rebind(up), home, *stageAt, key, reason, c.ID); err != nil {
			return fmt.Errorf("update queue state: %w", err)
		}
		if moved {
			from := ts[rs.Stage]
			if err := s.logRouting(ctx, tx, c, logEntry{Outcome: "overflow", GroupID: t.groupID(), RuleID: t.Step.RuleID,
				Reason: fmt.Sprintf("flowed from %s to %s", from.label(), t.label())}); err != nil {
				return err
			}
		}
		if reason != rs.LastReason {
			if err := s.logRouting(ctx, tx, c, logEntry{Outcome: "queued", GroupID: t.groupID(), RuleID: t.Step.RuleID,
				Policy: string(t.Policy), Reason: reason}); err != nil {
				return err
			}
		}
		if first || announce {
			if err := s.announce(ctx, tx, fx, c, ch, auto, key, announce); err != nil {
				return err
			}
		}
		return s.armQueueTimers(ctx, tx, c, rs, t, home, *stageAt)
	})
	return d, err
}

// laterServable reports whether a step after home is open with somebody
// signed in (else overflowing would only bounce back).
func laterServable(rs *routeRow, home int) bool {
	return len(rs.targets) > home+1 && routing.Decide(home+1, states(rs.targets)).Outcome != routing.OutcomeOffline
}

func (t target) groupID() string {
	if t.Step.Kind == routing.KindGroup {
		return t.Step.ID
	}
	return ""
}

// stillQueued locks the conversation and reports whether it still waits.
func (s *Store) stillQueued(ctx context.Context, tx *store.Tx, c *hub.Conversation) (bool, error) {
	var st []hub.ConvStatus
	q := tx.Rebind(`SELECT status FROM conversations WHERE id = ?` + s.db.ForUpdate())
	if err := tx.SelectContext(ctx, &st, q, c.ID); err != nil {
		return false, fmt.Errorf("lock conversation: %w", err)
	}
	return len(st) == 1 && st[0] == hub.ConvQueued, nil
}

func (s *Store) queueLength(ctx context.Context, tx *store.Tx, c *hub.Conversation, key string) (int, error) {
	var n int
	q := `SELECT COUNT(*) FROM conversations c JOIN conversation_routing r ON r.conversation_id = c.id
		WHERE c.tenant_id = ? AND c.status = 'queued' AND r.queue_key = ? AND c.id <> ?`
	if err := tx.GetContext(ctx, &n, tx.Rebind(q), c.TenantID, key, c.ID); err != nil {
		return 0, fmt.Errorf("queue length: %w", err)
	}
	return n, nil
}

// position is the conversation's place in its queue (1 = next).
func (s *Store) position(ctx context.Context, q sqlx.QueryerContext, c *hub.Conversation, key string) (int, error) {
	var n int
	sq := s.db.R.Rebind(`SELECT COUNT(*) FROM conversations c JOIN conversation_routing r ON r.conversation_id = c.id
		WHERE c.tenant_id = ? AND c.status = 'queued' AND r.queue_key = ?
		AND (c.queued_at < ? OR (c.queued_at = ? AND c.id < ?))`)
	qa := s.now()
	if c.QueuedAt != nil {
		qa = *c.QueuedAt
	}
	if err := sqlx.GetContext(ctx, q, &n, sq, c.TenantID, key, qa, qa, c.ID); err != nil {
		return 0, fmt.Errorf("queue position: %w", err)
	}
	return n + 1, nil
}

// announce tells the customer their place in the queue: an event the
// connector delivers (channels that take events) and/or an automatic
// message, per the channel's automations.
func (s *Store) announce(ctx context.Context, tx *store.Tx, fx *effects, c *hub.Conversation, ch *hub.Channel, auto Automations, key string, created bool) error {
	pos, err := s.position(ctx, tx, c, key)
	if err != nil {
		return err
	}
	now := s.now()
	const up = `UPDATE conversation_routing SET announced_position = ?, announced_at = ? WHERE conversation_id = ?`
	if _, err := tx.ExecContext(ctx, tx.Rebind(up), pos, now, c.ID); err != nil {
		return fmt.Errorf("record position: %w", err)
	}
	payload := map[string]any{"conversation_id": c.ID, "position": pos, "ahead": pos - 1, "queue": key}
	if created {
		fx.emit(ch, hub.EvConversationQueued, c.ID, "", map[string]any{"conversation": c, "position": pos, "ahead": pos - 1})
	}
	q := auto.Queue
	if !q.Enabled {
		return nil
	}
	fx.emit(ch, hub.EvQueuePosition, c.ID, "", payload)
	if !q.messages(ch) {
		return nil
	}
	_, err = s.outgoing(ctx, tx, fx, c, "system", "", Reply{Content: fill(q.Text, pos), Type: "text"})
	return err
}

// fill puts the position into a queue message template.
func fill(tpl string, pos int) string {
	return strings.NewReplacer("{position}", strconv.Itoa(pos), "{ahead}", strconv.Itoa(pos-1)).Replace(tpl)
}

// AnnouncePositions tells every waiting customer of a tenant whose place
// changed their new position (at most once per change across processes:
// the update is conditional on the position last told).
func (s *Store) AnnouncePositions(ctx context.Context, tenantID string) error {
	var rows []struct {
		ID          string     `db:"id"`
		ChannelID   string     `db:"channel_id"`
		Key         string     `db:"queue_key"`
		Announced   int        `db:"announced_position"`
		AnnouncedAt *time.Time `db:"announced_at"`
	}
	q := `SELECT c.id, c.channel_id, r.queue_key, r.announced_position, r.announced_at FROM conversations c
		JOIN conversation_routing r ON r.conversation_id = c.id
		WHERE c.tenant_id = ? AND c.status = 'queued' ORDER BY r.queue_key, c.queued_at, c.id`
	if err := s.db.R.SelectContext(ctx, &rows, s.db.R.Rebind(q), tenantID); err != nil {
		return fmt.Errorf("queue positions: %w", err)
	}
	pos, prev := 0, ""
	return s.write(ctx, func(tx *store.Tx, fx *effects) error {
		for _, r := range rows {
			if r.Key != prev {
				pos, prev = 0, r.Key
			}
			pos++
			if r.Announced == 0 || r.Announced == pos {
				continue
			}
			const up = `UPDATE conversation_routing SET announced_position = ?, announced_at = ?
				WHERE conversation_id = ? AND announced_position = ?`
			res, err := tx.ExecContext(ctx, tx.Rebind(up), pos, s.now(), r.ID, r.Announced)
			if err != nil {
				return fmt.Errorf("update position: %w", err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				continue
			}
			if err := s.positionChanged(ctx, tx, fx, r.ID, r.ChannelID, r.Key, pos, r.AnnouncedAt); err != nil {
				return err
			}
		}
		return nil
	})
}

func (s *Store) positionChanged(ctx context.Context, tx *store.Tx, fx *effects, convID, channelID, key string, pos int, last *time.Time) error {
	ch, err := s.ch.Get(ctx, channelID)
	if err != nil {
		return err
	}
	q := s.automations(ctx, ch).Queue
	if !q.Enabled {
		return nil
	}
	fx.emit(ch, hub.EvQueuePosition, convID, "", map[string]any{"conversation_id": convID, "position": pos, "ahead": pos - 1, "queue": key})
	if !q.messages(ch) || q.UpdateText == "" || (last != nil && s.now().Sub(*last) < time.Duration(q.UpdateEverySeconds)*time.Second) {
		return nil
	}
	c, err := s.convByIDTx(ctx, tx, convID)
	if err != nil {
		return err
	}
	_, err = s.outgoing(ctx, tx, fx, c, "system", "", Reply{Content: fill(q.UpdateText, pos), Type: "text"})
	return err
}

func (s *Store) convByIDTx(ctx context.Context, tx *store.Tx, id string) (*hub.Conversation, error) {
	var c hub.Conversation
	if err := tx.GetContext(ctx, &c, tx.Rebind(`SELECT `+convCols+` FROM conversations WHERE id = ?`), id); err != nil {
		return nil, fmt.Errorf("get conversation: %w", err)
	}
	return &c, nil
}

// armQueueTimers arms the overflow timer (when a later step exists and this
// one has a wait) and the max-wait timer (when the group has one).
func (s *Store) armQueueTimers(ctx context.Context, tx *store.Tx, c *hub.Conversation, rs *routeRow, t target, home int, stageAt time.Time) error {
	if after := t.Step.OverflowAfter; after > 0 && laterServable(rs, home) {
		if err := s.arm(ctx, tx, c, TimerOverflow, strconv.Itoa(home), stageAt.Add(time.Duration(after)*time.Second)); err != nil {
			return err
		}
	}
	if t.settings.MaxWait > 0 && c.QueuedAt != nil {
		return s.arm(ctx, tx, c, TimerMaxWait, c.QueuedAt.UTC().Format(time.RFC3339Nano),
			c.QueuedAt.Add(time.Duration(t.settings.MaxWait)*time.Second))
	}
	return nil
}

// goOffline turns a conversation nobody can answer into a ticket and sends
// the offline auto-reply (the first target group's own, else the channel's).
func (s *Store) goOffline(ctx context.Context, c *hub.Conversation, rs *routeRow, ts []target, dec routing.Decision) (Decision, error) {
	d := Decision{ConversationID: c.ID, Outcome: "skipped"}
	ch, err := s.ch.Get(ctx, c.ChannelID)
	if err != nil {
		return d, err
	}
	text := ch.OfflineMessage
	for _, t := range ts[rs.Stage:] {
		if t.settings.OfflineMessage != "" {
			text = t.settings.OfflineMessage
			break
		}
	}
	err = s.write(ctx, func(tx *store.Tx, fx *effects) error {
		id, err := s.toTicket(ctx, tx, fx, c, ch, text, "offline", dec.Reason)
		if id != "" {
			d.Outcome, d.TicketID, d.Reason = "offline", id, dec.Reason
		}
		return err
	})
	return d, err
}

// toTicket moves a waiting conversation offline into a ticket (nobody can
// answer, the queue is full, or the wait was too long), tells the customer
// with text and records why. It returns "" when the conversation no longer
// waits.
func (s *Store) toTicket(ctx context.Context, tx *store.Tx, fx *effects, c *hub.Conversation, ch *hub.Channel, text, outcome, why string) (string, error) {
	const q = `UPDATE conversations SET status = 'offline', updated_at = ? WHERE id = ? AND status = 'queued'`
	res, err := tx.ExecContext(ctx, tx.Rebind(q), s.now(), c.ID)
	if err != nil {
		return "", fmt.Errorf("mark offline: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return "", nil
	}
	c.Status = hub.ConvOffline
	ticketID, _, err := s.fileTicket(ctx, tx, c, 0)
	if err != nil {
		return "", err
	}
	fx.emit(ch, hub.EvConversationOffline, c.ID, "", map[string]any{"conversation": c, "ticket_id": ticketID, "reason": outcome})
	if err := s.logRouting(ctx, tx, c, logEntry{Outcome: outcome, Reason: why + "; ticket " + ticketID}); err != nil {
		return "", err
	}
	if strings.TrimSpace(text) == "" {
		return ticketID, nil
	}
	_, err = s.outgoing(ctx, tx, fx, c, "system", "", Reply{Content: text, Type: "text"})
	return ticketID, err
}

// fileTicket opens (or appends to) the contact's ticket with the
// conversation's messages after seq `after`.
func (s *Store) fileTicket(ctx context.Context, tx *store.Tx, c *hub.Conversation, after int64) (string, bool, error) {
	var ms []struct {
		ID   string `db:"id"`
		Text string `db:"text"`
	}
	q := `SELECT id, text FROM messages WHERE conversation_id = ? AND seq > ? AND direction = 'in' ORDER BY seq`
	if err := tx.Select(ctx, &ms, q, c.ID, after); err != nil {
		return "", false, fmt.Errorf("ticket messages: %w", err)
	}
	ids, subject := make([]string, len(ms)), ""
	for i, m := range ms {
		ids[i] = m.ID
	}
	if len(ms) > 0 {
		subject = ms[0].Text
	}
	return tickets.OpenOrAppend(ctx, tx, tickets.Ref{TenantID: c.TenantID, ChannelID: c.ChannelID,
		ContactID: c.ContactID, ConversationID: c.ID, Subject: subject}, ids)
}

// AfterIngest routes what a stored inbound message needs: a new
// conversation is routed; a message on an offline conversation goes to the
// open ticket, or re-queues the conversation when someone came online.
func (s *Store) AfterIngest(ctx context.Context, r IngestResult) (Decision, error) {
	if r.Duplicate || r.Err != nil || r.Ticketed {
		return Decision{ConversationID: r.ConversationID, Outcome: "skipped"}, nil
	}
	switch r.Status {
	case hub.ConvQueued:
		return s.Route(ctx, r.ConversationID, r.New)
	case hub.ConvOffline:
		return s.offlineMessage(ctx, r)
	}
	return Decision{ConversationID: r.ConversationID, Outcome: "skipped"}, nil
}

// servable reports whether some target of the conversation's plan is open
// with somebody signed in.
func (s *Store) servable(ctx context.Context, c *hub.Conversation) (bool, error) {
	rs, err := s.routeState(ctx, c)
	if err != nil {
		return false, err
	}
	ts, err := s.loadTargets(ctx, c, rs)
	if err != nil {
		return false, err
	}
	return routing.Decide(rs.Stage, states(ts)).Outcome != routing.OutcomeOffline, nil
}

func (s *Store) offlineMessage(ctx context.Context, r IngestResult) (Decision, error) {
	d := Decision{ConversationID: r.ConversationID, Outcome: "offline"}
	c, err := s.convByID(ctx, r.ConversationID)
	if err != nil || c.Status != hub.ConvOffline {
		return d, err
	}
	present, err := s.servable(ctx, c)
	if err != nil {
		return d, err
	}
	err = s.write(ctx, func(tx *store.Tx, fx *effects) error {
		if present {
			now := s.now()
			const q = `UPDATE conversations SET status = 'queued', queued_at = ?, updated_at = ? WHERE id = ? AND status = 'offline'`
			if _, err := tx.ExecContext(ctx, tx.Rebind(q), now, now, c.ID); err != nil {
				return err
			}
			const rq = `UPDATE conversation_routing SET stage = 0, stage_at = ?, announced_position = 0, last_reason = ''
				WHERE conversation_id = ?`
			_, err := tx.ExecContext(ctx, tx.Rebind(rq), now, c.ID)
			return err
		}
		var seq int64
		if err := tx.GetContext(ctx, &seq, tx.Rebind(`SELECT seq FROM messages WHERE id = ?`), r.MessageID); err != nil {
			return fmt.Errorf("message seq: %w", err)
		}
		id, created, err := s.fileTicket(ctx, tx, c, seq-1)
		d.TicketID = id
		if err != nil || !created {
			return err
		}
		// The previous ticket was solved, so this message opened a new one:
		// announce it and tell the customer again, as goOffline does.
		ch, err := s.ch.Get(ctx, c.ChannelID)
		if err != nil {
			return err
		}
		_, err = s.outgoing(ctx, tx, fx, c, "system", "", Reply{Content: ch.OfflineMessage, Type: "text"})
		return err
	})
	if err != nil || !present {
		return d, err
	}
	return s.Route(ctx, c.ID, true)
}

// Drain assigns queued conversations of a tenant, oldest first. Once a
// conversation finds nobody free in a queue, nobody behind it is offered
// that queue's seats in this pass (FIFO). Called when capacity frees (close,
// transfer, agent online, max raised) and periodically as a sweeper.
func (s *Store) Drain(ctx context.Context, tenantID string) ([]Decision, error) {
	var rows []struct {
		ID  string `db:"id"`
		Key string `db:"queue_key"`
	}
	q := `SELECT c.id, COALESCE(r.queue_key, '') AS queue_key FROM conversations c
		LEFT JOIN conversation_routing r ON r.conversation_id = c.id
		WHERE c.tenant_id = ? AND c.status = 'queued' ORDER BY c.queued_at, c.id LIMIT 1000`
	if err := s.db.R.SelectContext(ctx, &rows, s.db.R.Rebind(q), tenantID); err != nil {
		return nil, fmt.Errorf("queued conversations: %w", err)
	}
	var out []Decision
	blocked := map[string]bool{}
	for _, r := range rows {
		if r.Key != "" && blocked[r.Key] {
			continue
		}
		d, err := s.Route(ctx, r.ID, false)
		if errors.Is(err, hub.ErrNotFound) {
			continue
		}
		if err != nil {
			return out, err
		}
		if d.Outcome == "queued" {
			blocked[r.Key] = true
			for _, k := range d.tried {
				blocked[k] = true
			}
		}
		out = append(out, d)
	}
	return out, nil
}

// TenantsWithQueue lists tenants that have queued conversations (sweeper).
func (s *Store) TenantsWithQueue(ctx context.Context) ([]string, error) {
	var ids []string
	err := s.db.R.SelectContext(ctx, &ids, `SELECT DISTINCT tenant_id FROM conversations WHERE status = 'queued'`)
	if err != nil {
		return nil, fmt.Errorf("tenants with queue: %w", err)
	}
	return ids, nil
}
