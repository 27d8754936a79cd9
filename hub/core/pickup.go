package core

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/identity"
	"github.com/kefu-hub/kefu/hub/routing"
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
func (s *Store) Queue(ctx context.Context, a *hub.Agent) ([]QueuedConversation, error) {
	var rows []struct {
		hub.Conversation
		Key    string `db:"queue_key"`
		Reason string `db:"last_reason"`
	}
	q := `SELECT c.id, c.tenant_id, c.channel_id, c.contact_id, c.group_id, c.assignee_id, c.status, c.last_seq,
		c.close_reason, c.created_at, c.updated_at, c.queued_at, c.assigned_at, c.closed_at, c.last_message_at,
		COALESCE(r.queue_key, '') AS queue_key, COALESCE(r.last_reason, '') AS last_reason
		FROM conversations c LEFT JOIN conversation_routing r ON r.conversation_id = c.id
		WHERE c.tenant_id = ? AND c.status = 'queued' ORDER BY c.queued_at, c.id LIMIT 1000`
	if err := s.db.R.SelectContext(ctx, &rows, s.db.R.Rebind(q), a.TenantID); err != nil {
		return nil, fmt.Errorf("queue: %w", err)
	}
	groups, mine, err := s.pickupScope(ctx, a)
	if err != nil {
		return nil, err
	}
	out := []QueuedConversation{}
	pos := map[string]int{}
	now := s.now()
	for _, r := range rows {
		pos[r.Key]++
		qc := QueuedConversation{Conversation: r.Conversation, Queue: r.Key, Position: pos[r.Key], Reason: r.Reason}
		gid, _ := strings.CutPrefix(r.Key, "g:")
		qc.GroupName = groups[gid].Name
		qc.CanPickUp = canPickUp(a, groups[gid], mine)
		if !a.SeesAll() && !qc.CanPickUp {
			continue
		}
		if r.QueuedAt != nil {
			qc.WaitingSeconds = int(now.Sub(*r.QueuedAt) / time.Second)
		}
		out = append(out, qc)
	}
	convs := make([]hub.Conversation, len(out))
	for i := range out {
		convs[i] = out[i].Conversation
	}
	if err := s.decorate(ctx, convs); err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Conversation = convs[i]
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

// PickUp lets an agent take a waiting conversation themselves (manual
// pick-up): admins and supervisors any, agents those of groups that allow
// it. The agent must be signed in and under their maximum; the same
// conditional updates as routing keep it safe against a concurrent
// assignment.
func (s *Store) PickUp(ctx context.Context, a *hub.Agent, convID string) (*hub.Conversation, error) {
	var c hub.Conversation
	q := `SELECT ` + convCols + ` FROM conversations WHERE tenant_id = ? AND id = ?`
	if err := s.db.R.GetContext(ctx, &c, s.db.R.Rebind(q), a.TenantID, convID); err != nil {
		if store.NoRows(err) {
			return nil, fmt.Errorf("conversation %s: %w", convID, hub.ErrNotFound)
		}
		return nil, fmt.Errorf("get conversation: %w", err)
	}
	rs, err := s.routeState(ctx, &c)
	if err != nil {
		return nil, err
	}
	groups, mine, err := s.pickupScope(ctx, a)
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
	err = s.write(ctx, func(tx *store.Tx, fx *effects) error {
		now := s.now()
		const claim = `UPDATE agents SET current_chats = current_chats + 1, last_assigned_at = ?
			WHERE id = ? AND status <> 'offline' AND NOT disabled AND current_chats < max_chats`
		res, err := tx.ExecContext(ctx, tx.Rebind(claim), now, a.ID)
		if err != nil {
			return fmt.Errorf("claim agent: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("%w: sign in (online or busy) and stay under your maximum of chats to pick up", hub.ErrConflict)
		}
		var g *string
		if gid != "" {
			g = &gid
		}
		if err := s.take(ctx, tx, &c, a.ID, g, now, "status = 'queued'"); err != nil {
			return err
		}
		return s.assigned(ctx, tx, fx, &c, assignment{how: "pickup", stage: rs.Stage, key: rs.QueueKey, log: logEntry{
			Outcome: "picked_up", AgentID: a.ID, GroupID: gid, Policy: "manual", Reason: a.Name + " picked it up from the queue"}})
	})
	if errors.Is(err, errTaken) {
		return nil, fmt.Errorf("%w: the conversation was assigned meanwhile", hub.ErrConflict)
	}
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// afterTransfer records a transfer in the routing state and activity, and
// tells the customer. A transfer to a group gives the conversation a new
// plan: that group, then its overflow.
func (s *Store) afterTransfer(ctx context.Context, tx *store.Tx, fx *effects, c *hub.Conversation, by *hub.Agent, t Transfer) error {
	ch, err := s.ch.Get(ctx, c.ChannelID)
	if err != nil {
		return err
	}
	to, reason := "", hub.Clean(t.Reason)
	if c.Status == hub.ConvOpen {
		ag, err := s.id.Agents.Get(ctx, c.TenantID, *c.AssigneeID)
		if err != nil {
			return err
		}
		to = ag.Name
		if err := s.assignedByTransfer(ctx, tx, c, by, reason); err != nil {
			return err
		}
	} else {
		groups, err := s.id.Groups.Settings(ctx, c.TenantID)
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
		if err := s.setPlan(ctx, tx, c, plan); err != nil {
			return err
		}
		if err := s.logRouting(ctx, tx, c, logEntry{Outcome: "transferred", GroupID: g.ID,
			Reason: fmt.Sprintf("%s transferred it to group %s: %s", by.Name, g.Name, reason)}); err != nil {
			return err
		}
	}
	if n := s.automations(ctx, ch).Transfer; n.Enabled && n.Text != "" {
		_, err := s.outgoing(ctx, tx, fx, c, "system", "", Reply{Content: strings.ReplaceAll(n.Text, "{to}", to), Type: "text"})
		return err
	}
	return nil
}

func (s *Store) assignedByTransfer(ctx context.Context, tx *store.Tx, c *hub.Conversation, by *hub.Agent, reason string) error {
	const ins = `INSERT INTO assignments (id, tenant_id, conversation_id, contact_id, agent_id, group_id, how, created_at)
		VALUES (?, ?, ?, ?, ?, ?, 'transfer', ?)`
	if _, err := tx.ExecContext(ctx, tx.Rebind(ins), hub.NewID("as"), c.TenantID, c.ID, c.ContactID, *c.AssigneeID,
		deref(c.GroupID), *c.AssignedAt); err != nil {
		return fmt.Errorf("record assignment: %w", err)
	}
	if err := s.armUnanswered(ctx, tx, c); err != nil {
		return err
	}
	return s.logRouting(ctx, tx, c, logEntry{Outcome: "transferred", AgentID: *c.AssigneeID, Policy: "manual",
		Reason: fmt.Sprintf("%s transferred it: %s", by.Name, reason)})
}

// pickupScope is what deciding "may this agent pick it up" needs: the
// tenant's groups with their settings and the agent's own groups.
func (s *Store) pickupScope(ctx context.Context, a *hub.Agent) (map[string]identity.Group, []string, error) {
	groups, err := s.id.Groups.Settings(ctx, a.TenantID)
	if err != nil {
		return nil, nil, err
	}
	mine, err := s.id.Groups.Of(ctx, a.ID)
	return groups, mine, err
}
