package outbound_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/conversations"
	"github.com/kefu-hub/kefu/hub/outbound"
	"github.com/kefu-hub/kefu/hub/store"
)

// types lists the event types queued for a channel's callback or a
// subscription, sorted.
func types(ds []outbound.Delivery) string {
	var ts []string
	for _, d := range ds {
		ts = append(ts, d.EventType)
	}
	sort.Strings(ts)
	return fmt.Sprint(ts)
}

// assign stores a customer message and an internal note, then assigns the
// conversation to the admin (conversation.assigned carries both).
func (x *fx) assign(t *testing.T, ch *hub.Channel, contact string) string {
	t.Helper()
	ctx := context.Background()
	in := x.f.Msg(hub.NewID("m"), contact)
	in.ChannelID = ch.ID
	r := x.Inbox.Ingest(ctx, []hub.Inbound{in})[0]
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	if _, err := x.Conversations.AddNote(ctx, x.f.Admin, r.ConversationID, "内部备注"); err != nil {
		t.Fatal(err)
	}
	if err := x.K.Write(ctx, func(tx *store.Tx) error {
		c, err := x.Conversations.LockByID(ctx, tx, r.ConversationID)
		if err == nil {
			err = conversations.Take(ctx, tx, c, x.f.Admin.ID, nil)
		}
		if err == nil {
			err = x.Conversations.EmitAssigned(ctx, tx, conversations.Assigned{Conversation: c})
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return r.ConversationID
}

// eventMessages decodes the messages a conversation.assigned carries.
func eventMessages(t *testing.T, e *hub.Event) []hub.Message {
	t.Helper()
	var p struct {
		Messages []hub.Message `json:"messages"`
	}
	if err := json.Unmarshal(e.Payload, &p); err != nil {
		t.Fatal(err)
	}
	return p.Messages
}

// A channel that wants events gets the conversation events its callback
// takes, never an internal note; other channels get none.
func TestHookCallback(t *testing.T) {
	each(t, func(t *testing.T, x *fx) {
		ctx := context.Background()
		cb := &hub.Channel{TenantID: x.f.Admin.TenantID, Type: "api", Name: "callback", WantsEvents: true}
		if err := x.Channels.Create(ctx, cb); err != nil {
			t.Fatal(err)
		}
		x.assign(t, cb, "u1")
		x.assign(t, x.f.Channel, "u2")
		ds, _ := x.out.List(ctx, x.f.Admin.TenantID, cb.ID, 100)
		if types(ds) != "[conversation.assigned]" {
			t.Fatalf("callback deliveries %s, want only conversation.assigned", types(ds))
		}
		out, err := ds[0].Decode()
		if err != nil {
			t.Fatal(err)
		}
		msgs := eventMessages(t, out.Event)
		if out.Kind != hub.OutboundEvent || out.Staff || len(msgs) != 1 || msgs[0].Direction != hub.DirectionIn {
			t.Fatalf("callback event carries %+v; want the customer's message only", msgs)
		}
		if ds, _ := x.out.List(ctx, x.f.Admin.TenantID, x.f.Channel.ID, 100); len(ds) != 0 {
			t.Fatalf("a channel without a callback got %s", types(ds))
		}
	})
}

// Subscriptions get the event types they asked for, notes included (they
// are the tenant's own systems), signed with their own secret; a paused or
// deleted subscription sends nothing more.
func TestHookSubscriptions(t *testing.T) {
	each(t, func(t *testing.T, x *fx) {
		ctx := context.Background()
		tid := x.f.Admin.TenantID
		evs := func(ts ...hub.EventType) *[]hub.EventType { return &ts }
		url := func(u string) *string { return &u }
		for name, p := range map[string]outbound.SubscriptionPatch{
			"no url":           {Events: evs(hub.EvMessageCreated)},
			"no events":        {URL: url("https://crm.test/hook"), Events: evs()},
			"agent chatter":    {URL: url("https://crm.test/hook"), Events: evs(hub.EvAgentStatus)},
			"unknown type":     {URL: url("https://crm.test/hook"), Events: evs("message.deleted")},
			"long description": {URL: url("https://crm.test/hook"), Events: evs(hub.EvMessageCreated), Description: url(strings.Repeat("d", 501))},
		} {
			if _, err := x.out.CreateSubscription(ctx, tid, p, "whsec_1"); !isInvalid(err) {
				t.Errorf("%s: %v, want an InvalidError", name, err)
			}
		}
		sub, err := x.out.CreateSubscription(ctx, tid, outbound.SubscriptionPatch{URL: url("https://crm.test/hook"),
			Events: evs(hub.EvConversationAssigned, hub.EvMessageCreated, hub.EvMessageCreated)}, "whsec_1")
		if err != nil {
			t.Fatal(err)
		}
		paused, _ := x.out.CreateSubscription(ctx, tid, outbound.SubscriptionPatch{URL: url("https://crm.test/other"),
			Events: evs(hub.EvConversationAssigned)}, "whsec_2")
		x.out.UpdateSubscription(ctx, tid, paused.ID, outbound.SubscriptionPatch{Active: new(bool)}, "")
		x.assign(t, x.f.Channel, "u1")

		ds, _ := x.out.SubscriptionDeliveries(ctx, tid, sub.ID, 100)
		if types(ds) != "[conversation.assigned message.created message.created]" {
			t.Fatalf("subscription deliveries %s", types(ds))
		}
		if ds, _ := x.out.SubscriptionDeliveries(ctx, tid, paused.ID, 100); len(ds) != 0 {
			t.Fatalf("a paused subscription got %s", types(ds))
		}
		var assigned, pending string
		for _, d := range ds {
			if d.EventType == string(hub.EvConversationAssigned) {
				assigned = d.ID
			} else {
				pending = d.ID
			}
		}
		var s sender
		if err := x.out.Deliver(ctx, assigned, &s); err != nil || s.sent() != 1 {
			t.Fatalf("deliver: %v, sent %d", err, s.sent())
		}
		var cfg map[string]string
		json.Unmarshal(s.chs[0].Config, &cfg)
		if got := s.outs[0]; !got.Staff || len(eventMessages(t, got.Event)) != 2 || cfg["callback_url"] != "https://crm.test/hook" ||
			s.chs[0].Secret != "whsec_1" || s.chs[0].Type != outbound.SubscriptionSender {
			t.Fatalf("sent %+v to %+v; want the staff event with the note, to the subscription's URL and secret", got, s.chs[0])
		}
		x.out.UpdateSubscription(ctx, tid, sub.ID, outbound.SubscriptionPatch{Active: new(bool)}, "")
		x.out.Deliver(ctx, pending, &s)
		if d, _, _ := x.out.Get(ctx, tid, pending); d.Status != outbound.Failed || s.sent() != 1 {
			t.Fatalf("delivery of a paused subscription: %s, sent %d; want failed, nothing sent", d.Status, s.sent())
		}
		if err := x.out.DeleteSubscription(ctx, tid, sub.ID); err != nil {
			t.Fatal(err)
		}
		for _, d := range ds {
			if d, _, _ := x.out.Get(ctx, tid, d.ID); d.Status == outbound.Pending {
				t.Fatalf("delivery %s still pending after its subscription was deleted", d.ID)
			}
		}
		if ds, _ := x.out.List(ctx, tid, x.f.Channel.ID, 100); len(ds) != 0 {
			t.Fatalf("the channel's log shows %s; subscription deliveries are not the channel's", types(ds))
		}
	})
}

// A ticket's SLA warning, emitted once per member of its audience (the
// assignee and each follower), reaches a subscription once per clock and
// level; a warning then a breach are two deliveries.
func TestHookTicketSLAOnce(t *testing.T) {
	each(t, func(t *testing.T, x *fx) {
		ctx := context.Background()
		tid := x.f.Admin.TenantID
		u := "https://crm.test/sla"
		sub, err := x.out.CreateSubscription(ctx, tid, outbound.SubscriptionPatch{URL: &u,
			Events: &[]hub.EventType{hub.EvTicketSLA}}, "whsec_1")
		if err != nil {
			t.Fatal(err)
		}
		raise := func(level string, audience ...string) {
			t.Helper()
			if err := x.K.Write(ctx, func(tx *store.Tx) error {
				for _, a := range audience {
					tx.Emit(hub.Event{TenantID: tid, Type: hub.EvTicketSLA, AgentID: a},
						map[string]any{"ticket_id": "tk_1", "subject": "发票", "clock": "resolution", "level": level})
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
		}
		raise("warning", "ag_assignee", "ag_follower1", "ag_follower2")
		raise("breached", "ag_assignee", "ag_follower1")
		ds, _ := x.out.SubscriptionDeliveries(ctx, tid, sub.ID, 100)
		if types(ds) != "[ticket.sla ticket.sla]" {
			t.Fatalf("subscription deliveries %s, want one per raise", types(ds))
		}
	})
}
