// Package secrets seals the secrets the hub must keep readable — channel
// secrets (the API channel's signing secret, a WeChat account's AppSecret,
// Token and EncodingAESKey, the web channel's identity secret), TOTP seeds,
// webhook signing secrets — with AES-256-GCM before they reach the
// database, so a copy of the database or a backup does not give them away.
//
// A sealed value is "enc:v1:<key id>:<base64 nonce+ciphertext>". The key id
// names the key that sealed it, so old keys can still open values while a
// rotation re-seals them with the current key. Each value is bound to the
// row it belongs to (additional data), so a sealed value copied into
// another row does not open.
package secrets

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// KeySize is the length of a key: AES-256.
const KeySize = 32

// prefix starts every sealed value.
const prefix = "enc:v1:"

// ErrUnknownKey is returned for a value sealed with a key the keyring does
// not hold: the hub was started with the wrong KEFU_SECRET_KEY, or without
// the old key in KEFU_SECRET_KEY_OLD during a rotation.
var ErrUnknownKey = errors.New("sealed with a key this hub does not have")

// ErrCorrupt is returned for a value that does not open with its key: it was
// altered, or moved to another row.
var ErrCorrupt = errors.New("sealed value does not open (altered or moved)")

// Keyring seals with its current key and opens with any of its keys.
type Keyring struct {
	current key
	keys    map[string]key
}

type key struct {
	id   string
	aead cipher.AEAD
}

// New builds a keyring that seals with current and also opens values
// sealed with any of old.
func New(current []byte, old ...[]byte) (*Keyring, error) {
	c, err := newKey(current)
	if err != nil {
		return nil, err
	}
	k := &Keyring{current: c, keys: map[string]key{c.id: c}}
	for _, o := range old {
		ok, err := newKey(o)
		if err != nil {
			return nil, fmt.Errorf("old key: %w", err)
		}
		if _, dup := k.keys[ok.id]; !dup {
			k.keys[ok.id] = ok
		}
	}
	return k, nil
}

func newKey(b []byte) (key, error) {
	if len(b) != KeySize {
		return key{}, fmt.Errorf("a secret key is %d bytes, not %d", KeySize, len(b))
	}
	block, err := aes.NewCipher(b)
	if err != nil {
		return key{}, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return key{}, err
	}
	return key{id: KeyID(b), aead: aead}, nil
}

// KeyID names a key without revealing it: the first 8 hex digits of a
// SHA-256 over it.
func KeyID(b []byte) string {
	sum := sha256.Sum256(append([]byte("kefu secret key id\x00"), b...))
	return hex.EncodeToString(sum[:4])
}

// ParseKey reads a key written as base64 (standard or URL alphabet, padded
// or not) or as 64 hex digits.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if len(s) == 2*KeySize {
		if b, err := hex.DecodeString(s); err == nil {
			return b, nil
		}
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			if len(b) != KeySize {
				return nil, fmt.Errorf("the key is %d bytes; it must be %d (generate one with `openssl rand -base64 32`)", len(b), KeySize)
			}
			return b, nil
		}
	}
	return nil, errors.New("the key must be 32 bytes in base64 or hex (generate one with `openssl rand -base64 32`)")
}

// NewKey returns a fresh random key.
func NewKey() []byte {
	b := make([]byte, KeySize)
	rand.Read(b)
	return b
}

// CurrentID is the id of the key new values are sealed with.
func (k *Keyring) CurrentID() string { return k.current.id }

// CurrentPrefix is how every value sealed with the current key starts.
func (k *Keyring) CurrentPrefix() string { return prefix + k.current.id + ":" }

// Seal encrypts plain for the row named by bind (such as "channels/ch_…").
// The empty string stays empty: it means "no secret set".
func (k *Keyring) Seal(plain, bind string) (string, error) {
	if plain == "" {
		return "", nil
	}
	a := k.current.aead
	nonce := make([]byte, a.NonceSize(), a.NonceSize()+len(plain)+a.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("seal: %w", err)
	}
	out := a.Seal(nonce, nonce, []byte(plain), []byte(bind))
	return k.CurrentPrefix() + base64.RawStdEncoding.EncodeToString(out), nil
}

// Open decrypts a value Seal made for the same bind. A value that is not
// sealed (a row written before secrets were encrypted, and not re-sealed
// yet) is returned as it is.
func (k *Keyring) Open(stored, bind string) (string, error) {
	if !Sealed(stored) {
		return stored, nil
	}
	id, body, ok := strings.Cut(strings.TrimPrefix(stored, prefix), ":")
	if !ok {
		return "", ErrCorrupt
	}
	key, found := k.keys[id]
	if !found {
		return "", fmt.Errorf("key id %s: %w", id, ErrUnknownKey)
	}
	raw, err := base64.RawStdEncoding.DecodeString(body)
	n := key.aead.NonceSize()
	if err != nil || len(raw) < n {
		return "", ErrCorrupt
	}
	plain, err := key.aead.Open(nil, raw[:n], raw[n:], []byte(bind))
	if err != nil {
		return "", ErrCorrupt
	}
	return string(plain), nil
}

// Sealed reports whether a stored value is sealed (by any key).
func Sealed(stored string) bool { return strings.HasPrefix(stored, prefix) }

// encodeKey writes a key as standard base64.
func encodeKey(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
