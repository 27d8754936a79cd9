package web

import (
	"context"
	"sync"
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
	// activeCountTTL is how long a channel's count of active conversations
	// is used before it is read again; the opens this process lets through
	// meanwhile are added to it.
	activeCountTTL = time.Second
)

// activeCounts caches each channel's count of active conversations for the
// cap: a count is a scan of the channel's active conversations, and a burst
// of new visitors (10,000 at once) would otherwise read it once each.
type activeCounts struct {
	mu sync.Mutex
	m  map[string]*activeCount
}

type activeCount struct {
	n  int
	at time.Time
}

// count is the channel's active conversations: read through read when the
// cached count is older than activeCountTTL or has reached limit (a
// refusal is always decided on a fresh count: a conversation may have
// closed meanwhile).
func (a *activeCounts) count(ctx context.Context, channelID string, limit int, now time.Time, read func(context.Context, string) (int, error)) (int, error) {
	a.mu.Lock()
	if c := a.m[channelID]; c != nil && now.Sub(c.at) < activeCountTTL && c.n < limit {
		n := c.n
		a.mu.Unlock()
		return n, nil
	}
	a.mu.Unlock()
	n, err := read(ctx, channelID)
	if err != nil {
		return 0, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.m == nil || len(a.m) > 10000 {
		a.m = map[string]*activeCount{}
	}
	a.m[channelID] = &activeCount{n: n, at: now}
	return n, nil
}

// add counts an open this process let through.
func (a *activeCounts) add(channelID string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if c := a.m[channelID]; c != nil {
		c.n++
	}
}

// mayOpen returns an error code and message when the visitor's message
// would open a conversation beyond a cap; "" when it may go on (also when
// the counts cannot be read: storing the message decides then).
func (c *Connector) mayOpen(ctx context.Context, v *visitorConn) (code, msg string) {
	now := time.Now()
	v.mu.Lock()
	recent := now.Sub(v.activeAt) < activeRecheck
	// The welcome found no active conversation a moment ago: whether one
	// was opened since (from another tab) is read only before refusing.
	none := now.Sub(v.noneAt) < activeRecheck
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
			v.activeAt, v.noneAt = now, time.Time{}
			v.mu.Unlock()
		}
	}()
	ext, ch, limits := v.contact.ExternalID, v.ch, v.cfg.Limits
	active := func() bool {
		act, err := c.customers().Active(ctx, ch.ID, []string{ext})
		_, ok := act[ext]
		return err != nil || ok // unreadable: storing the message decides
	}
	if !none && active() {
		return "", ""
	}
	const busy = "too many chats are waiting right now; please try again later"
	if n, err := c.opened.count(ctx, ch.ID, limits.perChannel(), now, c.customers().ActiveCount); err == nil && n >= limits.perChannel() {
		if none && active() {
			return "", ""
		}
		c.deps.Log.Info("visitor conversation refused: the channel's cap", "channel", ch.ID, "active", n)
		return "too_many_conversations", busy
	}
	defer func() {
		if code == "" {
			c.opened.add(ch.ID) // counted until the next read
		}
	}()
	if ext != v.visitorID {
		return "", "" // an identified visitor: not counted by address
	}
	ids, err := c.visitors.ContactsFrom(ctx, ch.ID, v.ip, now.Add(-addressWindow), addressContacts)
	if err != nil || len(ids) < limits.perAddress() {
		return "", ""
	}
	from, err := c.customers().Active(ctx, ch.ID, ids)
	if err == nil && len(from) >= limits.perAddress() {
		if _, ok := from[ext]; ok {
			return "", "" // the visitor's own conversation is among them
		}
		c.deps.Log.Info("visitor conversation refused: the address's cap", "channel", ch.ID, "ip", v.ip, "active", len(from))
		return "too_many_conversations", busy
	}
	return "", ""
}
