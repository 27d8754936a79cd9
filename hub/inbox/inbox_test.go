package inbox_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/contacts"
	"github.com/kefu-hub/kefu/hub/conversations"
	"github.com/kefu-hub/kefu/hub/hubtest"
	"github.com/kefu-hub/kefu/hub/inbox"
	"github.com/kefu-hub/kefu/hub/store"
)

// Concurrent batches with repeated ids store each message once, one
// conversation per contact, with gap-free seqs.
func TestIngestDedupAndSeq(t *testing.T) {
	hubtest.Each(t, func(t *testing.T, h *hubtest.Hub) {
		f := h.NewTenant(t)
		ctx := context.Background()
		var wg sync.WaitGroup
		for w := 0; w < 8; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var batch []hub.Inbound
				for i := 0; i < 40; i++ { // every worker sends the same 40 ids
					batch = append(batch, f.Msg(fmt.Sprintf("m%d", i), fmt.Sprintf("c%d", i%4)))
				}
				for _, r := range h.Inbox.Ingest(ctx, batch) {
					if r.Err != nil {
						t.Error(r.Err)
					}
				}
			}()
		}
		wg.Wait()
		convs, err := h.Conversations.List(ctx, f.Admin, conversations.Filter{Status: hub.ConvQueued})
		if err != nil || len(convs) != 4 {
			t.Fatalf("%d conversations (%v), want one per contact = 4", len(convs), err)
		}
		total := 0
		for _, c := range convs {
			ms, err := h.Conversations.Messages(ctx, f.Admin, c.ID, 0, 500)
			if err != nil {
				t.Fatal(err)
			}
			for i, m := range ms {
				if m.Seq != int64(i+1) {
					t.Fatalf("conversation %s: seq %d at position %d", c.ID, m.Seq, i)
				}
			}
			total += len(ms)
		}
		if total != 40 {
			t.Fatalf("%d messages stored, want 40", total)
		}
	})
}

// Event ids are gap-free per tenant and replayable in order.
func TestEventIDsGapFree(t *testing.T) {
	hubtest.Each(t, func(t *testing.T, h *hubtest.Hub) {
		f := h.NewTenant(t)
		ctx := context.Background()
		var wg sync.WaitGroup
		for w := 0; w < 4; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				for i := 0; i < 10; i++ {
					h.Inbox.Ingest(ctx, []hub.Inbound{f.Msg(fmt.Sprintf("w%d-%d", w, i), fmt.Sprintf("c%d", w))})
				}
			}(w)
		}
		wg.Wait()
		evs, err := h.K.EventsAfter(ctx, f.Admin, 0, 1000)
		if err != nil {
			t.Fatal(err)
		}
		for i, e := range evs {
			if e.ID != int64(i+1) {
				t.Fatalf("event %d has id %d: ids must be gap-free", i, e.ID)
			}
		}
		last, _ := h.K.LastEventID(ctx, f.Admin.TenantID)
		if last != int64(len(evs)) || len(evs) != 44 { // 40 messages + 4 conversations
			t.Fatalf("last id %d, %d events, want 44", last, len(evs))
		}
	})
}

func BenchmarkIngest(b *testing.B) {
	for _, size := range []int{1, 64, 256} {
		b.Run(fmt.Sprintf("sqlite/batch=%d", size), func(b *testing.B) {
			h := hubtest.Open(b, "sqlite")
			f := h.NewTenant(b)
			ctx := context.Background()
			b.ResetTimer()
			for i := 0; i < b.N; i += size {
				batch := make([]hub.Inbound, 0, size)
				for k := 0; k < size; k++ {
					batch = append(batch, f.Msg(fmt.Sprintf("m%d-%d", i, k), fmt.Sprintf("c%d", k%200)))
				}
				h.Inbox.Ingest(ctx, batch)
			}
		})
	}
}

// A message replayed after its conversation closed is recognised as a
// duplicate and opens no new (empty) conversation.
func TestReplayAfterCloseOpensNothing(t *testing.T) {
	hubtest.Each(t, func(t *testing.T, h *hubtest.Hub) {
		f := h.NewTenant(t)
		ctx := context.Background()
		r := h.Inbox.Ingest(ctx, []hub.Inbound{f.Msg("once", "c1")})[0]
		if r.Err != nil {
			t.Fatal(r.Err)
		}
		if _, err := h.Assign.Handoffs.Close(ctx, f.Admin, r.ConversationID, conversations.Closing{Reason: "done"}); err != nil {
			t.Fatal(err)
		}
		again := h.Inbox.Ingest(ctx, []hub.Inbound{f.Msg("once", "c1")})[0]
		if again.Err != nil || !again.Duplicate || again.MessageID != r.MessageID {
			t.Fatalf("replay: %+v, want the first message as a duplicate", again)
		}
		open, err := h.Conversations.List(ctx, f.Admin, conversations.Filter{})
		if err != nil || len(open) != 0 {
			t.Fatalf("%d active conversations after the replay (%v), want none", len(open), err)
		}
	})
}

// One batch mixing what the batch's up-front reads decide: a repeat of a
// message stored earlier, a repeat within the batch, a blacklisted sender,
// a new customer, and a second message on a conversation the batch opened.
func TestBatchKnowsWhatItStored(t *testing.T) {
	hubtest.Each(t, func(t *testing.T, h *hubtest.Hub) {
		f := h.NewTenant(t)
		ctx := context.Background()
		first := h.Inbox.Ingest(ctx, []hub.Inbound{f.Msg("old", "known"), f.Msg("x", "spammer")})
		spammer, err := h.Contacts.Find(ctx, f.Channel.ID, "spammer")
		if err != nil {
			t.Fatal(err)
		}
		if err := h.K.Write(ctx, func(tx *store.Tx) error {
			_, err := contacts.Block(ctx, tx, f.Admin.TenantID, f.Channel.ID, spammer.ID, "spam", f.Admin.ID)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		rs := h.Inbox.Ingest(ctx, []hub.Inbound{f.Msg("old", "known"), f.Msg("n1", "new"), f.Msg("n1", "new"),
			f.Msg("s1", "spammer"), f.Msg("n2", "new"), f.Msg("k2", "known")})
		want := []struct{ dup, blocked bool }{{true, false}, {false, false}, {true, false}, {false, true}, {false, false}, {false, false}}
		for i, w := range want {
			if r := rs[i]; r.Err != nil || r.Duplicate != w.dup || r.Blocked != w.blocked {
				t.Fatalf("message %d: %+v, want duplicate %v blocked %v", i, r, w.dup, w.blocked)
			}
		}
		if rs[1].ConversationID != rs[4].ConversationID || !rs[1].New || rs[4].New {
			t.Fatalf("the new customer's two messages: %+v and %+v, want one new conversation", rs[1], rs[4])
		}
		if rs[5].ConversationID != first[0].ConversationID {
			t.Fatal("the known customer's message went to another conversation")
		}
		ms, err := h.Conversations.Messages(ctx, f.Admin, rs[4].ConversationID, 0, 10)
		if err != nil || len(ms) != 2 || ms[0].Seq != 1 || ms[1].Seq != 2 {
			t.Fatalf("the new conversation holds %+v (%v), want n1 and n2 as seq 1 and 2", ms, err)
		}
	})
}

// A batch stores each conversation's messages in the batch's order, and a
// platform's automatic reply right after the message it answers — though
// plain messages are inserted together.
func TestBatchKeepsOrder(t *testing.T) {
	hubtest.Each(t, func(t *testing.T, h *hubtest.Hub) {
		f := h.NewTenant(t)
		ctx := context.Background()
		withReply := f.Msg("a2", "c1")
		withReply.Reply = "auto"
		batch := []hub.Inbound{f.Msg("a1", "c1"), f.Msg("b1", "c2"), withReply, f.Msg("a3", "c1"), f.Msg("b2", "c2"),
			f.Msg("a4", "c1")}
		for _, r := range h.Inbox.Ingest(ctx, batch) {
			if r.Err != nil || r.Duplicate {
				t.Fatalf("%+v", r)
			}
		}
		convs, err := h.Conversations.List(ctx, f.Admin, conversations.Filter{Status: hub.ConvQueued})
		if err != nil || len(convs) != 2 {
			t.Fatalf("%d conversations (%v), want 2", len(convs), err)
		}
		got := map[int]string{}
		for _, c := range convs {
			ms, err := h.Conversations.Messages(ctx, f.Admin, c.ID, 0, 50)
			if err != nil {
				t.Fatal(err)
			}
			var texts string
			for i, m := range ms {
				if m.Seq != int64(i+1) {
					t.Fatalf("seq %d at position %d", m.Seq, i)
				}
				texts += m.Text + "|"
			}
			got[len(ms)] = texts
		}
		if got[5] != "hello a1|hello a2|auto|hello a3|hello a4|" || got[2] != "hello b1|hello b2|" {
			t.Fatalf("stored in this order: %v", got)
		}
	})
}

// A batch does not wait for a conversation another transaction holds (a
// routing pass assigning it): on PostgreSQL that customer's message comes
// back Busy with nothing stored, the rest of the batch is stored at once,
// and once the holder commits the message is stored in its place (the
// next seq). SQLite has one writer: nothing is ever busy.
func TestIngestLeavesBusyConversations(t *testing.T) {
	hubtest.Each(t, func(t *testing.T, h *hubtest.Hub) {
		f := h.NewTenant(t)
		ctx := context.Background()
		first := h.Inbox.Ingest(ctx, []hub.Inbound{f.Msg("a1", "alice")})[0]
		if first.Err != nil {
			t.Fatal(first.Err)
		}
		if !h.K.Postgres {
			rs := h.Inbox.Ingest(ctx, []hub.Inbound{f.Msg("a2", "alice"), f.Msg("b1", "bob")})
			if rs[0].Busy || rs[1].Busy || rs[0].Err != nil || rs[1].Err != nil {
				t.Fatalf("SQLite results %+v", rs)
			}
			return
		}
		// Another transaction holds alice's conversation.
		holder, err := h.K.W.BeginTxx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer holder.Rollback()
		if _, err := holder.ExecContext(ctx, `SELECT id FROM conversations WHERE id = $1 FOR UPDATE`, first.ConversationID); err != nil {
			t.Fatal(err)
		}
		done := make(chan []inbox.Result, 1)
		go func() { done <- h.Inbox.Ingest(ctx, []hub.Inbound{f.Msg("a2", "alice"), f.Msg("b1", "bob")}) }()
		var rs []inbox.Result
		select {
		case rs = <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("the batch waited for the held conversation")
		}
		if !rs[0].Busy || rs[0].MessageID != "" || rs[0].Routable() {
			t.Fatalf("alice's message: %+v, want Busy and nothing stored", rs[0])
		}
		if rs[1].Busy || rs[1].Err != nil || rs[1].MessageID == "" {
			t.Fatalf("bob's message: %+v, want stored", rs[1])
		}
		if n := count(t, h, first.ConversationID); n != 1 {
			t.Fatalf("alice's conversation has %d messages while held, want 1", n)
		}
		if err := holder.Commit(); err != nil {
			t.Fatal(err)
		}
		again := h.Inbox.Ingest(ctx, []hub.Inbound{f.Msg("a2", "alice")})[0]
		if again.Busy || again.Err != nil || again.ConversationID != first.ConversationID {
			t.Fatalf("alice's message again: %+v", again)
		}
		ms, err := h.Conversations.Messages(ctx, f.Admin, first.ConversationID, 0, 10)
		if err != nil || len(ms) != 2 || ms[1].Seq != 2 || ms[1].ID != again.MessageID {
			t.Fatalf("alice's conversation after the holder committed: %+v %v", ms, err)
		}
	})
}

func count(t *testing.T, h *hubtest.Hub, convID string) int {
	t.Helper()
	var n int
	if err := h.K.Get(context.Background(), &n, `SELECT COUNT(*) FROM messages WHERE conversation_id = ?`, convID); err != nil {
		t.Fatal(err)
	}
	return n
}
