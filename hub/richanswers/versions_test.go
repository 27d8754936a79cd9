package richanswers_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/hubtest"
	"github.com/kefu-hub/kefu/hub/kb"
)

// TestRichAnswerVersions: each version keeps the rich answer it had (a
// change of markup alone is a change, "rich"); restoring a version brings
// its rich answer back, and restoring a plain one makes the article plain
// even when its text is the rich answer's; another tenant restores
// nothing. Both dialects.
func TestRichAnswerVersions(t *testing.T) {
	hubtest.Each(t, func(t *testing.T, h *hubtest.Hub) {
		ctx := t.Context()
		ten, a := newArticle(t, h, "怎么退货？", "退货：打开订单详情")
		bold := `<p><strong>退货</strong>：打开订单详情</p>` // the same text as version 1
		if _, err := h.Rich.Set(ctx, ten.TenantID, ten.ID, a.ID, bold); err != nil {
			t.Fatal(err)
		}
		italic := `<p><em>退货</em>：打开订单详情</p>`
		if _, err := h.Rich.Set(ctx, ten.TenantID, ten.ID, a.ID, italic); err != nil {
			t.Fatal(err)
		}
		if _, err := h.KB.Update(ctx, ten.TenantID, a.ID, kb.Patch{Category: ptr("售后"), By: ten.ID}); err != nil {
			t.Fatal(err)
		}
		if _, err := h.KB.Update(ctx, ten.TenantID, a.ID, kb.Patch{Answer: ptr("请联系客服"), By: ten.ID}); err != nil {
			t.Fatal(err)
		}
		vs, err := h.Rich.Versions(ctx, ten.TenantID, a.ID)
		if err != nil || len(vs) != 5 {
			t.Fatalf("versions: %+v %v", vs, err)
		}
		want := []string{"", "<em>退货</em>", "<em>退货</em>", "<strong>退货</strong>", ""} // newest first
		for i, v := range vs {
			if (want[i] == "") != (v.Rich == "") || !strings.Contains(v.Rich, want[i]) {
				t.Errorf("version %d rich %q, want %q", v.Version.Version, v.Rich, want[i])
			}
		}
		if !slices.Contains(vs[2].Changed, "rich") || slices.Contains(vs[1].Changed, "rich") || !slices.Contains(vs[3].Changed, "rich") {
			t.Errorf("changes: v3 %v, v4 %v, v2 %v", vs[2].Changed, vs[1].Changed, vs[3].Changed)
		}

		// Restoring version 2 brings its bold answer back, to customers too.
		back, err := h.Rich.Restore(ctx, ten.TenantID, a.ID, 2, ten.ID)
		if err != nil || back.Answer != "退货：打开订单详情" {
			t.Fatalf("restore 2: %+v %v", back, err)
		}
		got, err := h.Rich.Get(ctx, ten.TenantID, a.ID)
		if err != nil || !strings.Contains(got.HTML, "<strong>退货</strong>") || got.Text != "退货：打开订单详情" {
			t.Fatalf("after restoring 2: %+v %v", got, err)
		}
		if of, _ := h.Rich.Of(ctx, ten.TenantID, a.ID, back.Answer); of.HTML != got.HTML {
			t.Errorf("the robot's answer after the restore: %q", of.HTML)
		}
		if res, err := h.KB.Search(ctx, ten.TenantID, kb.Query{Text: "打开订单详情"}); err != nil || len(res.Hits) == 0 {
			t.Errorf("search after the restore: %+v %v", res.Hits, err)
		}
		vs, _ = h.Rich.Versions(ctx, ten.TenantID, a.ID)
		if vs[0].Action != "restore" || !strings.Contains(vs[0].Rich, "<strong>退货</strong>") {
			t.Errorf("the restore's version: %+v", vs[0])
		}

		// Version 1 was plain with the same text: restoring it is plain.
		if _, err := h.Rich.Restore(ctx, ten.TenantID, a.ID, 1, ten.ID); err != nil {
			t.Fatal(err)
		}
		if got, err := h.Rich.Get(ctx, ten.TenantID, a.ID); err != nil || got.HTML != "" || got.Text != "退货：打开订单详情" {
			t.Errorf("after restoring plain 1: %+v %v", got, err)
		}
		// ... and restoring the italic version 3 after that is rich again.
		if _, err := h.Rich.Restore(ctx, ten.TenantID, a.ID, 3, ten.ID); err != nil {
			t.Fatal(err)
		}
		if got, _ := h.Rich.Get(ctx, ten.TenantID, a.ID); !strings.Contains(got.HTML, "<em>退货</em>") {
			t.Errorf("after restoring 3: %+v", got)
		}

		other := h.NewTenant(t).Admin
		if _, err := h.Rich.Versions(ctx, other.TenantID, a.ID); !errors.Is(err, hub.ErrNotFound) {
			t.Errorf("another tenant's versions: %v", err)
		}
		if _, err := h.Rich.Restore(ctx, other.TenantID, a.ID, 2, other.ID); !errors.Is(err, hub.ErrNotFound) {
			t.Errorf("another tenant's restore: %v", err)
		}
		if got, _ := h.Rich.Get(ctx, ten.TenantID, a.ID); !strings.Contains(got.HTML, "<em>退货</em>") {
			t.Errorf("another tenant's restore changed it: %+v", got)
		}
		storedSanitized(t, h, ten.TenantID)
	})
}

// TestRichAnswerVersionsPruned: the rich answers recorded with versions
// are pruned with them, and the oldest version kept still shows its own.
func TestRichAnswerVersionsPruned(t *testing.T) {
	hubtest.Each(t, func(t *testing.T, h *hubtest.Hub) {
		ctx := t.Context()
		ten, a := newArticle(t, h, "发什么快递？", "顺丰")
		marks := []string{"strong", "em"}
		for i := range kb.KeepVersions + 2 { // versions 2 to 53: 4 to 53 are kept
			m := marks[i%2]
			if _, err := h.Rich.Set(ctx, ten.TenantID, ten.ID, a.ID, "<p><"+m+">顺丰</"+m+"></p>"); err != nil {
				t.Fatal(err)
			}
		}
		vs, err := h.Rich.Versions(ctx, ten.TenantID, a.ID)
		if err != nil || len(vs) != kb.KeepVersions {
			t.Fatalf("versions: %d %v", len(vs), err)
		}
		oldest := vs[len(vs)-1]
		if oldest.Version.Version != 4 || !strings.Contains(oldest.Rich, "<strong>顺丰</strong>") {
			t.Errorf("oldest kept: %d %q", oldest.Version.Version, oldest.Rich)
		}
		var n int
		if err := h.K.Get(ctx, &n, `SELECT COUNT(*) FROM kb_rich_versions WHERE article_id = ?`, a.ID); err != nil || n > kb.KeepVersions {
			t.Errorf("rich versions kept: %d %v", n, err)
		}
	})
}
