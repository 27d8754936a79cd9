package web

import (
	"context"
	"time"
)

// Conversation caps (Config.Limits): a visitor message that would open a
// conversation is refused while the channel, or the anonymous visitors of
// its client address, have as many active conversations as the channel
// allows. The counts are read when the message would open one, so visitors
// racing each other may pass a cap by a few; each still needs a socket
// (capped per address) and a message (rate-limited).
const (
	// activeRecheck is how long a visitor seen with an active conversation
	// sends messages without the caps being read again.
	activeRecheck = 30 * time.Second
	// addressWindow is how far back visitors count as "from the address".
	addressWindow = 24 * time.Hour
	// addressContacts bounds the visitors of one address that are looked at.
	addressContacts = 2000
)

// mayOpen returns an error code and message when the visitor's message
// would open a conversation beyond a cap; "" when it may go on (also when
// the counts cannot be read: storing the message decides then).
func (c *Connector) mayOpen(ctx context.Context, v *visitorConn) (code, msg string) {
	now := time.Now()
	v.mu.Lock()
	recent := now.Sub(v.activeAt) < activeRecheck
	v.mu.Unlock()
	if recent {
		return "", ""
	}
	defer func() {
		if code == "" {
			// This message opens (or joins) the visitor's one active
			// conversation, so the next ones cannot open another: they
			// skip the counts too (on PostgreSQL the reads of every early
			// follow-up doubled the visitors' latency).
			v.mu.Lock()
			v.activeAt = now
			v.mu.Unlock()
		}
	}()
	ext, ch, limits := v.contact.ExternalID, v.ch, v.cfg.Limits
	act, err := c.customers().Active(ctx, ch.ID, []string{ext})
	if err != nil {
		return "", ""
	}
	if _, ok := act[ext]; ok {
		return "", ""
	}
	const busy = "too many chats are waiting right now; please try again later"
	if n, err := c.customers().ActiveCount(ctx, ch.ID); err == nil && n >= limits.perChannel() {
		c.deps.Log.Info("visitor conversation refused: the channel's cap", "channel", ch.ID, "active", n)
		return "too_many_conversations", busy
	}
	if ext != v.visitorID {
		return "", "" // an identified visitor: not counted by address
	}
	ids, err := c.visitors.ContactsFrom(ctx, ch.ID, v.ip, now.Add(-addressWindow), addressContacts)
	if err != nil || len(ids) < limits.perAddress() {
		return "", ""
	}
	from, err := c.customers().Active(ctx, ch.ID, ids)
	if err == nil && len(from) >= limits.perAddress() {
		c.deps.Log.Info("visitor conversation refused: the address's cap", "channel", ch.ID, "ip", v.ip, "active", len(from))
		return "too_many_conversations", busy
	}
	return "", ""
}
