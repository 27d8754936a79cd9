package qq

import (
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Callback signatures. The platform signs every callback with an Ed25519
// key derived from the bot's AppSecret: the secret repeated until it is 32
// bytes long is the seed. X-Signature-Ed25519 is hex(Sign(key,
// X-Signature-Timestamp + raw body)); the op 13 address check is answered
// with hex(Sign(key, event_ts + plain_token)).

// Headers of a signed callback.
const (
	HeaderSignature = "X-Signature-Ed25519"
	HeaderTimestamp = "X-Signature-Timestamp"
	HeaderAppID     = "X-Bot-Appid"
)

// Errors Verify returns; the handler answers 401 to both.
var (
	ErrSignature = errors.New("the X-Signature-Ed25519 signature does not match the bot's AppSecret")
	ErrStale     = errors.New("X-Signature-Timestamp is outside the accepted window")
)

// Key is the bot's signing key (the platform holds the same one).
func Key(secret string) ed25519.PrivateKey {
	if secret == "" {
		secret = "\x00"
	}
	seed := secret
	for len(seed) < ed25519.SeedSize {
		seed += secret
	}
	return ed25519.NewKeyFromSeed([]byte(seed[:ed25519.SeedSize]))
}

// Sign is hex(Ed25519(key(secret), ts + body)), the platform's signature of
// a callback and the bot's answer to an address check.
func Sign(secret, ts string, body []byte) string {
	msg := make([]byte, 0, len(ts)+len(body))
	msg = append(append(msg, ts...), body...)
	return hex.EncodeToString(ed25519.Sign(Key(secret), msg))
}

// Verify checks a callback's signature over ts + body, and that ts (Unix
// seconds) is within tolerance of now: the platform's scheme has no
// freshness of its own, so a captured callback could be replayed forever.
func Verify(secret, ts, sig string, body []byte, now time.Time, tolerance time.Duration) error {
	raw, err := hex.DecodeString(sig)
	if err != nil || len(raw) != ed25519.SignatureSize || raw[63]&224 != 0 {
		return ErrSignature
	}
	msg := make([]byte, 0, len(ts)+len(body))
	msg = append(append(msg, ts...), body...)
	pub := Key(secret).Public().(ed25519.PublicKey)
	if !ed25519.Verify(pub, msg, raw) {
		return ErrSignature
	}
	sec, err := strconv.ParseInt(strings.TrimSpace(ts), 10, 64)
	if err != nil {
		return ErrStale
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return ErrStale
	}
	return nil
}
