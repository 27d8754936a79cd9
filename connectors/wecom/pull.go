package wecom

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/channels"
	"github.com/kefu-hub/kefu/hub/conversations"
)

// Pulling. A callback only says "something new"; sync_msg hands out what
// came after a cursor, at most 1000 items a page (has_more: another page).
// One pull runs per channel at a time across every hub process (a lease in
// wecom_kf_sync); it publishes each page's items to the bus, and only then
// advances the stored cursor, so a pull that dies mid-way leaves the cursor
// before what it did not publish (the next pull reads those again: the hub
// stores each msgid once). Callbacks that come during a pull get another
// pull once it lets go.

// pageLimit is how many items a sync_msg page asks for (WeCom's maximum).
const pageLimit = 1000

// maxPages bounds one pull; the rest waits for the next one.
const maxPages = 50

var pullSeq atomic.Int64

// pull pulls a channel's new messages unless another pull holds it (which
// then pulls again for this caller). Callbacks that came during the pull
// get another pull, after this one returned: the caller's own messages are
// durable now, its answer need not wait for theirs.
func (c *Connector) pull(ctx context.Context, ch *hub.Channel, a *account) (ran bool, err error) {
	owner := c.owner + "-" + strconv.FormatInt(pullSeq.Add(1), 36)
	st, ok, err := c.pulls.Acquire(ctx, ch.ID, owner, c.deps.Now())
	if err != nil || !ok {
		return false, err
	}
	more := false
	if err = c.drain(ctx, ch, a, owner, st); err != nil {
		// Failed, or a long backlog (errMorePages): the lease goes, done
		// stays behind wanted, so this or another process pulls on.
		if aerr := c.pulls.Abandon(context.WithoutCancel(ctx), ch.ID, owner); aerr != nil {
			return true, errors.Join(err, aerr)
		}
		if !errors.Is(err, errMorePages) {
			return true, err
		}
		more, err = true, nil
	} else if more, err = c.pulls.Release(ctx, ch.ID, owner, st.Wanted); err != nil {
		return true, err
	}
	if more {
		c.later(time.Minute, func(ctx context.Context) {
			if _, err := c.pull(ctx, ch, a); err != nil {
				c.deps.Log.Warn("wecom_kf pull failed; the sweep pulls again", "channel", ch.ID, "err", err)
			}
		})
	}
	return true, nil
}

// drain reads pages from the stored cursor until has_more is 0.
func (c *Connector) drain(ctx context.Context, ch *hub.Channel, a *account, owner string, st pullState) error {
	cursor, seen := st.Cursor, map[string]bool{}
	for range maxPages {
		p, err := c.syncMsg(ctx, a, cursor, st.Token)
		var ae *APIError
		if errors.As(err, &ae) && ae.Code == codeBadSyncToken && st.Token != "" {
			st.Token = "" // the callback's token expired: pull without (a lower rate limit)
			p, err = c.syncMsg(ctx, a, cursor, "")
		}
		if err != nil {
			return err
		}
		if err := c.publishPage(ctx, ch, a, p, seen); err != nil {
			return err
		}
		if p.NextCursor != "" && p.NextCursor != cursor {
			if err := c.pulls.Advance(ctx, ch.ID, owner, cursor, p.NextCursor, c.deps.Now()); err != nil {
				return err
			}
			cursor = p.NextCursor
		}
		if p.HasMore == 0 {
			return nil
		}
	}
	return errMorePages
}

// errMorePages ends a pull that read maxPages pages and WeCom has more.
var errMorePages = errors.New("more pages than one pull reads")

// syncMsg asks for the page after cursor.
func (c *Connector) syncMsg(ctx context.Context, a *account, cursor, token string) (*Page, error) {
	body := map[string]any{"cursor": cursor, "limit": pageLimit, "open_kfid": a.OpenKfID}
	if token != "" {
		body["token"] = token
	}
	var raw rawAnswer
	if err := c.call(ctx, a, "/cgi-bin/kf/sync_msg", body, &raw); err != nil {
		return nil, err
	}
	return ParsePage(raw)
}

// rawAnswer keeps an answer's bytes for a parser of its own.
type rawAnswer []byte

func (r *rawAnswer) UnmarshalJSON(b []byte) error {
	*r = append((*r)[:0], b...)
	return nil
}

// publishPage puts a page's new items on the bus: each customer's in
// order (media recorded first, then the message; an enter_session's
// welcome follows), different customers side by side, a few at a time.
func (c *Connector) publishPage(ctx context.Context, ch *hub.Channel, a *account, p *Page, seen map[string]bool) error {
	now := c.deps.Now()
	var order []string
	byUser := map[string][]item{}
	for i := range p.MsgList {
		m := &p.MsgList[i]
		if seen[m.MsgID] {
			continue
		}
		seen[m.MsgID] = true
		it := normalize(ch, a, m)
		if it.failed != "" && c.deps.Store != nil {
			if err := conversations.Undelivered(ctx, c.deps.Store, ch.ID, it.failed, it.why); err != nil {
				return err
			}
		}
		if it.ignore {
			c.deps.Log.Debug("wecom_kf item not stored", "channel", ch.ID, "msgid", m.MsgID, "why", it.note)
			continue
		}
		if it.in.ReceivedAt.IsZero() || it.in.ReceivedAt.After(now) {
			it.in.ReceivedAt = now
		}
		u := it.in.Contact.ExternalID
		if _, ok := byUser[u]; !ok {
			order = append(order, u)
		}
		byUser[u] = append(byUser[u], it)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	slots := make(chan struct{}, publishers)
	for _, u := range order {
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			if err := c.publishAll(ctx, ch, a, byUser[u]); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// publishers bounds the customers whose messages are published at once.
const publishers = 16

// publishAll publishes one customer's items in order, stopping at the
// first failure (the cursor then stays before the page: all are pulled
// again, and the hub stores each msgid once).
func (c *Connector) publishAll(ctx context.Context, ch *hub.Channel, a *account, items []item) error {
	for _, it := range items {
		if err := c.media.Reserve(ctx, ch, it.media); err != nil {
			return fmt.Errorf("record media: %w", err)
		}
		if err := c.deps.Publish(ctx, it.in); err != nil {
			return fmt.Errorf("publish %s: %w", it.in.ExternalID, err)
		}
		c.media.FetchLater(c.later, ch, it.media)
		if it.welcome != "" && a.WelcomeMessage != "" {
			code := it.welcome
			c.later(welcomeWithin, func(ctx context.Context) { c.welcome(ctx, ch, a, code) })
		}
	}
	return nil
}

// welcomeWithin is how long a welcome_code is valid.
const welcomeWithin = 20 * time.Second

// sweep pulls the channels whose pulls were wanted and not finished: their
// holder died, WeCom failed, or the callback's time ran out. A channel
// whose pulls keep failing (a wrong Secret) is tried less and less often,
// up to once a minute per process.
func (c *Connector) sweep(ctx context.Context) {
	ids, err := c.pulls.Pending(ctx, c.deps.Now())
	if err != nil {
		c.deps.Log.Warn("wecom_kf sweep", "err", err)
		return
	}
	for _, id := range ids {
		if !c.retry.due(id, c.deps.Now()) {
			continue
		}
		ch, err := c.deps.Channel(ctx, id)
		if err != nil || ch.Type != Type || ch.Disabled {
			continue
		}
		a, err := accountOf(ch)
		if err != nil {
			continue
		}
		pctx, cancel := context.WithTimeout(ctx, time.Minute)
		ran, err := c.pull(pctx, ch, a)
		c.retry.record(id, c.deps.Now(), err)
		if err != nil {
			c.deps.Log.Warn("wecom_kf pull failed; retried later", "channel", id, "err", err)
		}
		if ran {
			c.health(pctx, ch, err)
		}
		cancel()
	}
}

// backoff spaces a process's sweeps of a channel whose pulls fail.
type backoff struct {
	mu   sync.Mutex
	next map[string]time.Time
	n    map[string]int
}

func (b *backoff) due(id string, now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return !now.Before(b.next[id])
}

func (b *backoff) record(id string, now time.Time, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.next == nil {
		b.next, b.n = map[string]time.Time{}, map[string]int{}
	}
	if err == nil {
		delete(b.next, id)
		delete(b.n, id)
		return
	}
	b.n[id]++
	b.next[id] = now.Add(min(sweepEvery<<min(b.n[id], 6), time.Minute))
}

// health records a pull's outcome on the channel (its last_error, which
// the console shows): WeCom's refusal or the bus being down, in words; a
// pull that works again clears it.
func (c *Connector) health(ctx context.Context, ch *hub.Channel, err error) {
	if c.deps.Store == nil {
		return
	}
	msg := ""
	if err != nil {
		msg = "微信客服拉取消息失败（sync_msg）：" + err.Error()
		if refused := (&APIError{}); errors.As(err, &refused) && refusals[refused.Code] != "" {
			msg += "；" + refusals[refused.Code]
		}
	}
	if msg == ch.LastError {
		return
	}
	if rerr := channels.RecordError(context.WithoutCancel(ctx), c.deps.Store, ch.ID, msg); rerr != nil {
		c.deps.Log.Warn("wecom_kf channel health not recorded", "channel", ch.ID, "err", rerr)
	}
}
