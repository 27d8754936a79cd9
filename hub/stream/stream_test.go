package stream

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/hub"
)

// fakeSource is the database: every committed event of tenant "t".
type fakeSource struct {
	mu  sync.Mutex
	evs []hub.Event // evs[i].ID == i+1
}

func (f *fakeSource) commit(n int, agent string) []hub.Event {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []hub.Event
	for i := 0; i < n; i++ {
		e := hub.Event{TenantID: "t", ID: int64(len(f.evs) + 1), Type: "message.created", AgentID: agent}
		f.evs = append(f.evs, e)
		out = append(out, e)
	}
	return out
}

func (f *fakeSource) EventsRange(_ context.Context, _ string, from, to int64) ([]hub.Event, error) {
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

func (f *fakeSource) EventsAfter(_ context.Context, a *hub.Agent, after int64, limit int) ([]hub.Event, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []hub.Event
	for _, e := range f.evs {
		if e.ID > after && e.VisibleTo(a) && len(out) < limit {
			out = append(out, e)
		}
	}
	return out, nil
}

func (f *fakeSource) LastEventID(context.Context, string) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return int64(len(f.evs)), nil
}

var admin = &hub.Agent{ID: "a", TenantID: "t", Role: hub.RoleAdmin}

func newHub(src Source) *Hub { return New(src, slog.New(slog.NewTextHandler(io.Discard, nil)), nil) }

func drain(t *testing.T, s *Sub, n int) []int64 {
	t.Helper()
	var ids []int64
	for len(ids) < n {
		select {
		case e := <-s.C:
			ids = append(ids, e.ID)
		case <-time.After(3 * time.Second):
			t.Fatalf("got %v, want %d events", ids, n)
		}
	}
	return ids
}

func wantSeq(t *testing.T, ids []int64, from int64) {
	t.Helper()
	for i, id := range ids {
		if id != from+int64(i) {
			t.Fatalf("ids %v: want consecutive from %d", ids, from)
		}
	}
}

// Out-of-order and repeated notifications come out once, in order.
func TestReorderAndDedup(t *testing.T) {
	src := &fakeSource{}
	h := newHub(src)
	s, replay, _, err := h.Subscribe(context.Background(), admin, -1)
	if err != nil || len(replay) != 0 {
		t.Fatal(err, replay)
	}
	s.Live()
	evs := src.commit(5, "")
	h.Publish([]hub.Event{evs[2], evs[4]})
	h.Publish([]hub.Event{evs[0], evs[0], evs[1]})
	h.Publish([]hub.Event{evs[3], evs[2]})
	wantSeq(t, drain(t, s, 5), 1)
	select {
	case e := <-s.C:
		t.Fatalf("duplicate event %d", e.ID)
	default:
	}
}

// A lost notification is filled from the database after GapWait.
func TestGapFilledFromDatabase(t *testing.T) {
	src := &fakeSource{}
	h := newHub(src)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go h.Run(ctx)
	s, _, _, _ := h.Subscribe(ctx, admin, -1)
	s.Live()
	evs := src.commit(4, "")
	h.Publish([]hub.Event{evs[0], evs[3]}) // 2 and 3 never arrive by broadcast
	wantSeq(t, drain(t, s, 4), 1)
}

// Resume: replay from the database plus what arrives meanwhile, no gap, no
// duplicate, and only what the agent may see.
func TestResumeReplayThenLive(t *testing.T) {
	src := &fakeSource{}
	h := newHub(src)
	agent := &hub.Agent{ID: "ag1", TenantID: "t", Role: hub.RoleAgent}
	src.commit(3, "ag1")
	src.commit(2, "other")
	src.commit(3, "ag1") // ids 6..8
	// another socket keeps the tenant stream alive and current
	keep, _, _, _ := h.Subscribe(context.Background(), admin, -1)
	keep.Live()
	s, replay, upto, err := h.Subscribe(context.Background(), agent, 1)
	if err != nil {
		t.Fatal(err)
	}
	if upto != 8 {
		t.Fatalf("watermark %d, want 8", upto)
	}
	var got []int64
	for _, e := range replay {
		got = append(got, e.ID)
	}
	live := src.commit(2, "ag1") // 9, 10 arrive during the replay
	h.Publish(live)
	for _, e := range s.Live() {
		got = append(got, e.ID)
	}
	want := []int64{2, 3, 6, 7, 8, 9, 10}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
}

// A socket that stops reading is dropped (it resumes), others carry on.
func TestSlowSubscriberDropped(t *testing.T) {
	src := &fakeSource{}
	h := newHub(src)
	slow, _, _, _ := h.Subscribe(context.Background(), admin, -1)
	slow.Live()
	fast, _, _, _ := h.Subscribe(context.Background(), admin, -1)
	fast.Live()
	var got []int64
	for i := 0; i < 6; i++ { // 600 events in chunks the fast reader keeps up with
		h.Publish(src.commit(100, ""))
		got = append(got, drain(t, fast, 100)...)
	}
	select {
	case <-slow.Done:
	case <-time.After(3 * time.Second):
		t.Fatal("slow subscriber was not dropped")
	}
	wantSeq(t, got, 1)
}

// The last events' broadcast is lost: nothing later reveals the gap, yet
// the stream reads them from the database.
func TestLostTailFilled(t *testing.T) {
	src := &fakeSource{}
	h := newHub(src)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go h.Run(ctx)
	s, _, _, _ := h.Subscribe(ctx, admin, -1)
	s.Live()
	src.commit(3, "") // never broadcast
	wantSeq(t, drain(t, s, 3), 1)
}
