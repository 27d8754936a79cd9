package workbench

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/kefu-hub/kefu/connectors"
	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/audit"
	"github.com/kefu-hub/kefu/hub/identity"
)

// recordLogin files a sign-in, or a failed one, in the account's tenant (a
// failed sign-in with an unknown email belongs to no tenant: only the log
// line stays).
func (s authAPI) recordLogin(g *gin.Context, email string, a *hub.Agent, err error) {
	if s.Audit == nil {
		return
	}
	ctx := context.WithoutCancel(g.Request.Context())
	e := audit.Entry{Address: g.ClientIP(), Action: audit.Login, TargetType: "agent"}
	st := g.Writer.Status()
	switch {
	case err == nil && a != nil:
		e.TenantID, e.ActorID, e.ActorName, e.TargetID = a.TenantID, a.ID, a.Email, a.ID
	case errors.Is(err, identity.ErrTOTPRequired) || (st != http.StatusUnauthorized && st != http.StatusForbidden &&
		st != http.StatusTooManyRequests):
		return // the first step of a two-factor sign-in, or no answer about the account
	default:
		acc, ok, lerr := s.Identity.Agents.AccountOf(ctx, email)
		if lerr != nil || !ok {
			return
		}
		e.TenantID, e.ActorName, e.TargetID, e.Action = acc.TenantID, acc.Email, acc.AgentID, audit.LoginFailed
		e.Detail = loginFailure(st)
	}
	if rerr := s.Audit.Record(ctx, e); rerr != nil {
		s.Log.Error("audit log", "action", e.Action, "err", rerr)
	}
}

func loginFailure(status int) string {
	switch status {
	case http.StatusTooManyRequests:
		return "throttled"
	case http.StatusUnauthorized:
		return "wrong password or two-factor code"
	}
	return http.StatusText(status)
}

// listAudit answers GET /api/v1/audit: a page of the tenant's audit log.
func (s adminAPI) listAudit(g *gin.Context) {
	f, ok := auditFilter(g)
	if !ok {
		return
	}
	p, err := s.Audit.List(g.Request.Context(), connectors.AgentOf(g).TenantID, f)
	s.respond(g, http.StatusOK, p, err)
}

// exportAudit answers GET /api/v1/audit/export: every matching entry (at
// most 50,000) as CSV.
func (s adminAPI) exportAudit(g *gin.Context) {
	f, ok := auditFilter(g)
	if !ok {
		return
	}
	var all []audit.Entry
	for f.Limit = 500; len(all) < 50000; {
		p, err := s.Audit.List(g.Request.Context(), connectors.AgentOf(g).TenantID, f)
		if err != nil {
			s.respond(g, 0, nil, err)
			return
		}
		all = append(all, p.Entries...)
		if f.Cursor = p.Next; p.Next == "" {
			break
		}
	}
	var b bytes.Buffer
	_ = audit.WriteCSV(&b, all)
	g.Header("Content-Disposition", `attachment; filename="audit-`+time.Now().UTC().Format("20060102-150405")+`.csv"`)
	g.Header("X-Content-Type-Options", "nosniff")
	g.Data(http.StatusOK, "text/csv; charset=utf-8", b.Bytes())
}

// auditFilter reads the filter of the audit routes; a bad time is a 400.
func auditFilter(g *gin.Context) (audit.Filter, bool) {
	f := audit.Filter{Actor: g.Query("actor"), Action: g.Query("action"), Target: g.Query("target"),
		Cursor: g.Query("cursor")}
	for name, t := range map[string]*time.Time{"from": &f.From, "to": &f.To} {
		if v := g.Query(name); v != "" {
			var err error
			if *t, err = time.Parse(time.RFC3339, v); err != nil {
				fail(g, http.StatusBadRequest, "bad_request", name+" must be an RFC 3339 time such as 2026-12-01T00:00:00Z")
				return f, false
			}
		}
	}
	if v := g.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			fail(g, http.StatusBadRequest, "bad_request", "limit must be 1 to 500")
			return f, false
		}
		f.Limit = n
	}
	return f, true
}
