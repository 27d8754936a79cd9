package qq

import (
	"encoding/json"
	"regexp"
	"strings"

	"github.com/kefu-hub/kefu/connectors"
	"github.com/kefu-hub/kefu/hub"
)

// Config is a QQ bot channel's settings as an admin sends them, from
// q.qq.com → 开发 → 开发设置. AppSecret is kept in the channel's secret
// (encrypted at rest), never in the config the API shows.
type Config struct {
	// AppID is the bot's AppID (机器人ID).
	AppID string `json:"app_id"`
	// AppSecret is the bot's AppSecret (机器人密钥); required once, kept
	// when omitted later. It signs the platform's callbacks and fetches the
	// access token.
	AppSecret string `json:"app_secret,omitempty"`
	// Rating invites the customer to rate when a conversation closes (a
	// text with the scale's numbers and a link to the rating page); on
	// when omitted (connectors.RateOnClose).
	Rating *bool `json:"rating"`
}

// secrets are stored as the channel's secret (never shown by the API).
type secrets struct {
	AppSecret string `json:"app_secret"`
}

// account is a channel's config and secret, decoded.
type account struct {
	Config
	sec secrets
}

var (
	appIDPattern  = regexp.MustCompile(`^[0-9]{4,20}$`)
	secretPattern = regexp.MustCompile(`^[A-Za-z0-9]{8,128}$`)
)

// tokenName is the shared token's name in the store.
const tokenName = "qq:"

// Setup validates an admin's config and keeps the secret apart. On update
// an omitted app_secret keeps the stored one. The secret is the platform's
// (the admin copies it from q.qq.com), so rotate cannot make a new one: it
// only stores what the admin sends, which must then be a new secret.
func (c *Connector) Setup(ch *hub.Channel, raw json.RawMessage, rotate bool) error {
	if len(raw) == 0 || string(raw) == "null" {
		return hub.Invalid("config is required: app_id and app_secret (q.qq.com → 开发设置)")
	}
	var cfg Config
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return hub.Invalid("config: %v", err)
	}
	prev, _ := connectors.Secrets[secrets](ch.Secret)
	sec := secrets{AppSecret: strings.TrimSpace(cfg.AppSecret)}
	if sec.AppSecret == "" {
		sec.AppSecret = prev.AppSecret
	}
	cfg.AppID = strings.TrimSpace(cfg.AppID)
	switch {
	case !appIDPattern.MatchString(cfg.AppID):
		return hub.Invalid("app_id must be the bot's AppID (机器人ID), digits")
	case !secretPattern.MatchString(sec.AppSecret):
		return hub.Invalid("app_secret must be the bot's AppSecret (机器人密钥), letters and digits")
	case rotate && sec.AppSecret == prev.AppSecret:
		return hub.Invalid("to rotate, reset the AppSecret on q.qq.com and send the new app_secret")
	}
	cfg.AppSecret = ""
	cfg.Rating = connectors.RateOnClose(cfg.Rating)
	ch.Config, _ = json.Marshal(cfg)
	b, _ := json.Marshal(sec)
	ch.Secret = string(b)
	ch.WantsEvents = false
	return nil
}

// accountOf decodes a channel's config and secret (validated by Setup).
func accountOf(ch *hub.Channel) (*account, error) {
	cfg, sec, err := connectors.Account[Config, secrets](ch)
	return &account{Config: cfg, sec: sec}, err
}

// Credentials are a channel's AppID and AppSecret, for tests and tools that
// play the platform's side.
type Credentials struct{ AppID, AppSecret string }

// CredentialsOf returns a QQ channel's credentials.
func CredentialsOf(ch *hub.Channel) (Credentials, error) {
	a, err := accountOf(ch)
	if err != nil {
		return Credentials{}, err
	}
	return Credentials{AppID: a.AppID, AppSecret: a.sec.AppSecret}, nil
}

// Info is what the admin pastes into q.qq.com → 开发 → 回调配置 (with the
// channel's webhook_url as the callback address), and the platform's rules
// agents work under.
func (c *Connector) Info(ch *hub.Channel) map[string]any {
	a, err := accountOf(ch)
	if err != nil {
		return map[string]any{"error": "the channel's config cannot be read; save it again"}
	}
	return map[string]any{
		"callback_url_path": "/webhooks/qq/" + ch.ID,
		"app_id":            a.AppID,
		"app_secret_set":    a.sec.AppSecret != "",
		"events":            Subscribed,
		"instructions": "在 QQ 开放平台 q.qq.com「开发 → 回调配置」填写：请求地址 = webhook_url，并勾选事件：" +
			strings.Join(Subscribed, "、") + "。平台会先发送一次地址校验（op 13），本服务自动应答。",
		"limits": "QQ 自 2025-04-21 起不再允许主动消息：单聊需在用户发消息后 60 分钟内回复，每条用户消息最多回复 5 次；" +
			"群聊 @机器人 的消息需在 5 分钟内回复。超时未回复的会话将自动转为工单，请通过其他方式跟进。",
	}
}

// Subscribed are the events to tick in the callback configuration.
var Subscribed = []string{EventC2CMessage, EventGroupAtMessage, EventFriendAdd, EventFriendDel, EventC2CReject, EventC2CReceive}
