package hub

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"strings"
)

var idEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// NewID returns a random, unguessable id with a readable prefix ("cv_…").
// Ids are not sequential, so nothing can be enumerated across tenants.
func NewID(prefix string) string {
	var b [15]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return prefix + "_" + idEncoding.EncodeToString(b[:])
}

// NewToken returns a random bearer token and its hash; only the hash is stored.
func NewToken(prefix string) (token, hash string) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	token = prefix + "_" + strings.ToLower(idEncoding.EncodeToString(b[:]))
	return token, HashToken(token)
}

// HashToken is how tokens are stored and looked up: high-entropy tokens need
// no slow hash, only one that does not reveal them.
func HashToken(token string) string {
	s := sha256.Sum256([]byte(token))
	return hex.EncodeToString(s[:])
}
