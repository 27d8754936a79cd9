package helpcentre

import (
	"slices"
	"strings"

	"github.com/gin-gonic/gin"
)

// texts are a help centre's words in one language.
type texts struct {
	Title, Search, SearchHint, Categories, Uncategorized, Articles        string
	Empty, NoHits, Results, BestAnswer, Related, Back, Contact, ContactUs string
	NotFound, Unavailable, RateLimited, Updated                           string
}

var dict = map[string]*texts{
	"zh-CN": {Title: "帮助中心", Search: "搜索", SearchHint: "输入您的问题，例如：运费怎么算", Categories: "分类",
		Uncategorized: "其他问题", Articles: "篇", Empty: "暂无帮助文章。如有疑问，请联系在线客服。",
		NoHits: "没有找到相关问题，换个说法试试，或联系在线客服。", Results: "搜索结果", BestAnswer: "最佳答案",
		Related: "您是不是想问", Back: "返回帮助中心", Contact: "没有解决您的问题？", ContactUs: "联系在线客服",
		NotFound: "页面不存在或帮助中心未开启。", Unavailable: "服务暂时不可用，请稍后再试。",
		RateLimited: "访问过于频繁，请稍后再试。", Updated: "更新于"},
	"zh-TW": {Title: "幫助中心", Search: "搜尋", SearchHint: "輸入您的問題，例如：運費怎麼算", Categories: "分類",
		Uncategorized: "其他問題", Articles: "篇", Empty: "暫無幫助文章。如有疑問，請聯繫線上客服。",
		NoHits: "沒有找到相關問題，換個說法試試，或聯繫線上客服。", Results: "搜尋結果", BestAnswer: "最佳答案",
		Related: "您是不是想問", Back: "返回幫助中心", Contact: "沒有解決您的問題？", ContactUs: "聯繫線上客服",
		NotFound: "頁面不存在或幫助中心未開啟。", Unavailable: "服務暫時無法使用，請稍後再試。",
		RateLimited: "存取過於頻繁，請稍後再試。", Updated: "更新於"},
	"en": {Title: "Help centre", Search: "Search", SearchHint: "Type your question, e.g. shipping cost", Categories: "Categories",
		Uncategorized: "Other questions", Articles: "articles", Empty: "No help articles yet. Chat with us if you have a question.",
		NoHits: "No matching questions. Try other words, or chat with us.", Results: "Search results", BestAnswer: "Best answer",
		Related: "Did you mean", Back: "Back to the help centre", Contact: "Still need help?", ContactUs: "Chat with us",
		NotFound: "This page does not exist, or the help centre is off.", Unavailable: "Temporarily unavailable; please try again.",
		RateLimited: "Too many requests; please wait a moment.", Updated: "Updated"},
}

// lang is the page's language: its tag, its words, and whether the
// visitor chose it with ?lang (then the links keep it).
type lang struct {
	Tag    string
	T      *texts
	Chosen bool
}

// Suffix is what the page's links append to keep a chosen language.
func (l lang) Suffix() string {
	if l.Chosen {
		return "?lang=" + l.Tag
	}
	return ""
}

// pickLang: ?lang when it is one of the site's languages, else the first
// Accept-Language the site speaks (zh-Hant, zh-TW, zh-HK → zh-TW; other
// zh → zh-CN), else the site's default.
func pickLang(g *gin.Context, langs []string, def string) lang {
	ok := func(t string) bool { return dict[t] != nil && (len(langs) == 0 || slices.Contains(langs, t)) }
	if q := g.Query("lang"); ok(q) {
		return lang{Tag: q, T: dict[q], Chosen: true}
	}
	for _, part := range strings.Split(g.GetHeader("Accept-Language"), ",") {
		if t := tagOf(part); ok(t) {
			return lang{Tag: t, T: dict[t]}
		}
	}
	if !ok(def) {
		def = "zh-CN"
	}
	return lang{Tag: def, T: dict[def]}
}

// tagOf maps one Accept-Language entry ("zh-HK;q=0.8") to our tags.
func tagOf(part string) string {
	t, _, _ := strings.Cut(strings.TrimSpace(part), ";")
	t = strings.ToLower(t)
	switch {
	case t == "zh-tw" || t == "zh-hk" || t == "zh-mo" || strings.HasPrefix(t, "zh-hant"):
		return "zh-TW"
	case t == "zh" || strings.HasPrefix(t, "zh-"):
		return "zh-CN"
	case t == "en" || strings.HasPrefix(t, "en-"):
		return "en"
	}
	return ""
}
