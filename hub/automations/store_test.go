package automations_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/automations"
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

// each runs f on fresh stores of every dialect with a hand-moved clock; d
// reopens the same database as another process would.
func each(t *testing.T, f func(t *testing.T, h *hubtest.Hub, clk *clock, d storetest.Dialect)) {
	t.Helper()
	for _, name := range storetest.Names() {
		t.Run(name, func(t *testing.T) {
			clk := &clock{now: time.Now().UTC().Truncate(time.Second)}
			d := storetest.Open(t, name, store.Options{Now: clk.Now})
			f(t, hubtest.Build(d.Store), clk, d)
		})
	}
}

var discard = slog.New(slog.NewTextHandler(io.Discard, nil))

func isInvalid(err error) bool {
	var ie *hub.InvalidError
	return errors.As(err, &ie)
}

// A tenant without settings has the defaults; a channel's settings replace
// the tenant's field by field, and deleting them falls back to the tenant's.
func TestOverlay(t *testing.T) {
	each(t, func(t *testing.T, h *hubtest.Hub, _ *clock, _ storetest.Dialect) {
		ctx := context.Background()
		f := h.NewTenant(t)
		tid := f.Admin.TenantID
		other := &hub.Channel{TenantID: tid, Type: "api", Name: "other"}
		if err := h.Channels.Create(ctx, other); err != nil {
			t.Fatal(err)
		}
		got, err := h.Automations.Get(ctx, tid, "")
		if err != nil || string(got.Settings) != "{}" || !reflect.DeepEqual(got.Effective, automations.DefaultAutomations()) {
			t.Fatalf("fresh tenant: %s %+v, %v; want {} and the defaults", got.Settings, got.Effective, err)
		}
		if !reflect.DeepEqual(h.Automations.For(ctx, f.Channel), automations.DefaultAutomations()) {
			t.Fatal("For on a fresh tenant is not the defaults")
		}
		h.Automations.For(ctx, f.Channel) // cached: Put must be seen anyway
		if _, err := h.Automations.Put(ctx, tid, "", json.RawMessage(`{ "greeting": {"enabled": true, "after_seconds": 5} }`)); err != nil {
			t.Fatal(err)
		}
		if _, err := h.Automations.Put(ctx, tid, f.Channel.ID, json.RawMessage(`{"greeting":{"text":"hi"},"idle":{"enabled":true}}`)); err != nil {
			t.Fatal(err)
		}
		def := automations.DefaultAutomations()
		for _, c := range []struct {
			name            string
			ch              *hub.Channel
			greeting        automations.Timed
			idle            bool
			settingsChannel string
			settings        string
		}{
			{"tenant", nil, automations.Timed{Enabled: true, AfterSeconds: 5, Text: def.Greeting.Text}, false, "", `{"greeting":{"enabled":true,"after_seconds":5}}`},
			{"overridden channel", f.Channel, automations.Timed{Enabled: true, AfterSeconds: 5, Text: "hi"}, true, f.Channel.ID, `{"greeting":{"text":"hi"},"idle":{"enabled":true}}`},
			{"other channel", other, automations.Timed{Enabled: true, AfterSeconds: 5, Text: def.Greeting.Text}, false, other.ID, `{}`},
		} {
			got, err := h.Automations.Get(ctx, tid, c.settingsChannel)
			if err != nil || *got.Effective.Greeting != c.greeting || got.Effective.Idle.Enabled != c.idle || string(got.Settings) != c.settings {
				t.Errorf("%s: Get = %s %+v, %v; want %s %+v", c.name, got.Settings, got.Effective.Greeting, err, c.settings, c.greeting)
			}
			if c.ch != nil {
				if a := h.Automations.For(ctx, c.ch); *a.Greeting != c.greeting || a.Idle.Enabled != c.idle {
					t.Errorf("%s: For = %+v idle %v, want %+v idle %v", c.name, a.Greeting, a.Idle.Enabled, c.greeting, c.idle)
				}
			}
		}
		if err := h.Automations.Delete(ctx, tid, f.Channel.ID); err != nil {
			t.Fatal(err)
		}
		if a := h.Automations.For(ctx, f.Channel); a.Greeting.Text != def.Greeting.Text || !a.Greeting.Enabled || a.Idle.Enabled {
			t.Fatalf("after deleting the channel's settings: %+v; want the tenant's", a.Greeting)
		}
		if got, _ := h.Automations.Get(ctx, h.NewTenant(t).Admin.TenantID, ""); !reflect.DeepEqual(got.Effective, def) {
			t.Fatal("another tenant sees the settings")
		}
	})
}

// Bad settings are refused with a message and change nothing.
func TestPutValidation(t *testing.T) {
	each(t, func(t *testing.T, h *hubtest.Hub, _ *clock, _ storetest.Dialect) {
		ctx := context.Background()
		f := h.NewTenant(t)
		for _, raw := range []string{
			`[]`, `"x"`, `null`, `{`,
			`{"greeting":{"after_seconds":-1}}`,
			`{"idle":{"close_after_seconds":604801}}`,
			`{"greeting":{"after_seconds":"5"}}`,
			`{"queue":{"notify":"sms"}}`,
			`{"masking":{"patterns":[{"name":"x","enabled":true,"regex":"("}]}}`,
			`{"masking":{"patterns":[{"name":"x","regex":"a","check":"crc"}]}}`,
		} {
			if _, err := h.Automations.Put(ctx, f.Admin.TenantID, "", json.RawMessage(raw)); !isInvalid(err) {
				t.Errorf("Put(%s): %v, want an InvalidError", raw, err)
			}
		}
		if got, _ := h.Automations.Get(ctx, f.Admin.TenantID, ""); string(got.Settings) != "{}" {
			t.Fatalf("refused settings were stored: %s", got.Settings)
		}
	})
}

// A section set to null must be refused (or read as its default). Today
// Put panics on the sections validate reads, and stores a null "transfer"
// (which validate does not read), after which every transfer on the channel
// panics on For(ch).Transfer (hub/assign/transfer.go).
func TestPutNullSection(t *testing.T) {
	each(t, func(t *testing.T, h *hubtest.Hub, _ *clock, _ storetest.Dialect) {
		ctx := context.Background()
		f := h.NewTenant(t)
		for _, section := range []string{"greeting", "still_checking", "idle", "unanswered", "masking", "queue", "transfer"} {
			raw := json.RawMessage(`{"` + section + `":null}`)
			var err error
			if p := func() (p any) {
				defer func() { p = recover() }()
				_, err = h.Automations.Put(ctx, f.Admin.TenantID, "", raw)
				return nil
			}(); p != nil {
				t.Errorf("Put(%s) panicked: %v", raw, p)
				continue
			}
			a := reflect.ValueOf(h.Automations.For(ctx, f.Channel))
			for i := range a.NumField() {
				if err == nil && a.Field(i).IsNil() {
					t.Errorf("Put(%s) was accepted and leaves %s nil for every reader", raw, a.Type().Field(i).Name)
				}
			}
			if _, err := h.Automations.Put(ctx, f.Admin.TenantID, "", json.RawMessage(`{}`)); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// Masking follows the channel's settings: the default card and ID patterns,
// unless the channel turned masking off.
func TestMask(t *testing.T) {
	each(t, func(t *testing.T, h *hubtest.Hub, _ *clock, _ storetest.Dialect) {
		ctx := context.Background()
		f := h.NewTenant(t)
		plain := &hub.Channel{TenantID: f.Admin.TenantID, Type: "api", Name: "plain"}
		if err := h.Channels.Create(ctx, plain); err != nil {
			t.Fatal(err)
		}
		if _, err := h.Automations.Put(ctx, f.Admin.TenantID, plain.ID, json.RawMessage(`{"masking":{"enabled":false}}`)); err != nil {
			t.Fatal(err)
		}
		const in = "卡号6222021234567890128，身份证11010519491231002X，订单6222021234567890123"
		for _, c := range []struct {
			ch   *hub.Channel
			want string
		}{
			{f.Channel, "卡号6222***********0128，身份证110***********002X，订单6222021234567890123"},
			{plain, in},
		} {
			if got := h.Automations.Mask(ctx, c.ch, in); got != c.want {
				t.Errorf("Mask on %s = %q, want %q", c.ch.Name, got, c.want)
			}
		}
	})
}

// arm arms a timer of a conversation (timers need no conversation row).
func arm(t *testing.T, h *hubtest.Hub, c *hub.Conversation, kind automations.Kind, ref string, due time.Time) {
	t.Helper()
	if err := h.K.Write(context.Background(), func(tx *store.Tx) error {
		return automations.Arm(context.Background(), tx, c, kind, ref, due)
	}); err != nil {
		t.Fatal(err)
	}
}

func timerStatus(t *testing.T, h *hubtest.Hub, convID string, kind automations.Kind) string {
	t.Helper()
	var s string
	if err := h.K.Get(context.Background(), &s, `SELECT status FROM timers WHERE conversation_id = ? AND kind = ?`, convID, kind); err != nil {
		t.Fatal(err)
	}
	return s
}

// A due timer fires once — even when two processes sweep at once — with
// the ref it was last armed with; arming again moves it; a handler error
// leaves it for the next sweep; a kind nobody handles is marked done.
func TestTimers(t *testing.T) {
	each(t, func(t *testing.T, h *hubtest.Hub, clk *clock, d storetest.Dialect) {
		ctx := context.Background()
		var fired atomic.Int32
		var mu sync.Mutex
		var refs []string
		failing := true
		handlers := map[automations.Kind]automations.Handler{
			automations.TimerGreeting: func(_ context.Context, _ *store.Tx, tm automations.Timer) (automations.Result, error) {
				fired.Add(1)
				mu.Lock()
				refs = append(refs, tm.Ref)
				mu.Unlock()
				return automations.Result{Kick: true, Reroute: true}, nil
			},
			automations.TimerIdleClose: func(context.Context, *store.Tx, automations.Timer) (automations.Result, error) {
				if failing {
					return automations.Result{}, errors.New("boom")
				}
				return automations.Result{}, nil
			},
		}
		k2, err := store.Open(ctx, d.URL, d.Dir, store.Options{Now: clk.Now, Keys: storetest.Keys}) // another process
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { k2.Close() })
		timers := []*automations.Timers{automations.NewTimers(h.K, handlers, discard), automations.NewTimers(k2, handlers, discard)}
		c := &hub.Conversation{ID: "cv_t1", TenantID: "tn_t"}
		now := clk.Now()

		arm(t, h, c, automations.TimerGreeting, "r1", now.Add(time.Minute))
		if kick, _, _ := timers[0].FireDue(ctx, 10); len(kick) != 0 || fired.Load() != 0 {
			t.Fatal("a timer fired before it was due")
		}
		arm(t, h, c, automations.TimerGreeting, "r2", now.Add(time.Hour)) // moved later
		clk.Add(2 * time.Minute)
		timers[0].FireDue(ctx, 10)
		if fired.Load() != 0 {
			t.Fatal("a re-armed timer fired at its old time")
		}
		clk.Add(time.Hour)
		var wg sync.WaitGroup
		kicks := make([][]string, 2)
		reroutes := make([][]string, 2)
		for i, tm := range timers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var err error
				kicks[i], reroutes[i], err = tm.FireDue(ctx, 10)
				if err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if fired.Load() != 1 || fmt.Sprint(refs) != "[r2]" {
			t.Fatalf("fired %d times with refs %v, want once with r2", fired.Load(), refs)
		}
		if got := fmt.Sprint(kicks[0], kicks[1], reroutes[0], reroutes[1]); got != "[tn_t] [] [cv_t1] []" && got != "[] [tn_t] [] [cv_t1]" {
			t.Fatalf("kick and reroute %s: want the tenant and the conversation once", got)
		}
		if s := timerStatus(t, h, c.ID, automations.TimerGreeting); s != "done" {
			t.Fatalf("fired timer is %s", s)
		}

		arm(t, h, c, automations.TimerIdleClose, "", clk.Now())
		arm(t, h, c, "from_a_later_version", "", clk.Now())
		timers[0].FireDue(ctx, 10)
		if s := timerStatus(t, h, c.ID, automations.TimerIdleClose); s != "pending" {
			t.Fatalf("a failed handler left its timer %s, want pending for the next sweep", s)
		}
		if s := timerStatus(t, h, c.ID, "from_a_later_version"); s != "done" {
			t.Fatalf("an unknown kind is %s, want done", s)
		}
		failing = false
		timers[1].FireDue(ctx, 10)
		if s := timerStatus(t, h, c.ID, automations.TimerIdleClose); s != "done" {
			t.Fatalf("a retried timer is %s, want done", s)
		}
		arm(t, h, c, automations.TimerGreeting, "r3", clk.Now()) // re-arming a fired timer
		timers[1].FireDue(ctx, 10)
		if fired.Load() != 2 || fmt.Sprint(refs) != "[r2 r3]" {
			t.Fatalf("re-armed after firing: fired %d with %v, want twice", fired.Load(), refs)
		}
	})
}
