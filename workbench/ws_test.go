package workbench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/stream"
)

// events is the database behind a stream hub: stored events of tenant "t".
type events struct {
	mu  sync.Mutex
	evs []hub.Event
}

func (f *events) commit(n int) []hub.Event {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []hub.Event
	for range n {
		e := hub.Event{TenantID: "t", ID: int64(len(f.evs) + 1), Type: hub.EvMessageCreated, ConversationID: "cv", AgentID: "ag",
			Payload: hub.RawJSON(`{"message":{"text":"hi"}}`)}
		f.evs = append(f.evs, e)
		out = append(out, e)
	}
	return out
}

func (f *events) EventsRange(_ context.Context, _ string, from, to int64) ([]hub.Event, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []hub.Event
	for _, e := range f.evs {
		if e.ID >= from && e.ID <= to {
			out = append(out, e)
		}
	}
	return out, nil
}

func (f *events) EventsAfter(_ context.Context, _ *hub.Agent, after int64, limit int) ([]hub.Event, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []hub.Event
	for _, e := range f.evs {
		if e.ID > after && len(out) < limit {
			out = append(out, e)
		}
	}
	return out, nil
}

func (f *events) LastEventID(context.Context, string) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return int64(len(f.evs)), nil
}

// agentSocket is an agent socket served by wsLoop on a stream hub, with
// small kernel buffers on both ends so a client that does not read holds
// the writer back after some 100 kilobytes.
type agentSocket struct {
	st     *stream.Hub
	db     *events
	client *websocket.Conn
	closed chan struct{} // the writer returned
}

func newAgentSocket(t *testing.T) *agentSocket {
	t.Helper()
	x := &agentSocket{db: &events{}, closed: make(chan struct{})}
	x.st = stream.New(x.db, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	subscribed := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, err := upgrader.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer conn.Close()
		conn.NetConn().(*net.TCPConn).SetWriteBuffer(64 << 10)
		agent := &hub.Agent{ID: "ag", TenantID: "t", Role: hub.RoleAgent}
		sub, _, _, err := x.st.Subscribe(r.Context(), agent, -1)
		if err != nil {
			return
		}
		defer sub.Close()
		sub.Live()
		close(subscribed)
		socketAPI{&Server{}}.wsLoop(context.Background(), conn, sub, nil, func() bool { return true })
		close(x.closed)
	}))
	t.Cleanup(srv.Close)
	d := websocket.Dialer{NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err == nil {
			c.(*net.TCPConn).SetReadBuffer(64 << 10)
		}
		return c, err
	}}
	client, _, err := d.Dial("ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	x.client = client
	<-subscribed
	return x
}

// visitors publishes one visitor.updated event as the visitor store does:
// ids in the given state, each padded to about a kilobyte.
func (x *agentSocket) visitors(ids []string, state string) {
	vs := make([]map[string]any, len(ids))
	for i, id := range ids {
		vs[i] = map[string]any{"id": id, "state": state, "user_agent": strings.Repeat("x", 1000)}
	}
	p, _ := json.Marshal(map[string]any{"visitors": vs})
	x.st.Publish([]hub.Event{{TenantID: "t", Type: hub.EvVisitorUpdated, Payload: p}})
}

type frame struct {
	ID   int64         `json:"id"`
	Type hub.EventType `json:"type"`
	Data struct {
		Visitors []struct {
			ID    string `json:"id"`
			State string `json:"state"`
		} `json:"visitors"`
		Visitor *struct {
			ID string `json:"id"`
		} `json:"visitor"`
	} `json:"data"`
}

func (x *agentSocket) read(t *testing.T) (frame, bool) {
	t.Helper()
	x.client.SetReadDeadline(time.Now().Add(5 * time.Second))
	var f frame
	if err := x.client.ReadJSON(&f); err != nil {
		if ce := (*websocket.CloseError)(nil); errorAs(err, &ce) {
			t.Fatalf("the agent socket was closed: %v", err)
		}
		return f, false
	}
	return f, true
}

func errorAs(err error, ce **websocket.CloseError) bool {
	c, ok := err.(*websocket.CloseError)
	*ce = c
	return ok
}

func ids(n, from int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("v%05d", from+i)
	}
	return out
}

// While a backlog of visitor updates waits for an agent who reads slowly,
// a message event overtakes it: it is written as soon as the frame being
// written is done, not after the visitor backlog.
func TestMessageOvertakesVisitorFlood(t *testing.T) {
	x := newAgentSocket(t)
	for i := range 10 { // 1,000 visitors: ten frames of 100, about a megabyte
		x.visitors(ids(100, 100*i), "browsing")
	}
	time.Sleep(200 * time.Millisecond) // the writer is stuck in the first frames: the client does not read
	x.st.Publish(x.db.commit(1))
	visitorFrames := 0
	for {
		f, ok := x.read(t)
		if !ok {
			t.Fatal("the message event never came")
		}
		if f.Type == hub.EvMessageCreated && f.ID == 1 {
			break
		}
		visitorFrames++
	}
	if visitorFrames > 5 {
		t.Fatalf("the message came after %d of the 10 visitor frames", visitorFrames)
	}
}

// A storm of visitors (30,000 updates of 900 visitors, one visitor
// changing all along) while the agent does not read, then reads: the socket
// stays open, every message event arrives in order, and the visitor frames
// are few and carry each visitor's latest state.
func TestVisitorStormKeepsAgentSocket(t *testing.T) {
	x := newAgentSocket(t)
	for round := range 300 {
		x.visitors(ids(100, (round*100)%900), "browsing")
		x.visitors([]string{"hot"}, fmt.Sprintf("s%03d", round))
		if round%10 == 0 {
			x.st.Publish(x.db.commit(1))
		}
	}
	x.visitors([]string{"hot"}, "last")
	x.st.Publish(x.db.commit(1))
	var stored []int64
	frames, hotFrames, hot := 0, 0, ""
	for len(stored) < 31 || hot != "last" {
		f, ok := x.read(t)
		if !ok {
			t.Fatalf("%d of 31 message events came; the changing visitor last seen %q", len(stored), hot)
		}
		switch f.Type {
		case hub.EvMessageCreated:
			stored = append(stored, f.ID)
		case hub.EvVisitorUpdated:
			frames++
			if len(f.Data.Visitors) > 100 || (len(f.Data.Visitors) == 1) != (f.Data.Visitor != nil) {
				t.Fatalf("a visitor frame of %d visitors (single shape %v)", len(f.Data.Visitors), f.Data.Visitor != nil)
			}
			for _, v := range f.Data.Visitors {
				if v.ID == "hot" {
					hot = v.State
					hotFrames++
				}
			}
		}
	}
	for i, id := range stored {
		if id != int64(i+1) {
			t.Fatalf("message events %v, want 1..31 in order", stored)
		}
	}
	select {
	case <-x.closed:
		t.Fatal("the agent socket's writer stopped")
	default:
	}
	// What the kernel buffers took before the writer blocked, then one
	// frame per 100 waiting visitors.
	if frames > 20 || hotFrames > 5 {
		t.Fatalf("%d visitor frames (%d with the changing visitor) for 601 publications", frames, hotFrames)
	}
}
