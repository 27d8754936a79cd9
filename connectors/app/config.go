package app

import (
	"encoding/json"
	"strings"
	"sync"
	"time"

	"github.com/kefu-hub/kefu/connectors/app/push"
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

// secrets are what an app channel keeps sealed (in the channel's secret):
// the identity secret, after a rotation the previous one with when it stops
// being accepted, and the push config with its keys (the channel's config
// shows it without them: push.Config.Public).
type secrets struct {
	Current  string       `json:"identity"`
	Previous string       `json:"previous,omitempty"`
	Until    int64        `json:"until,omitempty"` // unix seconds
	Push     *push.Config `json:"push,omitempty"`
}

// previousValid is how long a rotated-away identity secret stays valid.
const previousValid = 24 * time.Hour

func parseSecrets(s string) secrets {
	var out secrets
	if strings.HasPrefix(s, "{") {
		_ = json.Unmarshal([]byte(s), &out)
		return out
	}
	out.Current = s // a bare identity secret
	return out
}

func (s secrets) String() string {
	b, _ := json.Marshal(s)
	return string(b)
}

// valid are the identity secrets accepted at now, the current one first.
func (s secrets) valid(now time.Time) []string {
	if s.Previous != "" && now.Unix() < s.Until {
		return []string{s.Current, s.Previous}
	}
	return []string{s.Current}
}

// setPush takes the push config an admin saved: validated, with the keys an
// update left out kept from before; the channel's config shows it without
// them.
func (s *secrets) setPush(cfg *Config) error {
	if cfg.Push == nil {
		s.Push = nil
		return nil
	}
	var pc push.Config
	if err := json.Unmarshal(cfg.Push, &pc); err != nil {
		return hub.Invalid("config.push: %v", err)
	}
	if s.Push != nil {
		pc = pc.KeepSecrets(*s.Push)
	}
	if err := pc.Validate(); err != nil {
		return hub.Invalid("%v", err)
	}
	s.Push = &pc
	cfg.Push, _ = json.Marshal(pc.Public())
	return nil
}
