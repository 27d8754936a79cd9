// Package inbox stores what connectors publish: each normalized inbound
// message, in batches, becomes a contact (upserted), a conversation (found
// or opened, its routing recorded) and a message with the next gap-free seq
// — once, however often the platform or the bus delivers it. Contact
// events (followed, clicked a menu …) are stored once too.
package inbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/assign"
	"github.com/kefu-hub/kefu/hub/automations"
	"github.com/kefu-hub/kefu/hub/channels"
	"github.com/kefu-hub/kefu/hub/contacts"
	"github.com/kefu-hub/kefu/hub/conversations"
	"github.com/kefu-hub/kefu/hub/identity"
	"github.com/kefu-hub/kefu/hub/outbound"
	"github.com/kefu-hub/kefu/hub/ratings"
	"github.com/kefu-hub/kefu/hub/store"
	"github.com/kefu-hub/kefu/tickets"
)

// Inbox stores inbound messages.
type Inbox struct {
	k        *store.Store
	channels *channels.Store
	contacts *contacts.Store
	convs    *conversations.Store
	autos    *automations.Store
	router   *assign.Router
	// windows are the platforms' reply rules: a window that closes on an
	// unanswered message may open a ticket.
	windows conversations.Windows
	robot   Robot
	ratings *ratings.Store
}

// Robot is the channel robot as the inbox asks it, in the transaction that
// stores a customer message: does it work this conversation (and hold it
// out of the routing queue)?
type Robot interface {
	Engage(ctx context.Context, tx *store.Tx, ch *hub.Channel, conv *hub.Conversation, isNew bool) (bool, error)
}

// New returns the inbox; windows are the platforms' reply rules by channel
// type (nil: none).
func New(k *store.Store, chans *channels.Store, cts *contacts.Store, convs *conversations.Store,
	autos *automations.Store, router *assign.Router, windows conversations.Windows, robot Robot, rt *ratings.Store) *Inbox {
	return &Inbox{k: k, channels: chans, contacts: cts, convs: convs, autos: autos, router: router, windows: windows,
		robot: robot, ratings: rt}
}

// Result is what storing one inbound message did.
type Result struct {
	MessageID      string
	ConversationID string
	TenantID       string
	Status         hub.ConvStatus // the conversation's status after the insert
	New            bool           // a conversation was opened
	Duplicate      bool           // the message was already stored
	Blocked        bool           // the sender is blacklisted: dropped, stored nowhere
	Ticketed       bool           // a left message went straight into a ticket
	Robot          bool           // the robot works the conversation: it answers, routing waits
	Rated          bool           // a number answering a rating invitation: stored as the rating
	// Busy: the customer's conversation was held by another transaction
	// (routing it); nothing was stored, and the message is to be ingested
	// again a moment later.
	Busy bool
	Err  error
}

// Routable reports whether routing has anything to do after the message.
func (r Result) Routable() bool {
	return r.Err == nil && !r.Busy && !r.Duplicate && !r.Blocked && !r.Ticketed && !r.Robot && !r.Rated
}

// ForRobot reports whether the robot answers the message.
func (r Result) ForRobot() bool { return r.Err == nil && !r.Busy && !r.Duplicate && r.Robot }

// Stored is the result as routing reads it.
func (r Result) Stored() assign.Stored {
	return assign.Stored{ConversationID: r.ConversationID, MessageID: r.MessageID, Status: r.Status, New: r.New}
}

// Ingest stores a batch of inbound messages in one transaction. When the
// batch fails as a whole, each message is retried alone so one bad message
// cannot hold the others back. A message whose customer's conversation
// another transaction holds comes back Busy, nothing stored: the caller
// ingests it again (after the customer's earlier messages, before later).
func (s *Inbox) Ingest(ctx context.Context, batch []hub.Inbound) []Result {
	order := make([]int, len(batch))
	for i := range batch {
		batch[i].Sanitize()
		order[i] = i
	}
	// A fixed lock order across processes: by channel, then contact.
	sort.SliceStable(order, func(a, b int) bool {
		x, y := &batch[order[a]], &batch[order[b]]
		if x.ChannelID != y.ChannelID {
			return x.ChannelID < y.ChannelID
		}
		return x.Contact.ExternalID < y.Contact.ExternalID
	})
	results := make([]Result, len(batch))
	err := s.k.Write(ctx, func(tx *store.Tx) error {
		known, err := s.lookUp(ctx, tx, batch)
		if err != nil {
			return err
		}
		order := known.ready(batch, order, results)
		if err := s.prepare(ctx, tx, known, batch, order); err != nil {
			return err
		}
		var hs []held
		for _, i := range order {
			in := &batch[i]
			// Plain messages are stored together; anything else (a contact
			// event, a message with an automatic reply that takes the next
			// seq, a left message that becomes a ticket) in its turn.
			alone := in.Event != "" || in.Reply != "" || in.LeaveMessage
			if alone {
				if err := s.store(ctx, tx, hs); err != nil {
					return err
				}
				hs = hs[:0]
			}
			r, h, err := s.ingestOne(ctx, tx, known, in)
			if err != nil {
				return err
			}
			results[i] = r
			if h != nil {
				h.result = &results[i]
				hs = append(hs, *h)
			}
			if alone {
				if err := s.store(ctx, tx, hs); err != nil {
					return err
				}
				hs = hs[:0]
			}
		}
		return s.store(ctx, tx, hs)
	})
	if err == nil || len(batch) == 1 {
		if err != nil {
			results[0] = Result{Err: err}
		}
		return results
	}
	for i := range batch {
		results[i] = s.Ingest(ctx, batch[i:i+1])[0]
	}
	return results
}

// known is what an ingest batch read up front, per channel, with a few
// queries for the whole batch instead of several per message: which
// platform ids are stored, the customers' contacts (and who is
// blacklisted), and their active conversations (locked). What the batch
// itself stores is added as it goes.
type known struct {
	stored map[string]map[string]string            // channel → platform message id → message id
	people map[string]contacts.Known               // channel → contacts by the channel's id for them
	convs  map[string]map[string]*hub.Conversation // channel → contact id → active conversation
	fresh  map[string]bool                         // contacts the batch created
	opened map[string]bool                         // conversations the batch opened, until their first message
	busy   map[string]bool                         // contacts whose active conversation another transaction holds
}

// ready is order without the messages of customers whose conversation is
// busy (see conversations.Store.ActiveOf): their results say so, and they
// are ingested again later, in their order (the bus hands out a
// customer's next message only after this one).
func (k *known) ready(batch []hub.Inbound, order []int, results []Result) []int {
	if len(k.busy) == 0 {
		return order
	}
	out := make([]int, 0, len(order))
	for _, i := range order {
		in := &batch[i]
		if c := k.people[in.ChannelID].Contacts[in.Contact.ExternalID]; c != nil && k.busy[c.ID] {
			results[i] = Result{TenantID: in.TenantID, Busy: true}
			continue
		}
		out = append(out, i)
	}
	return out
}

func (s *Inbox) lookUp(ctx context.Context, tx *store.Tx, batch []hub.Inbound) (*known, error) {
	k := &known{stored: map[string]map[string]string{}, people: map[string]contacts.Known{},
		convs: map[string]map[string]*hub.Conversation{}, fresh: map[string]bool{}, opened: map[string]bool{},
		busy: map[string]bool{}}
	msgs, people := map[string][]string{}, map[string][]string{}
	for i := range batch {
		in := &batch[i]
		if in.ExternalID == "" || in.Contact.ExternalID == "" {
			continue // refused in ingestOne
		}
		if in.Event == "" {
			msgs[in.ChannelID] = append(msgs[in.ChannelID], in.ExternalID)
		}
		people[in.ChannelID] = append(people[in.ChannelID], in.Contact.ExternalID)
	}
	for ch, ids := range msgs {
		stored, err := conversations.StoredIn(ctx, tx, ch, ids)
		if err != nil {
			return nil, err
		}
		k.stored[ch] = stored
	}
	for ch, ids := range people {
		p, err := contacts.Lookup(ctx, tx, ch, ids)
		if err != nil {
			return nil, err
		}
		k.people[ch] = p
		var ctIDs []string
		for _, c := range p.Contacts {
			ctIDs = append(ctIDs, c.ID)
		}
		var busy map[string]bool
		if k.convs[ch], busy, err = s.convs.ActiveOf(ctx, tx, ch, ctIDs); err != nil {
			return nil, err
		}
		for id := range busy {
			k.busy[id] = true
		}
	}
	return k, nil
}

// prepare creates, for the whole batch at once, the contacts of customers
// it does not know yet (one insert per channel) and their conversations (one
// more): a burst of new customers costs a few statements, not three each.
// What it cannot decide (a replay, a blocked sender, an invalid message) it
// leaves to ingestOne, which finds what prepare made in k (whose people
// and convs lookUp filled for every channel of the batch).
func (s *Inbox) prepare(ctx context.Context, tx *store.Tx, k *known, batch []hub.Inbound, order []int) error {
	type pending struct {
		ch     *hub.Channel
		infos  []hub.ContactInfo
		opens  []*hub.Inbound // plain messages of the new customers, in order
		seenID map[string]bool
	}
	var chans []string
	byCh := map[string]*pending{}
	for _, i := range order {
		in := &batch[i]
		if in.ExternalID == "" || in.Contact.ExternalID == "" || k.people[in.ChannelID].Contacts[in.Contact.ExternalID] != nil ||
			k.people[in.ChannelID].Blocked[in.Contact.ExternalID] || (in.Event == "" && k.stored[in.ChannelID][in.ExternalID] != "") {
			continue
		}
		p := byCh[in.ChannelID]
		if p == nil {
			ch, err := s.channels.Get(ctx, in.ChannelID)
			if err != nil || ch.TenantID != in.TenantID {
				continue // ingestOne reports it
			}
			p = &pending{ch: ch, seenID: map[string]bool{}}
			byCh[in.ChannelID] = p
			chans = append(chans, in.ChannelID)
		}
		if !p.seenID[in.Contact.ExternalID] {
			p.seenID[in.Contact.ExternalID] = true
			p.infos = append(p.infos, in.Contact)
			if in.Event == "" {
				p.opens = append(p.opens, in)
			}
		}
	}
	for _, id := range chans {
		p := byCh[id]
		made, err := contacts.CreateMany(ctx, tx, p.ch, p.infos)
		if err != nil {
			return err
		}
		var opens []conversations.Opening
		for _, in := range p.opens {
			c := made[in.Contact.ExternalID]
			if k.convs[id][c.ID] == nil {
				opens = append(opens, conversations.Opening{Contact: c, Group: in.Group, Visitor: in.Visitor})
			}
		}
		for ext, c := range made {
			k.people[id].Contacts[ext] = c
			k.fresh[c.ID] = true
		}
		convs, err := conversations.OpenMany(ctx, tx, p.ch, opens)
		if err != nil {
			return err
		}
		for ct, conv := range convs {
			k.convs[id][ct] = conv
			k.opened[conv.ID] = true
		}
	}
	return nil
}

// contact is the customer a message is from: known, or upserted (and then
// known to the rest of the batch).
func (s *Inbox) contact(ctx context.Context, tx *store.Tx, k *known, ch *hub.Channel, info hub.ContactInfo) (*hub.Contact, error) {
	if c := k.people[ch.ID].Contacts[info.ExternalID]; c != nil {
		return c, contacts.Refresh(ctx, tx, c, info)
	}
	c, err := s.contacts.Upsert(ctx, tx, ch, info)
	if err != nil {
		return nil, err
	}
	if p, ok := k.people[ch.ID]; ok {
		p.Contacts[info.ExternalID] = c
	}
	return c, nil
}

// conversation is the contact's active conversation: known (locked by the
// batch's read), or found or opened.
func (s *Inbox) conversation(ctx context.Context, tx *store.Tx, k *known, ch *hub.Channel, c *hub.Contact, group string,
	visit *hub.Visitor) (*hub.Conversation, bool, error) {
	if conv := k.convs[ch.ID][c.ID]; conv != nil && conv.Status != hub.ConvClosed {
		isNew := k.opened[conv.ID]
		delete(k.opened, conv.ID)
		return conv, isNew, nil
	}
	conv, isNew, err := s.convs.Open(ctx, tx, ch, c, group, visit)
	if err != nil {
		return nil, false, err
	}
	if k.convs[ch.ID] == nil {
		k.convs[ch.ID] = map[string]*hub.Conversation{}
	}
	k.convs[ch.ID][c.ID] = conv
	return conv, isNew, nil
}

// rating takes a customer's number as the answer to the rating invitation
// they were sent (ratings.Store.Answered): the rating is stored, they are
// thanked, and nothing else happens — no message, no conversation.
func (s *Inbox) rating(ctx context.Context, tx *store.Tx, k *known, ch *hub.Channel, in *hub.Inbound) (Result, bool, error) {
	c := k.people[ch.ID].Contacts[in.Contact.ExternalID]
	if s.ratings == nil || c == nil || k.fresh[c.ID] || len(in.Attachments) > 0 || in.Type != "text" {
		return Result{}, false, nil
	}
	a, err := s.ratings.Answered(ctx, tx, ch.TenantID, ch.ID, c.ID, in.ExternalID, in.Text)
	if err != nil || a == nil {
		return Result{}, false, err
	}
	r := Result{TenantID: ch.TenantID, ConversationID: a.ConversationID, Rated: true, Duplicate: a.Replay}
	if a.Replay || strings.TrimSpace(a.Thanks) == "" {
		return r, true, nil
	}
	m := &hub.Message{Type: "text", Text: a.Thanks, Attachments: []hub.Attachment{}, SenderType: hub.SenderSystem}
	return r, true, outbound.Queue(ctx, tx, ch.ID, &hub.Outbound{TenantID: ch.TenantID, Kind: hub.OutboundReply,
		Message: m, Contact: c})
}

// held is a customer message of the batch waiting to be stored with the
// others (see store).
type held struct {
	ch      *hub.Channel
	conv    *hub.Conversation
	contact *hub.Contact
	isNew   bool
	in      *hub.Inbound
	m       *hub.Message
	result  *Result
}

// ingestOne finds or makes what a message needs (its contact and
// conversation) and holds the message for store; contact events, replays
// and blocked senders end here.
func (s *Inbox) ingestOne(ctx context.Context, tx *store.Tx, k *known, in *hub.Inbound) (Result, *held, error) {
	ch, err := s.channels.Get(ctx, in.ChannelID)
	if err != nil {
		return Result{}, nil, err
	}
	if ch.TenantID != in.TenantID {
		return Result{}, nil, hub.Invalid("channel %s does not belong to tenant %s", in.ChannelID, in.TenantID)
	}
	if in.ExternalID == "" || in.Contact.ExternalID == "" {
		return Result{}, nil, hub.Invalid("message id and contact id are required")
	}
	if in.Event != "" {
		r, err := s.contactEvent(ctx, tx, k, ch, in)
		return r, nil, err
	}
	// A replay is recognised before anything else happens, so that a message
	// whose conversation has since closed cannot open an empty new one.
	if id := k.stored[ch.ID][in.ExternalID]; id != "" {
		return Result{MessageID: id, TenantID: ch.TenantID, Duplicate: true}, nil, nil
	}
	if k.people[ch.ID].Blocked[in.Contact.ExternalID] {
		return Result{TenantID: ch.TenantID, Blocked: true}, nil, nil
	}
	if r, ok, err := s.rating(ctx, tx, k, ch, in); ok || err != nil {
		return r, nil, err
	}
	contact, err := s.contact(ctx, tx, k, ch, in.Contact)
	if err != nil {
		return Result{}, nil, err
	}
	in.Text = s.autos.Mask(ctx, ch, in.Text) // sensitive data never reaches the store
	conv, isNew, err := s.conversation(ctx, tx, k, ch, contact, in.Group, in.Visitor)
	if err != nil {
		return Result{}, nil, err
	}
	atts := in.Attachments
	if atts == nil {
		atts = []hub.Attachment{}
	}
	raw, _ := json.Marshal(atts)
	m := &hub.Message{ID: hub.NewID("ms"), TenantID: ch.TenantID, ConversationID: conv.ID, ChannelID: ch.ID,
		Direction: hub.DirectionIn, SenderType: hub.SenderContact, SenderID: contact.ID, Type: in.Type, Text: in.Text,
		AttachmentsRaw: string(raw), Attachments: atts, ExternalID: &in.ExternalID, Status: hub.MessageReceived,
		CreatedAt: tx.Now()}
	if k.stored[ch.ID] == nil {
		k.stored[ch.ID] = map[string]string{}
	}
	k.stored[ch.ID][in.ExternalID] = m.ID // a second delivery in the same batch is a replay
	r := Result{ConversationID: conv.ID, TenantID: ch.TenantID, Status: conv.Status, New: isNew, MessageID: m.ID}
	return r, &held{ch: ch, conv: conv, contact: contact, isNew: isNew, in: in, m: m}, nil
}

// store inserts the held messages together, then, for each in turn, tells
// the agents and does what follows a customer message: the platform's
// automatic reply, routing and timers, the robot, a left message's ticket.
func (s *Inbox) store(ctx context.Context, tx *store.Tx, hs []held) error {
	if len(hs) == 0 {
		return nil
	}
	ms := make([]*hub.Message, len(hs))
	for i := range hs {
		ms[i] = hs[i].m
	}
	err := conversations.InsertMany(ctx, tx, ms)
	if errors.Is(err, conversations.ErrStoredMeanwhile) && len(hs) == 1 {
		// A concurrent delivery stored it first: give the seq back (the
		// sequence stays gap-free) and report the replay.
		const q = `UPDATE conversations SET last_seq = last_seq - 1 WHERE id = ?`
		if _, err := tx.Exec(ctx, q, hs[0].conv.ID); err != nil {
			return fmt.Errorf("give back seq: %w", err)
		}
		hs[0].result.Duplicate, hs[0].result.MessageID = true, ""
		return nil
	}
	if err != nil {
		return err // the batch is stored again message by message
	}
	var opened []assign.Opened
	for i := range hs {
		if hs[i].isNew {
			opened = append(opened, assign.Opened{Channel: hs[i].ch, Conversation: hs[i].conv, Inbound: hs[i].in})
		}
	}
	if err := s.router.OpenRouting(ctx, tx, opened); err != nil {
		return err
	}
	for i := range hs {
		if err := s.after(ctx, tx, &hs[i]); err != nil {
			return err
		}
	}
	return nil
}

func (s *Inbox) after(ctx context.Context, tx *store.Tx, h *held) error {
	conv, r, in := h.conv, h.result, h.in
	conversations.Emit(tx, conv, hub.EvMessageCreated, conversations.Deref(conv.AssigneeID),
		map[string]any{"message": h.m, "contact": h.contact})
	if in.Reply != "" {
		if _, err := s.convs.Outgoing(ctx, tx, conv, hub.SenderSystem, "", conversations.Text(in.Reply)); err != nil {
			return err
		}
	}
	if err := s.afterInbound(ctx, tx, h.ch, conv, h.isNew, h.m, in); err != nil {
		return err
	}
	if s.robot != nil && !in.LeaveMessage {
		var err error
		if r.Robot, err = s.robot.Engage(ctx, tx, h.ch, conv, h.isNew); err != nil {
			return err
		}
	}
	if in.LeaveMessage && conv.Status == hub.ConvQueued {
		// A left message is a ticket now; nobody routes it.
		if _, err := s.router.ToTicket(ctx, tx, conv, h.ch, "", "left_message", "the customer left a message"); err != nil {
			return err
		}
		r.Status, r.Ticketed = conv.Status, true
	} else if in.LeaveMessage && conv.Status == hub.ConvOffline {
		// Another left message while the ticket holds the conversation (an
		// e-mail answering the ticket's mail): it joins the ticket.
		ref := tickets.Ref{TenantID: conv.TenantID, ChannelID: conv.ChannelID, ContactID: conv.ContactID,
			ConversationID: conv.ID, Subject: hub.Title(h.m.Text)}
		if _, _, err := tickets.OpenOrAppend(ctx, tx, ref, []string{h.m.ID}); err != nil {
			return err
		}
		r.Ticketed = true
	}
	return nil
}

// afterInbound runs once a customer message is stored: a new conversation
// arms the greeting; an
// answered conversation arms "still checking".
func (s *Inbox) afterInbound(ctx context.Context, tx *store.Tx, ch *hub.Channel, conv *hub.Conversation, isNew bool, m *hub.Message, in *hub.Inbound) error {
	if err := s.windows.ArmClose(ctx, tx, ch, conv, m, in.Contact.ExternalID); err != nil {
		return err
	}
	a := s.autos.For(ctx, ch)
	if isNew { // its routing row is in (store)
		if a.Greeting.Enabled && strings.TrimSpace(a.Greeting.Text) != "" {
			return automations.Arm(ctx, tx, conv, automations.TimerGreeting, "", m.CreatedAt.Add(automations.Secs(a.Greeting.AfterSeconds)))
		}
		return nil
	}
	if conv.Status != hub.ConvOpen {
		return nil
	}
	prof, err := identity.ProfileOf(ctx, tx, conversations.Deref(conv.AssigneeID))
	if err != nil {
		return err
	}
	if sc := prof.StillCheckingOr(a.StillChecking); sc.Enabled {
		return automations.Arm(ctx, tx, conv, automations.TimerStillChecking, fmt.Sprint(m.Seq),
			m.CreatedAt.Add(automations.Secs(sc.AfterSeconds)))
	}
	return nil
}

// contactEvent stores a contact event once, applies it to the contact,
// queues the automatic reply it asks for and tells whoever works the
// contact's active conversation (admins otherwise).
func (s *Inbox) contactEvent(ctx context.Context, tx *store.Tx, k *known, ch *hub.Channel, in *hub.Inbound) (Result, error) {
	contact, err := s.contact(ctx, tx, k, ch, in.Contact)
	if err != nil {
		return Result{}, err
	}
	id, dup, err := contacts.RecordEvent(ctx, tx, ch, contact, in)
	if err != nil || dup {
		return Result{Duplicate: dup}, err
	}
	if in.Reply != "" && in.Event != hub.ContactUnsubscribed {
		m := &hub.Message{Type: "text", Text: in.Reply, Attachments: []hub.Attachment{}, SenderType: hub.SenderSystem}
		if err := outbound.Queue(ctx, tx, ch.ID, &hub.Outbound{TenantID: ch.TenantID, Kind: hub.OutboundReply,
			Message: m, Contact: contact}); err != nil {
			return Result{}, err
		}
	}
	to, err := conversations.ActiveAgent(ctx, tx, ch.ID, contact.ID)
	if err != nil {
		return Result{}, err
	}
	tx.Emit(hub.Event{TenantID: ch.TenantID, ChannelID: ch.ID, Type: hub.EvContactUpdated, AgentID: to},
		map[string]any{"contact": contact, "event": in.Event, "detail": in.Text})
	return Result{MessageID: id}, nil
}
