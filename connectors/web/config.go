package web

import (
	"encoding/json"
	"net/url"
	"regexp"
	"strings"
	"sync"

	"github.com/kefu-hub/kefu/connectors/custsock"
	"github.com/kefu-hub/kefu/hub"
)

// Config is a web channel's settings, as the admin sets them.
type Config struct {
	// AllowedDomains are the sites that may embed the widget: "example.com"
	// (that host), "*.example.com" (its subdomains and itself). The hub's
	// own direct chat page is always allowed.
	AllowedDomains []string `json:"allowed_domains"`
	Title          string   `json:"title"`
	Color          string   `json:"color"`
	LogoURL        string   `json:"logo_url"`
	Position       string   `json:"position"` // right | left
	DefaultLang    string   `json:"default_lang"`
	Languages      []string `json:"languages"`
	// Groups is the chooser shown before the first message (售前 / 售后 …);
	// empty: no chooser.
	Groups      []GroupChoice `json:"groups"`
	Rating      bool          `json:"rating"`
	OfflineForm OfflineForm   `json:"offline_form"`
	Invite      InviteRules   `json:"invite"`
	// IdentityRequired rejects visitors without Kefu.identify() and a valid
	// hash (HMAC-SHA256 of the user id with the channel's identity secret).
	IdentityRequired bool            `json:"identity_required"`
	Upload           custsock.Upload `json:"upload"`
	// Limits caps the conversations visitors may have open at once.
	Limits Limits `json:"limits"`
	// HelpCentre publishes the knowledge base articles live on this channel
	// as a public help centre (帮助中心) at /help/{channel_id}, and the
	// widget links to it.
	HelpCentre bool `json:"help_centre"`
}

// Limits caps the active (queued or open) conversations of a web channel,
// so that a script cannot fill the tenant's queue: a message that would
// open one more is refused (too_many_conversations). A visitor has at most
// one active conversation per channel anyway; a script that mints new
// visitors meets the per-address cap (identified visitors, with a valid
// Kefu.identify hash, are not counted by address), and all of them the
// per-channel cap. 0 means the default.
type Limits struct {
	// OpenPerAddress: active conversations of anonymous visitors last
	// seen from one client address (default 10).
	OpenPerAddress int `json:"open_per_address"`
	// OpenPerChannel: active conversations of the channel (default 1000).
	OpenPerChannel int `json:"open_per_channel"`
}

// Default conversation caps of a web channel.
const (
	defaultOpenPerAddress = 10
	defaultOpenPerChannel = 1000
)

func (l Limits) perAddress() int { return cmpOr(l.OpenPerAddress, defaultOpenPerAddress) }
func (l Limits) perChannel() int { return cmpOr(l.OpenPerChannel, defaultOpenPerChannel) }

func cmpOr(v, def int) int {
	if v > 0 {
		return v
	}
	return def
}

// GroupChoice is one entry of the group chooser.
type GroupChoice struct {
	ID    string `json:"id"`
	Label string `json:"label"`
}

// OfflineForm is the leave-a-message form.
type OfflineForm struct {
	Fields []FormField `json:"fields"`
}

// FormField is one field of the leave-a-message form.
type FormField struct {
	Name     string `json:"name"`
	Label    string `json:"label"`
	Type     string `json:"type"` // text | tel | email | textarea
	Required bool   `json:"required"`
}

// InviteRules are the automatic invite rules the loader runs.
type InviteRules struct {
	Enabled                bool   `json:"enabled"`
	AfterSeconds           int    `json:"after_seconds"`
	MaxTimes               int    `json:"max_times"`
	DeclineIntervalSeconds int    `json:"decline_interval_seconds"`
	Text                   string `json:"text"`
}

var (
	langs     = map[string]bool{"zh-CN": true, "zh-TW": true, "en": true}
	colorRe   = regexp.MustCompile(`^#[0-9a-fA-F]{3}([0-9a-fA-F]{3})?$`)
	domainRe  = regexp.MustCompile(`^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$`)
	fieldName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)
)

// defaultFields is the leave-a-message form when the admin sets none.
var defaultFields = []FormField{
	{Name: "name", Label: "姓名", Type: "text", Required: true},
	{Name: "phone", Label: "电话", Type: "tel"},
	{Name: "email", Label: "邮箱", Type: "email"},
	{Name: "message", Label: "留言内容", Type: "textarea", Required: true},
}

// normalize validates a config and fills in defaults.
func (c *Config) normalize(groupExists func(id string) bool) error {
	var doms []string
	for _, d := range c.AllowedDomains {
		d = strings.ToLower(strings.TrimSpace(d))
		if u, err := url.Parse(d); err == nil && u.Host != "" {
			d = u.Hostname() // a pasted URL: keep its host
		} else if h, _, ok := strings.Cut(d, ":"); ok {
			d = h // host:port — ports are not part of the rule
		}
		if d == "" {
			continue
		}
		if !domainRe.MatchString(d) || len(d) > 253 {
			return hub.Invalid("allowed_domains: %q is not a host name (example.com or *.example.com)", d)
		}
		doms = append(doms, d)
	}
	if len(doms) > 100 {
		return hub.Invalid("allowed_domains: at most 100")
	}
	c.AllowedDomains = orEmpty(doms)
	c.Title = strings.TrimSpace(c.Title)
	if c.Title == "" {
		c.Title = "在线客服"
	}
	if len([]rune(c.Title)) > 60 {
		return hub.Invalid("title: at most 60 characters")
	}
	if c.Color == "" {
		c.Color = "#0958d9"
	}
	if !colorRe.MatchString(c.Color) {
		return hub.Invalid("color: use #rgb or #rrggbb")
	}
	if c.LogoURL != "" {
		u, err := url.Parse(c.LogoURL)
		if err != nil || u.Scheme != "https" || u.Host == "" {
			return hub.Invalid("logo_url: must be an https URL")
		}
	}
	switch c.Position {
	case "":
		c.Position = "right"
	case "right", "left":
	default:
		return hub.Invalid("position: right or left")
	}
	if c.DefaultLang == "" {
		c.DefaultLang = "zh-CN"
	}
	if !langs[c.DefaultLang] {
		return hub.Invalid("default_lang: zh-CN, zh-TW or en")
	}
	if len(c.Languages) == 0 {
		c.Languages = []string{"zh-CN", "zh-TW", "en"}
	}
	for _, l := range c.Languages {
		if !langs[l] {
			return hub.Invalid("languages: %q is not one of zh-CN, zh-TW, en", l)
		}
	}
	for i, g := range c.Groups {
		g.Label = strings.TrimSpace(g.Label)
		if g.Label == "" || len([]rune(g.Label)) > 30 {
			return hub.Invalid("groups[%d]: a label of 1–30 characters is required", i)
		}
		if !groupExists(g.ID) {
			return hub.Invalid("groups[%d]: group %q does not exist", i, g.ID)
		}
		c.Groups[i] = g
	}
	c.Groups = orEmpty(c.Groups)
	if len(c.OfflineForm.Fields) == 0 {
		c.OfflineForm.Fields = defaultFields
	}
	seen := map[string]bool{}
	for i, f := range c.OfflineForm.Fields {
		if !fieldName.MatchString(f.Name) || seen[f.Name] {
			return hub.Invalid("offline_form.fields[%d]: name must be unique, lower-case letters, digits, _", i)
		}
		seen[f.Name] = true
		switch f.Type {
		case "":
			c.OfflineForm.Fields[i].Type = "text"
		case "text", "tel", "email", "textarea":
		default:
			return hub.Invalid("offline_form.fields[%d]: type is text, tel, email or textarea", i)
		}
		if strings.TrimSpace(f.Label) == "" {
			c.OfflineForm.Fields[i].Label = f.Name
		}
	}
	if len(c.OfflineForm.Fields) > 20 {
		return hub.Invalid("offline_form: at most 20 fields")
	}
	if c.Limits.OpenPerAddress < 0 || c.Limits.OpenPerChannel < 0 || c.Limits.OpenPerAddress > 100000 || c.Limits.OpenPerChannel > 1000000 {
		return hub.Invalid("limits: open_per_address (1–100000) and open_per_channel (1–1000000), 0 for the default")
	}
	c.Limits.OpenPerAddress, c.Limits.OpenPerChannel = c.Limits.perAddress(), c.Limits.perChannel()
	iv := &c.Invite
	if iv.AfterSeconds < 0 || iv.MaxTimes < 0 || iv.DeclineIntervalSeconds < 0 {
		return hub.Invalid("invite: numbers must not be negative")
	}
	if iv.Enabled && iv.AfterSeconds == 0 {
		iv.AfterSeconds = 15
	}
	if iv.Enabled && iv.MaxTimes == 0 {
		iv.MaxTimes = 1
	}
	if iv.Text == "" {
		iv.Text = "您好，有什么可以帮您？"
	}
	return c.Upload.Normalize()
}

func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// allowsHost reports whether a page on host may use the widget.
func (c *Config) allowsHost(host string) bool {
	host = strings.ToLower(host)
	for _, d := range c.AllowedDomains {
		if base, ok := strings.CutPrefix(d, "*."); ok {
			if host == base || strings.HasSuffix(host, "."+base) {
				return true
			}
		} else if host == d {
			return true
		}
	}
	return false
}

// parseConfig reads a channel's settings (validated by Setup). Every socket
// and widget request reads them, so the parsed form is kept by content:
// the result shares its slices with the cache and must not be changed.
func parseConfig(raw json.RawMessage) Config {
	parsed.Lock()
	c, ok := parsed.m[string(raw)]
	parsed.Unlock()
	if ok {
		return c
	}
	_ = json.Unmarshal(raw, &c)
	parsed.Lock()
	if parsed.m == nil || len(parsed.m) >= 256 {
		parsed.m = map[string]Config{} // channels' settings rarely change: start over
	}
	parsed.m[string(raw)] = c
	parsed.Unlock()
	return c
}

var parsed struct {
	sync.Mutex
	m map[string]Config // raw settings → parsed
}

// public is what the widget may know of the channel.
func (c *Config) public(ch *hub.Channel, online bool) map[string]any {
	return map[string]any{
		"channel_id": ch.ID, "name": ch.Name, "title": c.Title, "color": c.Color, "logo_url": c.LogoURL,
		"position": c.Position, "default_lang": c.DefaultLang, "languages": c.Languages, "groups": c.Groups,
		"rating": c.Rating, "offline_form": c.OfflineForm, "invite": c.Invite,
		"identity_required": c.IdentityRequired, "upload": c.Upload, "online": online, "help_url": c.helpURL(ch),
	}
}

// helpURL is the help centre's path, "" when it is off.
func (c *Config) helpURL(ch *hub.Channel) string {
	if !c.HelpCentre {
		return ""
	}
	return "/help/" + ch.ID
}
