package stream

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/kefu-hub/kefu/hub"
)

// visitorEvent is a visitor.updated event carrying the given visitor
// states ({"id": id, "n": n}).
func visitorEvent(ids []string, n int) hub.Event {
	vs := make([]map[string]any, len(ids))
	for i, id := range ids {
		vs[i] = map[string]any{"id": id, "n": n, "state": "browsing"}
	}
	p, _ := json.Marshal(map[string]any{"visitors": vs})
	return hub.Event{TenantID: "t", Type: hub.EvVisitorUpdated, Payload: p}
}

func closed(s *Sub) bool {
	select {
	case <-s.Done:
		return true
	default:
		return false
	}
}

// A flood of updates to one visitor waits as one entry, in the latest
// state; the old single-visitor shape is read too.
func TestVisitorUpdatesCoalesce(t *testing.T) {
	h := newHub(&fakeSource{})
	s, _, _, _ := h.Subscribe(context.Background(), &hub.Agent{ID: "ag", TenantID: "t", Role: hub.RoleAgent}, -1)
	s.Live()
	for n := range 10000 {
		h.Publish([]hub.Event{visitorEvent([]string{"v1"}, n)})
	}
	old, _ := json.Marshal(map[string]any{"visitor": map[string]any{"id": "v2", "n": 7}})
	h.Publish([]hub.Event{{TenantID: "t", Type: hub.EvVisitorUpdated, Payload: old}})
	h.Publish([]hub.Event{{TenantID: "other", Type: hub.EvVisitorUpdated, Payload: old}})
	select {
	case <-s.Visitors:
	default:
		t.Fatal("waiting visitor updates were not signalled")
	}
	got := s.TakeVisitors(100)
	if len(got) != 2 || closed(s) || len(s.C) != 0 {
		t.Fatalf("took %d visitor states (closed %v, %d on C); want v1 and v2 once", len(got), closed(s), len(s.C))
	}
	var v1, v2 struct {
		ID string `json:"id"`
		N  int    `json:"n"`
	}
	json.Unmarshal(got[0], &v1)
	json.Unmarshal(got[1], &v2)
	if v1.ID != "v1" || v1.N != 9999 || v2.ID != "v2" || v2.N != 7 {
		t.Fatalf("took %s %s; want v1 at its latest (9999), then v2", got[0], got[1])
	}
	if more := s.TakeVisitors(100); len(more) != 0 {
		t.Fatalf("%d more visitor states", len(more))
	}
}

// Visitors coming and going by the thousand neither close an agent's
// subscription nor crowd out its conversations: every stored event waits
// on C, in order, while the visitor lane stays bounded.
func TestVisitorFloodIsolated(t *testing.T) {
	src := &fakeSource{}
	h := newHub(src)
	s, _, _, _ := h.Subscribe(context.Background(), admin, -1) // nobody reads for now
	s.Live()
	for round := range 50 {
		ids := make([]string, 100)
		for i := range ids {
			ids[i] = fmt.Sprintf("v%04d", (round*100+i)%3000) // 3,000 visitors, 5,000 updates
		}
		h.Publish([]hub.Event{visitorEvent(ids, round)})
		h.Publish(src.commit(2, ""))
		typing := hub.Event{TenantID: "t", Type: hub.EvTyping, ConversationID: "cv", Payload: hub.RawJSON(`{}`)}
		for range 20 {
			h.Publish([]hub.Event{typing}) // ephemeral noise on C
		}
	}
	if closed(s) {
		t.Fatal("the visitor flood closed the agent's subscription")
	}
	var stored []int64
	for len(s.C) > 0 {
		if e := <-s.C; e.ID != 0 {
			stored = append(stored, e.ID)
		}
	}
	if len(stored) != 100 {
		t.Fatalf("%d of 100 stored events waiting", len(stored))
	}
	wantSeq(t, stored, 1)
	n := 0
	for vs := s.TakeVisitors(100); len(vs) > 0; vs = s.TakeVisitors(100) {
		n += len(vs)
	}
	if n != MaxPendingVisitors || s.VisitorsLost() == 0 {
		t.Fatalf("%d visitor states waited (%d lost); want the lane bounded at %d", n, s.VisitorsLost(), MaxPendingVisitors)
	}
}

// Typing noise fills at most half of C; a stored event behind it still
// fits, so the subscription is not closed.
func TestEphemeralNoiseLeavesRoom(t *testing.T) {
	src := &fakeSource{}
	h := newHub(src)
	s, _, _, _ := h.Subscribe(context.Background(), admin, -1)
	s.Live()
	typing := hub.Event{TenantID: "t", Type: hub.EvTyping, ConversationID: "cv", Payload: hub.RawJSON(`{}`)}
	for range 5 * SubBuffer {
		h.Publish([]hub.Event{typing})
	}
	h.Publish(src.commit(SubBuffer/2, ""))
	if closed(s) || len(s.C) != SubBuffer {
		t.Fatalf("closed %v with %d on C", closed(s), len(s.C))
	}
}
