package web

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/kefu-hub/kefu/connectors/custsock"
	"github.com/kefu-hub/kefu/hub"
)

// Dispatcher fans hub events out to this process's visitor sockets: each
// event about a conversation goes to the sockets of that conversation's
// customer, projected to what a customer may see. It also keeps each
// channel's availability (the launcher's online/offline) and the visitors'
// heartbeat. Push is best effort; sockets resync from the database by seq.
type Dispatcher struct {
	c  *Connector
	mu sync.Mutex
	// byContact: "channel\x00contact external id" → sockets.
	byContact map[string]map[*visitorConn]struct{}
	// byConv: conversation id → contact key, learnt from welcome and from
	// conversation.created events.
	byConv    map[string]string
	convsOf   map[string][]string // contact key → its conversations in byConv
	byVisitor map[string]map[*visitorConn]struct{}
	channels  map[string]*availability // channel id → state, while sockets are open
	closing   bool                     // the process is stopping: no new sockets
}

type availability struct {
	ch      *hub.Channel
	online  bool
	checked time.Time
	conns   int
}

func newDispatcher(c *Connector) *Dispatcher {
	return &Dispatcher{c: c, byContact: map[string]map[*visitorConn]struct{}{}, byConv: map[string]string{}, convsOf: map[string][]string{},
		byVisitor: map[string]map[*visitorConn]struct{}{}, channels: map[string]*availability{}}
}

func contactKey(channelID, contactExt string) string { return channelID + "\x00" + contactExt }

// add registers a socket; convID is its customer's current conversation.
// It refuses (false) once the process is stopping.
func (d *Dispatcher) add(v *visitorConn, convID string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closing {
		return false
	}
	set := d.byContact[v.key]
	if set == nil {
		set = map[*visitorConn]struct{}{}
		d.byContact[v.key] = set
	}
	set[v] = struct{}{}
	if convID != "" {
		d.mapConvLocked(convID, v.key)
	}
	vs := d.byVisitor[v.visitorID]
	if vs == nil {
		vs = map[*visitorConn]struct{}{}
		d.byVisitor[v.visitorID] = vs
	}
	vs[v] = struct{}{}
	if a := d.channels[v.ch.ID]; a != nil {
		a.conns++
		a.ch = v.ch
	} else {
		d.channels[v.ch.ID] = &availability{ch: v.ch, conns: 1, online: v.online, checked: time.Now()}
	}
	return true
}

// mapConv records that a conversation belongs to a customer with sockets here.
func (d *Dispatcher) mapConv(convID, key string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.byContact[key]; ok {
		d.mapConvLocked(convID, key)
	}
}

func (d *Dispatcher) mapConvLocked(convID, key string) {
	if _, ok := d.byConv[convID]; !ok {
		d.byConv[convID] = key
		d.convsOf[key] = append(d.convsOf[key], convID)
	}
}

// remove unregisters a socket; it reports whether it was the visitor's last
// on this process.
func (d *Dispatcher) remove(v *visitorConn) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if set := d.byContact[v.key]; set != nil {
		delete(set, v)
		if len(set) == 0 {
			delete(d.byContact, v.key)
			for _, id := range d.convsOf[v.key] {
				delete(d.byConv, id)
			}
			delete(d.convsOf, v.key)
		}
	}
	last := false
	if vs := d.byVisitor[v.visitorID]; vs != nil {
		delete(vs, v)
		if len(vs) == 0 {
			delete(d.byVisitor, v.visitorID)
			last = true
		}
	}
	if a := d.channels[v.ch.ID]; a != nil {
		if a.conns--; a.conns <= 0 {
			delete(d.channels, v.ch.ID)
		}
	}
	return last
}

// Publish takes events from the hub's broadcast (every process gets them).
func (d *Dispatcher) Publish(evs []hub.Event) {
	for i := range evs {
		d.publish(&evs[i])
	}
}

func (d *Dispatcher) publish(e *hub.Event) {
	switch e.Type {
	case hub.EvAgentStatus:
		d.recheckTenant(e.TenantID)
		return
	case hub.EvVisitorInvite:
		d.invite(e)
		return
	case hub.EvConversationCreated:
		d.learn(e)
	}
	if e.ConversationID == "" {
		return
	}
	d.mu.Lock()
	key, ok := d.byConv[e.ConversationID]
	var conns []*visitorConn
	if ok {
		for v := range d.byContact[key] {
			conns = append(conns, v)
		}
	}
	d.mu.Unlock()
	if len(conns) == 0 {
		return
	}
	frame := d.c.proj.Event(conns[0].ch, e)
	if frame == nil {
		return
	}
	b, _ := json.Marshal(frame)
	for _, v := range conns {
		v.out.Send(b)
	}
}

// learn maps a new conversation to its customer's sockets.
func (d *Dispatcher) learn(e *hub.Event) {
	d.mu.Lock()
	none := len(d.byContact) == 0
	d.mu.Unlock()
	if none {
		return // no visitor sockets here: nothing to parse
	}
	convID, channelID, ext, ok := custsock.Created(e)
	if !ok {
		return
	}
	key := contactKey(channelID, ext)
	d.mu.Lock()
	if _, ok := d.byContact[key]; ok {
		d.mapConvLocked(convID, key)
	}
	d.mu.Unlock()
}

func (d *Dispatcher) invite(e *hub.Event) {
	var p struct {
		VisitorID string `json:"visitor_id"`
		InviteID  string `json:"invite_id"`
		Text      string `json:"text"`
		Agent     struct {
			Name string `json:"name"`
		} `json:"agent"`
	}
	if json.Unmarshal(e.Payload, &p) != nil {
		return
	}
	b, _ := json.Marshal(map[string]any{"type": "invite", "invite_id": p.InviteID, "text": p.Text,
		"agent": map[string]string{"name": p.Agent.Name}})
	d.mu.Lock()
	var conns []*visitorConn
	for v := range d.byVisitor[p.VisitorID] {
		if v.ch.TenantID == e.TenantID {
			conns = append(conns, v)
		}
	}
	d.mu.Unlock()
	for _, v := range conns {
		v.out.Send(b)
	}
}

// available is a channel's cached availability (checked at most every few
// seconds per process, and at once when an agent's status changes).
func (d *Dispatcher) available(ctx context.Context, ch *hub.Channel) bool {
	d.mu.Lock()
	a := d.channels[ch.ID]
	if a != nil && time.Since(a.checked) < availabilityTTL {
		on := a.online
		d.mu.Unlock()
		return on
	}
	d.mu.Unlock()
	on, err := d.c.customers().Available(ctx, ch)
	if err != nil {
		return false
	}
	d.mu.Lock()
	if a := d.channels[ch.ID]; a != nil {
		a.online, a.checked = on, time.Now()
	}
	d.mu.Unlock()
	return on
}

const (
	availabilityTTL  = 5 * time.Second
	heartbeatEvery   = 30 * time.Second
	recheckAfterBeat = 300 * time.Millisecond
)

// recheckTenant marks a tenant's channels for an immediate recheck.
func (d *Dispatcher) recheckTenant(tenantID string) {
	d.mu.Lock()
	for _, a := range d.channels {
		if a.ch.TenantID == tenantID {
			a.checked = time.Time{}
		}
	}
	d.mu.Unlock()
}

// Run refreshes availability (pushing changes to the sockets) and the
// visitors' heartbeat until ctx ends.
func (d *Dispatcher) Run(ctx context.Context) {
	tick := time.NewTicker(recheckAfterBeat)
	defer tick.Stop()
	lastBeat, lastPing := time.Now(), time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		d.refresh(ctx)
		if now := time.Now(); now.Sub(lastPing) >= time.Second {
			lastPing = now
			d.ping(now)
		}
		if time.Since(lastBeat) >= heartbeatEvery {
			lastBeat = time.Now()
			d.heartbeat(ctx)
		}
	}
}

// ping asks every socket whose ping is due for one (each socket every
// wsPingEvery; a socket has no ticker of its own).
func (d *Dispatcher) ping(now time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, set := range d.byVisitor {
		for v := range set {
			v.out.Ping(now)
		}
	}
}

func (d *Dispatcher) refresh(ctx context.Context) {
	d.mu.Lock()
	var due []*hub.Channel
	for _, a := range d.channels {
		if time.Since(a.checked) >= availabilityTTL {
			due = append(due, a.ch)
		}
	}
	d.mu.Unlock()
	for _, ch := range due {
		on, err := d.c.customers().Available(ctx, ch)
		if err != nil {
			continue
		}
		d.mu.Lock()
		a := d.channels[ch.ID]
		changed := a != nil && a.online != on
		if a != nil {
			a.online, a.checked = on, time.Now()
		}
		var conns []*visitorConn
		if changed {
			for _, set := range d.byContact {
				for v := range set {
					if v.ch.ID == ch.ID {
						conns = append(conns, v)
					}
				}
			}
		}
		d.mu.Unlock()
		if changed {
			b, _ := json.Marshal(map[string]any{"type": "online", "online": on})
			for _, v := range conns {
				v.out.Send(b)
			}
		}
	}
}

func (d *Dispatcher) heartbeat(ctx context.Context) {
	d.mu.Lock()
	ids := make([]string, 0, len(d.byVisitor))
	for id := range d.byVisitor {
		ids = append(ids, id)
	}
	d.mu.Unlock()
	if err := d.c.visitors.Seen(ctx, ids); err != nil {
		d.c.deps.Log.Warn("visitor heartbeat", "err", err)
	}
}

// Conns is the number of visitor sockets open on this process.
func (d *Dispatcher) Conns() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	n := 0
	for _, set := range d.byContact {
		n += len(set)
	}
	return n
}

// closeAll stops taking sockets and returns every socket registered.
func (d *Dispatcher) closeAll() []*visitorConn {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.closing = true
	var out []*visitorConn
	for _, set := range d.byVisitor {
		for v := range set {
			out = append(out, v)
		}
	}
	return out
}
