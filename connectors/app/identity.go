package app

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/kefu-hub/kefu/hub"
)

func mac(key, msg string) []byte {
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(msg))
	return m.Sum(nil)
}

// UserHash is the user_hash identify takes for a user id: hex
// HMAC-SHA256(identity_secret, user_id).
func UserHash(secret, userID string) string { return hex.EncodeToString(mac(secret, userID)) }

// validHash checks a user_hash against every accepted secret, in constant time.
func validHash(keys []string, userID, hash string) bool {
	ok := false
	for _, k := range keys {
		ok = hmac.Equal([]byte(UserHash(k, userID)), []byte(strings.ToLower(hash))) || ok
	}
	return hash != "" && ok
}

// jwtClaims are what identify reads from a JWT.
type jwtClaims struct {
	Sub   string `json:"sub"`
	Exp   int64  `json:"exp"`
	Iat   int64  `json:"iat"`
	Name  string `json:"name"`
	Email string `json:"email"`
	Phone string `json:"phone"`
}

// maxJWTLife is how far ahead a JWT's exp may be: short-lived tokens only.
const maxJWTLife = time.Hour

var errJWT = errors.New("bad jwt")

// parseJWT verifies an HS256 JWT against the accepted secrets and its
// times (exp in the future but at most an hour ahead, with a minute of
// clock skew) and returns its claims.
func parseJWT(keys []string, tok string, now time.Time) (*jwtClaims, error) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 || len(tok) > 4096 {
		return nil, errJWT
	}
	var head struct {
		Alg string `json:"alg"`
	}
	hb, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil || json.Unmarshal(hb, &head) != nil || head.Alg != "HS256" {
		return nil, errJWT
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return nil, errJWT
	}
	ok := false
	for _, k := range keys {
		ok = hmac.Equal(mac(k, parts[0]+"."+parts[1]), sig) || ok
	}
	if !ok {
		return nil, errJWT
	}
	var c jwtClaims
	pb, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil || json.Unmarshal(pb, &c) != nil || strings.TrimSpace(c.Sub) == "" {
		return nil, errJWT
	}
	skew := time.Minute
	exp := time.Unix(c.Exp, 0)
	if c.Exp == 0 || !now.Before(exp.Add(skew)) || exp.After(now.Add(maxJWTLife+skew)) ||
		(c.Iat != 0 && time.Unix(c.Iat, 0).After(now.Add(skew))) {
		return nil, errJWT
	}
	return &c, nil
}

// SignJWT mints an HS256 JWT (for tests and the Go SDK's examples: the
// company's server does this).
func SignJWT(secret string, claims map[string]any) string {
	h := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))
	b, _ := json.Marshal(claims)
	p := base64.RawURLEncoding.EncodeToString(b)
	return h + "." + p + "." + base64.RawURLEncoding.EncodeToString(mac(secret, h+"."+p))
}

// tokenLife is how long a contact token lasts; the SDK identifies again.
const tokenLife = 7 * 24 * time.Hour

// user is who a contact token names: one user of one app.
type user struct {
	ChannelID string `json:"c"`
	Ext       string `json:"x"` // the contact's external id
	ContactID string `json:"i"`
	Exp       int64  `json:"e"`
}

func tokenKey(secret, channelID string) string {
	return string(mac(secret, "app-token\x00"+channelID))
}

// mintToken signs u with the channel's current secret.
func mintToken(ch *hub.Channel, u user) string {
	b, _ := json.Marshal(u)
	p := base64.RawURLEncoding.EncodeToString(b)
	key := tokenKey(parseSecrets(ch.Secret).Current, ch.ID)
	return "at1." + p + "." + base64.RawURLEncoding.EncodeToString(mac(key, p)[:24])
}

// readToken verifies a contact token for the channel.
func readToken(ch *hub.Channel, tok string, now time.Time) (*user, bool) {
	rest, ok := strings.CutPrefix(tok, "at1.")
	p, sig, ok2 := strings.Cut(rest, ".")
	if !ok || !ok2 || len(tok) > 2048 {
		return nil, false
	}
	want, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil {
		return nil, false
	}
	good := false
	for _, k := range parseSecrets(ch.Secret).valid(now) {
		good = hmac.Equal(mac(tokenKey(k, ch.ID), p)[:24], want) || good
	}
	if !good {
		return nil, false
	}
	var u user
	b, err := base64.RawURLEncoding.DecodeString(p)
	if err != nil || json.Unmarshal(b, &u) != nil || u.ChannelID != ch.ID || now.Unix() >= u.Exp {
		return nil, false
	}
	return &u, true
}
