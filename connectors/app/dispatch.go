package app

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/kefu-hub/kefu/connectors/custsock"
	"github.com/kefu-hub/kefu/hub"
)

// dispatcher fans hub events out to this process's app sockets: each event
// about a conversation goes to the sockets of its user, projected onto the
// customer protocol. It asks the sockets for pings and keeps their
// presence fresh. Push is best effort; sockets resync by seq.
type dispatcher struct {
	c       *Connector
	mu      sync.Mutex
	byUser  map[string]map[*appSocket]struct{} // "channel\x00ext" → sockets
	byConv  map[string]string                  // conversation → user key
	convsOf map[string][]string                // user key → its conversations in byConv
	closing bool
}

func newDispatcher(c *Connector) *dispatcher {
	return &dispatcher{c: c, byUser: map[string]map[*appSocket]struct{}{}, byConv: map[string]string{},
		convsOf: map[string][]string{}}
}

func userKey(channelID, ext string) string { return channelID + "\x00" + ext }

// add registers a socket; false once the process is stopping.
func (d *dispatcher) add(s *appSocket) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closing {
		return false
	}
	set := d.byUser[s.key]
	if set == nil {
		set = map[*appSocket]struct{}{}
		d.byUser[s.key] = set
	}
	set[s] = struct{}{}
	return true
}

// mapConv records that a conversation belongs to a user with sockets here.
func (d *dispatcher) mapConv(convID, key string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.byUser[key]; ok {
		if _, ok := d.byConv[convID]; !ok {
			d.byConv[convID] = key
			d.convsOf[key] = append(d.convsOf[key], convID)
		}
	}
}

func (d *dispatcher) remove(s *appSocket) {
	d.mu.Lock()
	defer d.mu.Unlock()
	set := d.byUser[s.key]
	if set == nil {
		return
	}
	delete(set, s)
	if len(set) == 0 {
		delete(d.byUser, s.key)
		for _, id := range d.convsOf[s.key] {
			delete(d.byConv, id)
		}
		delete(d.convsOf, s.key)
	}
}

func (d *dispatcher) publish(evs []hub.Event) {
	for i := range evs {
		d.event(&evs[i])
	}
}

func (d *dispatcher) event(e *hub.Event) {
	if e.ConversationID == "" {
		return
	}
	d.mu.Lock()
	empty := len(d.byUser) == 0
	d.mu.Unlock()
	if empty {
		return // no app sockets here: nothing to decode
	}
	if e.Type == hub.EvConversationCreated {
		d.learn(e)
	}
	d.mu.Lock()
	key, ok := d.byConv[e.ConversationID]
	var socks []*appSocket
	if ok {
		for s := range d.byUser[key] {
			socks = append(socks, s)
		}
	}
	d.mu.Unlock()
	if len(socks) == 0 {
		return
	}
	var pl custsock.EventPayload
	if json.Unmarshal(e.Payload, &pl) != nil {
		return
	}
	frames := []map[string]any{d.c.proj.EventOf(socks[0].ch, e, &pl)}
	if e.Type == hub.EvAgentRead { // the agent has read up to seq (POST /conversations/{id}/read)
		var r struct {
			Seq int64 `json:"seq"`
		}
		if json.Unmarshal(e.Payload, &r) == nil && r.Seq > 0 {
			frames = []map[string]any{{"type": "read", "conversation_id": e.ConversationID, "seq": r.Seq}}
		}
	}
	if m := pl.Message; e.Type == hub.EvMessageCreated && m != nil && m.SenderType == hub.SenderAgent && m.Seq > 1 {
		// The agent answered: they have read what the user wrote before.
		frames = append(frames, map[string]any{"type": "read", "conversation_id": e.ConversationID, "seq": m.Seq - 1})
	}
	for _, f := range frames {
		if f == nil {
			continue
		}
		b, _ := json.Marshal(f)
		for _, s := range socks {
			s.out.Send(b)
		}
	}
}

// learn maps a new conversation to its user's sockets.
func (d *dispatcher) learn(e *hub.Event) {
	if convID, channelID, ext, ok := custsock.Created(e); ok {
		d.mapConv(convID, userKey(channelID, ext))
	}
}

// run asks for pings and refreshes presence until ctx ends.
func (d *dispatcher) run(ctx context.Context) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	lastBeat := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			ids := d.ping(now)
			if now.Sub(lastBeat) >= presenceEvery {
				lastBeat = now
				d.c.users.heartbeat(ctx, ids)
			}
		}
	}
}

// ping asks every socket whose ping is due for one; it returns the ids of
// the sockets held whose apps are in the foreground (present).
func (d *dispatcher) ping(now time.Time) []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	var ids []string
	for _, set := range d.byUser {
		for s := range set {
			s.out.Ping(now)
			if !s.bg {
				ids = append(ids, s.id)
			}
		}
	}
	return ids
}

// setBackground records whether a socket's app is in the background.
func (d *dispatcher) setBackground(s *appSocket, bg bool) {
	d.mu.Lock()
	s.bg = bg
	d.mu.Unlock()
}

// full reports whether this process holds max app sockets or more.
func (d *dispatcher) full(max int) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	n := 0
	for _, set := range d.byUser {
		if n += len(set); n >= max {
			return true
		}
	}
	return false
}

// closeAll stops taking sockets and returns every socket registered.
func (d *dispatcher) closeAll() []*appSocket {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.closing = true
	var out []*appSocket
	for _, set := range d.byUser {
		for s := range set {
			out = append(out, s)
		}
	}
	return out
}
