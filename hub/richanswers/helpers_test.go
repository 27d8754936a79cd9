package richanswers_test

import (
	"testing"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/hubtest"
	"github.com/kefu-hub/kefu/hub/kb"
)

func ptr[T any](v T) *T { return &v }

// newArticle makes a tenant and one of its articles (question and plain
// answer, made by the tenant's admin), which the tests then make rich.
func newArticle(t *testing.T, h *hubtest.Hub, question, answer string) (*hub.Agent, *kb.Article) {
	t.Helper()
	admin := h.NewTenant(t).Admin
	a, err := h.KB.Create(t.Context(), admin.TenantID, kb.Patch{Question: &question, Answer: &answer, By: admin.ID})
	if err != nil {
		t.Fatal(err)
	}
	return admin, a
}

// count is how many rows of table (kb_rich_answers, kb_rich_versions)
// the article has.
func count(t *testing.T, h *hubtest.Hub, table, articleID string) int {
	t.Helper()
	var n int
	if err := h.K.Get(t.Context(), &n, `SELECT COUNT(*) FROM `+table+` WHERE article_id = ?`, articleID); err != nil {
		t.Fatal(err)
	}
	return n
}
