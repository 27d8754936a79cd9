package channels

// The public help centre (帮助中心) of a web channel: the articles live on
// that channel, grouped by category, its search with the robot's
// threshold, an article page, the language by ?lang or Accept-Language,
// cacheable pages, inert hostile articles, 404 for what is not published
// and for channels whose help centre is off, and a rate limit.

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kefu-hub/kefu/e2e/kit"
)

// get fetches a help centre page without credentials.
func get(t *testing.T, u string, hdr map[string]string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

func TestHelpCentre(t *testing.T) {
	t.Parallel()
	kit.ForModes(t, func(t *testing.T, m kit.Mode) {
		h := kit.NewEnv(t, m).Start()
		adm := h.Admin()
		chID, _ := adm.NewWebChannel(map[string]any{"help_centre": true, "title": "小美商城"})
		offID, _ := adm.NewWebChannel(map[string]any{})
		article := func(body map[string]any) string {
			return adm.Must(201, "POST", "/api/v1/kb/articles", body).Str("id")
		}
		ship := article(map[string]any{"question": "运费怎么算", "similar": []string{"邮费多少"},
			"answer": "全场满99元包邮，不满收8元。\n详见 https://shop.example.com/ship", "category": "物流"})
		ret := article(map[string]any{"question": "怎么申请退货", "answer": "七天无理由退货。", "category": "售后",
			"channels": []string{chID}})
		other := article(map[string]any{"question": "其他渠道专属问题", "answer": "只在别处显示。", "channels": []string{offID}})
		off := article(map[string]any{"question": "已停用的问题", "answer": "不应显示。", "enabled": false})
		past := article(map[string]any{"question": "已过期的活动", "answer": "活动已结束。",
			"valid_from": time.Now().Add(-48 * time.Hour).UTC().Format(time.RFC3339),
			"valid_to":   time.Now().Add(-24 * time.Hour).UTC().Format(time.RFC3339)})
		evil := article(map[string]any{"question": `<script>alert("q")</script>发票怎么开`,
			"answer": "<img src=x onerror=alert(1)> 请联系客服 javascript:alert(2) <a href=\"javascript:alert(3)\">点我</a>"})

		base := h.Base + "/help/" + chID
		res, body := get(t, base, nil)
		if res.StatusCode != 200 || !strings.Contains(body, "小美商城 · 帮助中心") {
			t.Fatalf("home %d: %s", res.StatusCode, body)
		}
		for _, want := range []string{"运费怎么算", "怎么申请退货", "物流", "售后", "其他问题", "/help/" + chID + "/articles/" + ship} {
			if !strings.Contains(body, want) {
				t.Errorf("home page lacks %q", want)
			}
		}
		for _, not := range []string{"其他渠道专属问题", "已停用的问题", "已过期的活动", "<script", "<img"} {
			if strings.Contains(body, not) {
				t.Errorf("home page shows %q", not)
			}
		}
		if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "script-src") {
			t.Errorf("CSP %q lets scripts run", csp)
		}
		etag := res.Header.Get("ETag")
		if res.Header.Get("Cache-Control") != "public, max-age=60" || etag == "" || !strings.Contains(res.Header.Get("Vary"), "Accept-Language") {
			t.Errorf("cache headers %v", res.Header)
		}
		if res, _ := get(t, base, map[string]string{"If-None-Match": etag}); res.StatusCode != http.StatusNotModified {
			t.Errorf("revalidation: %d", res.StatusCode)
		}

		// The language: Accept-Language, then ?lang (kept in the links).
		if _, body := get(t, base, map[string]string{"Accept-Language": "zh-HK,zh;q=0.9"}); !strings.Contains(body, "幫助中心") {
			t.Errorf("zh-HK visitor gets %s", body)
		}
		if _, body := get(t, base+"?lang=en", map[string]string{"Accept-Language": "zh-CN"}); !strings.Contains(body, "Help centre") ||
			!strings.Contains(body, "/articles/"+ret+"?lang=en") {
			t.Errorf("?lang=en gets %s", body)
		}

		// Search: the robot's threshold marks the best answer.
		res, body = get(t, base+"?q="+url.QueryEscape("邮费要多少钱"), nil)
		if res.StatusCode != 200 || !strings.Contains(body, "最佳答案") || !strings.Contains(body, "全场满99元包邮") ||
			!strings.Contains(body, `href="https://shop.example.com/ship"`) {
			t.Errorf("search %d: %s", res.StatusCode, body)
		}
		if _, body := get(t, base+"?q="+url.QueryEscape("其他渠道专属问题"), nil); strings.Contains(body, other) {
			t.Errorf("search shows another channel's article: %s", body)
		}
		if _, body := get(t, base+"?q=zzzz", nil); !strings.Contains(body, "没有找到相关问题") {
			t.Errorf("empty search: %s", body)
		}

		// Article pages: published ones only; a hostile one is inert text.
		res, body = get(t, base+"/articles/"+ret, nil)
		if res.StatusCode != 200 || !strings.Contains(body, "七天无理由退货。") || !strings.Contains(body, "售后") {
			t.Errorf("article %d: %s", res.StatusCode, body)
		}
		res, body = get(t, base+"/articles/"+evil, nil)
		if res.StatusCode != 200 || strings.Contains(body, "<script") || strings.Contains(body, "<img") ||
			strings.Contains(body, `href="javascript`) || !strings.Contains(body, "&lt;script&gt;") {
			t.Errorf("hostile article: %s", body)
		}
		for _, id := range []string{other, off, past, "kb_nope"} {
			if res, body := get(t, base+"/articles/"+id, nil); res.StatusCode != 404 || !strings.Contains(body, "页面不存在") ||
				res.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("unpublished article %s: %d %s", id, res.StatusCode, body)
			}
		}
		// A channel with the help centre off, an unknown one: not found.
		for _, p := range []string{"/help/" + offID, "/help/ch_nope", "/help/" + offID + "/articles/" + ship} {
			if res, _ := get(t, h.Base+p, nil); res.StatusCode != 404 {
				t.Errorf("%s: %d", p, res.StatusCode)
			}
		}
		// The widget learns the link; the console's setup shows it.
		if u := adm.Must(200, "GET", "/webhooks/web/"+chID+"/config", nil).Str("help_url"); u != "/help/"+chID {
			t.Errorf("widget help_url %q", u)
		}
		if u := adm.Must(200, "GET", "/webhooks/web/"+offID+"/config", nil).Str("help_url"); u != "" {
			t.Errorf("help_url of a channel without help centre: %q", u)
		}

		// Searches are rate-limited per address.
		limited := false
		for i := 0; i < 40 && !limited; i++ {
			res, _ := get(t, base+"?q="+url.QueryEscape("退货"), nil)
			limited = res.StatusCode == http.StatusTooManyRequests
		}
		if !limited {
			t.Error("40 searches in a row were never limited")
		}
	})
}
