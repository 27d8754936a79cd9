package richanswers_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/files"
	"github.com/kefu-hub/kefu/hub/hubtest"
	"github.com/kefu-hub/kefu/hub/kb"
)

// TestRichAnswer: an admin's rich answer is kept sanitized, its text
// becomes the article's answer (what search indexes: words of the text
// match, the markup's do not), and an edit of the plain answer elsewhere
// leaves the article plain. Another tenant's article is not found. Both
// dialects.
func TestRichAnswer(t *testing.T) {
	hubtest.Each(t, func(t *testing.T, h *hubtest.Hub) {
		ctx := t.Context()
		ten, a := newArticle(t, h, "怎么申请退货？", "在订单详情申请售后。", "退货流程")
		rich := h.Rich
		if got, err := rich.Get(ctx, ten.TenantID, a.ID); err != nil || got.HTML != "" || got.Text != "在订单详情申请售后。" {
			t.Fatalf("plain article: %+v %v", got, err)
		}
		markup := `<p><strong>退货</strong>步骤：</p><ol><li>打开订单详情</li><li>点击申请售后</li></ol>` +
			`<p><a href="https://zzmarkupzz.example/help" onclick="alert(1)">帮助中心</a></p>` +
			`<img src="https://cdn.example.com/r.png" onerror="alert(1)"><script>alert(2)</script>`
		got, err := rich.Set(ctx, ten.TenantID, ten.ID, a.ID, markup)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(got.HTML, "onclick") || strings.Contains(got.HTML, "onerror") || strings.Contains(got.HTML, "script") ||
			!strings.Contains(got.HTML, "<strong>退货</strong>") || len(got.Images) != 1 {
			t.Errorf("stored markup %q images %q", got.HTML, got.Images)
		}
		art, err := h.KB.Get(ctx, ten.TenantID, a.ID)
		if err != nil || art.Answer != got.Text || !strings.Contains(art.Answer, "1. 打开订单详情") || strings.Contains(art.Answer, "<") {
			t.Fatalf("article answer %q (rich text %q) %v", art.Answer, got.Text, err)
		}
		if again, err := rich.Get(ctx, ten.TenantID, a.ID); err != nil || again.HTML != got.HTML {
			t.Errorf("read back: %+v %v", again, err)
		}

		// Search reads the text, never the markup.
		res, err := h.KB.Search(ctx, ten.TenantID, kb.Query{Text: "打开订单详情 申请售后"})
		if err != nil || len(res.Hits) == 0 || res.Hits[0].Article.ID != a.ID {
			t.Errorf("search by the text: %+v %v", res.Hits, err)
		}
		for _, markupOnly := range []string{"strong", "onclick", "script"} {
			if res, err := h.KB.Search(ctx, ten.TenantID, kb.Query{Text: markupOnly}); err != nil || len(res.Hits) > 0 {
				t.Errorf("search %q matched the markup: %+v %v", markupOnly, res.Hits, err)
			}
		}

		// Another tenant cannot read or write it; bad markup changes nothing.
		other := h.NewTenant(t).Admin
		if _, err := rich.Get(ctx, other.TenantID, a.ID); !errors.Is(err, hub.ErrNotFound) {
			t.Errorf("other tenant reads: %v", err)
		}
		if _, err := rich.Set(ctx, other.TenantID, other.ID, a.ID, "<p>x</p>"); !errors.Is(err, hub.ErrNotFound) {
			t.Errorf("other tenant writes: %v", err)
		}
		var inv *hub.InvalidError
		if _, err := rich.Set(ctx, ten.TenantID, ten.ID, a.ID, `<script>alert(1)</script><img src=x>`); !errors.As(err, &inv) {
			t.Errorf("markup without text: %v", err)
		}
		// An image from the hub's files must be the tenant's own upload.
		theirs := &files.File{TenantID: other.TenantID, Name: "x.png", ContentType: "image/png", Data: []byte("\x89PNG")}
		if err := files.New(h.K).Save(ctx, theirs); err != nil {
			t.Fatal(err)
		}
		for _, src := range []string{files.FileURL(theirs.ID), files.FileURL("att_nope")} {
			if _, err := rich.Set(ctx, ten.TenantID, ten.ID, a.ID, `<p>见图</p><img src="`+src+`">`); !errors.As(err, &inv) {
				t.Errorf("image %s of another tenant or none: %v", src, err)
			}
		}
		mine := &files.File{TenantID: ten.TenantID, Name: "y.png", ContentType: "image/png", Data: []byte("\x89PNG")}
		if err := files.New(h.K).Save(ctx, mine); err != nil {
			t.Fatal(err)
		}
		if r, err := rich.Set(ctx, ten.TenantID, ten.ID, a.ID, `<p>见图</p><img src="`+files.FileURL(mine.ID)+`">`); err != nil ||
			len(r.Images) != 1 {
			t.Errorf("the tenant's own upload: %+v %v", r, err)
		}
		if _, err := rich.Set(ctx, ten.TenantID, ten.ID, a.ID, markup); err != nil {
			t.Fatal(err)
		}
		if again, _ := rich.Get(ctx, ten.TenantID, a.ID); again.HTML != got.HTML {
			t.Errorf("a refused change changed it: %q", again.HTML)
		}

		// A plain edit (the API's PATCH, an import, a restore) wins.
		if _, err := h.KB.Update(ctx, ten.TenantID, a.ID, kb.Patch{Answer: ptr("改为：联系客服退货。")}); err != nil {
			t.Fatal(err)
		}
		if plain, err := rich.Get(ctx, ten.TenantID, a.ID); err != nil || plain.HTML != "" || plain.Text != "改为：联系客服退货。" {
			t.Errorf("after a plain edit: %+v %v", plain, err)
		}
		storedSanitized(t, h, ten.TenantID)
	})
}
