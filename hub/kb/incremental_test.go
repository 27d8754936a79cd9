package kb_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/kefu-hub/kefu/hub/hubtest"
	"github.com/kefu-hub/kefu/hub/kb"
)

// TestIncrementalIndexEqualsRebuild: two processes share a database; one
// makes a random run of changes (create, edit the question, the similar
// questions or the answer, disable, enable, delete), the other follows from
// the change log. After every few changes both answer every question
// exactly (same articles, same scores, same order) as a process that makes
// the index from scratch, and neither rebuilt its index after the first
// search: each change updated only its article.
func TestIncrementalIndexEqualsRebuild(t *testing.T) {
	hubtest.Each(t, func(t *testing.T, h *hubtest.Hub) {
		ctx := context.Background()
		admin, robot := kb.New(h.K, seg), kb.New(h.K, seg)
		ten := h.NewTenant(t).Admin.TenantID
		byFAQ := seed(t, admin, ten)
		tune, _ := loadQuestions(t)
		var qs []string
		for i := 0; i < len(tune); i += 4 {
			qs = append(qs, tune[i].text)
		}
		search := func(s *kb.Store, q string) []kb.Hit {
			t.Helper()
			r, err := s.Search(ctx, ten, kb.Query{Text: q, Limit: 10})
			if err != nil {
				t.Fatal(err)
			}
			return r.Hits
		}
		for _, s := range []*kb.Store{admin, robot} { // both indexes, made
			search(s, "退款多久到账")
		}
		var ids []string
		for _, a := range byFAQ {
			ids = append(ids, a.ID)
		}
		faq := loadFAQ(t)
		r := rand.New(rand.NewPCG(17, 5))
		check := func(step int) {
			t.Helper()
			fresh := kb.New(h.K, seg)
			for _, q := range qs {
				want := search(fresh, q)
				for name, s := range map[string]*kb.Store{"the changing process": admin, "the other process": robot} {
					if got := search(s, q); !reflect.DeepEqual(got, want) {
						t.Fatalf("after %d changes, %s answers %q\n%s\nfrom scratch:\n%s", step, name, q, hitList(got), hitList(want))
					}
				}
			}
		}
		for step := 1; step <= 60; step++ {
			id := ids[r.IntN(len(ids))]
			f := faq[r.IntN(len(faq))]
			var err error
			switch op := r.IntN(7); op {
			case 0:
				a := create(t, admin, ten, fmt.Sprintf("%s（%d）", f.Question, step), f.Similar[:r.IntN(len(f.Similar)+1)], f.Answer)
				ids = append(ids, a.ID)
			case 1:
				_, err = admin.Update(ctx, ten, id, kb.Patch{Question: ptr(f.Question + "呢")})
			case 2:
				_, err = admin.Update(ctx, ten, id, kb.Patch{Similar: ptr(f.Similar[:r.IntN(len(f.Similar)+1)])})
			case 3:
				_, err = admin.Update(ctx, ten, id, kb.Patch{Answer: ptr(f.Answer + "谢谢")})
			case 4, 5:
				_, err = admin.Update(ctx, ten, id, kb.Patch{Enabled: ptr(op == 5)})
			case 6:
				if err = admin.Delete(ctx, ten, id); err == nil {
					ids = removeID(ids, id)
				}
			}
			if err != nil {
				t.Fatal(err)
			}
			if step%5 == 0 {
				check(step)
			}
		}
		if a, r := kb.Rebuilds(admin), kb.Rebuilds(robot); a != 1 || r != 1 {
			t.Errorf("indexes made from all the articles: %d by the changing process, %d by the other; want 1 each (the first search)", a, r)
		}
	})
}

func removeID(ids []string, id string) []string {
	for i, x := range ids {
		if x == id {
			return append(ids[:i], ids[i+1:]...)
		}
	}
	return ids
}

func hitList(hs []kb.Hit) string {
	out := ""
	for _, h := range hs {
		out += fmt.Sprintf("  %s %.4f %s enabled=%v\n", h.Article.ID, h.Score, h.Article.Question, h.Article.Enabled)
	}
	return out
}
