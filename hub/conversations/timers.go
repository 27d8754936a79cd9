package conversations

import (
	"context"
	"strconv"
	"strings"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/automations"
	"github.com/kefu-hub/kefu/hub/identity"
	"github.com/kefu-hub/kefu/hub/store"
)

// TimerHandlers are the automatic messages of a conversation: the greeting,
// "still checking" while the agent is slow to answer, and the idle reminder
// and close when the customer goes quiet. Each acts only if the
// conversation is still in the state its timer was armed for.
func (s *Store) TimerHandlers() map[automations.Kind]automations.Handler {
	return map[automations.Kind]automations.Handler{
		automations.TimerGreeting:      s.greeting,
		automations.TimerStillChecking: s.stillChecking,
		automations.TimerIdleReminder:  s.idle,
		automations.TimerIdleClose:     s.idle,
		automations.TimerWindowClosed:  windowClosed(s),
		automations.TimerAgentGreeting: agentGreeting(s),
	}
}

// timed loads what a firing timer acts on: the locked conversation and its
// channel's automations (nil conversation: it is gone).
func (s *Store) timed(ctx context.Context, tx *store.Tx, t automations.Timer) (*hub.Conversation, automations.Automations, error) {
	c, err := s.LockByID(ctx, tx, t.ConversationID)
	if err != nil || c == nil {
		return nil, automations.Automations{}, err
	}
	ch, err := s.channels.Get(ctx, c.ChannelID)
	if err != nil {
		return nil, automations.Automations{}, err
	}
	return c, s.autos.For(ctx, ch), nil
}

// say sends an automatic message (nothing for empty text).
func (s *Store) say(ctx context.Context, tx *store.Tx, c *hub.Conversation, text string) error {
	if strings.TrimSpace(text) == "" {
		return nil
	}
	_, err := s.Outgoing(ctx, tx, c, hub.SenderSystem, "", Text(text))
	return err
}

// greeting welcomes the customer unless an agent has written first.
func (s *Store) greeting(ctx context.Context, tx *store.Tx, t automations.Timer) (automations.Result, error) {
	c, a, err := s.timed(ctx, tx, t)
	if err != nil || c == nil || c.Status == hub.ConvClosed || c.Status == hub.ConvOffline || !a.Greeting.Enabled {
		return automations.Result{}, err
	}
	if n, err := Count(ctx, tx, c.ID, 0, hub.DirectionOut, hub.SenderAgent); err != nil || n > 0 {
		return automations.Result{}, err
	}
	return automations.Result{}, s.say(ctx, tx, c, a.Greeting.Text)
}

// stillChecking tells the customer the agent is on it, unless the agent
// answered (or the customer wrote again, which re-armed it).
func (s *Store) stillChecking(ctx context.Context, tx *store.Tx, t automations.Timer) (automations.Result, error) {
	c, a, err := s.timed(ctx, tx, t)
	if err != nil || c == nil || c.Status != hub.ConvOpen {
		return automations.Result{}, err
	}
	prof, err := identity.ProfileOf(ctx, tx, Deref(c.AssigneeID))
	if err != nil {
		return automations.Result{}, err
	}
	sc := prof.StillCheckingOr(a.StillChecking)
	if !sc.Enabled {
		return automations.Result{}, nil
	}
	ref, _ := strconv.ParseInt(t.Ref, 10, 64)
	if n, err := Count(ctx, tx, c.ID, ref, "", ""); err != nil || n > 0 {
		return automations.Result{}, err
	}
	return automations.Result{}, s.say(ctx, tx, c, sc.Text)
}

// agentGreeting is the assigned agent's own greeting (their profile), sent
// in their name once the conversation is theirs — unless it moved on to
// someone else, closed, or the agent has written since it was assigned.
// The ref is "agent id|seq at assignment".
func agentGreeting(s *Store) automations.Handler {
	return func(ctx context.Context, tx *store.Tx, t automations.Timer) (automations.Result, error) {
		c, _, err := s.timed(ctx, tx, t)
		agentID, seq, _ := strings.Cut(t.Ref, "|")
		if err != nil || c == nil || c.Status != hub.ConvOpen || Deref(c.AssigneeID) != agentID {
			return automations.Result{}, err
		}
		after, _ := strconv.ParseInt(seq, 10, 64)
		if n, err := Count(ctx, tx, c.ID, after, hub.DirectionOut, hub.SenderAgent); err != nil || n > 0 {
			return automations.Result{}, err
		}
		prof, err := identity.ProfileOf(ctx, tx, agentID)
		if err != nil || !prof.Greeting.Enabled {
			return automations.Result{}, err
		}
		var name []string
		if err := tx.Select(ctx, &name, `SELECT name FROM agents WHERE id = ?`, agentID); err != nil || len(name) == 0 {
			return automations.Result{}, err
		}
		return automations.Result{}, s.say(ctx, tx, c, prof.GreetingText(name[0]))
	}
}

// idle reminds a customer who has not answered the agent, then closes the
// conversation if they stay silent (freeing the agent's seat).
func (s *Store) idle(ctx context.Context, tx *store.Tx, t automations.Timer) (automations.Result, error) {
	c, a, err := s.timed(ctx, tx, t)
	if err != nil || c == nil || c.Status != hub.ConvOpen || !a.Idle.Enabled {
		return automations.Result{}, err
	}
	ref, _ := strconv.ParseInt(t.Ref, 10, 64)
	if n, err := Count(ctx, tx, c.ID, ref, hub.DirectionIn, ""); err != nil || n > 0 {
		return automations.Result{}, err // the customer answered
	}
	if t.Kind == automations.TimerIdleReminder {
		if err := s.say(ctx, tx, c, a.Idle.ReminderText); err != nil {
			return automations.Result{}, err
		}
		return automations.Result{}, automations.Arm(ctx, tx, c, automations.TimerIdleClose, t.Ref,
			tx.Now().Add(automations.Secs(a.Idle.CloseAfterSeconds)))
	}
	if err := s.say(ctx, tx, c, a.Idle.CloseText); err != nil {
		return automations.Result{}, err
	}
	if err := CloseInviting(ctx, tx, s, c, "automation", Closing{Reason: "idle"}, true); err != nil {
		return automations.Result{}, err
	}
	return automations.Result{Kick: true}, nil
}
