package identity

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"time"

	"golang.org/x/crypto/argon2"
)

// Argon2id parameters (OWASP's minimum: 19 MiB, 2 passes, 1 lane).
const (
	argonMemory = 19 * 1024
	argonTime   = 2
	argonLanes  = 1
	argonKeyLen = 32
)

// hashers bounds the argon2id computations running at once in the process:
// each holds argonMemory (19 MiB) while it runs, so a flood of sign-ins
// would otherwise take memory without bound (200 at once took 2.5 GB). One
// per core: more would not hash faster, only hold more memory.
var hashers = make(chan struct{}, runtime.GOMAXPROCS(0))

// ErrBusy is a sign-in that found every hasher taken for longer than the
// wait: the caller answers 429 with Retry-After rather than queue without
// bound.
var ErrBusy = errors.New("too many sign-ins at once; try again in a moment")

// HashWait is how long a sign-in waits for a free hasher before ErrBusy.
const HashWait = time.Second

// argon runs one argon2id computation under the hashers bound, waiting at
// most wait (0: as long as ctx lasts).
func argon(ctx context.Context, wait time.Duration, pw, salt []byte, t, m uint32, p uint8, n uint32) ([]byte, error) {
	if wait > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, wait)
		defer cancel()
	}
	select {
	case hashers <- struct{}{}:
	case <-ctx.Done():
		return nil, ErrBusy
	}
	defer func() { <-hashers }()
	return argon2.IDKey(pw, salt, t, m, p, n), nil
}

// HashPassword hashes with argon2id, a memory-hard function, in the PHC string format.
func HashPassword(pw string) string {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		panic(err)
	}
	key, _ := argon(context.Background(), 0, []byte(pw), salt, argonTime, argonMemory, argonLanes, argonKeyLen)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonLanes,
		enc.EncodeToString(salt), enc.EncodeToString(key))
}

// CheckPassword compares in constant time; a malformed hash never matches.
func CheckPassword(hash, pw string) bool {
	ok, _ := checkPassword(context.Background(), 0, hash, pw)
	return ok
}

// checkPassword is CheckPassword waiting at most wait for a hasher (else
// ErrBusy).
func checkPassword(ctx context.Context, wait time.Duration, hash, pw string) (bool, error) {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, nil
	}
	var m uint32
	var t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || m > 64*1024 || t > 10 || p > 4 {
		return false, nil // a stored hash beyond these would take more memory than the hashers bound allows for
	}
	enc := base64.RawStdEncoding
	salt, err1 := enc.DecodeString(parts[4])
	want, err2 := enc.DecodeString(parts[5])
	if err1 != nil || err2 != nil {
		return false, nil
	}
	got, err := argon(ctx, wait, []byte(pw), salt, t, m, p, uint32(len(want)))
	if err != nil {
		return false, err
	}
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}
