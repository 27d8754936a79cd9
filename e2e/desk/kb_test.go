package desk

// The knowledge base's REST API (issue 17), as the console, the composer
// and integrators call it: articles, the search contract, the lexicon.

import (
	"net/url"
	"testing"

	"github.com/kefu-hub/kefu/e2e/kit"
)

type kbSearch struct {
	Items []struct {
		ID       string  `json:"id"`
		Score    float64 `json:"score"`
		Question string  `json:"question"`
	} `json:"items"`
	Threshold *float64 `json:"threshold"`
}

func search(t *testing.T, c *kit.Client, q string) kbSearch {
	t.Helper()
	var r kbSearch
	c.Must(200, "GET", "/api/v1/kb/search?q="+url.QueryEscape(q), nil).JSON(t, &r)
	if r.Threshold == nil {
		t.Fatalf("search %q: no threshold", q)
	}
	for i := 1; i < len(r.Items); i++ {
		if r.Items[i].Score > r.Items[i-1].Score {
			t.Fatalf("search %q: not best first: %+v", q, r.Items)
		}
	}
	return r
}

func TestKnowledgeBaseAPI(t *testing.T) {
	t.Parallel()
	kit.ForModes(t, func(t *testing.T, m kit.Mode) {
		h := kit.NewEnv(t, m).Start()
		admin := h.Admin()
		li := admin.NewAgent("li@kefu.test", 5)
		faq := []map[string]any{
			{"question": "退款多久到账？", "similar": []string{"钱什么时候退回来", "退款几天到"}, "answer": "1到3个工作日原路退回。", "category": "售后"},
			{"question": "运费怎么收？", "similar": []string{"包邮吗", "满多少包邮"}, "answer": "满99元包邮。"},
			{"question": "发什么快递？", "similar": []string{"用哪家快递", "是顺丰吗"}, "answer": "默认中通。", "category": "物流"},
			{"question": "可以开发票吗？", "similar": []string{"能开票吗"}, "answer": "可以开电子发票。"},
			{"question": "尺码怎么选？", "similar": []string{"穿多大码", "尺码表"}, "answer": "见商品页尺码表。"},
		}
		ids := make([]string, len(faq))
		for i, f := range faq {
			ids[i] = admin.Must(201, "POST", "/api/v1/kb/articles", f).Str("id")
			if ids[i] == "" {
				t.Fatalf("created article without id")
			}
		}
		refund, ship := ids[0], ids[1]
		li.Must(403, "POST", "/api/v1/kb/articles", faq[0])
		admin.Must(400, "POST", "/api/v1/kb/articles", map[string]any{"question": "", "answer": "x"})
		admin.Must(400, "POST", "/api/v1/kb/articles", map[string]any{"question": "x"})

		// Any agent searches; a paraphrase in 繁體 finds the refund article
		// above the threshold; an off-topic question finds nothing above it.
		r := search(t, li, "退款幾天能到帳")
		if len(r.Items) == 0 || r.Items[0].ID != refund || r.Items[0].Score < *r.Threshold {
			t.Errorf("refund question: %+v (threshold %v)", r.Items, *r.Threshold)
		}
		if r := search(t, li, "今天天气怎么样"); len(r.Items) > 0 && r.Items[0].Score >= *r.Threshold {
			t.Errorf("off-topic question answered: %+v", r.Items)
		}
		if r := search(t, li, ""); len(r.Items) != 0 {
			t.Errorf("empty question: %+v", r.Items)
		}

		// Changes show in the next search: disabled articles never answer.
		admin.Must(200, "PATCH", "/api/v1/kb/articles/"+refund, map[string]any{"enabled": false})
		if r := search(t, li, "退款多久到账"); len(r.Items) > 0 && r.Items[0].ID == refund {
			t.Errorf("disabled article still answers: %+v", r.Items)
		}
		li.Must(403, "PATCH", "/api/v1/kb/articles/"+refund, map[string]any{"enabled": true})
		admin.Must(200, "PATCH", "/api/v1/kb/articles/"+refund, map[string]any{"enabled": true})

		// The lexicon: a synonym the admin adds makes a new word match.
		if r := search(t, li, "寄件费用怎么收"); len(r.Items) > 0 && r.Items[0].ID == ship && r.Items[0].Score >= *r.Threshold {
			t.Fatalf("matched before the synonym: %+v", r.Items)
		}
		admin.Must(200, "PUT", "/api/v1/kb/lexicon", map[string]any{"synonyms": []string{"运费=寄件费用"}})
		if r := search(t, li, "寄件费用怎么收"); len(r.Items) == 0 || r.Items[0].ID != ship || r.Items[0].Score < *r.Threshold {
			t.Errorf("after the synonym: %+v", r.Items)
		}
		var lex struct{ Synonyms []string }
		if admin.Must(200, "GET", "/api/v1/kb/lexicon", nil).JSON(t, &lex); len(lex.Synonyms) != 1 || lex.Synonyms[0] != "运费=寄件费用" {
			t.Errorf("lexicon: %+v", lex)
		}
		li.Must(403, "PUT", "/api/v1/kb/lexicon", map[string]any{"synonyms": []string{}})

		var list struct{ Articles []struct{ ID string } }
		li.Must(200, "GET", "/api/v1/kb/articles?category=物流", nil).JSON(t, &list)
		if len(list.Articles) != 1 || list.Articles[0].ID != ids[2] {
			t.Errorf("list by category: %+v", list.Articles)
		}
		admin.Must(200, "DELETE", "/api/v1/kb/articles/"+ship, nil)
		admin.Must(404, "GET", "/api/v1/kb/articles/"+ship, nil)
		if r := search(t, li, "运费怎么收"); len(r.Items) > 0 && r.Items[0].ID == ship {
			t.Errorf("deleted article still found")
		}
	})
}
