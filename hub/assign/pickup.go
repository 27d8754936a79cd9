package assign

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/conversations"
	"github.com/kefu-hub/kefu/hub/identity"
	"github.com/kefu-hub/kefu/hub/store"
)

// QueuedConversation is a waiting conversation as the queue view shows it.
type QueuedConversation struct {
	hub.Conversation
	Queue          string `json:"queue"`
	GroupName      string `json:"group_name,omitempty"`
	Position       int    `json:"position"`
	WaitingSeconds int    `json:"waiting_seconds"`
	Reason         string `json:"reason,omitempty"`
	CanPickUp      bool   `json:"can_pick_up"`
}

// Queue lists the waiting conversations the agent may see: all of the
// tenant for admins and supervisors, those of groups that let members pick
// up for other agents. Oldest first, with each one's place in its queue.
func (h *Handoffs) Queue(ctx context.Context, a *hub.Agent) ([]QueuedConversation, error) {
	ws, err := h.r.line(ctx, a.TenantID, 1000)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(ws))
	for i, w := range ws {
		ids[i] = w.ID
	}
	convs, err := h.r.convs.Many(ctx, ids)
	if err != nil {
		return nil, err
	}
	groups, mine, err := h.pickupScope(ctx, a)
	if err != nil {
		return nil, err
	}
	out := []QueuedConversation{}
	pos := map[string]int{}
	now := h.r.now()
	for _, w := range ws {
		pos[w.Key]++
		c, ok := convs[w.ID]
		if !ok {
			continue
		}
		qc := QueuedConversation{Conversation: c, Queue: w.Key, Position: pos[w.Key], Reason: w.Reason}
		gid, _ := strings.CutPrefix(w.Key, "g:")
		qc.GroupName = groups[gid].Name
		qc.CanPickUp = canPickUp(a, groups[gid], mine)
		if !a.SeesAll() && !qc.CanPickUp {
			continue
		}
		if c.QueuedAt != nil {
			qc.WaitingSeconds = int(now.Sub(*c.QueuedAt) / time.Second)
		}
		out = append(out, qc)
	}
	list := make([]hub.Conversation, len(out))
	for i := range out {
		list[i] = out[i].Conversation
	}
	if err := h.r.convs.Decorate(ctx, list); err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Conversation = list[i]
	}
	return out, nil
}

func canPickUp(a *hub.Agent, g identity.Group, mine []string) bool {
	if a.SeesAll() {
		return true
	}
	for _, id := range mine {
		if id == g.ID && g.Settings.AllowPickup {
			return true
		}
	}
	return false
}

// pickupScope is what deciding "may this agent pick it up" needs: the
// tenant's groups with their settings and the agent's own groups.
func (h *Handoffs) pickupScope(ctx context.Context, a *hub.Agent) (map[string]identity.Group, []string, error) {
	groups, err := h.r.ids.Groups.Settings(ctx, a.TenantID)
	if err != nil {
		return nil, nil, err
	}
	mine, err := h.r.ids.Groups.Of(ctx, a.ID)
	return groups, mine, err
}

// PickUp lets an agent take a waiting conversation themselves (manual
// pick-up): admins and supervisors any, agents those of groups that allow
// it. The agent must be signed in and under their maximum; the same
// conditional updates as routing keep it safe against a concurrent
// assignment.
func (h *Handoffs) PickUp(ctx context.Context, a *hub.Agent, convID string) (*hub.Conversation, error) {
	c, err := h.r.convs.ByID(ctx, convID)
	if err != nil || c.TenantID != a.TenantID {
		return nil, fmt.Errorf("conversation %s: %w", convID, hub.ErrNotFound)
	}
	rs, err := h.r.routeState(ctx, c)
	if err != nil {
		return nil, err
	}
	groups, mine, err := h.pickupScope(ctx, a)
	if err != nil {
		return nil, err
	}
	gid, _ := strings.CutPrefix(rs.QueueKey, "g:")
	if !canPickUp(a, groups[gid], mine) {
		if deref(c.AssigneeID) == a.ID {
			return nil, fmt.Errorf("%w: the conversation is already yours", hub.ErrConflict)
		}
		// Like any conversation the agent may not see: not found.
		return nil, fmt.Errorf("conversation %s: %w", convID, hub.ErrNotFound)
	}
	if c.Status != hub.ConvQueued {
		return nil, fmt.Errorf("%w: the conversation is not waiting in the queue", hub.ErrConflict)
	}
	err = h.r.k.Write(ctx, func(tx *store.Tx) error {
		if err := identity.ClaimSeat(ctx, tx, a.TenantID, a.ID, identity.Present); err != nil {
			if errors.Is(err, identity.ErrNoSeat) {
				return fmt.Errorf("%w: sign in (online or busy) and stay under your maximum of chats to pick up", hub.ErrConflict)
			}
			return err
		}
		var g *string
		if gid != "" {
			g = &gid
		}
		if err := conversations.Take(ctx, tx, c, a.ID, g); err != nil {
			return err
		}
		return h.r.assigned(ctx, tx, c, assignment{how: "pickup", stage: rs.Stage, key: rs.QueueKey, log: logEntry{
			Outcome: "picked_up", AgentID: a.ID, GroupID: gid, Policy: "manual", Reason: a.Name + " picked it up from the queue"}})
	})
	if errors.Is(err, conversations.ErrMoved) {
		return nil, fmt.Errorf("%w: the conversation was assigned meanwhile", hub.ErrConflict)
	}
	if err != nil {
		return nil, err
	}
	return c, nil
}
