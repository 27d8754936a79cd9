package kb_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/hubtest"
	"github.com/kefu-hub/kefu/hub/kb"
)

// TestArticleVersions: every edit keeps the version it replaces (who, when,
// which fields); restoring an old version brings its text back, in the
// search too, and is itself a version; another tenant sees none of it.
func TestArticleVersions(t *testing.T) {
	hubtest.Each(t, func(t *testing.T, h *hubtest.Hub) {
		ctx := context.Background()
		tn, other := h.NewTenant(t), h.NewTenant(t)
		tenantID, by := tn.Admin.TenantID, tn.Admin.ID
		a, err := h.KB.Create(ctx, tenantID, kb.Patch{Question: ptr("运费多少"), Answer: ptr("满99包邮，不满收8元"), By: by})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.KB.Update(ctx, tenantID, a.ID, kb.Patch{Answer: ptr("全场包邮"), By: by}); err != nil {
			t.Fatal(err)
		}
		if _, err := h.KB.Update(ctx, tenantID, a.ID, kb.Patch{Question: ptr("邮费怎么算"), Category: ptr("物流"), By: by}); err != nil {
			t.Fatal(err)
		}
		vs, err := h.KB.Versions(ctx, tenantID, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(vs) != 3 || vs[0].Version != 3 || vs[2].Version != 1 || vs[2].Article.Answer != "满99包邮，不满收8元" {
			t.Fatalf("versions: %+v", vs)
		}
		if vs[0].Editor != tn.Admin.Name || vs[0].EditedBy != by || len(vs[0].Changed) != 2 ||
			vs[0].Changed[0] != "question" || vs[0].Changed[1] != "category" || vs[1].Changed[0] != "answer" {
			t.Fatalf("newest version: %+v / %+v", vs[0], vs[1])
		}
		back, err := h.KB.Restore(ctx, tenantID, a.ID, 1, by, nil)
		if err != nil {
			t.Fatal(err)
		}
		if back.Question != "运费多少" || back.Answer != "满99包邮，不满收8元" || back.Category != "" {
			t.Fatalf("restored: %+v", back)
		}
		if id, _ := top(t, h.KB, tenantID, kb.Query{Text: "运费多少钱"}); id != a.ID {
			t.Fatalf("search after restore: %q", id)
		}
		vs, _ = h.KB.Versions(ctx, tenantID, a.ID)
		if len(vs) != 4 || vs[0].Action != "restore" {
			t.Fatalf("after restore: %+v", vs[0])
		}
		if _, err := h.KB.Versions(ctx, other.Admin.TenantID, a.ID); !errors.Is(err, hub.ErrNotFound) {
			t.Fatalf("another tenant's versions: %v", err)
		}
		if _, err := h.KB.Restore(ctx, other.Admin.TenantID, a.ID, 1, other.Admin.ID, nil); !errors.Is(err, hub.ErrNotFound) {
			t.Fatalf("another tenant's restore: %v", err)
		}
		if _, err := h.KB.Restore(ctx, tenantID, a.ID, 99, by, nil); !errors.Is(err, hub.ErrNotFound) {
			t.Fatalf("missing version: %v", err)
		}
	})
}

// TestArticleVersionsCapped: an article edited more often than the cap
// keeps only its last kb.KeepVersions versions, the newest first, and the
// oldest kept one can still be restored.
func TestArticleVersionsCapped(t *testing.T) {
	hubtest.Each(t, func(t *testing.T, h *hubtest.Hub) {
		ctx := context.Background()
		tn := h.NewTenant(t)
		tenantID := tn.Admin.TenantID
		a, err := h.KB.Create(ctx, tenantID, kb.Patch{Question: ptr("发货时间"), Answer: ptr("第0版"), By: tn.Admin.ID})
		if err != nil {
			t.Fatal(err)
		}
		edits := kb.KeepVersions + 7
		for i := 1; i <= edits; i++ {
			if _, err := h.KB.Update(ctx, tenantID, a.ID, kb.Patch{Answer: ptr(fmt.Sprintf("第%d版", i))}); err != nil {
				t.Fatal(err)
			}
		}
		vs, err := h.KB.Versions(ctx, tenantID, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		newest, oldest := int64(edits+1), int64(edits+2-kb.KeepVersions)
		if len(vs) != kb.KeepVersions || vs[0].Version != newest || vs[len(vs)-1].Version != oldest {
			t.Fatalf("%d versions, %d..%d; want %d, %d..%d", len(vs), vs[len(vs)-1].Version, vs[0].Version,
				kb.KeepVersions, oldest, newest)
		}
		if vs[0].Article.Answer != fmt.Sprintf("第%d版", edits) {
			t.Fatalf("newest version holds %q", vs[0].Article.Answer)
		}
		back, err := h.KB.Restore(ctx, tenantID, a.ID, oldest, tn.Admin.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf("第%d版", oldest-1); back.Answer != want {
			t.Fatalf("restored %q, want %q", back.Answer, want)
		}
		if _, err := h.KB.Restore(ctx, tenantID, a.ID, 1, tn.Admin.ID, nil); !errors.Is(err, hub.ErrNotFound) {
			t.Fatalf("a pruned version restores: %v", err)
		}
		if vs, _ = h.KB.Versions(ctx, tenantID, a.ID); len(vs) != kb.KeepVersions {
			t.Fatalf("after the restore: %d versions", len(vs))
		}
	})
}
