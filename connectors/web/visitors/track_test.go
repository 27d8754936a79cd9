package visitors

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// Referrers as the engines send them (copied from real search result links).
func TestSearchKeyword(t *testing.T) {
	for _, c := range []struct{ ref, engine, keyword string }{
		{"https://www.baidu.com/s?ie=utf-8&f=8&rsv_bp=1&tn=baidu&wd=%E5%9C%A8%E7%BA%BF%E5%AE%A2%E6%9C%8D%E7%B3%BB%E7%BB%9F&oq=x", "baidu", "在线客服系统"},
		{"https://m.baidu.com/s?word=%E5%AE%A2%E6%9C%8D%E8%BD%AF%E4%BB%B6&sa=ikb", "baidu", "客服软件"},
		{"http://www.baidu.com/s?wd=%D4%DA%CF%DF%BF%CD%B7%FE&ie=gbk", "baidu", "在线客服"}, // GBK
		{"https://www.baidu.com/link?url=abcdef&wd=&eqid=ffe1", "baidu", ""},           // keyword withheld
		{"https://www.google.com/search?q=live+chat+software&oq=live+chat&sourceid=chrome", "google", "live chat software"},
		{"https://www.google.com.hk/search?q=%E5%AE%A2%E6%9C%8D&hl=zh-CN", "google", "客服"},
		{"https://www.google.com/", "google", ""},
		{"https://cn.bing.com/search?q=%E5%AE%A2%E6%9C%8D%E7%B3%BB%E7%BB%9F&form=QBLH", "bing", "客服系统"},
		{"https://www.bing.com/search?q=helpdesk+chinese&qs=n", "bing", "helpdesk chinese"},
		{"https://www.sogou.com/web?query=%E5%9C%A8%E7%BA%BF%E5%92%A8%E8%AF%A2&_asf=www.sogou.com", "sogou", "在线咨询"},
		{"https://m.sogou.com/web/searchList.jsp?keyword=%E5%AE%A2%E6%9C%8D", "sogou", "客服"},
		{"https://www.so.com/s?ie=utf-8&src=360sou_newhome&q=%E5%AE%A2%E6%9C%8D%E5%B7%A5%E5%85%B7", "360", "客服工具"},
		{"https://m.so.com/s?q=%E5%AE%A2%E6%9C%8D&src=home", "360", "客服"},
		{"https://m.sm.cn/s?q=%E5%9C%A8%E7%BA%BF%E5%AE%A2%E6%9C%8D&from=smor", "shenma", "在线客服"},
		{"https://yz.m.sm.cn/s?q=%E5%AE%A2%E6%9C%8D", "shenma", "客服"},
		{"https://shop.example.com/pricing", "", ""},
		{"https://notbaidu.com/s?wd=x", "", ""},
		{"https://baidu.com.evil.test/s?wd=x", "", ""},
		{"", "", ""},
		{"not a url", "", ""},
	} {
		e, k := SearchKeyword(c.ref)
		if e != c.engine || k != c.keyword {
			t.Errorf("SearchKeyword(%q) = %q, %q; want %q, %q", c.ref, e, k, c.engine, c.keyword)
		}
	}
}

func TestUserAgent(t *testing.T) {
	for _, c := range []struct{ ua, browser, os string }{
		{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36", "Chrome 126", "Windows 10/11"},
		{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.2592.87", "Edge 126", "Windows 10/11"},
		{"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15", "Safari 17", "macOS 10.15"},
		{"Mozilla/5.0 (iPhone; CPU iPhone OS 17_5_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.49(0x18003137) NetType/WIFI Language/zh_CN", "WeChat 8", "iOS 17.5"},
		{"Mozilla/5.0 (Linux; Android 14; V2309A Build/UP1A.231005.007; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/116.0.0.0 Mobile Safari/537.36 XWEB/1160117 MMWEBSDK/20240301 MicroMessenger/8.0.48.2580(0x28003035) WeChat/arm64 Weixin NetType/5G Language/zh_CN ABI/arm64", "WeChat 8", "Android 14"},
		{"Mozilla/5.0 (Linux; U; Android 12; zh-cn; PFFM10 Build/SP1A.210812.016) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/90.0.4430.61 Mobile Safari/537.36 HeyTapBrowser/40.8.21.1", "Chrome 90", "Android 12"},
		{"Mozilla/5.0 (Windows NT 6.1; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/70.0.3538.25 Safari/537.36 Core/1.70.3883.400 QQBrowser/10.8.4559.400", "QQ Browser 10", "Windows 7"},
		{"Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0", "Firefox 127", "Linux"},
		{"Mozilla/5.0 (Linux; Android 12; HarmonyOS; NOH-AN00; HMSCore 6.13.0.302) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/99.0.4844.88 HuaweiBrowser/14.0.5.302 Mobile Safari/537.36", "Huawei Browser 14", "HarmonyOS"},
		{"Mozilla/5.0 (Windows NT 6.1; Trident/7.0; rv:11.0) like Gecko", "Internet Explorer", "Windows 7"},
		{"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 Safari/537.36", "Chrome 156 (headless)", "Linux"},
		{"curl/8.5.0", "", ""},
	} {
		b, o := UserAgent(c.ua)
		if b != c.browser || o != c.os {
			t.Errorf("UserAgent(%.60q…) = %q, %q; want %q, %q", c.ua, b, o, c.browser, c.os)
		}
	}
}

// FuzzSearchKeyword: referrers are customer text; parsing never panics and
// always yields valid, bounded UTF-8.
func FuzzSearchKeyword(f *testing.F) {
	for _, s := range []string{"https://www.baidu.com/s?wd=%D4%DA&ie=gbk", "https://m.sm.cn/s?q=%E5", "https://www.google.com/#q=x",
		"https://www.so.com/s?q=%ZZ", "http://[::1]:80/?q=1", "https://www.bing.com/search?q=" + strings.Repeat("%E5%AE%A2", 300)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, ref string) {
		e, k := SearchKeyword(ref)
		if !utf8.ValidString(k) || len([]rune(k)) > 200 || (k != "" && e == "") {
			t.Fatalf("SearchKeyword(%q) = %q, %q", ref, e, k)
		}
		b, o := UserAgent(ref)
		_ = b + o
	})
}

func TestDevice(t *testing.T) {
	for ua, want := range map[string]string{
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36":   "desktop",
		"Mozilla/5.0 (iPhone; CPU iPhone OS 17_5_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148":   "mobile",
		"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36": "mobile",
		"Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148": "tablet",
		"Mozilla/5.0 (Linux; Android 13; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36":        "tablet",
		"": "",
	} {
		if got := Device(ua); got != want {
			t.Errorf("Device(%q) = %q, want %q", ua, got, want)
		}
	}
}
