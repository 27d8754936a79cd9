package richanswers_test

import (
	"testing"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/hubtest"
	"github.com/kefu-hub/kefu/hub/kb"
	"github.com/kefu-hub/kefu/hub/richtext"
)

func ptr[T any](v T) *T { return &v }

// newArticle makes a tenant and one of its articles (question, plain
// answer, similar questions; made by the tenant's admin), which the tests
// then make rich.
func newArticle(t *testing.T, h *hubtest.Hub, question, answer string, similar ...string) (*hub.Agent, *kb.Article) {
	t.Helper()
	admin := h.NewTenant(t).Admin
	p := kb.Patch{Question: &question, Answer: &answer, By: admin.ID}
	if len(similar) > 0 {
		p.Similar = &similar
	}
	a, err := h.KB.Create(t.Context(), admin.TenantID, p)
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

// storedSanitized checks that every rich answer the tenant's articles and
// their versions keep is sanitized markup (sanitizing it again changes
// nothing), which is why exports and versions read it as stored.
func storedSanitized(t *testing.T, h *hubtest.Hub, tenantID string) {
	t.Helper()
	var stored []string
	const q = `SELECT html FROM kb_rich_answers WHERE tenant_id = ? UNION ALL SELECT html FROM kb_rich_versions WHERE tenant_id = ?`
	if err := h.K.Select(t.Context(), &stored, q, tenantID, tenantID); err != nil || len(stored) == 0 {
		t.Fatalf("stored rich answers: %d %v", len(stored), err)
	}
	for _, html := range stored {
		if again := richtext.Sanitize(html).HTML; again != html {
			t.Errorf("stored markup is not sanitized:\n%s\nsanitized:\n%s", html, again)
		}
	}
}

// setRich saves each markup in turn as the article's rich answer (a
// version each).
func setRich(t *testing.T, h *hubtest.Hub, admin *hub.Agent, articleID string, markups ...string) {
	t.Helper()
	for _, m := range markups {
		if _, err := h.Rich.Set(t.Context(), admin.TenantID, admin.ID, articleID, m); err != nil {
			t.Fatal(err)
		}
	}
}
