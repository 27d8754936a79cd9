package web

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/kefu-hub/kefu/connectors/custsock"
)

func TestConfigDomainsAndDefaults(t *testing.T) {
	c := Config{AllowedDomains: []string{"Shop.Example.com", "https://www.example.org/path", "*.cdn.example.net", "localhost:3000"}}
	if err := c.normalize(func(string) bool { return true }); err != nil {
		t.Fatal(err)
	}
	for host, want := range map[string]bool{"shop.example.com": true, "SHOP.example.com": true, "www.example.org": true,
		"example.org": false, "a.cdn.example.net": true, "cdn.example.net": true, "evilcdn.example.net": false,
		"localhost": true, "shop.example.com.evil.test": false, "": false} {
		if got := c.allowsHost(host); got != want {
			t.Errorf("allowsHost(%q) = %v, want %v", host, got, want)
		}
	}
	if c.Title == "" || c.Position != "right" || c.DefaultLang != "zh-CN" || len(c.OfflineForm.Fields) != 4 || c.Upload.MaxBytes == 0 {
		t.Fatalf("defaults not filled: %+v", c)
	}
	for name, bad := range map[string]Config{
		"domain":   {AllowedDomains: []string{"exa mple.com"}},
		"color":    {Color: "red;background:url(x)"},
		"logo":     {LogoURL: "javascript:alert(1)"},
		"lang":     {DefaultLang: "fr"},
		"position": {Position: "top"},
		"field":    {OfflineForm: OfflineForm{Fields: []FormField{{Name: "Bad Name"}}}},
		"type":     {Upload: custsock.Upload{Types: []string{"*/*; evil"}}},
		"group":    {Groups: []GroupChoice{{ID: "g_missing", Label: "售前"}}},
	} {
		if err := bad.normalize(func(id string) bool { return id != "g_missing" }); err == nil {
			t.Errorf("%s: accepted %+v", name, bad)
		}
	}
	u := Config{Upload: custsock.Upload{Types: []string{"image/*", "application/pdf"}}}
	for ct, want := range map[string]bool{"image/png": true, "image/jpeg": true, "application/pdf": true,
		"text/html; charset=utf-8": false, "application/octet-stream": false} {
		if u.Upload.Allows(ct) != want {
			t.Errorf("allowsType(%q) != %v", ct, want)
		}
	}
}

func TestOfflineFormCompose(t *testing.T) {
	f := OfflineForm{Fields: defaultFields}
	if _, _, err := f.compose(map[string]string{"name": "张三"}); err == nil || !strings.Contains(err.Error(), "留言内容") {
		t.Fatalf("missing required message: %v", err)
	}
	if _, _, err := f.compose(map[string]string{"name": "张三", "message": "x", "email": "not-an-email"}); err == nil {
		t.Fatal("a bad email was accepted")
	}
	text, who, err := f.compose(map[string]string{"name": " 张三 ", "phone": "138", "message": "请回电", "extra": "ignored"})
	if err != nil {
		t.Fatal(err)
	}
	if who.Name != "张三" || who.Phone != "138" || !strings.Contains(text, "留言内容: 请回电") || strings.Contains(text, "ignored") {
		t.Fatalf("compose: %q %+v", text, who)
	}
}

// FuzzConfig: an admin's widget settings are parsed and normalized without
// panicking, and what normalize accepts it accepts again unchanged.
func FuzzConfig(f *testing.F) {
	for _, s := range []string{`{}`, `{"allowed_domains":["*.example.com","https://a.b/c"],"color":"#fff"}`,
		`{"offline_form":{"fields":[{"name":"x","type":"email","required":true}]},"invite":{"enabled":true}}`,
		`{"upload":{"max_bytes":-1,"types":["image/*"]},"languages":["en"],"default_lang":"en"}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		var c Config
		if json.Unmarshal([]byte(raw), &c) != nil {
			return
		}
		if c.normalize(func(string) bool { return false }) != nil {
			return
		}
		again := c
		if err := again.normalize(func(string) bool { return true }); err != nil {
			t.Fatalf("normalized config rejected: %v (%+v)", err, c)
		}
		for _, d := range c.AllowedDomains {
			if !c.allowsHost(strings.TrimPrefix(d, "*.")) {
				t.Fatalf("domain %q not allowed by its own config", d)
			}
		}
	})
}
