package connectors

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"

	"github.com/kefu-hub/kefu/hub"
)

// Secrets decodes a channel's secrets (the JSON the store opened; "" is
// none) into a connector's own type.
func Secrets[S any](s string) (S, error) {
	var sec S
	if s == "" {
		return sec, nil
	}
	err := json.Unmarshal([]byte(s), &sec)
	return sec, err
}

// Account decodes a channel's config and secrets into a connector's own
// types (validated when the channel was saved).
func Account[C, S any](ch *hub.Channel) (C, S, error) {
	var cfg C
	if err := json.Unmarshal(ch.Config, &cfg); err != nil {
		var sec S
		return cfg, sec, err
	}
	sec, err := Secrets[S](ch.Secret)
	return cfg, sec, err
}

// ValidAESKey reports whether k is an EncodingAESKey as WeChat and WeCom
// use it: 43 characters that, with "=" added, decode to 32 bytes.
func ValidAESKey(k string) bool {
	b, err := base64.StdEncoding.DecodeString(k + "=")
	return err == nil && len(b) == 32
}

const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// RandomAlnum is n random letters and digits (a token or key a platform
// takes when the admin leaves it empty).
func RandomAlnum(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	for i := range b {
		b[i] = alnum[int(b[i])%len(alnum)]
	}
	return string(b)
}

// RateOnClose is the setting of a channel without a rating form (WeChat,
// Weibo, QQ, WeCom) that invites its customer to rate when a conversation
// closes — a text with the scale's numbers and a link to the hub's rating
// page — as "rating" does on web and app channels. Omitted, it is on (what
// the tenant-wide switch it replaces defaulted to); Setup stores it
// explicitly.
func RateOnClose(v *bool) *bool {
	on := v == nil || *v
	return &on
}
