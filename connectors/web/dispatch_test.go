package web

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/kefu-hub/kefu/connectors"
	"github.com/kefu-hub/kefu/connectors/custsock"
	"github.com/kefu-hub/kefu/hub"
)

// testConn is a socket whose frames stay queued (as while its welcome is
// written: no writer runs).
func testConn(ch *hub.Channel, visitorID string) *visitorConn {
	v := &visitorConn{ch: ch, visitorID: visitorID, key: contactKey(ch.ID, visitorID)}
	v.out = custsock.New(nil, func(func()) {}, func() {}) // no writer runs until Start
	return v
}

func frames(v *visitorConn) []map[string]any {
	q := v.out.Queued()
	var out []map[string]any
	for _, b := range q {
		var f map[string]any
		json.Unmarshal(b, &f)
		out = append(out, f)
	}
	return out
}

func event(typ hub.EventType, conv string, payload any) hub.Event {
	b, _ := json.Marshal(payload)
	return hub.Event{TenantID: "t1", Type: typ, ConversationID: conv, Payload: b}
}

// The dispatcher sends a customer what concerns their conversations, only
// what a customer may see, and forgets everything when their sockets go.
func TestDispatcherRoutesAndForgets(t *testing.T) {
	d := New(connectors.Deps{}).hub
	ch := &hub.Channel{ID: "ch1", TenantID: "t1", Config: json.RawMessage(`{"rating":true}`)}
	me, other := testConn(ch, "v_me"), testConn(ch, "v_other")
	d.add(me, "")
	d.add(other, "")
	d.Publish([]hub.Event{
		event(hub.EvConversationCreated, "cv1", map[string]any{"conversation": map[string]any{"id": "cv1", "channel_id": "ch1",
			"status": "queued", "contact": map[string]any{"external_id": "v_me"}}}),
		event(hub.EvMessageCreated, "cv1", map[string]any{"message": map[string]any{"id": "m1", "seq": 1, "direction": "in",
			"sender_type": "contact", "text": "hi", "external_id": "w:v_me:c-1"}}),
		event(hub.EvMessageCreated, "cv1", map[string]any{"message": map[string]any{"id": "m2", "seq": 2, "direction": "internal",
			"sender_type": "agent", "text": "VIP note"}}),
		event(hub.EvTyping, "cv1", map[string]any{"by": "contact", "typing": true, "preview": "secret draft"}),
		event(hub.EvConversationClosed, "cv1", map[string]any{"conversation": map[string]any{"id": "cv1"}}),
		event(hub.EvMessageCreated, "cv-unknown", map[string]any{"message": map[string]any{"id": "m9", "direction": "out"}}),
	})
	got := frames(me)
	var types []string
	for _, f := range got {
		types = append(types, f["type"].(string))
	}
	if len(got) != 3 || types[0] != "conversation" || types[1] != "message" || types[2] != "closed" {
		t.Fatalf("frames %v", got)
	}
	if dig := got[1]["message"].(map[string]any); dig["client_id"] != "c-1" || dig["text"] != "hi" {
		t.Fatalf("message frame %v", got[1])
	}
	if got[2]["rate"] != true {
		t.Fatalf("closed frame %v", got[2])
	}
	if f := frames(other); len(f) != 0 {
		t.Fatalf("another visitor got %v", f)
	}
	d.remove(me)
	d.remove(other)
	if len(d.byContact) != 0 || len(d.byConv) != 0 || len(d.convsOf) != 0 || len(d.byVisitor) != 0 || len(d.channels) != 0 {
		t.Fatalf("state left behind: %d %d %d %d %d", len(d.byContact), len(d.byConv), len(d.convsOf), len(d.byVisitor), len(d.channels))
	}
}

// adminNamed names every agent "Admin".
type adminNamed struct{ connectors.Customers }

func (adminNamed) AgentName(context.Context, string, string) (string, error) { return "Admin", nil }

// A transfer to an agent is published twice (conversation.transferred and
// conversation.assigned): the visitor is told who serves them once.
func TestDispatcherAgentFrameOncePerTransfer(t *testing.T) {
	d := New(connectors.Deps{Customers: adminNamed{}}).hub
	ch := &hub.Channel{ID: "ch1", TenantID: "t1"}
	me := testConn(ch, "v_me")
	d.add(me, "")
	conv := map[string]any{"id": "cv1", "channel_id": "ch1", "status": "open", "assignee_id": "ag2",
		"contact": map[string]any{"external_id": "v_me"}}
	d.Publish([]hub.Event{
		event(hub.EvConversationCreated, "cv1", map[string]any{"conversation": conv}),
		event(hub.EvConversationTransferred, "cv1", map[string]any{"conversation": conv, "from_agent_id": "ag1", "to_agent_id": "ag2"}),
		event(hub.EvConversationAssigned, "cv1", map[string]any{"conversation": conv, "from_agent_id": "ag1", "to_agent_id": "ag2"}),
	})
	var agents []map[string]any
	for _, f := range frames(me) {
		if f["type"] == "agent" {
			agents = append(agents, f)
		}
	}
	if len(agents) != 1 || agents[0]["name"] != "Admin" {
		t.Fatalf("agent frames after one transfer: %v, want one naming Admin", agents)
	}
}
