package visitors

import (
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// engine is a search engine recognised in referrers: the hosts it answers
// on and the query parameters that carry the keyword, in order.
type engine struct {
	name   string
	hosts  []string // the host or a parent domain
	params []string
}

var engines = []engine{
	{"baidu", []string{"baidu.com"}, []string{"wd", "word", "kw", "q"}},
	{"google", []string{"google.com", "google.com.hk", "google.cn", "google.co.jp", "google.com.tw", "google.co.uk"}, []string{"q"}},
	{"bing", []string{"bing.com"}, []string{"q"}},
	{"sogou", []string{"sogou.com"}, []string{"query", "keyword"}},
	{"360", []string{"so.com", "haosou.com"}, []string{"q"}},
	{"shenma", []string{"sm.cn"}, []string{"q"}},
}

// SearchKeyword returns the search engine and keyword a referrer carries
// ("" when the referrer is not a known search engine). Baidu still sends
// GBK-encoded keywords from old pages (ie=gbk); they are decoded.
func SearchKeyword(ref string) (engineName, keyword string) {
	u, err := url.Parse(strings.TrimSpace(ref))
	if err != nil || u.Host == "" {
		return "", ""
	}
	host := strings.ToLower(u.Hostname())
	for _, e := range engines {
		if !hostIn(host, e.hosts) {
			continue
		}
		for _, p := range e.params {
			raw, ok := rawParam(u.RawQuery, p)
			if !ok {
				continue
			}
			return e.name, decodeKeyword(raw, strings.ToLower(u.Query().Get("ie")))
		}
		if u.Fragment != "" { // some engines keep the query after #
			if raw, ok := rawParam(u.Fragment, e.params[0]); ok {
				return e.name, decodeKeyword(raw, "")
			}
		}
		return e.name, ""
	}
	return "", ""
}

func hostIn(host string, domains []string) bool {
	for _, d := range domains {
		if host == d || strings.HasSuffix(host, "."+d) {
			return true
		}
	}
	return false
}

// rawParam finds a query parameter without decoding it (its bytes may be GBK).
func rawParam(query, name string) (string, bool) {
	for _, kv := range strings.Split(query, "&") {
		k, v, _ := strings.Cut(kv, "=")
		if k == name && v != "" {
			return v, true
		}
	}
	return "", false
}

func decodeKeyword(raw, charset string) string {
	v, err := url.QueryUnescape(raw)
	if err != nil {
		v = raw
	}
	if !utf8.ValidString(v) || charset == "gbk" || charset == "gb2312" {
		if d, err := simplifiedchinese.GBK.NewDecoder().String(v); err == nil && utf8.ValidString(d) {
			v = d
		}
	}
	v = strings.Join(strings.Fields(strings.ToValidUTF8(v, "")), " ")
	if r := []rune(v); len(r) > 200 {
		v = string(r[:200])
	}
	return v
}

var (
	winNT   = regexp.MustCompile(`Windows NT (\d+\.\d+)`)
	macVer  = regexp.MustCompile(`Mac OS X (\d+)[._](\d+)`)
	iosVer  = regexp.MustCompile(`OS (\d+)[._](\d+)(?:[._]\d+)? like Mac OS X`)
	andVer  = regexp.MustCompile(`Android (\d+(?:\.\d+)?)`)
	harmony = regexp.MustCompile(`HarmonyOS(?:[ /;]+(\d+(?:\.\d+)?))?`)
	winName = map[string]string{"10.0": "Windows 10/11", "6.3": "Windows 8.1", "6.2": "Windows 8", "6.1": "Windows 7",
		"6.0": "Windows Vista", "5.1": "Windows XP"}
)

// browsers are checked in order: many user agents name several.
var browsers = []struct{ token, name string }{
	{"MicroMessenger/", "WeChat"}, {"QQ/", "QQ"}, {"MQQBrowser/", "QQ Browser"}, {"QQBrowser/", "QQ Browser"},
	{"UCBrowser/", "UC Browser"}, {"Quark/", "Quark"}, {"baiduboxapp/", "Baidu App"}, {"Edg/", "Edge"},
	{"EdgA/", "Edge"}, {"EdgiOS/", "Edge"}, {"OPR/", "Opera"}, {"SamsungBrowser/", "Samsung Internet"},
	{"HuaweiBrowser/", "Huawei Browser"}, {"MiuiBrowser/", "MIUI Browser"}, {"Firefox/", "Firefox"},
	{"FxiOS/", "Firefox"}, {"CriOS/", "Chrome"}, {"Chrome/", "Chrome"}, {"Version/", "Safari"},
	{"Trident/", "Internet Explorer"}, {"MSIE ", "Internet Explorer"},
}

// Device is the kind of device a User-Agent names: "tablet" (iPad,
// Android without "Mobile", a Windows tablet), "mobile" (phones) or
// "desktop"; "" for none.
func Device(ua string) string {
	switch {
	case ua == "":
		return ""
	case strings.Contains(ua, "iPad") || strings.Contains(ua, "Tablet") ||
		(strings.Contains(ua, "Android") && !strings.Contains(ua, "Mobile")):
		return "tablet"
	case strings.Contains(ua, "Mobile") || strings.Contains(ua, "iPhone") || strings.Contains(ua, "iPod") ||
		strings.Contains(ua, "Phone"):
		return "mobile"
	}
	return "desktop"
}

// UserAgent names the browser (with major version) and OS of a User-Agent.
func UserAgent(ua string) (browser, os string) {
	for _, b := range browsers {
		if i := strings.Index(ua, b.token); i >= 0 {
			browser = b.name
			v := ua[i+len(b.token):]
			if j := strings.IndexAny(v, ". ;)"); j > 0 {
				v = v[:j]
			}
			if v != "" && len(v) <= 4 && strings.Trim(v, "0123456789") == "" && b.name != "Internet Explorer" {
				browser += " " + v
			}
			break
		}
	}
	if strings.Contains(ua, "Headless") {
		browser += " (headless)"
	}
	switch {
	case harmony.MatchString(ua):
		os = "HarmonyOS"
		if m := harmony.FindStringSubmatch(ua); m[1] != "" {
			os += " " + m[1]
		}
	case strings.Contains(ua, "iPhone") || strings.Contains(ua, "iPad") || strings.Contains(ua, "iPod"):
		os = "iOS"
		if m := iosVer.FindStringSubmatch(ua); m != nil {
			os += " " + m[1] + "." + m[2]
		}
	case strings.Contains(ua, "Android"):
		os = "Android"
		if m := andVer.FindStringSubmatch(ua); m != nil {
			os += " " + m[1]
		}
	case winNT.MatchString(ua):
		os = "Windows"
		if n, ok := winName[winNT.FindStringSubmatch(ua)[1]]; ok {
			os = n
		}
	case strings.Contains(ua, "Mac OS X"):
		os = "macOS"
		if m := macVer.FindStringSubmatch(ua); m != nil {
			os += " " + m[1] + "." + m[2]
		}
	case strings.Contains(ua, "CrOS"):
		os = "ChromeOS"
	case strings.Contains(ua, "Linux"):
		os = "Linux"
	}
	return strings.TrimSpace(browser), os
}
