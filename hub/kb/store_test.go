package kb_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/hubtest"
	"github.com/kefu-hub/kefu/hub/kb"
	"github.com/kefu-hub/kefu/hub/kb/zh"
)

func ptr[T any](v T) *T { return &v }

// seg is shared by the tests, as by a hub process's stores.
var seg = &zh.Segmenter{}

func create(t *testing.T, s *kb.Store, tenantID, q string, similar []string, answer string) *kb.Article {
	t.Helper()
	a, err := s.Create(context.Background(), tenantID, kb.Patch{Question: ptr(q), Similar: &similar, Answer: ptr(answer)})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// seed stores the evaluation set's FAQ for a tenant, by FAQ id.
func seed(t *testing.T, s *kb.Store, tenantID string) map[string]*kb.Article {
	t.Helper()
	out := map[string]*kb.Article{}
	for _, f := range loadFAQ(t) {
		out[f.ID] = create(t, s, tenantID, f.Question, f.Similar, f.Answer)
	}
	return out
}

func top(t *testing.T, s *kb.Store, tenantID string, q kb.Query) (string, float64) {
	t.Helper()
	r, err := s.Search(context.Background(), tenantID, q)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Hits) == 0 {
		return "", 0
	}
	for i := 1; i < len(r.Hits); i++ {
		if r.Hits[i].Score > r.Hits[i-1].Score {
			t.Fatalf("hits not best first: %+v", r.Hits)
		}
	}
	return r.Hits[0].Article.ID, r.Hits[0].Score
}

// TestSearchChinese: articles are found by paraphrases, in 繁體 and through
// synonyms; another tenant's articles never show; a change on one process
// is seen by another (the revision), in both dialects.
func TestSearchChinese(t *testing.T) {
	hubtest.Each(t, func(t *testing.T, h *hubtest.Hub) {
		ctx := context.Background()
		s, other := kb.New(h.K, seg), kb.New(h.K, seg) // two hub processes on one database
		ten, outsider := h.NewTenant(t).Admin.TenantID, h.NewTenant(t).Admin.TenantID
		ids := seed(t, s, ten)
		refund, ship := ids["f14"], ids["f01"]
		create(t, s, outsider, "退款多久到账？", nil, "别家的答案")

		for q, want := range map[string]*kb.Article{"退款几天能到账": refund, "退款幾天到帳": refund,
			"邮费多少钱": ship, "refund多久到账": refund} {
			if got, score := top(t, other, ten, kb.Query{Text: q}); got != want.ID || score < kb.DefaultThreshold {
				t.Errorf("%q: top %s (%.2f), want %s above the threshold", q, got, score, want.ID)
			}
		}
		if got, score := top(t, s, ten, kb.Query{Text: "今天天气怎么样"}); score >= kb.DefaultThreshold {
			t.Errorf("off-topic question answered with %s (%.2f)", got, score)
		}
		if got, _ := top(t, s, outsider, kb.Query{Text: "邮费多少钱"}); got == ship.ID {
			t.Error("another tenant's article found")
		}

		// Disabled, expired, or for another channel: not an answer.
		if _, err := other.Update(ctx, ten, ship.ID, kb.Patch{Enabled: ptr(false)}); err != nil {
			t.Fatal(err)
		}
		if got, _ := top(t, s, ten, kb.Query{Text: "邮费多少钱"}); got == ship.ID {
			t.Error("a disabled article (changed on the other process) still answers")
		}
		past := h.K.Now().Add(-time.Hour)
		if _, err := s.Update(ctx, ten, ship.ID, kb.Patch{Enabled: ptr(true), ValidTo: &past,
			ValidFrom: ptr(past.Add(-time.Hour))}); err != nil {
			t.Fatal(err)
		}
		if got, _ := top(t, other, ten, kb.Query{Text: "邮费多少钱"}); got == ship.ID {
			t.Error("an expired article answers")
		}
		if _, err := s.Update(ctx, ten, refund.ID, kb.Patch{Channels: &[]string{"ch_web"}}); err != nil {
			t.Fatal(err)
		}
		if got, _ := top(t, other, ten, kb.Query{Text: "退款多久到账", ChannelID: "ch_wechat"}); got == refund.ID {
			t.Error("an article for another channel answers")
		}
		if got, _ := top(t, other, ten, kb.Query{Text: "退款多久到账", ChannelID: "ch_web"}); got != refund.ID {
			t.Error("the article for this channel does not answer")
		}
	})
}

// TestLexicon: a synonym an admin adds makes a question match; a stop word
// takes a word out of the matching.
func TestLexicon(t *testing.T) {
	hubtest.Each(t, func(t *testing.T, h *hubtest.Hub) {
		ctx := context.Background()
		s := kb.New(h.K, seg)
		ten := h.NewTenant(t).Admin.TenantID
		a := create(t, s, ten, "可以用云闪付吗", nil, "支持云闪付。")
		if got, score := top(t, s, ten, kb.Query{Text: "能用银联付款吗"}); got == a.ID && score >= kb.DefaultThreshold {
			t.Fatalf("matched before the synonym (%.2f)", score)
		}
		l, err := s.SetLexicon(ctx, ten, kb.Lexicon{Synonyms: []string{"云闪付=银联", "  "}, StopWords: []string{"付款"},
			Words: []string{"云闪付"}})
		if err != nil {
			t.Fatal(err)
		}
		if len(l.Synonyms) != 1 || l.Synonyms[0] != "云闪付=银联" {
			t.Errorf("lexicon kept %+v", l)
		}
		if got, score := top(t, s, ten, kb.Query{Text: "能用银联付款吗"}); got != a.ID || score < kb.DefaultThreshold {
			t.Errorf("after the synonym: %s %.2f", got, score)
		}
		back, err := s.Lexicon(ctx, ten)
		if err != nil || len(back.StopWords) != 1 || len(back.Words) != 1 {
			t.Errorf("lexicon read back %+v, %v", back, err)
		}
	})
}

// TestArticleCRUD: validation, not-found across tenants, list filters.
func TestArticleCRUD(t *testing.T) {
	hubtest.Each(t, func(t *testing.T, h *hubtest.Hub) {
		ctx := context.Background()
		s := kb.New(h.K, seg)
		ten, outsider := h.NewTenant(t).Admin.TenantID, h.NewTenant(t).Admin.TenantID
		var inv *hub.InvalidError
		if _, err := s.Create(ctx, ten, kb.Patch{Question: ptr("  "), Answer: ptr("x")}); !errors.As(err, &inv) {
			t.Errorf("empty question: %v", err)
		}
		a, err := s.Create(ctx, ten, kb.Patch{Question: ptr("发什么快递"), Answer: ptr("中通"), Category: ptr("物流"),
			Similar: &[]string{"用哪家快递", "用哪家快递", ""}, Tags: &[]string{"快递"}})
		if err != nil {
			t.Fatal(err)
		}
		if len(a.Similar) != 1 || !a.Enabled {
			t.Errorf("created %+v", a)
		}
		if _, err := s.Get(ctx, outsider, a.ID); !errors.Is(err, hub.ErrNotFound) {
			t.Errorf("other tenant get: %v", err)
		}
		if _, err := s.Update(ctx, outsider, a.ID, kb.Patch{Answer: ptr("x")}); !errors.Is(err, hub.ErrNotFound) {
			t.Errorf("other tenant update: %v", err)
		}
		if err := s.Delete(ctx, outsider, a.ID); !errors.Is(err, hub.ErrNotFound) {
			t.Errorf("other tenant delete: %v", err)
		}
		list, err := s.List(ctx, ten, kb.Filter{Q: "哪家", Category: "物流"})
		if err != nil || len(list) != 1 || list[0].Similar[0] != "用哪家快递" {
			t.Errorf("list: %+v %v", list, err)
		}
		if err := s.Delete(ctx, ten, a.ID); err != nil {
			t.Fatal(err)
		}
		if got, _ := top(t, s, ten, kb.Query{Text: "发什么快递"}); got != "" {
			t.Error("a deleted article is still found")
		}
	})
}

// A hub loads the dictionary ahead only when some tenant has a knowledge
// base: an empty one starts without the 25 MiB it costs.
func TestWarmOnlyWithArticles(t *testing.T) {
	hubtest.Each(t, func(t *testing.T, h *hubtest.Hub) {
		ctx := context.Background()
		s := kb.New(h.K, &zh.Segmenter{})
		if loaded, _, err := s.Warm(ctx); err != nil || loaded {
			t.Fatalf("no articles: loaded %v (%v), want nothing loaded", loaded, err)
		}
		f := h.NewTenant(t)
		create(t, s, f.Admin.TenantID, "运费多少", nil, "满 99 包邮")
		if loaded, _, err := s.Warm(ctx); err != nil || !loaded {
			t.Fatalf("with an article: loaded %v (%v), want the dictionary loaded", loaded, err)
		}
	})
}
