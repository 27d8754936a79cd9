package push

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
)

// Two small JWTs are signed here: RS256 for Google's OAuth token request
// and ES256 for APNs. Neither is ever parsed from outside, so the standard
// library is enough.

var b64 = base64.RawURLEncoding

// signJWT returns header.claims.signature with sign over the SHA-256 of
// the first two parts.
func signJWT(header, claims any, sign func(digest []byte) ([]byte, error)) (string, error) {
	h, err := json.Marshal(header)
	if err != nil {
		return "", fmt.Errorf("jwt header: %w", err)
	}
	c, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("jwt claims: %w", err)
	}
	unsigned := b64.EncodeToString(h) + "." + b64.EncodeToString(c)
	digest := sha256.Sum256([]byte(unsigned))
	sig, err := sign(digest[:])
	if err != nil {
		return "", fmt.Errorf("sign jwt: %w", err)
	}
	return unsigned + "." + b64.EncodeToString(sig), nil
}

// rs256 signs with RSASSA-PKCS1-v1_5.
func rs256(key *rsa.PrivateKey) func([]byte) ([]byte, error) {
	return func(d []byte) ([]byte, error) { return rsa.SignPKCS1v15(nil, key, crypto.SHA256, d) }
}

// es256 signs with ECDSA P-256; the JWS signature is r‖s, 32 bytes each
// (not the ASN.1 form crypto/ecdsa produces by default).
func es256(key *ecdsa.PrivateKey) func([]byte) ([]byte, error) {
	return func(d []byte) ([]byte, error) {
		r, s, err := ecdsa.Sign(rand.Reader, key, d)
		if err != nil {
			return nil, err
		}
		sig := make([]byte, 64)
		r.FillBytes(sig[:32])
		s.FillBytes(sig[32:])
		return sig, nil
	}
}

var uuidPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// newUUID is a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return formatUUID(b, 4)
}

// asUUID is id when it is a UUID, else a name-based UUID (version 5
// layout over SHA-256) of it: the same notification always gets the same
// apns-id.
func asUUID(id string) string {
	if uuidPattern.MatchString(id) {
		return id
	}
	sum := sha256.Sum256([]byte("kefu-push:" + id))
	return formatUUID([16]byte(sum[:16]), 5)
}

func formatUUID(b [16]byte, version byte) string {
	b[6] = b[6]&0x0f | version<<4
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
