package assign

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/automations"
	"github.com/kefu-hub/kefu/hub/conversations"
	"github.com/kefu-hub/kefu/hub/store"
)

// TimerHandlers are routing's timers: the not-answered flag on a new
// assignment, the overflow of a conversation that waited its step's time,
// and the maximum wait, after which the customer is offered to leave a
// message. Each acts only if the conversation is still in the state its
// timer was armed for.
func (s *Router) TimerHandlers() map[automations.Kind]automations.Handler {
	return map[automations.Kind]automations.Handler{
		automations.TimerUnanswered: s.unanswered,
		automations.TimerOverflow:   s.overflow,
		automations.TimerMaxWait:    s.maxWait,
	}
}

// FireDueTimers fires due timers, routes the conversations that overflowed
// and returns the tenants whose queues may have changed.
func (s *Router) FireDueTimers(ctx context.Context, t *automations.Timers, limit int) ([]string, error) {
	kick, reroute, err := t.FireDue(ctx, limit)
	for _, id := range reroute {
		if _, err := s.Route(ctx, id, false); err != nil {
			s.log.Warn("route after overflow", "conversation", id, "err", err)
		}
	}
	return kick, err
}

// unanswered tells the agent and supervisors that an assigned conversation
// has waited too long for its first answer.
func (s *Router) unanswered(ctx context.Context, tx *store.Tx, t automations.Timer) (automations.Result, error) {
	c, err := s.convs.LockByID(ctx, tx, t.ConversationID)
	if err != nil || c == nil {
		return automations.Result{}, err
	}
	ch, err := s.chans.Get(ctx, c.ChannelID)
	if err != nil {
		return automations.Result{}, err
	}
	agent, seqStr, _ := strings.Cut(t.Ref, "|")
	seq, _ := strconv.ParseInt(seqStr, 10, 64)
	if c.Status != hub.ConvOpen || deref(c.AssigneeID) != agent {
		return automations.Result{}, nil
	}
	if n, err := conversations.Count(ctx, tx, c.ID, seq, hub.DirectionOut, hub.SenderAgent); err != nil || n > 0 {
		return automations.Result{}, err
	}
	now := tx.Now()
	if _, err := tx.Exec(ctx, `UPDATE conversation_routing SET unanswered_at = ? WHERE conversation_id = ?`, now, c.ID); err != nil {
		return automations.Result{}, fmt.Errorf("flag unanswered: %w", err)
	}
	var waited time.Duration
	if c.AssignedAt != nil {
		waited = now.Sub(*c.AssignedAt)
	}
	emit(tx, ch, hub.EvConversationUnanswered, c.ID, agent, map[string]any{"conversation_id": c.ID, "agent_id": agent,
		"waiting_seconds": int(waited.Seconds())})
	return automations.Result{}, nil
}

// overflow moves a conversation still waiting at the timer's step to the
// next step of its plan; it is routed again after commit.
func (s *Router) overflow(ctx context.Context, tx *store.Tx, t automations.Timer) (automations.Result, error) {
	c, err := s.convs.LockByID(ctx, tx, t.ConversationID)
	if err != nil || c == nil || c.Status != hub.ConvQueued {
		return automations.Result{}, err
	}
	stage, _ := strconv.Atoi(t.Ref)
	const q = `UPDATE conversation_routing SET stage = stage + 1, stage_at = ? WHERE conversation_id = ? AND stage = ?`
	n, err := tx.Exec(ctx, q, tx.Now(), c.ID, stage)
	if err != nil || n != 1 {
		return automations.Result{}, err
	}
	return automations.Result{Reroute: true}, s.logRouting(ctx, tx, c, logEntry{Outcome: "overflow",
		Reason: fmt.Sprintf("waited the step's overflow time at step %d; trying the next target", stage+1)})
}

// maxWait turns a conversation that waited longer than its group allows
// into a ticket, offering the customer to leave a message.
func (s *Router) maxWait(ctx context.Context, tx *store.Tx, t automations.Timer) (automations.Result, error) {
	c, err := s.convs.LockByID(ctx, tx, t.ConversationID)
	if err != nil || c == nil || c.Status != hub.ConvQueued || c.QueuedAt == nil ||
		c.QueuedAt.UTC().Format(time.RFC3339Nano) != t.Ref {
		return automations.Result{}, err
	}
	ch, err := s.chans.Get(ctx, c.ChannelID)
	if err != nil {
		return automations.Result{}, err
	}
	_, err = s.toTicket(ctx, tx, c, ch, s.autos.For(ctx, ch).Queue.MaxWaitText, "max_wait",
		"waited longer than the group's maximum wait")
	return automations.Result{Kick: true}, err
}
