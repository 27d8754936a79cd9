package contacts_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/contacts"
	"github.com/kefu-hub/kefu/hub/hubtest"
	"github.com/kefu-hub/kefu/hub/store"
	"github.com/kefu-hub/kefu/hub/store/storetest"
)

// clock is the kernel's clock, moved by hand.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

// each runs f on fresh stores of every dialect with a hand-moved clock.
func each(t *testing.T, f func(t *testing.T, h *hubtest.Hub, clk *clock)) {
	t.Helper()
	for _, name := range storetest.Names() {
		t.Run(name, func(t *testing.T) {
			clk := &clock{now: time.Now().UTC().Truncate(time.Second)}
			f(t, hubtest.Build(storetest.Open(t, name, store.Options{Now: clk.Now}).Store), clk)
		})
	}
}

func ptr[T any](v T) *T { return &v }

func isInvalid(err error) bool {
	var ie *hub.InvalidError
	return errors.As(err, &ie)
}

// upsert runs Upsert in its own transaction.
func upsert(t *testing.T, h *hubtest.Hub, ch *hub.Channel, info hub.ContactInfo) *hub.Contact {
	t.Helper()
	var c *hub.Contact
	err := h.K.Write(context.Background(), func(tx *store.Tx) error {
		var err error
		c, err = h.Contacts.Upsert(context.Background(), tx, ch, info)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// A channel identity is one contact; what the channel tells of it later
// replaces what changed, and an empty field never erases what is known.
func TestUpsert(t *testing.T) {
	each(t, func(t *testing.T, h *hubtest.Hub, clk *clock) {
		ctx := context.Background()
		f := h.NewTenant(t)
		first := upsert(t, h, f.Channel, hub.ContactInfo{ExternalID: "u1", Name: "张三", Email: "z@x.test"})
		for _, st := range []struct {
			name              string
			info              hub.ContactInfo
			wantName, wantEml string
			wantPhone         string
			touched           bool
		}{
			{"same again", hub.ContactInfo{ExternalID: "u1", Name: "张三", Email: "z@x.test"}, "张三", "z@x.test", "", false},
			{"nothing told", hub.ContactInfo{ExternalID: "u1"}, "张三", "z@x.test", "", false},
			{"new name and phone", hub.ContactInfo{ExternalID: "u1", Name: "张三丰", Phone: "138"}, "张三丰", "z@x.test", "138", true},
			{"new email", hub.ContactInfo{ExternalID: "u1", Email: "s@x.test"}, "张三丰", "s@x.test", "138", true},
		} {
			clk.Add(time.Minute)
			before, _ := contacts.Get(ctx, h.K, first.ID)
			c := upsert(t, h, f.Channel, st.info)
			got, err := contacts.Get(ctx, h.K, first.ID)
			if err != nil || c.ID != first.ID || got.Name != st.wantName || got.Email != st.wantEml || got.Phone != st.wantPhone {
				t.Fatalf("%s: %+v (%v), want %s/%s/%s on contact %s", st.name, got, err, st.wantName, st.wantEml, st.wantPhone, first.ID)
			}
			if touched := !got.UpdatedAt.Equal(before.UpdatedAt); touched != st.touched {
				t.Fatalf("%s: updated_at moved %v, want %v", st.name, touched, st.touched)
			}
		}
		if c := upsert(t, h, f.Channel, hub.ContactInfo{ExternalID: "u2"}); c.ID == first.ID {
			t.Fatal("another identity got the same contact")
		}
		found, err := h.Contacts.FindAll(ctx, f.Channel.ID, []string{"u1", "u2", "u3"})
		if err != nil || len(found) != 2 || found["u1"].ID != first.ID || found["u3"] != nil {
			t.Fatalf("FindAll: %v, %v", found, err)
		}
		if c, err := h.Contacts.Find(ctx, f.Channel.ID, "u3"); c != nil || err != nil {
			t.Fatalf("Find of an unknown identity: %+v, %v", c, err)
		}
	})
}

// The card round-trips, handles live in contact_handles (cleared ones are
// removed), and bad input is refused before anything is stored.
func TestCard(t *testing.T) {
	each(t, func(t *testing.T, h *hubtest.Hub, _ *clock) {
		ctx := context.Background()
		f, other := h.NewTenant(t), h.NewTenant(t)
		c := upsert(t, h, f.Channel, hub.ContactInfo{ExternalID: "u1", Name: "C"})
		update := func(p contacts.Patch) (*contacts.Card, error) {
			var out *contacts.Card
			err := h.K.Write(ctx, func(tx *store.Tx) error {
				var err error
				out, err = contacts.UpdateCard(ctx, tx, f.Admin.TenantID, c.ID, p)
				return err
			})
			return out, err
		}
		handles := func() string {
			var hs []string
			h.K.Select(ctx, &hs, `SELECT platform || '=' || handle FROM contact_handles WHERE contact_id = ? ORDER BY platform`, c.ID)
			return strings.Join(hs, ",")
		}
		_, err := update(contacts.Patch{Name: ptr(" 李四 "), Company: ptr("某公司"), QQ: ptr("10001"), WeChat: ptr("lisi_wx"),
			Notes: ptr("VIP"), Custom: &map[string]string{" 等级 ": "金"}, Tags: &[]string{" 老客户 ", "", "老客户", "投诉"}})
		if err != nil {
			t.Fatal(err)
		}
		got, err := h.Contacts.Card(ctx, f.Admin.TenantID, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Name != "李四" || got.Company != "某公司" || got.QQ != "10001" || got.WeChat != "lisi_wx" || got.Notes != "VIP" ||
			got.Custom["等级"] != "金" || fmt.Sprint(got.Tags) != "[老客户 投诉]" {
			t.Fatalf("card read back: %+v", got)
		}
		if hs := handles(); hs != "qq=10001,wechat=lisi_wx" {
			t.Fatalf("handles stored %q", hs)
		}
		if _, err := update(contacts.Patch{QQ: ptr(""), Notes: ptr("")}); err != nil {
			t.Fatal(err)
		}
		got, _ = h.Contacts.Card(ctx, f.Admin.TenantID, c.ID)
		if got.QQ != "" || got.WeChat != "lisi_wx" || got.Notes != "" || got.Company != "某公司" {
			t.Fatalf("after clearing the QQ handle: %+v", got)
		}
		if hs := handles(); hs != "wechat=lisi_wx" {
			t.Fatalf("handles after clearing QQ: %q, want only wechat", hs)
		}
		tooMany := make([]string, 51)
		for i := range tooMany {
			tooMany[i] = fmt.Sprint(i)
		}
		for name, p := range map[string]contacts.Patch{
			"long name":       {Name: ptr(strings.Repeat("名", 101))},
			"long qq":         {QQ: ptr(strings.Repeat("1", 21))},
			"too many tags":   {Tags: &tooMany},
			"long tag":        {Tags: &[]string{strings.Repeat("t", 31)}},
			"empty field key": {Custom: &map[string]string{" ": "x"}},
		} {
			if _, err := update(p); !isInvalid(err) {
				t.Errorf("%s: %v, want an InvalidError", name, err)
			}
		}
		if got, _ := h.Contacts.Card(ctx, f.Admin.TenantID, c.ID); got.Name != "李四" || len(got.Tags) != 2 {
			t.Fatalf("a refused patch changed the card: %+v", got)
		}
		if _, err := h.Contacts.Card(ctx, other.Admin.TenantID, c.ID); !errors.Is(err, hub.ErrNotFound) {
			t.Fatalf("another tenant reads the card: %v", err)
		}
	})
}

// A contact event is recorded once; following sets where the customer came
// from, unfollowing when, and following again clears it.
func TestRecordEvent(t *testing.T) {
	each(t, func(t *testing.T, h *hubtest.Hub, clk *clock) {
		ctx := context.Background()
		f := h.NewTenant(t)
		c := upsert(t, h, f.Channel, hub.ContactInfo{ExternalID: "openid1"})
		record := func(ext string, ev hub.ContactEvent, text string) bool {
			var dup bool
			err := h.K.Write(ctx, func(tx *store.Tx) error {
				in := &hub.Inbound{ExternalID: ext, Event: ev, Text: text}
				var err error
				_, dup, err = contacts.RecordEvent(ctx, tx, f.Channel, c, in)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			return dup
		}
		for _, st := range []struct {
			ext      string
			ev       hub.ContactEvent
			text     string
			dup      bool
			source   string
			unsubbed bool
			advance  time.Duration // the clock moves this much first
		}{
			{"e1", hub.ContactSubscribed, "qrscene_ad1", false, "qrscene_ad1", false, 0},
			{"e1", hub.ContactSubscribed, "qrscene_other", true, "qrscene_ad1", false, 0},
			{"e2", hub.ContactClicked, "MENU_1", false, "qrscene_ad1", false, 0},
			{"e3", hub.ContactUnsubscribed, "", false, "qrscene_ad1", true, time.Minute},
			{"e3", hub.ContactUnsubscribed, "", true, "qrscene_ad1", true, time.Minute},
			{"e4", hub.ContactSubscribed, "", false, "qrscene_ad1", false, time.Minute},
		} {
			clk.Add(st.advance)
			if dup := record(st.ext, st.ev, st.text); dup != st.dup {
				t.Fatalf("%s %s: dup %v, want %v", st.ext, st.ev, dup, st.dup)
			}
			got, _ := contacts.Get(ctx, h.K, c.ID)
			if got.Source != st.source || (got.UnsubscribedAt != nil) != st.unsubbed {
				t.Fatalf("after %s %s: source %q unsubscribed %v, want %q %v", st.ext, st.ev, got.Source, got.UnsubscribedAt, st.source, st.unsubbed)
			}
		}
		var n int
		h.K.Get(ctx, &n, `SELECT COUNT(*) FROM contact_events WHERE contact_id = ?`, c.ID)
		if n != 4 {
			t.Fatalf("%d events stored, want 4", n)
		}
	})
}
