package richanswers_test

import (
	"errors"
	"io/fs"
	"strings"
	"testing"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/hubtest"
	"github.com/kefu-hub/kefu/hub/store"
)

var richTables = []string{"kb_rich_answers", "kb_rich_versions"}

// TestDeleteDropsRichAnswers: deleting an article deletes its rich answer
// and those of its versions with it; another tenant cannot delete it, and
// another tenant's rich article is untouched. Both dialects.
func TestDeleteDropsRichAnswers(t *testing.T) {
	hubtest.Each(t, func(t *testing.T, h *hubtest.Hub) {
		ctx := t.Context()
		admin, a := newArticle(t, h, "怎么退货？", "打开订单详情")
		other, kept := newArticle(t, h, "怎么退货？", "打开订单详情")
		bold, italic := "<p><strong>退货</strong>：打开订单详情</p>", "<p><em>退货</em>：打开订单详情</p>"
		setRich(t, h, admin, a.ID, bold, italic)
		setRich(t, h, other, kept.ID, bold, italic)
		if err := h.Rich.Delete(ctx, other.TenantID, a.ID); !errors.Is(err, hub.ErrNotFound) {
			t.Fatalf("another tenant's delete: %v", err)
		}
		if n := count(t, h, "kb_rich_versions", a.ID); n != 2 {
			t.Fatalf("rich versions before the delete: %d", n)
		}
		if err := h.Rich.Delete(ctx, admin.TenantID, a.ID); err != nil {
			t.Fatal(err)
		}
		for _, table := range richTables {
			if n := count(t, h, table, a.ID); n != 0 {
				t.Errorf("%s keeps %d rows of the deleted article", table, n)
			}
		}
		if _, err := h.Rich.Get(ctx, admin.TenantID, a.ID); !errors.Is(err, hub.ErrNotFound) {
			t.Errorf("the deleted article's rich answer: %v", err)
		}
		if got, err := h.Rich.Get(ctx, other.TenantID, kept.ID); err != nil || !strings.Contains(got.HTML, "<em>退货</em>") ||
			count(t, h, "kb_rich_versions", kept.ID) != 2 {
			t.Errorf("the other tenant's article: %+v %v", got, err)
		}
	})
}

// TestMigrationDropsOrphans: migration 00065 removes the rich answers
// that deleted articles left behind (as deletes did before it), and
// nothing of the articles that remain. Both dialects.
func TestMigrationDropsOrphans(t *testing.T) {
	hubtest.Each(t, func(t *testing.T, h *hubtest.Hub) {
		ctx := t.Context()
		admin, gone := newArticle(t, h, "怎么退货？", "打开订单详情")
		other, kept := newArticle(t, h, "怎么退货？", "打开订单详情")
		setRich(t, h, admin, gone.ID, "<p><strong>退货</strong>：打开订单详情</p>")
		setRich(t, h, other, kept.ID, "<p><strong>退货</strong>：打开订单详情</p>")
		if err := h.KB.Delete(ctx, admin.TenantID, gone.ID); err != nil { // the old delete: rich rows left
			t.Fatal(err)
		}
		if count(t, h, "kb_rich_answers", gone.ID) != 1 {
			t.Fatal("no orphan to remove")
		}
		b, err := fs.ReadFile(store.Migrations(h.K.Postgres), "00065_kb_rich_orphans.sql")
		if err != nil {
			t.Fatal(err)
		}
		up, _, _ := strings.Cut(string(b), "-- +goose Down")
		n := 0
		for _, stmt := range strings.Split(up, ";") {
			if i := strings.Index(stmt, "DELETE "); i >= 0 {
				if _, err := h.K.Exec(ctx, stmt[i:]); err != nil {
					t.Fatal(err)
				}
				n++
			}
		}
		if n != len(richTables) {
			t.Fatalf("%d statements, want %d", n, len(richTables))
		}
		for _, table := range richTables {
			if n := count(t, h, table, gone.ID); n != 0 {
				t.Errorf("%s keeps %d rows of the deleted article", table, n)
			}
			if n := count(t, h, table, kept.ID); n != 1 {
				t.Errorf("%s has %d rows of the article that remains, want 1", table, n)
			}
		}
	})
}
