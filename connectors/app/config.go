package app

import (
	"encoding/json"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kefu-hub/kefu/connectors/custsock"
	"github.com/kefu-hub/kefu/hub"
)

// Identity is how an app's users prove who they are.
type Identity string

// Identity modes.
const (
	IdentityHMAC      Identity = "hmac"      // user_id + hex HMAC-SHA256(identity_secret, user_id)
	IdentityJWT       Identity = "jwt"       // an HS256 JWT minted by the company's server
	IdentityAnonymous Identity = "anonymous" // a device id; hmac and jwt users are accepted too
)

// Config is an app channel's settings.
type Config struct {
	// Identity is how users identify (default hmac).
	Identity Identity `json:"identity"`
	// Push is the push senders' configuration (connectors/app/push).
	Push json.RawMessage `json:"push,omitempty"`
	// Rating offers the rating form when a conversation closes.
	Rating bool `json:"rating"`
	// Upload limits what users may send (the web widget's rules).
	Upload custsock.Upload `json:"upload"`
}

func (c *Config) normalize() error {
	switch c.Identity {
	case "":
		c.Identity = IdentityHMAC
	case IdentityHMAC, IdentityJWT, IdentityAnonymous:
	default:
		return hub.Invalid("config.identity must be hmac, jwt or anonymous")
	}
	if len(c.Push) > 0 && string(c.Push) != "null" {
		var m map[string]json.RawMessage
		if json.Unmarshal(c.Push, &m) != nil {
			return hub.Invalid("config.push must be an object")
		}
	} else {
		c.Push = nil
	}
	return c.Upload.Normalize()
}

var parsed = struct {
	sync.Mutex
	m map[string]Config
}{m: map[string]Config{}}

// parseConfig reads a channel's settings (validated by Setup), kept by
// content: every request reads them.
func parseConfig(raw json.RawMessage) Config {
	parsed.Lock()
	defer parsed.Unlock()
	if c, ok := parsed.m[string(raw)]; ok {
		return c
	}
	var c Config
	_ = json.Unmarshal(raw, &c)
	_ = c.normalize()
	if len(parsed.m) > 1000 {
		clear(parsed.m)
	}
	parsed.m[string(raw)] = c
	return c
}

// secrets are a channel's identity secrets: the current one, and after a
// rotation the previous one with when it stops being accepted. They are kept
// together in the channel's sealed secret as "current[ previous unix]".
type secrets struct {
	current, previous string
	until             time.Time
}

// previousValid is how long a rotated-away identity secret stays valid.
const previousValid = 24 * time.Hour

func parseSecrets(s string) secrets {
	f := strings.Fields(s)
	out := secrets{}
	if len(f) > 0 {
		out.current = f[0]
	}
	if len(f) == 3 {
		if n, err := strconv.ParseInt(f[2], 10, 64); err == nil {
			out.previous, out.until = f[1], time.Unix(n, 0)
		}
	}
	return out
}

func (s secrets) String() string {
	if s.previous == "" {
		return s.current
	}
	return s.current + " " + s.previous + " " + strconv.FormatInt(s.until.Unix(), 10)
}

// valid are the secrets accepted at now, the current one first.
func (s secrets) valid(now time.Time) []string {
	if s.previous != "" && now.Before(s.until) {
		return []string{s.current, s.previous}
	}
	return []string{s.current}
}
