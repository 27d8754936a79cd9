package weibo

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"regexp"
	"strings"

	"github.com/kefu-hub/kefu/connectors"
	"github.com/kefu-hub/kefu/hub"
)

// Config is a Weibo channel's settings as an admin sends them. AppSecret
// and AccessToken are kept in the channel's secret (encrypted at rest),
// never in the config the API shows.
type Config struct {
	// AppKey is the app's App Key (开发者模式 → App Key).
	AppKey string `json:"app_key"`
	// AppSecret is the App Secret; it signs every push. Required once,
	// kept when omitted later.
	AppSecret string `json:"app_secret,omitempty"`
	// AccessToken is the long-lived token the developer-mode page shows;
	// required once, kept when omitted later.
	AccessToken string `json:"access_token,omitempty"`
	// UID is the Weibo account's numeric uid (the receiver of pushes).
	UID string `json:"uid"`
	// Rating invites the customer to rate when a conversation closes (a
	// text with the scale's numbers and a link to the rating page); on
	// when omitted (connectors.RateOnClose).
	Rating *bool `json:"rating"`
}

// secrets are stored as the channel's secret. LinkKey signs the links to
// images agents send (Weibo users open them without logging in to the hub);
// rotating it makes old links stop working.
type secrets struct {
	AppSecret   string `json:"app_secret"`
	AccessToken string `json:"access_token"`
	LinkKey     string `json:"link_key"`
}

// account is a channel's config and secrets, decoded.
type account struct {
	Config
	sec secrets
}

var (
	appKeyPattern = regexp.MustCompile(`^[0-9]{4,20}$`)
	secretPattern = regexp.MustCompile(`^[A-Za-z0-9]{8,64}$`)
	tokenPattern  = regexp.MustCompile(`^[A-Za-z0-9._\-]{8,256}$`)
	uidPattern    = regexp.MustCompile(`^[1-9][0-9]{0,18}$`)
)

// Setup validates an admin's config and keeps the secrets apart. On update,
// omitted secrets keep their stored value; rotate issues a new link key.
func (c *Connector) Setup(ch *hub.Channel, raw json.RawMessage, rotate bool) error {
	var cfg Config
	if len(raw) == 0 || string(raw) == "null" {
		return hub.Invalid("config is required: app_key, app_secret, access_token and uid")
	}
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return hub.Invalid("config: %v", err)
	}
	prev, _ := connectors.Secrets[secrets](ch.Secret)
	sec := secrets{AppSecret: pick(cfg.AppSecret, prev.AppSecret), AccessToken: pick(cfg.AccessToken, prev.AccessToken),
		LinkKey: prev.LinkKey}
	if sec.LinkKey == "" || rotate {
		sec.LinkKey = randomHex(16)
	}
	cfg.AppKey, cfg.UID = strings.TrimSpace(cfg.AppKey), strings.TrimSpace(cfg.UID)
	switch {
	case !appKeyPattern.MatchString(cfg.AppKey):
		return hub.Invalid("app_key must be the app's App Key (digits)")
	case !secretPattern.MatchString(sec.AppSecret):
		return hub.Invalid("app_secret must be the app's App Secret (letters and digits)")
	case !tokenPattern.MatchString(sec.AccessToken):
		return hub.Invalid("access_token must be the access token from the fans-service developer-mode page")
	case !uidPattern.MatchString(cfg.UID):
		return hub.Invalid("uid must be the Weibo account's numeric uid")
	}
	cfg.AppSecret, cfg.AccessToken = "", ""
	cfg.Rating = connectors.RateOnClose(cfg.Rating)
	ch.Config, _ = json.Marshal(cfg)
	b, _ := json.Marshal(sec)
	ch.Secret = string(b)
	ch.WantsEvents = false // Weibo has no use for conversation events
	return nil
}

func pick(v, fallback string) string {
	if v = strings.TrimSpace(v); v != "" {
		return v
	}
	return fallback
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// accountOf decodes a channel's config and secrets (validated by Setup).
func accountOf(ch *hub.Channel) (*account, error) {
	cfg, sec, err := connectors.Account[Config, secrets](ch)
	return &account{Config: cfg, sec: sec}, err
}

// linkSig signs a file id for a public image link.
func (a *account) linkSig(fileID string) string {
	m := hmac.New(sha256.New, []byte(a.sec.LinkKey))
	m.Write([]byte(fileID))
	return hex.EncodeToString(m.Sum(nil)[:16])
}

// Credentials are a channel's shared secrets with Weibo, for tests and
// tools that play the platform's side.
type Credentials struct {
	AppKey, AppSecret, AccessToken, UID string
}

// CredentialsOf returns a Weibo channel's credentials.
func CredentialsOf(ch *hub.Channel) (Credentials, error) {
	a, err := accountOf(ch)
	if err != nil {
		return Credentials{}, err
	}
	return Credentials{AppKey: a.AppKey, AppSecret: a.sec.AppSecret, AccessToken: a.sec.AccessToken, UID: a.UID}, nil
}

// Info is what the admin pastes into 粉丝服务 → 高级功能 → 开发者模式 on
// weibo.com (with the channel's webhook_url as the callback URL).
func (c *Connector) Info(ch *hub.Channel) map[string]any {
	a, err := accountOf(ch)
	if err != nil {
		return map[string]any{"error": "the channel's config cannot be read; save it again"}
	}
	return map[string]any{
		"callback_url_path":  "/webhooks/weibo/" + ch.ID,
		"app_key":            a.AppKey,
		"uid":                a.UID,
		"app_secret_set":     a.sec.AppSecret != "",
		"access_token_set":   a.sec.AccessToken != "",
		"text_limit":         MaxText,
		"reply_window_hours": 48,
		"instructions": "在微博「管理中心 → 粉丝服务 → 高级功能 → 开发者模式」中：回调地址(URL) = webhook_url，数据格式选 JSON，" +
			"并把页面上的 App Key、App Secret、access_token 和账号 UID 填入本渠道。微博用 App Secret 签名每次推送。",
		"limits": "客服消息只能在用户最后一次私信、关注、订阅、扫码或点击菜单后的 48 小时内发送；对 @提及 只能回复一次；" +
			"用户取消关注后不能再发送。每条文字最多 300 字，更长的回复会拆成几条依次发送；图片以链接卡片发送（需要设置 KEFU_PUBLIC_URL）。",
		"warning": "微博的签名只覆盖 timestamp 和 nonce，不覆盖消息内容：回调地址请务必使用 HTTPS。",
	}
}
