package app

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"golang.org/x/time/rate"

	"github.com/kefu-hub/kefu/hub"
)

// Rate limits.
const (
	identifiesPerMinute = 60 // per client address (offices and carriers' NAT share one)
	userPerMinute       = 20 // identifies per app user
	messagesPerSecond   = 2  // messages and forms per app user
	messageBurst        = 10
	callsPerSecond      = 20 // any authenticated call per app user
	callBurst           = 60
	uploadsPerMinute    = 10
	maxText             = 5000
	maxTraits           = 50
)

type identifyReq struct {
	UserID    string         `json:"user_id"`
	UserHash  string         `json:"user_hash"`
	JWT       string         `json:"jwt"`
	Anonymous bool           `json:"anonymous"`
	DeviceID  string         `json:"device_id"`
	Name      string         `json:"name"`
	Email     string         `json:"email"`
	Phone     string         `json:"phone"`
	Traits    map[string]any `json:"traits"`
	Device    Device         `json:"device"`
}

// identify serves POST /app/v1/{app_key}/identify: it checks the user's
// proof (HMAC of the user id, a JWT, or an anonymous device id when the app
// allows it) and answers a contact token. Nothing is stored for a refused one.
func (c *Connector) identify(g *gin.Context) {
	ch, ok := c.channel(g)
	if !ok {
		return
	}
	if !c.limits.Allow("id-ip:"+g.ClientIP(), rate.Every(time.Minute/identifiesPerMinute), identifiesPerMinute) {
		fail(g, http.StatusTooManyRequests, "rate_limited", "too many identify calls from this address; wait a minute")
		return
	}
	var r identifyReq
	if !readJSON(g, &r) {
		return
	}
	info, code, msg := c.prove(ch, &r)
	if code != 0 {
		fail(g, code, map[int]string{400: "bad_request", 401: "bad_identity", 403: "anonymous_disabled"}[code], msg)
		return
	}
	if !c.limits.Allow("id-user:"+ch.ID+":"+info.ExternalID, rate.Every(time.Minute/userPerMinute), userPerMinute) {
		fail(g, http.StatusTooManyRequests, "rate_limited", "too many identify calls for this user; wait a minute")
		return
	}
	if err := r.Device.clean(); err != nil {
		fail(g, http.StatusBadRequest, "bad_request", err.Error())
		return
	}
	traits, err := cleanTraits(r.Traits)
	if err != nil {
		fail(g, http.StatusBadRequest, "bad_request", err.Error())
		return
	}
	ct, err := c.users.identified(g.Request.Context(), ch, info, traits, r.Device)
	if err != nil {
		c.deps.Log.Warn("app identify", "channel", ch.ID, "err", err)
		fail(g, http.StatusServiceUnavailable, "unavailable", "try again")
		return
	}
	exp := c.now().Add(tokenLife)
	tok := mintToken(ch, user{ChannelID: ch.ID, Ext: info.ExternalID, ContactID: ct.ID, Exp: exp.Unix()})
	g.JSON(http.StatusOK, gin.H{"token": tok, "contact_id": ct.ID, "expires_at": exp.UTC().Format(time.RFC3339)})
}

// prove checks an identify request against the channel's identity mode; a
// non-zero code refuses it.
func (c *Connector) prove(ch *hub.Channel, r *identifyReq) (hub.ContactInfo, int, string) {
	cfg := parseConfig(ch.Config)
	keys := parseSecrets(ch.Secret).valid(c.now())
	info := hub.ContactInfo{Name: hub.Bounded(hub.Clean(r.Name), 100), Email: hub.Bounded(hub.Clean(r.Email), 200),
		Phone: hub.Bounded(hub.Clean(r.Phone), 50)}
	switch {
	case r.JWT != "":
		if cfg.Identity == IdentityHMAC {
			return info, 401, "this app identifies users with user_hash, not jwt"
		}
		cl, err := parseJWT(keys, r.JWT, c.now())
		if err != nil {
			return info, 401, "the jwt is not signed with the identity secret, or has expired (exp at most 1 h ahead)"
		}
		info.ExternalID = "u:" + hub.Bounded(cl.Sub, 128)
		info.Name, info.Email, info.Phone = firstOf(info.Name, cl.Name), firstOf(info.Email, cl.Email), firstOf(info.Phone, cl.Phone)
	case r.UserID != "" || r.UserHash != "":
		if cfg.Identity == IdentityJWT {
			return info, 401, "this app identifies users with a jwt"
		}
		if strings.TrimSpace(r.UserID) == "" || len(r.UserID) > 128 || !validHash(keys, r.UserID, r.UserHash) {
			return info, 401, "user_hash is not hex(HMAC-SHA256(identity_secret, user_id))"
		}
		info.ExternalID = "u:" + r.UserID
	case r.Anonymous:
		if cfg.Identity != IdentityAnonymous {
			return info, 403, "this app does not allow anonymous users"
		}
		if !clientIDRe.MatchString(r.DeviceID) {
			return info, 400, "device_id is required (1-64 of A-Za-z0-9_-)"
		}
		info.ExternalID = "d:" + r.DeviceID
	default:
		return info, 400, "send user_id and user_hash, or jwt, or anonymous and device_id"
	}
	return info, 0, ""
}

func firstOf(a, b string) string {
	if a != "" {
		return a
	}
	return hub.Bounded(hub.Clean(b), 200)
}

// cleanTraits keeps at most 50 traits with short names and scalar values.
func cleanTraits(in map[string]any) (map[string]any, error) {
	if len(in) > maxTraits {
		return nil, fmt.Errorf("at most %d traits", maxTraits)
	}
	out := make(map[string]any, len(in))
	for k, v := range in {
		if k == "" || len(k) > 64 {
			return nil, fmt.Errorf("trait names are 1-64 bytes")
		}
		switch x := v.(type) {
		case string:
			out[hub.Clean(k)] = hub.Bounded(hub.Clean(x), 500)
		case float64, bool, nil:
			out[hub.Clean(k)] = x
		default:
			return nil, fmt.Errorf("trait %q: values are strings, numbers or booleans", k)
		}
	}
	return out, nil
}

// deadline bounds a request's work.
func deadline(g *gin.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(g.Request.Context(), 15*time.Second)
}
