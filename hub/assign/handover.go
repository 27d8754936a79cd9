package assign

import (
	"context"
	"errors"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/conversations"
	"github.com/kefu-hub/kefu/hub/identity"
	"github.com/kefu-hub/kefu/hub/store"
)

// SignOffTo is SignOff that hands the agent's open conversations to another
// agent, an admin's choice when deactivating someone: each conversation the
// new agent has a seat for (signed in, under their maximum) goes to them as
// a transfer would; the rest go back to the queue. With to empty it is
// SignOff.
func (h *Handoffs) SignOffTo(to string) identity.SignOff {
	if to == "" {
		return h.SignOff
	}
	return func(ctx context.Context, tx *store.Tx, a *hub.Agent, why string) error {
		convs, err := h.r.convs.OpenOf(ctx, tx, a)
		if err != nil {
			return err
		}
		for i := range convs {
			c := &convs[i]
			err := h.toAgent(ctx, tx, c, to)
			if errors.Is(err, hub.ErrConflict) { // no seat for it: the queue
				err = h.requeueFrom(ctx, tx, c, a, why)
			} else if err == nil {
				err = h.handedOver(ctx, tx, c, a, why)
			}
			if err != nil {
				return err
			}
		}
		return nil
	}
}

// handedOver records and announces a conversation given to a new agent
// when its agent was deactivated.
func (h *Handoffs) handedOver(ctx context.Context, tx *store.Tx, c *hub.Conversation, from *hub.Agent, why string) error {
	if err := h.recordAssignment(ctx, tx, c); err != nil {
		return err
	}
	if err := h.armUnanswered(ctx, tx, c); err != nil {
		return err
	}
	if err := h.r.logRouting(ctx, tx, c, logEntry{Outcome: "transferred", AgentID: *c.AssigneeID, Policy: "manual",
		Reason: why}); err != nil {
		return err
	}
	payload := map[string]any{"from_agent_id": from.ID, "to_agent_id": *c.AssigneeID, "reason": why, "conversation": c}
	emit(tx, channelOf(c), hub.EvConversationTransferred, c.ID, from.ID, payload)
	return h.r.convs.EmitAssigned(ctx, tx, conversations.Assigned{Conversation: c, Extra: payload})
}
