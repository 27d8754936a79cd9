package outbound_test

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/outbound"
	"github.com/kefu-hub/kefu/hub/store"
)

// Deliveries queued before payloads were typed hold the API channel's wire
// body; they decode to the same Outbound as the typed form and still send.
func TestLegacyPayload(t *testing.T) {
	each(t, func(t *testing.T, x *fx) {
		ctx := context.Background()
		tid := x.f.Admin.TenantID
		_, m := x.reply(t, x.f.Channel, "u1")
		typed, err := x.delivery(t, m.ID).Decode()
		if err != nil {
			t.Fatal(err)
		}
		ev := &hub.Event{TenantID: tid, ID: 7, Type: hub.EvConversationClosed, ConversationID: "cv_1",
			Payload: hub.RawJSON(`{"conversation":{"id":"cv_1"},"by":"ag_1"}`), CreatedAt: x.clk.Now()}
		var typedEvent *hub.Outbound
		x.K.Write(ctx, func(tx *store.Tx) error {
			typedEvent = &hub.Outbound{TenantID: tid, Kind: hub.OutboundEvent, Event: ev}
			return outbound.Queue(ctx, tx, x.f.Channel.ID, typedEvent)
		})
		if typedEvent, err = x.mustGet(t, typedEvent.ID).Decode(); err != nil {
			t.Fatal(err)
		}
		msg, _ := json.Marshal(map[string]any{"type": "message.created", "data": map[string]any{"message": typed.Message, "contact": typed.Contact}})
		evb, _ := json.Marshal(map[string]any{"type": ev.Type, "event_id": ev.ID, "conversation_id": ev.ConversationID,
			"data": ev.Payload, "created_at": ev.CreatedAt})
		now := x.clk.Now()
		for id, row := range map[string][]any{
			"msg_legacy1": {hub.OutboundMessage, m.ID, "message.created", string(msg)},
			"msg_legacy2": {hub.OutboundEvent, "", string(ev.Type), string(evb)},
		} {
			q := `INSERT INTO deliveries (id, tenant_id, channel_id, kind, message_id, event_type, payload, status, attempts,
				next_attempt_at, last_error, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, '', ?, ?)`
			if _, err := x.K.Exec(ctx, q, id, tid, x.f.Channel.ID, row[0], row[1], row[2], row[3], now, now, now); err != nil {
				t.Fatal(err)
			}
		}
		for _, c := range []struct {
			id   string
			want *hub.Outbound
		}{{"msg_legacy1", typed}, {"msg_legacy2", typedEvent}} {
			got, err := x.mustGet(t, c.id).Decode()
			if err != nil {
				t.Fatal(err)
			}
			want := *c.want
			want.ID = c.id
			if !reflect.DeepEqual(got, &want) {
				g, _ := json.Marshal(got)
				w, _ := json.Marshal(want)
				t.Errorf("legacy %s decodes to\n%s\nwant\n%s", c.id, g, w)
			}
		}
		var s sender
		if err := x.out.Deliver(ctx, "msg_legacy1", &s); err != nil || s.sent() != 1 || s.outs[0].Message.ID != m.ID {
			t.Fatalf("legacy delivery: %v, sent %d", err, s.sent())
		}
		if st, _ := x.messageStatus(t, m.ID); st != hub.MessageSent {
			t.Fatalf("message %s after its legacy delivery", st)
		}
	})
}

func (x *fx) mustGet(t *testing.T, id string) *outbound.Delivery {
	t.Helper()
	d, _, err := x.out.Get(context.Background(), x.f.Admin.TenantID, id)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
