// Package signin is the HTTP side of sign-in protection: the answer to a
// locked or crowded sign-in (429 with Retry-After, a stable code and a
// Chinese-first message) and the admin routes that list and end an
// agent's sessions (hub/identity keeps the counts, locks and sessions).
package signin

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/kefu-hub/kefu/connectors"
	"github.com/kefu-hub/kefu/hub/identity"
)

// lockCodes are the stable error codes of a refused sign-in, by what is
// locked; the UIs translate them.
var lockCodes = map[identity.Scope]string{
	identity.ScopeAccount: "account_locked",
	identity.ScopeAddress: "address_locked",
	identity.ScopeTOTP:    "totp_locked",
}

// lockMessages say it Chinese first (the users' language), then English.
var lockMessages = map[identity.Scope]string{
	identity.ScopeAccount: "登录失败次数过多，账号已临时锁定，请%s后再试。Too many failed sign-ins: the account is locked for %s.",
	identity.ScopeAddress: "此网络地址登录失败次数过多，请%s后再试。Too many failed sign-ins from this address: try again in %s.",
	identity.ScopeTOTP:    "动态验证码错误次数过多，已临时锁定，请%s后再试。Too many wrong two-factor codes: try again in %s.",
}

// Refused answers a locked sign-in (429, Retry-After, when it ends) or a
// sign-in that found no free password hasher (429, Retry-After: 1); false
// when err is neither.
func Refused(g *gin.Context, err error) bool {
	var lock *identity.LockedError
	switch {
	case errors.As(err, &lock):
		secs := int(math.Ceil(lock.RetryAfter.Seconds()))
		zh, en := waitText(lock.RetryAfter)
		g.Header("Retry-After", strconv.Itoa(secs))
		g.AbortWithStatusJSON(http.StatusTooManyRequests, gin.H{"error": gin.H{"code": lockCodes[lock.Scope],
			"message": fmt.Sprintf(lockMessages[lock.Scope], zh, en), "retry_after": secs, "locked_until": lock.Until}})
	case errors.Is(err, identity.ErrBusy):
		g.Header("Retry-After", "1")
		connectors.Fail(g, http.StatusTooManyRequests, "busy", "登录请求过多，请稍后再试。"+err.Error())
	default:
		return false
	}
	return true
}

// waitText is a lock's remaining time in whole minutes (or seconds under
// one), in Chinese and in English.
func waitText(d time.Duration) (string, string) {
	if d < time.Minute {
		s := int(math.Ceil(d.Seconds()))
		return fmt.Sprintf(" %d 秒", s), fmt.Sprintf("%d seconds", s)
	}
	m := int(math.Ceil(d.Minutes()))
	return fmt.Sprintf(" %d 分钟", m), fmt.Sprintf("%d minutes", m)
}

// Sessions are the admin routes over an agent's login sessions.
type Sessions struct {
	Identity *identity.Identity
	// Respond writes v with status, or maps err to its status (the
	// workbench's one error map).
	Respond func(g *gin.Context, status int, v any, err error)
}

// Mount adds the routes to the admins' group.
func (s Sessions) Mount(adm gin.IRoutes) {
	adm.GET("/agents/:id/sessions", s.list)
	adm.DELETE("/agents/:id/sessions", s.endAll)
	adm.DELETE("/agents/:id/sessions/:sid", s.end)
}

// list lists an agent's open login sessions.
func (s Sessions) list(g *gin.Context) {
	out, err := s.Identity.Auth.Sessions(g.Request.Context(), connectors.AgentOf(g).TenantID, g.Param("id"))
	s.Respond(g, http.StatusOK, gin.H{"sessions": out}, err)
}

// end signs one of an agent's sessions out.
func (s Sessions) end(g *gin.Context) {
	err := s.Identity.Auth.EndSession(g.Request.Context(), connectors.AgentOf(g).TenantID, g.Param("id"), g.Param("sid"))
	s.Respond(g, http.StatusOK, gin.H{"ended": 1}, err)
}

// endAll signs all of an agent's sessions out.
func (s Sessions) endAll(g *gin.Context) {
	n, err := s.Identity.Auth.EndSessions(g.Request.Context(), connectors.AgentOf(g).TenantID, g.Param("id"))
	s.Respond(g, http.StatusOK, gin.H{"ended": n}, err)
}
