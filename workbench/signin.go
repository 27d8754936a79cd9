package workbench

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

// signInRefused answers a locked sign-in (429, Retry-After, when it ends)
// or a sign-in that found no free password hasher (429, Retry-After: 1);
// false when err is neither.
func signInRefused(g *gin.Context, err error) bool {
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
		fail(g, http.StatusTooManyRequests, "busy", "登录请求过多，请稍后再试。"+err.Error())
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

// listSessions lists an agent's open login sessions.
func (s adminAPI) listSessions(g *gin.Context) {
	out, err := s.Identity.Auth.Sessions(g.Request.Context(), connectors.AgentOf(g).TenantID, g.Param("id"))
	s.respond(g, http.StatusOK, gin.H{"sessions": out}, err)
}

// endSession signs one of an agent's sessions out.
func (s adminAPI) endSession(g *gin.Context) {
	err := s.Identity.Auth.EndSession(g.Request.Context(), connectors.AgentOf(g).TenantID, g.Param("id"), g.Param("sid"))
	s.respond(g, http.StatusOK, gin.H{"ended": 1}, err)
}

// endSessions signs all of an agent's sessions out.
func (s adminAPI) endSessions(g *gin.Context) {
	n, err := s.Identity.Auth.EndSessions(g.Request.Context(), connectors.AgentOf(g).TenantID, g.Param("id"))
	s.respond(g, http.StatusOK, gin.H{"ended": n}, err)
}
