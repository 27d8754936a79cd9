package kb_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/kefu-hub/kefu/hub/hubtest"
	"github.com/kefu-hub/kefu/hub/kb"
)

// TestIndexFollowsOtherProcess: two hub processes share one database, each
// with its index in memory; every change one makes (create, edit, delete,
// lexicon) is answered by the other's next search, and searches running
// while the other changes articles never fail and end on the last state.
func TestIndexFollowsOtherProcess(t *testing.T) {
	hubtest.Each(t, func(t *testing.T, h *hubtest.Hub) {
		ctx := context.Background()
		admin, robot := kb.New(h.K, seg), kb.New(h.K, seg)
		ten := h.NewTenant(t).Admin.TenantID
		ids := seed(t, admin, ten)
		if got, _ := top(t, robot, ten, kb.Query{Text: "退款几天能到账"}); got != ids["f14"].ID { // robot's index, built
			t.Fatalf("refund question: top %s, want %s", got, ids["f14"].ID)
		}
		const q = "礼品卡可以叠加优惠券一起用吗"
		if _, score := top(t, robot, ten, kb.Query{Text: q}); score >= kb.DefaultThreshold {
			t.Fatalf("answered %q before any article about it (%.2f)", q, score)
		}

		gift := create(t, admin, ten, "礼品卡能和优惠券一起用吗", []string{"礼品卡叠加优惠券"}, "可以，结算时先扣优惠券再用礼品卡。")
		if got, score := top(t, robot, ten, kb.Query{Text: q}); got != gift.ID || score < kb.DefaultThreshold {
			t.Errorf("created on the other process: top %s (%.2f), want %s above the threshold", got, score, gift.ID)
		}
		if _, err := admin.Update(ctx, ten, gift.ID, kb.Patch{Question: ptr("积分能抵扣运费吗"), Similar: &[]string{}}); err != nil {
			t.Fatal(err)
		}
		if got, score := top(t, robot, ten, kb.Query{Text: "积分可以抵运费吗"}); got != gift.ID || score < kb.DefaultThreshold {
			t.Errorf("edited on the other process: top %s (%.2f), want %s", got, score, gift.ID)
		}
		if got, score := top(t, robot, ten, kb.Query{Text: q}); got == gift.ID && score >= kb.DefaultThreshold {
			t.Errorf("the question it had before the edit still answers (%.2f)", score)
		}
		if err := admin.Delete(ctx, ten, gift.ID); err != nil {
			t.Fatal(err)
		}
		if got, _ := top(t, robot, ten, kb.Query{Text: "积分可以抵运费吗"}); got == gift.ID {
			t.Error("an article deleted on the other process still answers")
		}

		// A lexicon change on one process re-segments; the other searches with it.
		paid := create(t, admin, ten, "可以用云闪付吗", nil, "支持云闪付。")
		if got, score := top(t, robot, ten, kb.Query{Text: "能用银联付款吗"}); got == paid.ID && score >= kb.DefaultThreshold {
			t.Fatalf("matched before the synonym (%.2f)", score)
		}
		if _, err := admin.SetLexicon(ctx, ten, kb.Lexicon{Synonyms: []string{"云闪付=银联"}, Words: []string{"云闪付"}}); err != nil {
			t.Fatal(err)
		}
		if got, score := top(t, robot, ten, kb.Query{Text: "能用银联付款吗"}); got != paid.ID || score < kb.DefaultThreshold {
			t.Errorf("synonym set on the other process: top %s (%.2f), want %s", got, score, paid.ID)
		}

		// Edits on one process while the other answers a stream of questions.
		var failed atomic.Int64
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					select {
					case <-stop:
						return
					default:
					}
					if _, err := robot.Search(ctx, ten, kb.Query{Text: "发什么快递"}); err != nil {
						failed.Add(1)
					}
				}
			}()
		}
		ship := ids["f01"]
		for i := range 10 {
			if _, err := admin.Update(ctx, ten, ship.ID, kb.Patch{Enabled: ptr(i%2 == 1)}); err != nil {
				t.Fatal(err)
			}
		}
		close(stop)
		wg.Wait()
		if n := failed.Load(); n > 0 {
			t.Errorf("%d searches failed while the other process edited", n)
		}
		if got, _ := top(t, robot, ten, kb.Query{Text: "邮费多少钱"}); got != ship.ID { // the last edit enabled it
			t.Errorf("after the edits: top %s, want %s (enabled by the last edit)", got, ship.ID)
		}
		if _, err := admin.Update(ctx, ten, ship.ID, kb.Patch{Enabled: ptr(false)}); err != nil {
			t.Fatal(err)
		}
		if got, _ := top(t, robot, ten, kb.Query{Text: "邮费多少钱"}); got == ship.ID {
			t.Error("disabled on the other process, still answers")
		}
	})
}
