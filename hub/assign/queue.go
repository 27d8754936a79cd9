package assign

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/automations"
	"github.com/kefu-hub/kefu/hub/conversations"
	"github.com/kefu-hub/kefu/hub/routing"
	"github.com/kefu-hub/kefu/hub/store"
	"github.com/kefu-hub/kefu/tickets"
)

// queue makes a locked conversation wait at its home step (in tx): it
// records the step and why, tells the customer their position the first
// time, arms the overflow and max-wait timers, and turns the conversation
// into a ticket when the queue is already full.
func (s *Router) queue(ctx context.Context, tx *store.Tx, t *turn, c *hub.Conversation, rs *routeRow, ts []target, dec routing.Decision, announce bool) (Decision, error) {
	d := Decision{ConversationID: c.ID, Outcome: Queued, Reason: dec.Reason, tried: dec.Tried}
	t.clear = map[string]bool{} // c waits: those after it must look again
	rs.targets = ts
	home := dec.Step
	tg := ts[home]
	key := tg.Step.Key()
	reason := dec.Reason
	if len(dec.Notes) > 0 {
		reason += " (" + strings.Join(dec.Notes, "; ") + ")"
	}
	moved, first := home != rs.Stage, rs.Announced == 0
	if !moved && !first && !announce && reason == rs.LastReason && rs.QueueKey == key {
		return d, nil
	}
	ch, err := s.chans.Get(ctx, c.ChannelID)
	if err != nil {
		return d, err
	}
	auto := s.autos.For(ctx, ch)
	pos := -1
	if first {
		// Only those who came first count: conversations opened later in
		// the same inbox batch already wait, behind this one.
		n, err := t.place(ctx, tx, c, key)
		if err != nil {
			return d, err
		}
		if tg.settings.MaxQueue > 0 && n >= tg.settings.MaxQueue {
			why := fmt.Sprintf("the queue of %s is full (%d waiting, at most %d)", tg.label(), n, tg.settings.MaxQueue)
			d.Outcome, d.Reason = Offline, why
			d.TicketID, err = s.toTicket(ctx, tx, c, ch, auto.Queue.QueueFullText, "queue_full", why)
			delete(t.ahead, key) // it does not wait after all
			return d, err
		}
		pos = n + 1
	}
	now := tx.Now()
	stageAt := rs.StageAt
	if moved || stageAt == nil {
		stageAt = &now
	}
	const up = `UPDATE conversation_routing SET stage = ?, stage_at = ?, queue_key = ?, last_reason = ? WHERE conversation_id = ?`
	if _, err := tx.Exec(ctx, up, home, *stageAt, key, reason, c.ID); err != nil {
		return d, fmt.Errorf("update queue state: %w", err)
	}
	if moved {
		from := ts[rs.Stage]
		if err := s.logRouting(ctx, tx, c, logEntry{Outcome: "overflow", GroupID: tg.groupID(), RuleID: tg.Step.RuleID,
			Reason: fmt.Sprintf("flowed from %s to %s", from.label(), tg.label())}); err != nil {
			return d, err
		}
	}
	if reason != rs.LastReason {
		if err := s.logRouting(ctx, tx, c, logEntry{Outcome: "queued", GroupID: tg.groupID(), RuleID: tg.Step.RuleID,
			Policy: string(tg.Policy), Reason: reason}); err != nil {
			return d, err
		}
	}
	if first || announce {
		// A sweep may have queued it before the ingest's own routing
		// (announce): the customer is told their place only once.
		if pos < 0 {
			n, err := ahead(ctx, tx, c, key, now)
			if err != nil {
				return d, err
			}
			pos = n + 1
		}
		if err := s.announce(ctx, tx, c, ch, auto, key, pos, announce, first); err != nil {
			return d, err
		}
	}
	return d, s.armQueueTimers(ctx, tx, c, rs, tg, home, *stageAt)
}

// laterServable reports whether a step after home is open with somebody
// signed in (else overflowing would only bounce back).
func laterServable(rs *routeRow, home int) bool {
	return len(rs.targets) > home+1 && routing.Decide(home+1, states(rs.targets)).Outcome != routing.OutcomeOffline
}

// announce tells the customer their place in the queue (tell): an event
// the connector delivers (channels that take events) and/or an automatic
// message, per the channel's automations; created also emits
// conversation.queued.
func (s *Router) announce(ctx context.Context, tx *store.Tx, c *hub.Conversation, ch *hub.Channel, auto automations.Automations, key string, pos int, created, tell bool) error {
	const up = `UPDATE conversation_routing SET announced_position = ?, announced_at = ? WHERE conversation_id = ?`
	if _, err := tx.Exec(ctx, up, pos, tx.Now(), c.ID); err != nil {
		return fmt.Errorf("record position: %w", err)
	}
	if created {
		emit(tx, ch, hub.EvConversationQueued, c.ID, "", map[string]any{"conversation": c, "position": pos, "ahead": pos - 1})
	}
	q := auto.Queue
	if !q.Enabled || !tell {
		return nil
	}
	emit(tx, ch, hub.EvQueuePosition, c.ID, "", map[string]any{"conversation_id": c.ID, "position": pos, "ahead": pos - 1, "queue": key})
	if !q.AsMessages(ch) {
		return nil
	}
	_, err := s.convs.Outgoing(ctx, tx, c, hub.SenderSystem, "", conversations.Text(fill(q.Text, pos)))
	return err
}

// fill puts the position into a queue message template.
func fill(tpl string, pos int) string {
	return strings.NewReplacer("{position}", strconv.Itoa(pos), "{ahead}", strconv.Itoa(pos-1)).Replace(tpl)
}

// Near the front of a queue every change of place is told; further back
// at most every positionEvery, so a long queue moving costs a bounded
// number of updates rather than one per waiting customer per move.
const (
	positionFront = 10
	positionEvery = 30 * time.Second
)

func tellAgain(pos int, last *time.Time, now time.Time) bool {
	return pos <= positionFront || last == nil || now.Sub(*last) >= positionEvery
}

// AnnouncePositions tells waiting customers of a tenant whose place changed
// their new position (see tellAgain; at most once per change across
// processes: the update is conditional on the position last told).
func (s *Router) AnnouncePositions(ctx context.Context, tenantID string) error {
	ws, err := s.line(ctx, tenantID, 100000)
	if err != nil {
		return err
	}
	pos := map[string]int{}
	type change struct {
		w   waiter
		pos int
	}
	var changed []change
	now := s.now()
	for _, w := range ws {
		pos[w.Key]++
		if w.Announced != 0 && w.Announced != pos[w.Key] && tellAgain(pos[w.Key], w.AnnouncedAt, now) {
			changed = append(changed, change{w, pos[w.Key]})
		}
	}
	if len(changed) == 0 {
		return nil
	}
	return s.k.Write(ctx, func(tx *store.Tx) error {
		for _, ch := range changed {
			const up = `UPDATE conversation_routing SET announced_position = ?, announced_at = ?
				WHERE conversation_id = ? AND announced_position = ?`
			n, err := tx.Exec(ctx, up, ch.pos, tx.Now(), ch.w.ID, ch.w.Announced)
			if err != nil {
				return fmt.Errorf("update position: %w", err)
			}
			if n == 0 {
				continue
			}
			if err := s.positionChanged(ctx, tx, ch.w, ch.pos); err != nil {
				return err
			}
		}
		return nil
	})
}

func (s *Router) positionChanged(ctx context.Context, tx *store.Tx, w waiter, pos int) error {
	c, err := s.convs.ByID(ctx, w.ID)
	if err != nil {
		return err
	}
	ch, err := s.chans.Get(ctx, c.ChannelID)
	if err != nil {
		return err
	}
	q := s.autos.For(ctx, ch).Queue
	if !q.Enabled {
		return nil
	}
	emit(tx, ch, hub.EvQueuePosition, c.ID, "", map[string]any{"conversation_id": c.ID, "position": pos, "ahead": pos - 1, "queue": w.Key})
	last := w.AnnouncedAt
	if !q.AsMessages(ch) || q.UpdateText == "" || (last != nil && tx.Now().Sub(*last) < automations.Secs(q.UpdateEverySeconds)) {
		return nil
	}
	_, err = s.convs.Outgoing(ctx, tx, c, hub.SenderSystem, "", conversations.Text(fill(q.UpdateText, pos)))
	return err
}

// armQueueTimers arms the overflow timer (when a later step exists and this
// one has a wait) and the max-wait timer (when the group has one).
func (s *Router) armQueueTimers(ctx context.Context, tx *store.Tx, c *hub.Conversation, rs *routeRow, t target, home int, stageAt time.Time) error {
	if after := t.Step.OverflowAfter; after > 0 && laterServable(rs, home) {
		if err := automations.Arm(ctx, tx, c, automations.TimerOverflow, strconv.Itoa(home),
			stageAt.Add(automations.Secs(after))); err != nil {
			return err
		}
	}
	if t.settings.MaxWait > 0 && c.QueuedAt != nil {
		return automations.Arm(ctx, tx, c, automations.TimerMaxWait, c.QueuedAt.UTC().Format(time.RFC3339Nano),
			c.QueuedAt.Add(automations.Secs(t.settings.MaxWait)))
	}
	return nil
}

// goOffline turns a locked conversation nobody can answer into a ticket
// and sends the offline auto-reply (the first target group's own, else the
// channel's).
func (s *Router) goOffline(ctx context.Context, tx *store.Tx, c *hub.Conversation, rs *routeRow, ts []target, dec routing.Decision) (Decision, error) {
	d := Decision{ConversationID: c.ID, Outcome: Skipped}
	ch, err := s.chans.Get(ctx, c.ChannelID)
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
	id, err := s.toTicket(ctx, tx, c, ch, text, "offline", dec.Reason)
	if id != "" {
		d.Outcome, d.TicketID, d.Reason = Offline, id, dec.Reason
	}
	return d, err
}

// ToTicket moves a waiting conversation offline into a ticket (nobody can
// answer, the queue is full, the wait was too long, or the customer left a
// message), tells the customer with text and records why. It returns ""
// when the conversation no longer waits.
func (s *Router) ToTicket(ctx context.Context, tx *store.Tx, c *hub.Conversation, ch *hub.Channel, text, outcome, why string) (string, error) {
	return s.toTicket(ctx, tx, c, ch, text, outcome, why)
}

func (s *Router) toTicket(ctx context.Context, tx *store.Tx, c *hub.Conversation, ch *hub.Channel, text, outcome, why string) (string, error) {
	if err := conversations.GoOffline(ctx, tx, c); err != nil {
		if errors.Is(err, conversations.ErrMoved) {
			return "", nil
		}
		return "", err
	}
	if err := stopWaiting(ctx, tx, c.ID); err != nil {
		return "", err
	}
	ticketID, _, err := fileTicket(ctx, tx, c, 0)
	if err != nil {
		return "", err
	}
	emit(tx, ch, hub.EvConversationOffline, c.ID, "", map[string]any{"conversation": c, "ticket_id": ticketID, "reason": outcome})
	if err := s.logRouting(ctx, tx, c, logEntry{Outcome: outcome, Reason: why + "; ticket " + ticketID}); err != nil {
		return "", err
	}
	if strings.TrimSpace(text) == "" {
		return ticketID, nil
	}
	_, err = s.convs.Outgoing(ctx, tx, c, hub.SenderSystem, "", conversations.Text(text))
	return ticketID, err
}

// fileTicket opens (or appends to) the contact's ticket with the
// conversation's messages after seq `after`.
func fileTicket(ctx context.Context, tx *store.Tx, c *hub.Conversation, after int64) (string, bool, error) {
	ms, err := conversations.InboundSince(ctx, tx, c.ID, after)
	if err != nil {
		return "", false, err
	}
	ids, subject := make([]string, len(ms)), ""
	for i, m := range ms {
		ids[i] = m.ID
	}
	if len(ms) > 0 {
		subject = hub.Title(ms[0].Text)
	}
	return tickets.OpenOrAppend(ctx, tx, tickets.Ref{TenantID: c.TenantID, ChannelID: c.ChannelID,
		ContactID: c.ContactID, ConversationID: c.ID, Subject: subject}, ids)
}

// Stored is what storing one inbound message did, as routing needs it.
type Stored struct {
	ConversationID string
	MessageID      string
	Status         hub.ConvStatus // the conversation's status after the insert
	New            bool           // a conversation was opened
}

// AfterIngest routes what stored inbound messages of one tenant need: the
// waiting conversations are routed together in one pass (RouteMany); a
// message on an offline conversation goes to the open ticket, or re-queues
// the conversation when someone came online. Decisions are one per
// conversation routed.
func (s *Router) AfterIngest(ctx context.Context, tenantID string, stored []Stored) ([]Decision, error) {
	var jobs []Job
	seen := map[string]int{}
	var out []Decision
	var errs []error
	for _, r := range stored {
		switch r.Status {
		case hub.ConvQueued:
			if k, ok := seen[r.ConversationID]; ok {
				jobs[k].Announce = jobs[k].Announce || r.New
				continue
			}
			seen[r.ConversationID] = len(jobs)
			jobs = append(jobs, Job{ConversationID: r.ConversationID, Announce: r.New})
		case hub.ConvOffline:
			d, err := s.offlineMessage(ctx, r)
			out = append(out, d)
			errs = append(errs, err)
		}
	}
	ds, _, err := s.RouteMany(ctx, tenantID, jobs, false)
	return append(out, ds...), errors.Join(append(errs, err)...)
}

// servable reports whether some target of the conversation's plan is open
// with somebody signed in.
func (s *Router) servable(ctx context.Context, c *hub.Conversation) (bool, error) {
	rs, err := s.routeState(ctx, c)
	if err != nil {
		return false, err
	}
	t, err := s.newTurn(ctx, c.TenantID, []string{c.ContactID})
	if err != nil {
		return false, err
	}
	ts, err := t.targets(ctx, nil, c, rs)
	if err != nil {
		return false, err
	}
	return routing.Decide(rs.Stage, states(ts)).Outcome != routing.OutcomeOffline, nil
}

func (s *Router) offlineMessage(ctx context.Context, r Stored) (Decision, error) {
	d := Decision{ConversationID: r.ConversationID, Outcome: Offline}
	c, err := s.convs.ByID(ctx, r.ConversationID)
	if err != nil || c.Status != hub.ConvOffline {
		return d, err
	}
	present, err := s.servable(ctx, c)
	if err != nil {
		return d, err
	}
	err = s.k.Write(ctx, func(tx *store.Tx) error {
		if present {
			if err := conversations.Reopen(ctx, tx, c); err != nil {
				if errors.Is(err, conversations.ErrMoved) {
					return nil
				}
				return err
			}
			const rq = `UPDATE conversation_routing SET stage = 0, stage_at = ?, announced_position = 0, last_reason = ''
				WHERE conversation_id = ?`
			if _, err := tx.Exec(ctx, rq, tx.Now(), c.ID); err != nil {
				return err
			}
			return markWaiting(ctx, tx, c)
		}
		seq, err := conversations.Seq(ctx, tx, r.MessageID)
		if err != nil {
			return err
		}
		id, created, err := fileTicket(ctx, tx, c, seq-1)
		d.TicketID = id
		if err != nil || !created {
			return err
		}
		// The previous ticket was solved, so this message opened a new one:
		// tell the customer again, as goOffline does.
		ch, err := s.chans.Get(ctx, c.ChannelID)
		if err != nil {
			return err
		}
		_, err = s.convs.Outgoing(ctx, tx, c, hub.SenderSystem, "", conversations.Text(ch.OfflineMessage))
		return err
	})
	if err != nil || !present {
		return d, err
	}
	return s.Route(ctx, c.ID, true)
}

// DrainPerQueue bounds how many waiting conversations of one queue a drain
// routes in one pass, so one tenant's long queue is worked through in
// turns that leave room for other tenants.
const DrainPerQueue = 32

// Drain assigns queued conversations of a tenant, oldest first, up to
// DrainPerQueue of each queue (and those not routed yet). Once a
// conversation finds nobody free in a queue, nobody behind it is offered
// that queue's seats in this pass (FIFO). more reports that some queue may
// have more to assign (call again). Called when capacity frees (close,
// transfer, agent online, max raised) and periodically as a sweeper; its
// cost grows with the seats freed, not with the length of the queue.
func (s *Router) Drain(ctx context.Context, tenantID string) (ds []Decision, more bool, err error) {
	var keys []string
	q := `SELECT DISTINCT queue_key FROM conversation_routing WHERE tenant_id = ? AND waiting`
	if err := s.k.Select(ctx, &keys, q, tenantID); err != nil {
		return nil, false, fmt.Errorf("waiting queues: %w", err)
	}
	var jobs []Job
	full := map[string]bool{}
	for _, key := range keys {
		var ids []string
		q := `SELECT conversation_id FROM conversation_routing WHERE tenant_id = ? AND waiting AND queue_key = ?
			ORDER BY queued_at, conversation_id LIMIT ?`
		if err := s.k.Select(ctx, &ids, q, tenantID, key, DrainPerQueue+1); err != nil {
			return nil, false, fmt.Errorf("waiting conversations: %w", err)
		}
		if len(ids) > DrainPerQueue {
			ids, full[key] = ids[:DrainPerQueue], true
		}
		for _, id := range ids {
			jobs = append(jobs, Job{ConversationID: id})
		}
	}
	ds, blocked, err := s.RouteMany(ctx, tenantID, jobs, true)
	for key := range full {
		more = more || !blocked[key]
	}
	for _, d := range ds {
		more = more || d.Again
	}
	return ds, more, err
}
