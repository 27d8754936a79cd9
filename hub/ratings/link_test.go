package ratings_test

import (
	"context"
	"errors"
	"io/fs"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/channels"
	"github.com/kefu-hub/kefu/hub/conversations"
	"github.com/kefu-hub/kefu/hub/hubtest"
	"github.com/kefu-hub/kefu/hub/ratings"
	"github.com/kefu-hub/kefu/hub/secrets"
	"github.com/kefu-hub/kefu/hub/store"
	"github.com/kefu-hub/kefu/hub/store/storetest"
)

var linkPattern = regexp.MustCompile(`https://kefu\.test/r/(\S+)$`)

// eachClocked runs f on both dialects with a clock the test moves.
func eachClocked(t *testing.T, f func(t *testing.T, h *hubtest.Hub, now *atomic.Int64)) {
	for _, name := range storetest.Names() {
		t.Run(name, func(t *testing.T) {
			var now atomic.Int64
			now.Store(time.Date(2026, 12, 7, 1, 0, 0, 0, time.UTC).UnixNano())
			d := storetest.Open(t, name, store.Options{Now: func() time.Time { return time.Unix(0, now.Load()).UTC() }})
			f(t, hubtest.Build(d.Store), &now)
		})
	}
}

// invited opens a conversation for contact and invites them to rate it; it
// returns the conversation and the token of the link the invitation carries.
func invited(t *testing.T, h *hubtest.Hub, f hubtest.Tenant, msg, contact string) (*hub.Conversation, string) {
	t.Helper()
	ctx := context.Background()
	r := h.Inbox.Ingest(ctx, []hub.Inbound{f.Msg(msg, contact)})[0]
	conv, err := h.Conversations.ByID(ctx, r.ConversationID)
	if r.Err != nil || err != nil {
		t.Fatal(r.Err, err)
	}
	var text string
	if err := h.K.Write(ctx, func(tx *store.Tx) (err error) { text, err = h.Ratings.Invite(ctx, tx, conv); return err }); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(text, "\n")
	m := linkPattern.FindStringSubmatch(lines[len(lines)-1])
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "请您对本次服务进行评价，回复数字即可：1 非常满意") || m == nil {
		t.Fatalf("invitation %q: want the numbers, then the link", text)
	}
	return conv, m[1]
}

// The invitation links to the rating page: the link's token opens its
// conversation with the tenant's scale, takes a rating with reasons and a
// comment (which the list shows) and a change within the window, and then
// a number the customer sends is a message. Malformed, forged, cut or
// swapped tokens are not found, an expired one is refused, and none of
// them changes anything.
func TestRatingLink(t *testing.T) {
	eachClocked(t, func(t *testing.T, h *hubtest.Hub, now *atomic.Int64) {
		ctx := context.Background()
		f := h.NewTenant(t)
		st := ratings.Default()
		st.ChangeMinutes = 10
		if _, err := h.Ratings.Put(ctx, f.Admin.TenantID, st); err != nil {
			t.Fatal(err)
		}
		conv, token := invited(t, h, f, "m1", "alice")
		other, otherToken := invited(t, h, f, "m2", "bob")
		r, err := h.Ratings.OpenLink(ctx, h.K, token)
		if err != nil || r.Conversation.ID != conv.ID || len(r.Settings.Levels) != 5 || r.Rating != nil {
			t.Fatalf("open: %+v %v", r, err)
		}
		if want := time.Unix(0, now.Load()).Add(30 * time.Minute).UTC(); !r.Expires.Equal(want) {
			t.Fatalf("the link lasts until %v, want the reply window's end %v", r.Expires, want)
		}

		// Tokens that are not this link: nothing found, nothing written.
		id, rest, _ := strings.Cut(token, "-")
		exp, mac, _ := strings.Cut(rest, "-")
		otherID, _, _ := strings.Cut(otherToken, "-")
		flip := "a"
		if mac[0] == 'a' {
			flip = "b"
		}
		for _, bad := range []string{"", "x", token + "a", token[:len(token)-1], id + "-" + exp + "-" + flip + mac[1:],
			otherID + "-" + exp + "-" + mac, id + "-" + exp + "0-" + mac, strings.ToUpper(token), "cv_nope-" + exp + "-" + mac} {
			if _, err := h.Ratings.OpenLink(ctx, h.K, bad); !errors.Is(err, hub.ErrNotFound) {
				t.Errorf("token %q: %v, want not found", bad, err)
			}
			if _, err := h.Ratings.RateByLink(ctx, bad, 5, "", nil); !errors.Is(err, hub.ErrNotFound) {
				t.Errorf("rate with %q: %v, want not found", bad, err)
			}
		}
		// Another tenant's key cannot sign for this one.
		g := h.NewTenant(t)
		_, foreign := invited(t, h, g, "m3", "carol")
		_, frest, _ := strings.Cut(foreign, "-")
		if _, err := h.Ratings.RateByLink(ctx, id+"-"+frest, 1, "", nil); !errors.Is(err, hub.ErrNotFound) {
			t.Errorf("another tenant's signature: %v, want not found", err)
		}

		var ie *hub.InvalidError
		if _, err := h.Ratings.RateByLink(ctx, token, 5, "", []string{"等待时间长"}); !errors.As(err, &ie) {
			t.Fatalf("a reason of another level: %v, want invalid", err)
		}
		if rating, _ := h.Conversations.Rating(ctx, conv.ID); rating != nil {
			t.Fatalf("refused ratings stored %+v", rating)
		}
		comment := `<script>alert(1)</script>回复太慢`
		got, err := h.Ratings.RateByLink(ctx, token, 2, comment, []string{"问题未解决", "等待时间长"})
		if err != nil || got.Rating == nil || got.Rating.Score != 2 || got.ChangeableUntil.IsZero() {
			t.Fatalf("rate: %+v %v", got, err)
		}
		rows, err := h.Ratings.List(ctx, h.K, f.Admin.TenantID, ratings.Filter{})
		if err != nil || len(rows) != 1 || rows[0].ConversationID != conv.ID || rows[0].Comment != comment ||
			!slices.Equal(rows[0].Reasons, []string{"等待时间长", "问题未解决"}) || !rows[0].Bad || rows[0].Label != "不满意" {
			t.Fatalf("list after the link's rating: %+v %v", rows, err)
		}
		now.Add(int64(5 * time.Minute))
		if got, err := h.Ratings.RateByLink(ctx, token, 4, "", nil); err != nil || got.Rating.Score != 4 {
			t.Fatalf("change within the window: %+v %v", got, err)
		}
		// The invitation is answered: a number is now a message.
		n := f.Msg("m4", "alice")
		n.Text = "1"
		if res := h.Inbox.Ingest(ctx, []hub.Inbound{n})[0]; res.Err != nil || res.Rated || res.MessageID == "" {
			t.Fatalf("a number after the link's rating did %+v, want a message", res)
		}
		now.Add(int64(6 * time.Minute)) // past the change window, within the link's
		if _, err := h.Ratings.RateByLink(ctx, token, 1, "", nil); !errors.Is(err, hub.ErrConflict) {
			t.Fatalf("a change after the window: %v, want conflict", err)
		}
		if r, err := h.Ratings.OpenLink(ctx, h.K, token); err != nil || r.Rating.Score != 4 || !r.ChangeableUntil.IsZero() {
			t.Fatalf("the page after the window: %+v %v", r, err)
		}
		now.Add(int64(20 * time.Minute)) // the links' time is over
		for _, tok := range []string{token, otherToken} {
			if _, err := h.Ratings.OpenLink(ctx, h.K, tok); !errors.Is(err, ratings.ErrLinkExpired) || !errors.Is(err, hub.ErrForbidden) {
				t.Fatalf("expired link: %v", err)
			}
		}
		if _, err := h.Ratings.RateByLink(ctx, otherToken, 5, "", nil); !errors.Is(err, ratings.ErrLinkExpired) {
			t.Fatalf("rate with an expired link: %v", err)
		}
		if rating, _ := h.Conversations.Rating(ctx, other.ID); rating != nil {
			t.Fatalf("an expired link rated: %+v", rating)
		}
	})
}

// Migration 00051 gives every WeChat, Weibo, QQ and WeCom channel the
// tenant-wide invitation switch as its own "rating" (on for a tenant that
// never saved one), leaves other channels alone, and drops the switch.
func TestInviteSwitchMovesToChannels(t *testing.T) {
	hubtest.Each(t, func(t *testing.T, h *hubtest.Hub) {
		ctx := context.Background()
		off, on := h.NewTenant(t), h.NewTenant(t)
		if _, err := h.K.Exec(ctx, `INSERT INTO rating_settings (tenant_id, settings) VALUES (?, ?)`, off.Admin.TenantID,
			`{"levels":[{"score":5,"label":"好"},{"score":1,"label":"差"}],"auto_invite":false,"reply_minutes":30}`); err != nil {
			t.Fatal(err)
		}
		mk := func(tn hubtest.Tenant, typ, cfg string) string {
			ch := &hub.Channel{TenantID: tn.Admin.TenantID, Type: typ, Name: typ, Secret: "{}", Config: []byte(cfg)}
			if err := h.Channels.Create(ctx, ch); err != nil {
				t.Fatal(err)
			}
			return ch.ID
		}
		wxOff, qqOff := mk(off, "wechat", `{"app_id":"wx1","mode":"safe"}`), mk(off, "qq", `{"app_id":"123"}`)
		wbOn, kfOn := mk(on, "weibo", `{"uid":"1"}`), mk(on, "wecom_kf", `{"corp_id":"ww"}`)
		web := mk(off, "web", `{"rating":true}`)
		b, err := fs.ReadFile(store.Migrations(h.K.Postgres), "00051_rating_links.sql")
		if err != nil {
			t.Fatal(err)
		}
		up, _, _ := strings.Cut(string(b), "-- +goose Down")
		n := 0
		for _, stmt := range strings.Split(up, ";") {
			if i := strings.Index(stmt, "UPDATE "); i >= 0 {
				if _, err := h.K.Exec(ctx, stmt[i:]); err != nil {
					t.Fatal(err)
				}
				n++
			}
		}
		if n != 2 {
			t.Fatalf("%d statements, want 2", n)
		}
		fresh := channels.New(h.K) // the hub's store keeps what it read for a few seconds
		for id, want := range map[string]bool{wxOff: false, qqOff: false, wbOn: true, kfOn: true, web: true} {
			ch, err := fresh.Get(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if got := conversations.InvitesOnClose(ch); got != want {
				t.Errorf("channel %s (%s) invites on close: %v, want %v (config %s)", id, ch.Type, got, want, ch.Config)
			}
		}
		if ch, _ := fresh.Get(ctx, wxOff); !strings.Contains(string(ch.Config), `"app_id"`) {
			t.Errorf("the rest of the config was lost: %s", ch.Config)
		}
		var raw string
		if err := h.K.Get(ctx, &raw, `SELECT settings FROM rating_settings WHERE tenant_id = ?`, off.Admin.TenantID); err != nil ||
			strings.Contains(raw, "auto_invite") || !strings.Contains(raw, `"reply_minutes"`) {
			t.Fatalf("the settings after: %s %v", raw, err)
		}
	})
}

// Rotating the link key: links made after it are signed with the new key,
// links made before still open until they expire, and deleting the old key
// makes them stop at once; the current key cannot be deleted, another
// tenant's key cannot be named, and a key whose links are all over is
// dropped at the next rotation.
func TestRatingLinkKeyRotation(t *testing.T) {
	eachClocked(t, func(t *testing.T, h *hubtest.Hub, now *atomic.Int64) {
		ctx := context.Background()
		f, g := h.NewTenant(t), h.NewTenant(t)
		tenant := f.Admin.TenantID
		if ks, err := h.Ratings.LinkKeys(ctx, tenant); err != nil || len(ks) != 0 {
			t.Fatalf("keys before any link: %+v %v", ks, err)
		}
		_, before := invited(t, h, f, "m1", "alice")
		first, err := h.Ratings.LinkKeys(ctx, tenant)
		if err != nil || len(first) != 1 || !first[0].Current {
			t.Fatalf("keys after the first link: %+v %v", first, err)
		}
		now.Add(int64(time.Minute))
		ring, err := h.Ratings.RotateLinkKey(ctx, tenant)
		if err != nil || len(ring) != 2 || !ring[0].Current || ring[1].ID != first[0].ID || ring[1].Current ||
			ring[1].OpensUntil == nil || !ring[1].OpensUntil.Equal(ring[0].CreatedAt.Add(7*24*time.Hour)) {
			t.Fatalf("the ring after a rotation: %+v %v", ring, err)
		}
		_, after := invited(t, h, f, "m2", "bob")
		if _, err := h.Ratings.OpenLink(ctx, h.K, after); err != nil {
			t.Fatalf("a link made after the rotation: %v", err)
		}
		if err := h.Ratings.DeleteLinkKey(ctx, tenant, ring[0].ID); !errors.Is(err, hub.ErrConflict) {
			t.Fatalf("delete the current key: %v, want conflict", err)
		}
		if err := h.Ratings.DeleteLinkKey(ctx, g.Admin.TenantID, first[0].ID); !errors.Is(err, hub.ErrNotFound) {
			t.Fatalf("another tenant deletes this tenant's key: %v, want not found", err)
		}
		if r, err := h.Ratings.OpenLink(ctx, h.K, before); err != nil || r.Rating != nil {
			t.Fatalf("a link made before the rotation: %+v %v, want it still open", r, err)
		}
		if _, err := h.Ratings.RateByLink(ctx, before, 4, "还行", nil); err != nil {
			t.Fatalf("rate by a link made before the rotation: %v", err)
		}

		// Delete the old key: its links stop at once; the new key's work.
		_, old2 := invited(t, h, f, "m3", "carol")
		if err := h.Ratings.DeleteLinkKey(ctx, tenant, first[0].ID); err != nil {
			t.Fatal(err)
		}
		if _, err := h.Ratings.OpenLink(ctx, h.K, before); !errors.Is(err, hub.ErrNotFound) {
			t.Fatalf("a link of the deleted key: %v, want not found", err)
		}
		if _, err := h.Ratings.RateByLink(ctx, before, 1, "", nil); !errors.Is(err, hub.ErrNotFound) {
			t.Fatalf("rate by a link of the deleted key: %v, want not found", err)
		}
		for _, tok := range []string{after, old2} { // signed with the new key
			if _, err := h.Ratings.OpenLink(ctx, h.K, tok); err != nil {
				t.Fatalf("a link of the current key after the old one went: %v", err)
			}
		}
		if ks, _ := h.Ratings.LinkKeys(ctx, tenant); len(ks) != 1 || ks[0].ID != ring[0].ID {
			t.Fatalf("keys after the delete: %+v", ks)
		}

		// A replaced key stops once every link it may have signed is over,
		// and the next rotation drops it.
		now.Add(int64(time.Minute))
		ring2, err := h.Ratings.RotateLinkKey(ctx, tenant)
		if err != nil || len(ring2) != 2 {
			t.Fatalf("second rotation: %+v %v", ring2, err)
		}
		now.Add(int64(7*24*time.Hour + time.Minute))
		if ks, _ := h.Ratings.LinkKeys(ctx, tenant); len(ks) != 1 || ks[0].ID != ring2[0].ID {
			t.Fatalf("keys a week after the rotation: %+v, want the current one alone", ks)
		}
		if _, err := h.Ratings.OpenLink(ctx, h.K, after); !errors.Is(err, ratings.ErrLinkExpired) {
			t.Fatalf("an old link a week on: %v, want expired", err)
		}
		if _, err := h.Ratings.RotateLinkKey(ctx, tenant); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := h.K.Get(ctx, &n, `SELECT COUNT(*) FROM rating_keys WHERE tenant_id = ?`, tenant); err != nil || n != 2 {
			t.Fatalf("%d keys stored after the third rotation, want 2 (the one over dropped): %v", n, err)
		}
	})
}

// A forged link with a far expiry signed by a replaced key is refused: a
// replaced key opens only the links it could have signed (expiring within
// the longest reply window after it was replaced).
func TestReplacedKeySignsNoLaterLink(t *testing.T) {
	eachClocked(t, func(t *testing.T, h *hubtest.Hub, now *atomic.Int64) {
		ctx := context.Background()
		f := h.NewTenant(t)
		conv, tok := invited(t, h, f, "m1", "alice")
		var key struct{ ID, Secret string }
		if err := h.K.Get(ctx, &key, `SELECT id, secret FROM rating_keys WHERE tenant_id = ?`, f.Admin.TenantID); err != nil {
			t.Fatal(err)
		}
		secret, err := h.K.Unseal(key.Secret, store.Bind("rating_keys", key.ID)) // as a leak would give it
		if err != nil {
			t.Fatal(err)
		}
		now.Add(int64(time.Minute))
		if _, err := h.Ratings.RotateLinkKey(ctx, f.Admin.TenantID); err != nil {
			t.Fatal(err)
		}
		if _, err := h.Ratings.OpenLink(ctx, h.K, tok); err != nil {
			t.Fatalf("the old key's own link: %v", err)
		}
		far := time.Unix(0, now.Load()).Add(30 * 24 * time.Hour).Unix()
		forged := ratings.SignForTest(secret, conv.ID, far)
		if _, err := h.Ratings.OpenLink(ctx, h.K, forged); !errors.Is(err, hub.ErrNotFound) {
			t.Fatalf("a link the replaced key signs for a month on: %v, want not found", err)
		}
		near := time.Unix(0, now.Load()).Add(time.Hour).Unix()
		if _, err := h.Ratings.OpenLink(ctx, h.K, ratings.SignForTest(secret, conv.ID, near)); err != nil {
			t.Fatalf("a link the replaced key could have signed: %v", err)
		}
	})
}

// A rating link key's secret is sealed in its row (hub/secrets), so a copy
// of the database cannot sign links: a key stored in clear by an older
// hub keeps opening its links, ResealSecrets seals it (once), and after
// the hub's secret key is rotated the links still open.
func TestRatingLinkKeysSealed(t *testing.T) {
	a, b := secrets.NewKey(), secrets.NewKey()
	storetest.Each(t, store.Options{Keys: storetest.Ring(t, a)}, func(t *testing.T, d storetest.Dialect) {
		ctx := context.Background()
		h := hubtest.Build(d.Store)
		f, g := h.NewTenant(t), h.NewTenant(t)
		raw := func(tenant string) []string {
			var v []string
			if err := d.Store.Select(ctx, &v, `SELECT secret FROM rating_keys WHERE tenant_id = ? ORDER BY created_at, id`, tenant); err != nil {
				t.Fatal(err)
			}
			return v
		}
		// f's key as an older hub stored it: in clear
		const clear = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
		if _, err := d.Store.Exec(ctx, `INSERT INTO rating_keys (id, tenant_id, secret, created_at) VALUES (?, ?, ?, ?)`,
			"rk_"+f.Admin.TenantID, f.Admin.TenantID, clear, time.Now().Add(-time.Hour)); err != nil {
			t.Fatal(err)
		}
		_, old := invited(t, h, f, "m1", "alice")
		if _, err := h.Ratings.OpenLink(ctx, h.K, old); err != nil {
			t.Fatalf("a link of the key stored in clear: %v", err)
		}
		// a key made now is sealed at once
		invited(t, h, g, "m1", "bob")
		if v := raw(g.Admin.TenantID); len(v) != 1 || !secrets.Sealed(v[0]) {
			t.Fatalf("a new key is stored as %q, want it sealed", v)
		}
		ks, err := h.Ratings.RotateLinkKey(ctx, f.Admin.TenantID)
		if err != nil || len(ks) != 2 {
			t.Fatalf("rotate: %+v %v", ks, err)
		}
		if n, err := ratings.ResealSecrets(ctx, d.Store); err != nil || n != 1 {
			t.Fatalf("ResealSecrets = %d, %v; want the one key in clear sealed", n, err)
		}
		for _, v := range raw(f.Admin.TenantID) {
			if !secrets.Sealed(v) || strings.Contains(v, clear) {
				t.Fatalf("after ResealSecrets a key is stored as %q", v)
			}
		}
		if n, err := ratings.ResealSecrets(ctx, d.Store); err != nil || n != 0 {
			t.Errorf("ResealSecrets again: %d, %v", n, err)
		}
		if _, err := h.Ratings.OpenLink(ctx, h.K, old); err != nil {
			t.Fatalf("the old link after its key was sealed: %v", err)
		}
		rotated, err := store.Open(ctx, d.URL, d.Dir, store.Options{Keys: storetest.Ring(t, b, a)})
		if err != nil {
			t.Fatal(err)
		}
		defer rotated.Close()
		if n, err := ratings.ResealSecrets(ctx, rotated); err != nil || n != 3 {
			t.Fatalf("ResealSecrets under a new hub key = %d, %v; want the three keys", n, err)
		}
		hr := hubtest.Build(rotated)
		if _, err := hr.Ratings.OpenLink(ctx, rotated, old); err != nil {
			t.Fatalf("the old link read with the new hub key: %v", err)
		}
		// a sealed secret moved to another key's row does not open
		if _, err := rotated.Exec(ctx, `UPDATE rating_keys SET secret = (SELECT secret FROM rating_keys WHERE tenant_id = ?)
			WHERE tenant_id = ?`, g.Admin.TenantID, f.Admin.TenantID); err != nil {
			t.Fatal(err)
		}
		if _, err := hr.Ratings.OpenLink(ctx, rotated, old); err == nil {
			t.Fatal("a link opens with a key secret copied from another tenant's row")
		}
	})
}
