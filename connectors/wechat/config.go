package wechat

import (
	"encoding/json"
	"regexp"
	"strings"

	"github.com/kefu-hub/kefu/connectors"
	"github.com/kefu-hub/kefu/hub"
)

// Config is a WeChat channel's settings as an admin sends them. AppSecret,
// Token and EncodingAESKey are kept in the channel's secret, never in the
// config the API shows; Token and EncodingAESKey are shown in the setup
// info, for pasting into the WeChat platform.
type Config struct {
	// AppID is the account's 开发者ID (AppID).
	AppID string `json:"app_id"`
	// AppSecret is the 开发者密码 (AppSecret); required once, kept when omitted later.
	AppSecret string `json:"app_secret,omitempty"`
	// Token is the 令牌 of the server configuration; generated when omitted.
	Token string `json:"token,omitempty"`
	// EncodingAESKey is the 消息加解密密钥 (43 characters); generated when omitted.
	EncodingAESKey string `json:"encoding_aes_key,omitempty"`
	// Mode is the 消息加解密方式: plain, compat or safe (default, recommended).
	Mode string `json:"mode"`
	// WelcomeMessage is sent to every new follower (empty: none).
	WelcomeMessage string `json:"welcome_message,omitempty"`
	// Menu says what a click on a custom-menu item (its key) does.
	Menu map[string]MenuAction `json:"menu,omitempty"`
	// Rating invites the customer to rate when a conversation closes (a
	// text with the scale's numbers and a link to the rating page); on
	// when omitted (connectors.RateOnClose).
	Rating *bool `json:"rating"`
}

// MenuAction is what clicking a CLICK-type menu item does: a keyword reply,
// opening a conversation with an agent, or both.
type MenuAction struct {
	Reply            string `json:"reply,omitempty"`
	OpenConversation bool   `json:"open_conversation,omitempty"`
}

// secrets are stored as the channel's secret (never shown by the API).
type secrets struct {
	AppSecret string `json:"app_secret"`
	Token     string `json:"token"`
	AESKey    string `json:"encoding_aes_key"`
}

// account is a channel's config and secrets, decoded.
type account struct {
	Config
	sec secrets
}

var (
	appIDPattern  = regexp.MustCompile(`^[A-Za-z0-9_]{4,64}$`)
	secretPattern = regexp.MustCompile(`^[A-Za-z0-9]{8,128}$`)
	tokenPattern  = regexp.MustCompile(`^[A-Za-z0-9]{3,32}$`) // WeChat's own rule for the Token
	aesPattern    = regexp.MustCompile(`^[A-Za-z0-9]{43}$`)
)

// Limits on the admin's texts.
const (
	maxTextLen  = 2000
	maxMenu     = 100
	maxMenuKey  = 128 // WeChat's limit for a menu key
	accountName = "wechat:"
)

// Setup validates an admin's config and keeps the secrets apart. On update,
// omitted secrets keep their stored value; rotate issues a new Token (to be
// pasted into WeChat again).
func (c *Connector) Setup(ch *hub.Channel, raw json.RawMessage, rotate bool) error {
	var cfg Config
	if len(raw) == 0 || string(raw) == "null" {
		return hub.Invalid("config is required: app_id, app_secret and mode")
	}
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return hub.Invalid("config: %v", err)
	}
	prev, _ := connectors.Secrets[secrets](ch.Secret)
	sec := secrets{AppSecret: pick(cfg.AppSecret, prev.AppSecret), Token: pick(cfg.Token, prev.Token),
		AESKey: pick(cfg.EncodingAESKey, prev.AESKey)}
	if sec.Token == "" || rotate {
		sec.Token = connectors.RandomAlnum(32)
	}
	if sec.AESKey == "" {
		sec.AESKey = connectors.RandomAlnum(43)
	}
	if cfg.Mode == "" {
		cfg.Mode = ModeSafe
	}
	if err := validate(&cfg, sec); err != nil {
		return err
	}
	cfg.AppSecret, cfg.Token, cfg.EncodingAESKey = "", "", ""
	cfg.Rating = connectors.RateOnClose(cfg.Rating)
	ch.Config, _ = json.Marshal(cfg)
	b, _ := json.Marshal(sec)
	ch.Secret = string(b)
	ch.WantsEvents = false // WeChat has no use for conversation events
	return nil
}

func pick(v, fallback string) string {
	if v = strings.TrimSpace(v); v != "" {
		return v
	}
	return fallback
}

func validate(cfg *Config, sec secrets) error {
	cfg.AppID = strings.TrimSpace(cfg.AppID)
	cfg.WelcomeMessage = hub.Clean(cfg.WelcomeMessage)
	switch {
	case !appIDPattern.MatchString(cfg.AppID):
		return hub.Invalid("app_id must be the account's AppID (开发者ID), letters and digits")
	case !secretPattern.MatchString(sec.AppSecret):
		return hub.Invalid("app_secret must be the account's AppSecret (开发者密码), letters and digits")
	case !tokenPattern.MatchString(sec.Token):
		return hub.Invalid("token must be 3 to 32 letters or digits (WeChat's rule)")
	case !aesPattern.MatchString(sec.AESKey) || !connectors.ValidAESKey(sec.AESKey):
		return hub.Invalid("encoding_aes_key must be 43 letters or digits (消息加解密密钥)")
	case cfg.Mode != ModePlain && cfg.Mode != ModeCompat && cfg.Mode != ModeSafe:
		return hub.Invalid("mode must be plain, compat or safe")
	case len(cfg.WelcomeMessage) > maxTextLen:
		return hub.Invalid("welcome_message is longer than %d bytes", maxTextLen)
	case len(cfg.Menu) > maxMenu:
		return hub.Invalid("menu has more than %d items", maxMenu)
	}
	for k, a := range cfg.Menu {
		if k == "" || len(k) > maxMenuKey || hub.Clean(k) != k {
			return hub.Invalid("menu keys are 1 to %d bytes of UTF-8", maxMenuKey)
		}
		a.Reply = hub.Clean(a.Reply)
		if len(a.Reply) > maxTextLen {
			return hub.Invalid("menu[%q].reply is longer than %d bytes", k, maxTextLen)
		}
		cfg.Menu[k] = a
	}
	return nil
}

// accountOf decodes a channel's config and secrets (validated by Setup).
func accountOf(ch *hub.Channel) (*account, error) {
	cfg, sec, err := connectors.Account[Config, secrets](ch)
	return &account{Config: cfg, sec: sec}, err
}

func (a *account) keys() Keys {
	return Keys{AppID: a.AppID, Token: a.sec.Token, AESKey: a.sec.AESKey, Mode: a.Mode}
}

// Credentials are a channel's shared secrets with WeChat, for tests and
// tools that play the platform's side.
type Credentials struct {
	AppID, AppSecret, Token, EncodingAESKey, Mode string
}

// CredentialsOf returns a WeChat channel's credentials.
func CredentialsOf(ch *hub.Channel) (Credentials, error) {
	a, err := accountOf(ch)
	if err != nil {
		return Credentials{}, err
	}
	return Credentials{AppID: a.AppID, AppSecret: a.sec.AppSecret, Token: a.sec.Token, EncodingAESKey: a.sec.AESKey,
		Mode: a.Mode}, nil
}

// Info is what the admin pastes into 设置与开发 → 基本配置 → 服务器配置 on
// mp.weixin.qq.com (with the channel's webhook_url as the server URL).
func (c *Connector) Info(ch *hub.Channel) map[string]any {
	a, err := accountOf(ch)
	if err != nil {
		return map[string]any{"error": "the channel's config cannot be read; save it again"}
	}
	info := map[string]any{
		"server_url_path":  "/webhooks/wechat/" + ch.ID,
		"token":            a.sec.Token,
		"encoding_aes_key": a.sec.AESKey,
		"app_id":           a.AppID,
		"app_secret_set":   a.sec.AppSecret != "",
		"mode":             a.Mode,
		"recommended_mode": ModeSafe,
		"instructions": "在微信公众平台「设置与开发 → 基本配置 → 服务器配置」填写：服务器地址(URL) = webhook_url，令牌(Token) = token，" +
			"消息加解密密钥(EncodingAESKey) = encoding_aes_key，消息加解密方式 = 安全模式（推荐）；并在「IP白名单」中加入本服务器的出口IP。",
	}
	if a.Mode == ModePlain {
		info["warning"] = "明文模式 (plain): WeChat's signature covers only the timestamp and nonce, not the message body, so " +
			"whoever sees one signed request can forge messages for a few minutes. Use 安全模式 (safe)."
	}
	return info
}
