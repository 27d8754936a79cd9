package assign

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/automations"
	"github.com/kefu-hub/kefu/hub/contacts"
	"github.com/kefu-hub/kefu/hub/conversations"
	"github.com/kefu-hub/kefu/hub/identity"
	"github.com/kefu-hub/kefu/hub/routing"
	"github.com/kefu-hub/kefu/hub/store"
)

// Transfer is a request to hand a conversation to an agent or a group.
type Transfer struct {
	AgentID string `json:"agent_id"`
	GroupID string `json:"group_id"`
	Reason  string `json:"reason"`
}

// Transfer moves a conversation to another agent (who must be signed in and
// under their maximum) or back into a group's queue, tells the customer and
// both agents, and records why.
func (h *Handoffs) Transfer(ctx context.Context, a *hub.Agent, convID string, t Transfer) (*hub.Conversation, error) {
	if (t.AgentID == "") == (t.GroupID == "") {
		return nil, hub.Invalid("give exactly one of agent_id or group_id")
	}
	var c *hub.Conversation
	err := h.r.k.Write(ctx, func(tx *store.Tx) error {
		var err error
		if c, err = h.r.convs.Lock(ctx, tx, a, convID); err != nil {
			return err
		}
		if c.Status == hub.ConvClosed {
			return fmt.Errorf("%w: conversation is closed", hub.ErrConflict)
		}
		if t.AgentID != "" && t.AgentID == deref(c.AssigneeID) {
			return hub.Invalid("the conversation is already assigned to that agent")
		}
		from := deref(c.AssigneeID)
		if err := conversations.Release(ctx, tx, c); err != nil {
			return err
		}
		payload := map[string]any{"from_agent_id": from, "to_agent_id": t.AgentID, "to_group_id": t.GroupID,
			"reason": hub.Clean(t.Reason), "by": a.ID}
		if t.AgentID != "" {
			err = h.toAgent(ctx, tx, c, t.AgentID)
		} else {
			err = h.toGroup(ctx, tx, c, t.GroupID)
		}
		if err != nil {
			return err
		}
		if err := h.afterTransfer(ctx, tx, c, a, t); err != nil { // tell the customer, re-plan
			return err
		}
		payload["conversation"] = c
		if from != "" {
			emit(tx, channelOf(c), hub.EvConversationTransferred, c.ID, from, payload)
		}
		if t.AgentID != "" {
			return h.r.convs.EmitAssigned(ctx, tx, conversations.Assigned{Conversation: c, Extra: payload})
		}
		emit(tx, channelOf(c), hub.EvConversationQueued, c.ID, "", payload)
		return nil
	})
	return c, err
}

// toAgent gives a locked conversation to an agent who is signed in (online
// or busy) and under their maximum, out of any queue.
func (h *Handoffs) toAgent(ctx context.Context, tx *store.Tx, c *hub.Conversation, agentID string) error {
	if err := identity.ClaimSeat(ctx, tx, c.TenantID, agentID, identity.Present); err != nil {
		if !errors.Is(err, identity.ErrNoSeat) {
			return err
		}
		if _, err := h.r.ids.Agents.Get(ctx, c.TenantID, agentID); err != nil {
			return hub.Invalid("agent %q does not exist", agentID)
		}
		return fmt.Errorf("%w: the agent is offline or at their maximum of concurrent chats", hub.ErrConflict)
	}
	if err := conversations.AssignTo(ctx, tx, c, agentID); err != nil {
		return err
	}
	return stopWaiting(ctx, tx, c.ID)
}

// toGroup puts a locked conversation back into a group's queue.
func (h *Handoffs) toGroup(ctx context.Context, tx *store.Tx, c *hub.Conversation, group string) error {
	gid, err := identity.Resolve(ctx, tx, c.TenantID, group)
	if err != nil {
		return err
	}
	if gid == nil {
		return hub.Invalid("group %q does not exist", group)
	}
	return conversations.Requeue(ctx, tx, c, gid) // afterTransfer gives it its new plan, waiting
}

// afterTransfer records a transfer in the routing state and activity, and
// tells the customer. A transfer to a group gives the conversation a new
// plan: that group, then its overflow.
func (h *Handoffs) afterTransfer(ctx context.Context, tx *store.Tx, c *hub.Conversation, by *hub.Agent, t Transfer) error {
	ch, err := h.r.chans.Get(ctx, c.ChannelID)
	if err != nil {
		return err
	}
	to, reason := "", hub.Clean(t.Reason)
	if c.Status == hub.ConvOpen {
		ag, err := h.r.ids.Agents.Get(ctx, c.TenantID, *c.AssigneeID)
		if err != nil {
			return err
		}
		to = ag.Name
		if err := h.assignedByTransfer(ctx, tx, c, by, reason); err != nil {
			return err
		}
	} else {
		groups, err := h.r.ids.Groups.Settings(ctx, c.TenantID)
		if err != nil {
			return err
		}
		g := groups[deref(c.GroupID)]
		to = g.Name
		of := map[string]routing.GroupOverflow{}
		for id, gg := range groups {
			of[id] = routing.GroupOverflow{GroupID: gg.Settings.OverflowGroupID, After: gg.Settings.OverflowAfter}
		}
		plan, _ := routing.BuildPlan(routing.PlanInput{Visit: routing.Visit{Group: g.ID}, Overflow: of})
		plan[0].Source = routing.SourceTransfer
		if err := setPlan(ctx, tx, c, plan); err != nil {
			return err
		}
		if err := h.r.logRouting(ctx, tx, c, logEntry{Outcome: "transferred", GroupID: g.ID,
			Reason: fmt.Sprintf("%s transferred it to group %s: %s", by.Name, g.Name, reason)}); err != nil {
			return err
		}
	}
	if _, err := conversations.TransferNote(ctx, tx, c, by, reason); err != nil {
		return err
	}
	if n := h.r.autos.For(ctx, ch).Transfer; n.Enabled && n.Text != "" {
		_, err := h.r.convs.Outgoing(ctx, tx, c, hub.SenderSystem, "", conversations.Text(strings.ReplaceAll(n.Text, "{to}", to)))
		return err
	}
	return nil
}

func (h *Handoffs) assignedByTransfer(ctx context.Context, tx *store.Tx, c *hub.Conversation, by *hub.Agent, reason string) error {
	if err := h.recordAssignment(ctx, tx, c); err != nil {
		return err
	}
	if err := h.armUnanswered(ctx, tx, c); err != nil {
		return err
	}
	return h.r.logRouting(ctx, tx, c, logEntry{Outcome: "transferred", AgentID: *c.AssigneeID, Policy: "manual",
		Reason: fmt.Sprintf("%s transferred it: %s", by.Name, reason)})
}

// Close closes a conversation the agent may act on, with a reason and
// category, freeing its seat (or its place in the queue); the caller then
// drains the queue. Closing a closed conversation only sets a category.
func (h *Handoffs) Close(ctx context.Context, a *hub.Agent, convID string, cl conversations.Closing) (*hub.Conversation, error) {
	var c *hub.Conversation
	err := h.r.k.Write(ctx, func(tx *store.Tx) error {
		var err error
		if c, err = h.r.convs.Lock(ctx, tx, a, convID); err != nil {
			return err
		}
		if err := conversations.CheckCategory(ctx, tx, a.TenantID, cl.CategoryID); err != nil {
			return err
		}
		return h.closeLocked(ctx, tx, c, a.ID, cl)
	})
	return c, err
}

func (h *Handoffs) closeLocked(ctx context.Context, tx *store.Tx, c *hub.Conversation, by string, cl conversations.Closing) error {
	invite := c.Status == hub.ConvOpen && cl.Reason != "blacklisted" // someone answered it: ask how it went
	if err := conversations.CloseInviting(ctx, tx, h.r.convs, c, by, cl, invite); err != nil {
		return err
	}
	return stopWaiting(ctx, tx, c.ID)
}

// Blacklist blocks the contact of a conversation the agent may see and
// closes the conversation. Blocking a blocked contact returns its entry.
func (h *Handoffs) Blacklist(ctx context.Context, a *hub.Agent, convID, reason string) (*contacts.Blocked, *hub.Conversation, error) {
	var c *hub.Conversation
	var e *contacts.Blocked
	err := h.r.k.Write(ctx, func(tx *store.Tx) error {
		var err error
		if c, err = h.r.convs.Lock(ctx, tx, a, convID); err != nil {
			return err
		}
		if e, err = contacts.Block(ctx, tx, a.TenantID, c.ChannelID, c.ContactID, reason, a.ID); err != nil {
			return err
		}
		return h.closeLocked(ctx, tx, c, a.ID, conversations.Closing{Reason: "blacklisted"})
	})
	if err != nil {
		return nil, nil, err
	}
	return e, c, nil
}

// SignOffTo gives a disabled agent's open chats to agent to where they have a seat, else queues them.
func (h *Handoffs) SignOffTo(to string) identity.SignOff {
	return func(ctx context.Context, tx *store.Tx, a *hub.Agent, why string) error {
		convs, err := h.r.convs.OpenOf(ctx, tx, a)
		for i := 0; err == nil && i < len(convs); i++ {
			c := &convs[i]
			if err = hub.ErrConflict; to != "" { // nobody chosen, or (below) no seat with them: the queue
				err = h.toAgent(ctx, tx, c, to)
			}
			if err == nil {
				err = h.assignedByTransfer(ctx, tx, c, a, why)
			} else if errors.Is(err, hub.ErrConflict) {
				if err = conversations.Requeue(ctx, tx, c, nil); err == nil {
					_, err = tx.Exec(ctx, `UPDATE conversation_routing SET plan = '', stage = 0 WHERE conversation_id = ?`, c.ID)
				}
				if err == nil {
					err = markWaiting(ctx, tx, c)
				}
				if err == nil {
					err = h.r.logRouting(ctx, tx, c, logEntry{Outcome: "queued", AgentID: a.ID, Reason: why})
				}
			}
			if err != nil {
				return fmt.Errorf("hand over %s: %w", c.ID, err)
			}
			payload := map[string]any{"conversation": c, "from_agent_id": a.ID, "to_agent_id": to, "reason": why}
			if emit(tx, channelOf(c), hub.EvConversationTransferred, c.ID, a.ID, payload); c.Status == hub.ConvOpen {
				err = h.r.convs.EmitAssigned(ctx, tx, conversations.Assigned{Conversation: c, Extra: payload})
			} else {
				emit(tx, channelOf(c), hub.EvConversationQueued, c.ID, "", payload)
			}
		}
		return err
	}
}

// Start opens a conversation with a customer from an agent's side
// (proactive chat): assigned to the agent, with the agent's first message,
// which the customer's widget shows at once.
func (h *Handoffs) Start(ctx context.Context, a *hub.Agent, ch *hub.Channel, contact hub.ContactInfo, text string) (*hub.Conversation, error) {
	var conv *hub.Conversation
	err := h.r.k.Write(ctx, func(tx *store.Tx) error {
		ct, err := h.r.contacts.Upsert(ctx, tx, ch, contact)
		if err != nil {
			return err
		}
		cv, isNew, err := h.r.convs.Open(ctx, tx, ch, ct, "", nil)
		if err != nil {
			return err
		}
		switch {
		case !isNew && cv.Status == hub.ConvOpen && deref(cv.AssigneeID) != a.ID:
			return fmt.Errorf("%w: the visitor is chatting with another agent", hub.ErrConflict)
		case isNew || cv.Status != hub.ConvOpen:
			if err := h.toAgent(ctx, tx, cv, a.ID); err != nil {
				return err
			}
			if err := h.r.convs.EmitAssigned(ctx, tx, conversations.Assigned{Conversation: cv, Extra: map[string]any{"proactive": true}}); err != nil {
				return err
			}
		}
		conv = cv
		_, err = h.r.convs.Outgoing(ctx, tx, cv, hub.SenderAgent, a.ID, conversations.Text(text))
		return err
	})
	return conv, err
}

// recordAssignment keeps who took a transferred conversation, for
// returning customers and daily balance (record does it for routing).
func (h *Handoffs) recordAssignment(ctx context.Context, tx *store.Tx, c *hub.Conversation) error {
	const ins = `INSERT INTO assignments (id, tenant_id, conversation_id, contact_id, agent_id, group_id, how, created_at)
		VALUES (?, ?, ?, ?, ?, ?, 'transfer', ?)`
	if _, err := tx.Exec(ctx, ins, hub.NewID("as"), c.TenantID, c.ID, c.ContactID, *c.AssigneeID, deref(c.GroupID), *c.AssignedAt); err != nil {
		return fmt.Errorf("record assignment: %w", err)
	}
	return nil
}

// armUnanswered arms the not-answered flag for the agent a conversation
// was transferred to.
func (h *Handoffs) armUnanswered(ctx context.Context, tx *store.Tx, c *hub.Conversation) error {
	ch, err := h.r.chans.Get(ctx, c.ChannelID)
	if err != nil {
		return err
	}
	if a := h.r.autos.For(ctx, ch); a.Unanswered.Enabled {
		return automations.Arm(ctx, tx, c, automations.TimerUnanswered, timerRef(deref(c.AssigneeID), c.LastSeq),
			c.AssignedAt.Add(automations.Secs(a.Unanswered.AfterSeconds)))
	}
	return nil
}
