// Package auditlog is the HTTP side of the audit log: the middleware that
// files every audited request of the REST API (hub/audit keeps the log).
package auditlog

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/kefu-hub/kefu/connectors"
	"github.com/kefu-hub/kefu/hub/audit"
)

// audited are the requests the audit log records, by route: the action and
// the kind of thing the route's :id (or, for a create, the answer's id)
// names. A request is recorded only when it succeeds.
var audited = map[string]struct {
	action audit.Action
	target string
}{
	"POST /api/v1/auth/logout":                         {"auth.logout", "agent"},
	"POST /api/v1/tenants":                             {"tenant.create", "tenant"},
	"POST /api/v1/agents":                              {"agent.create", "agent"},
	"PATCH /api/v1/agents/:id":                         {"agent.update", "agent"},
	"POST /api/v1/agents/:id/reset-password":           {"agent.reset_password", "agent"},
	"POST /api/v1/agents/:id/deactivate":               {"agent.deactivate", "agent"},
	"POST /api/v1/agents/:id/reactivate":               {"agent.reactivate", "agent"},
	"POST /api/v1/channels/:id/deactivate":             {"channel.deactivate", "channel"},
	"POST /api/v1/channels/:id/reactivate":             {"channel.reactivate", "channel"},
	"DELETE /api/v1/agents/:id/sessions":               {"agent.end_sessions", "agent"},
	"DELETE /api/v1/agents/:id/sessions/:sid":          {"agent.end_session", "agent"},
	"POST /api/v1/me/totp/enable":                      {"totp.enable", "agent"},
	"POST /api/v1/me/password":                         {"agent.change_password", "agent"},
	"PUT /api/v1/me/profile":                           {"agent.update_profile", "agent"},
	"POST /api/v1/me/totp/disable":                     {"totp.disable", "agent"},
	"POST /api/v1/groups":                              {"group.create", "group"},
	"PATCH /api/v1/groups/:id":                         {"group.update", "group"},
	"POST /api/v1/routing/rules":                       {"routing_rule.create", "routing_rule"},
	"PATCH /api/v1/routing/rules/:id":                  {"routing_rule.update", "routing_rule"},
	"DELETE /api/v1/routing/rules/:id":                 {"routing_rule.delete", "routing_rule"},
	"PUT /api/v1/automations":                          {"automations.update", "tenant"},
	"PUT /api/v1/channels/:id/automations":             {"automations.update", "channel"},
	"DELETE /api/v1/channels/:id/automations":          {"automations.delete", "channel"},
	"POST /api/v1/channels":                            {"channel.create", "channel"},
	"PATCH /api/v1/channels/:id":                       {"channel.update", "channel"},
	"POST /api/v1/channels/:id/rotate-secret":          {"channel.rotate_secret", "channel"},
	"POST /api/v1/channels/:id/rotate_identity_secret": {"channel.rotate_secret", "channel"},
	"POST /api/v1/deliveries/:id/redeliver":            {"delivery.redeliver", "delivery"},
	"POST /api/v1/failed-messages/:id/retry":           {"failed_message.retry", "failed_message"},
	"POST /api/v1/api-tokens":                          {"api_token.create", "api_token"},
	"DELETE /api/v1/api-tokens/:id":                    {"api_token.delete", "api_token"},
	"PUT /api/v1/settings":                             {"settings.update", "tenant"},
	"POST /api/v1/webhooks":                            {"webhook.create", "webhook"},
	"PATCH /api/v1/webhooks/:id":                       {"webhook.update", "webhook"},
	"DELETE /api/v1/webhooks/:id":                      {"webhook.delete", "webhook"},
	"POST /api/v1/webhooks/:id/rotate-secret":          {"webhook.rotate_secret", "webhook"},
	"POST /api/v1/categories":                          {"category.create", "category"},
	"DELETE /api/v1/categories/:id":                    {"category.delete", "category"},
	"DELETE /api/v1/canned-replies/:id":                {"canned_reply.delete", "canned_reply"},
	"POST /api/v1/kb/articles":                         {"kb_article.create", "kb_article"},
	"PATCH /api/v1/kb/articles/:id":                    {"kb_article.update", "kb_article"},
	"DELETE /api/v1/kb/articles/:id":                   {"kb_article.delete", "kb_article"},
	"PUT /api/v1/kb/lexicon":                           {"kb_lexicon.update", "tenant"},
	"PUT /api/v1/channels/:id/robot":                   {"robot.update", "channel"},
	"POST /api/v1/robot/keywords":                      {"robot_keyword.create", "robot_keyword"},
	"PUT /api/v1/robot/keywords/:id":                   {"robot_keyword.update", "robot_keyword"},
	"DELETE /api/v1/robot/keywords/:id":                {"robot_keyword.delete", "robot_keyword"},
	"POST /api/v1/kb/import":                           {"kb_article.import", "tenant"},
	"GET /api/v1/kb/export.csv":                        {"kb_article.export", ""},
	"POST /api/v1/conversations/:id/blacklist":         {"blacklist.add", "conversation"},
	"DELETE /api/v1/blacklist/:id":                     {"blacklist.remove", "blacklist"},
	"GET /api/v1/conversations/:id/export":             {"conversation.export", "conversation"},
	"GET /api/v1/audit/export":                         {"audit.export", ""},
	"POST /api/v1/qa/templates":                        {"qa_template.create", "qa_template"},
	"PATCH /api/v1/qa/templates/:id":                   {"qa_template.update", "qa_template"},
	"DELETE /api/v1/qa/templates/:id":                  {"qa_template.delete", "qa_template"},
	"POST /api/v1/qa/batches":                          {"qa_batch.create", "qa_batch"},
	"POST /api/v1/qa/reviews/:id/score":                {"qa_review.score", "qa_review"},
	"POST /api/v1/qa/reviews/:id/acknowledge":          {"qa_review.acknowledge", "qa_review"},
	"POST /api/v1/qa/reviews/:id/appeal":               {"qa_review.appeal", "qa_review"},
	"POST /api/v1/qa/reviews/:id/resolve":              {"qa_review.resolve", "qa_review"},
	"PUT /api/v1/qa/words":                             {"qa_words.update", "tenant"},
	"PUT /api/v1/sla/policies":                         {"sla_policy.update", "tenant"},
	"PUT /api/v1/contact-visibility":                   {"contact_visibility.update", "tenant"},
	"PUT /api/v1/ratings/settings":                     {"rating_settings.update", "tenant"},
	"POST /api/v1/ratings/link-keys":                   {"rating_key.rotate", "rating_key"},
	"DELETE /api/v1/ratings/link-keys/:id":             {"rating_key.delete", "rating_key"},
}

// maxDetailBody is how much of a request body the audit detail reads.
const maxDetailBody = 64 << 10

// Middleware records the audited requests (run it after the agent is
// known): the entry rides in the request's context so the change's own
// transaction writes it (audit.Hook), or is written when the request
// succeeds without one. A nil store records nothing.
func Middleware(st *audit.Store, log *slog.Logger) gin.HandlerFunc {
	return func(g *gin.Context) {
		route, ok := audited[g.Request.Method+" "+g.FullPath()]
		if !ok || st == nil {
			g.Next()
			return
		}
		record(g, st, log, route.action, route.target)
	}
}

func record(g *gin.Context, st *audit.Store, log *slog.Logger, action audit.Action, target string) {
	a := connectors.AgentOf(g)
	e := audit.Entry{TenantID: a.TenantID, ActorID: a.ID, ActorName: a.Email, Address: g.ClientIP(),
		Action: action, TargetType: target, TargetID: g.Param("id"), Detail: bodyDetail(g)}
	if target == "agent" && e.TargetID == "" && action != "agent.create" {
		e.TargetID = a.ID // the acting agent's own session or two-factor
	}
	if action == "audit.export" {
		e.Detail = exportDetail(g.Request.URL.Query())
	}
	ctx, p := audit.Begin(g.Request.Context(), e)
	g.Request = g.Request.WithContext(ctx)
	w := &idCatcher{ResponseWriter: g.Writer}
	if e.TargetID == "" {
		g.Writer = w
	}
	g.Next()
	if g.Writer.Status() >= 400 {
		return
	}
	if err := st.Finish(context.WithoutCancel(ctx), p, w.id()); err != nil {
		log.Error("audit log", "action", action, "err", err)
	}
}

// bodyDetail reads the start of a JSON body for the entry's detail and puts
// it back for the handler.
func bodyDetail(g *gin.Context) string {
	if g.Request.Body == nil || g.Request.Method == http.MethodGet {
		return ""
	}
	head, _ := io.ReadAll(io.LimitReader(g.Request.Body, maxDetailBody))
	g.Request.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(head), g.Request.Body), g.Request.Body}
	return audit.Detail(head)
}

// idCatcher keeps the start of a create's answer, whose id is the entry's
// target.
type idCatcher struct {
	gin.ResponseWriter
	head []byte
}

func (w *idCatcher) Write(b []byte) (int, error) {
	if n := min(len(b), 4096-len(w.head)); n > 0 {
		w.head = append(w.head, b[:n]...)
	}
	return w.ResponseWriter.Write(b)
}

func (w *idCatcher) id() string {
	var v struct {
		ID     string `json:"id"`
		Tenant struct {
			ID string `json:"id"`
		} `json:"tenant"`
	}
	_ = json.Unmarshal(w.head, &v)
	if v.ID == "" {
		return v.Tenant.ID
	}
	return v.ID
}

// Routes are the audited routes, "METHOD /path" (a test checks the router
// serves each).
func Routes() []string {
	out := make([]string, 0, len(audited))
	for r := range audited {
		out = append(out, r)
	}
	return out
}

// exportDetail names the filters of an export, with the values of the
// action and the time range (ids and emails stay out).
func exportDetail(q url.Values) string {
	var parts []string
	for _, k := range []string{"action", "actor", "target", "from", "to"} {
		switch v := q.Get(k); {
		case v == "":
		case k == "actor" || k == "target":
			parts = append(parts, k)
		default:
			parts = append(parts, k+"="+v)
		}
	}
	return strings.Join(parts, ", ")
}
