package pushtest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strings"
)

// jwt is a compact JWS split and decoded; verification is done here apart
// from the signing code under test.
type jwt struct {
	Header map[string]any
	Claims map[string]any
	signed []byte
	sig    []byte
}

func parseJWT(tok string) (*jwt, error) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return nil, errors.New("not three dot-separated parts")
	}
	j := &jwt{signed: []byte(parts[0] + "." + parts[1])}
	for i, dst := range []*map[string]any{&j.Header, &j.Claims} {
		raw, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			return nil, fmt.Errorf("part %d is not unpadded base64url: %w", i, err)
		}
		dec := json.NewDecoder(strings.NewReader(string(raw)))
		dec.UseNumber()
		if err := dec.Decode(dst); err != nil {
			return nil, fmt.Errorf("part %d is not a JSON object: %w", i, err)
		}
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return nil, fmt.Errorf("signature is not unpadded base64url: %w", err)
	}
	j.sig = sig
	return j, nil
}

func (j *jwt) verifyRS256(pub *rsa.PublicKey) error {
	if j.Header["alg"] != "RS256" {
		return fmt.Errorf("alg is %v, want RS256", j.Header["alg"])
	}
	d := sha256.Sum256(j.signed)
	return rsa.VerifyPKCS1v15(pub, crypto.SHA256, d[:], j.sig)
}

func (j *jwt) verifyES256(pub *ecdsa.PublicKey) error {
	if j.Header["alg"] != "ES256" {
		return fmt.Errorf("alg is %v, want ES256", j.Header["alg"])
	}
	if len(j.sig) != 64 {
		return fmt.Errorf("ES256 signature is %d bytes, want 64 (r‖s)", len(j.sig))
	}
	d := sha256.Sum256(j.signed)
	r, s := new(big.Int).SetBytes(j.sig[:32]), new(big.Int).SetBytes(j.sig[32:])
	if !ecdsa.Verify(pub, d[:], r, s) {
		return errors.New("signature does not verify")
	}
	return nil
}

func (j *jwt) str(claim string) string {
	s, _ := j.Claims[claim].(string)
	return s
}

// unix reads a NumericDate claim; ok is false when absent or not an integer.
func (j *jwt) unix(claim string) (int64, bool) {
	n, ok := j.Claims[claim].(json.Number)
	if !ok {
		return 0, false
	}
	v, err := n.Int64()
	return v, err == nil
}
