package wecom

import (
	"encoding/json"
	"regexp"
	"strings"

	"github.com/kefu-hub/kefu/connectors"
	"github.com/kefu-hub/kefu/hub"
)

// Config is a 微信客服 channel's settings as an admin sends them. Secret,
// Token and EncodingAESKey are kept in the channel's secret (sealed at
// rest), never in the config the API shows; Token and EncodingAESKey are
// shown in the setup info, for pasting into WeCom's callback settings.
type Config struct {
	// CorpID is the company's 企业ID (我的企业 → 企业信息); the callbacks are
	// encrypted for it (their receiver id).
	CorpID string `json:"corp_id"`
	// Secret is the 微信客服 application's Secret (微信客服 → API → Secret);
	// required once, kept when omitted later.
	Secret string `json:"secret,omitempty"`
	// Token is the callback 令牌 (Token); generated when omitted.
	Token string `json:"token,omitempty"`
	// EncodingAESKey is the callback 消息加解密密钥 (43 characters);
	// generated when omitted.
	EncodingAESKey string `json:"encoding_aes_key,omitempty"`
	// OpenKfID is the customer-service account (客服帐号 ID, wk…) this
	// channel serves; its messages only are pulled.
	OpenKfID string `json:"open_kfid"`
	// WelcomeMessage is sent when a customer opens the chat and WeCom
	// allows a welcome (empty: none).
	WelcomeMessage string `json:"welcome_message,omitempty"`
	// Rating invites the customer to rate when a conversation closes (a
	// text with the scale's numbers and a link to the rating page); on
	// when omitted (connectors.RateOnClose).
	Rating *bool `json:"rating"`
}

// secrets are stored as the channel's secret (never shown by the API).
type secrets struct {
	Secret string `json:"secret"`
	Token  string `json:"token"`
	AESKey string `json:"encoding_aes_key"`
}

// account is a channel's config and secrets, decoded.
type account struct {
	Config
	sec secrets
}

var (
	corpIDPattern = regexp.MustCompile(`^[A-Za-z0-9]{6,64}$`)
	secretPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{8,128}$`)
	tokenPattern  = regexp.MustCompile(`^[A-Za-z0-9]{3,32}$`) // WeCom's rule: letters and digits, at most 32
	aesPattern    = regexp.MustCompile(`^[A-Za-z0-9]{43}$`)
	kfIDPattern   = regexp.MustCompile(`^[A-Za-z0-9_-]{4,64}$`)
)

// maxTextLen is WeCom's limit on a text message (2048 bytes).
const maxTextLen = 2048

// tokenName is the shared access token's name in the store.
const tokenName = "wecom:"

// Setup validates an admin's config and keeps the secrets apart. On update,
// omitted secrets keep their stored value; rotate issues a new Token and
// EncodingAESKey (to be pasted into WeCom again).
func (c *Connector) Setup(ch *hub.Channel, raw json.RawMessage, rotate bool) error {
	if len(raw) == 0 || string(raw) == "null" {
		return hub.Invalid("config is required: corp_id, secret and open_kfid")
	}
	var cfg Config
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return hub.Invalid("config: %v", err)
	}
	prev, _ := connectors.Secrets[secrets](ch.Secret)
	sec := secrets{Secret: pick(cfg.Secret, prev.Secret), Token: pick(cfg.Token, prev.Token),
		AESKey: pick(cfg.EncodingAESKey, prev.AESKey)}
	if sec.Token == "" || rotate {
		sec.Token = connectors.RandomAlnum(32)
	}
	if sec.AESKey == "" || rotate {
		sec.AESKey = connectors.RandomAlnum(43)
	}
	if err := validate(&cfg, sec); err != nil {
		return err
	}
	cfg.Secret, cfg.Token, cfg.EncodingAESKey = "", "", ""
	cfg.Rating = connectors.RateOnClose(cfg.Rating)
	ch.Config, _ = json.Marshal(cfg)
	b, _ := json.Marshal(sec)
	ch.Secret = string(b)
	// Conversation events tell the connector when an agent takes a
	// customer, to keep WeCom's session state one the API may answer in.
	ch.WantsEvents = true
	return nil
}

func pick(v, fallback string) string {
	if v = strings.TrimSpace(v); v != "" {
		return v
	}
	return fallback
}

func validate(cfg *Config, sec secrets) error {
	cfg.CorpID, cfg.OpenKfID = strings.TrimSpace(cfg.CorpID), strings.TrimSpace(cfg.OpenKfID)
	cfg.WelcomeMessage = hub.Clean(cfg.WelcomeMessage)
	switch {
	case !corpIDPattern.MatchString(cfg.CorpID):
		return hub.Invalid("corp_id must be the company's 企业ID (ww…), letters and digits")
	case !secretPattern.MatchString(sec.Secret):
		return hub.Invalid("secret must be the 微信客服 application's Secret, letters, digits, - and _")
	case !kfIDPattern.MatchString(cfg.OpenKfID):
		return hub.Invalid("open_kfid must be the 客服帐号 ID (wk…)")
	case !tokenPattern.MatchString(sec.Token):
		return hub.Invalid("token must be 3 to 32 letters or digits (WeCom's rule)")
	case !aesPattern.MatchString(sec.AESKey) || !connectors.ValidAESKey(sec.AESKey):
		return hub.Invalid("encoding_aes_key must be 43 letters or digits (消息加解密密钥)")
	case len(cfg.WelcomeMessage) > maxTextLen:
		return hub.Invalid("welcome_message is longer than %d bytes", maxTextLen)
	}
	return nil
}

// accountOf decodes a channel's config and secrets (validated by Setup).
func accountOf(ch *hub.Channel) (*account, error) {
	cfg, sec, err := connectors.Account[Config, secrets](ch)
	return &account{Config: cfg, sec: sec}, err
}

func (a *account) keys() Keys {
	return Keys{CorpID: a.CorpID, Token: a.sec.Token, AESKey: a.sec.AESKey}
}

// Credentials are a channel's shared secrets with WeCom, for tests and
// tools that play WeCom's side.
type Credentials struct {
	CorpID, Secret, Token, EncodingAESKey, OpenKfID string
}

// CredentialsOf returns a 微信客服 channel's credentials.
func CredentialsOf(ch *hub.Channel) (Credentials, error) {
	a, err := accountOf(ch)
	if err != nil {
		return Credentials{}, err
	}
	return Credentials{CorpID: a.CorpID, Secret: a.sec.Secret, Token: a.sec.Token, EncodingAESKey: a.sec.AESKey,
		OpenKfID: a.OpenKfID}, nil
}

// Limits is the platform's rule, shown next to the composer and in the setup.
const Limits = "微信客服限制：客户发消息后 48 小时内最多回复 5 条，客户再次发消息后重新计算；超时或超过 5 条后无法再发送，请等待客户再次咨询。" +
	"客户进入会话时可发送 1 条欢迎语（20 秒内）。"

// Info is what the admin pastes into WeCom: 微信客服 → API → 回调配置 (URL
// = webhook_url, Token, EncodingAESKey), and the platform's limits.
func (c *Connector) Info(ch *hub.Channel) map[string]any {
	a, err := accountOf(ch)
	if err != nil {
		return map[string]any{"error": "the channel's config cannot be read; save it again"}
	}
	return map[string]any{
		"callback_url_path": "/webhooks/wecom_kf/" + ch.ID,
		"token":             a.sec.Token,
		"encoding_aes_key":  a.sec.AESKey,
		"corp_id":           a.CorpID,
		"open_kfid":         a.OpenKfID,
		"secret_set":        a.sec.Secret != "",
		"instructions": "在企业微信管理后台「应用管理 → 微信客服 → API → 回调配置」填写：URL = webhook_url，Token = token，" +
			"EncodingAESKey = encoding_aes_key，保存时企业微信会校验地址，本服务自动应答；并把客服帐号分配给该 API 接待，" +
			"在「企业可信IP」中加入本服务器的出口IP。",
		"limits": Limits,
	}
}
