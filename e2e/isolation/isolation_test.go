package isolation

// Tenant isolation matrix (no tenant sees another's data): the
// table below classifies every route the router serves; a route missing
// from it fails the test (default deny). Two tenants, each with a full set of
// objects and a random canary string planted in its customers' text and
// names, then every route is called by the other tenant's admin, agent and
// API token with foreign ids in the path and in body fields: a foreign id
// must look exactly like an id that does not exist (404 for path ids), never
// act, and no response or websocket frame may carry the other tenant's data.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/kefu-hub/kefu/connectors/qq/qqtest"
	"github.com/kefu-hub/kefu/connectors/wecom/wecomtest"
	"github.com/kefu-hub/kefu/connectors/weibo/weibotest"
	"github.com/kefu-hub/kefu/e2e/kit"
)

// Who may call a route.
const (
	accPublic  = "public"  // anyone (health, the OpenAPI document)
	accMetrics = "metrics" // the scraper: the metrics token (KEFU_METRICS_TOKEN), no login
	accLogin   = "login"   // anyone, with credentials in the body
	accWS      = "ws"      // agent websocket: credentials in the first frame
	accWebhook = "webhook" // platforms: signed with the channel secret
	accApp     = "app"     // an app user's contact token, bound to its app (app_test.go)
	accAuth    = "auth"    // any signed-in agent of the tenant
	accAdmin   = "admin"   // the tenant's admins
	accSuper   = "super"   // the platform admin only
)

// isoRoute classifies one route.
type isoRoute struct {
	access string
	// obj is the kind of object the route's :id names.
	obj string
	// body is a valid body (built from the caller's own objects), so a
	// handler given a foreign path id gets as far as its lookup.
	body func(own *isoTenant) any
	// lists is the kind of the caller's own objects a list route must show
	// (so "no foreign ids" is not vacuously true).
	lists string
	// queries are extra query strings tried on a GET route.
	queries func(own, other *isoTenant) []string
	// session marks routes that end the caller's session (swept separately).
	session bool
}

// isoRoutes is the matrix. Every route of the router must be here.
func isoRoutes() map[string]isoRoute {
	text := func(*isoTenant) any { return map[string]any{"content": "x"} }
	return map[string]isoRoute{
		"GET /healthz":                                   {access: accPublic},
		"GET /readyz":                                    {access: accPublic},
		"GET /metrics":                                   {access: accMetrics},
		"GET /api/v1/openapi.json":                       {access: accPublic},
		"POST /api/v1/auth/login":                        {access: accLogin},
		"GET /api/v1/ws":                                 {access: accWS},
		"POST /webhooks/api/:channel_id":                 {access: accWebhook, obj: "channel"},
		"GET /webhooks/wechat/:channel_id":               {access: accWebhook, obj: "channel"},
		"POST /webhooks/wechat/:channel_id":              {access: accWebhook, obj: "channel"},
		"GET /webhooks/weibo/:channel_id":                {access: accWebhook, obj: "channel"},
		"POST /webhooks/qq/:channel_id":                  {access: accWebhook, obj: "channel"},
		"GET /webhooks/wecom_kf/:channel_id":             {access: accWebhook, obj: "channel"},
		"POST /webhooks/wecom_kf/:channel_id":            {access: accWebhook, obj: "channel"},
		"POST /webhooks/weibo/:channel_id":               {access: accWebhook, obj: "channel"},
		"GET /webhooks/weibo/:channel_id/files/:file_id": {access: accWebhook, obj: "channel"},
		"POST /api/v1/attachments":                       {access: accAuth},
		"GET /api/v1/attachments/:id":                    {access: accAuth, obj: "attachment"},

		"POST /api/v1/auth/logout": {access: accAuth, session: true},
		"GET /api/v1/me":           {access: accAuth},
		// An agent's avatar is public by design: visitors' widgets on any
		// site load it by the agent's id.
		"GET /api/v1/avatars/:id":  {access: accPublic, obj: "agent"},
		"GET /api/v1/avatars":      {access: accAuth, lists: "agent"}, // the colleagues' faces
		"POST /api/v1/me/avatar":   {access: accAuth},
		"DELETE /api/v1/me/avatar": {access: accAuth},
		"PUT /api/v1/me/status": {access: accAuth, body: func(*isoTenant) any {
			return map[string]any{"status": "online"}
		}},
		"GET /api/v1/events": {access: accAuth, queries: func(own, other *isoTenant) []string {
			return []string{"after=0", "after=1"}
		}},
		"GET /api/v1/conversations": {access: accAuth, lists: "conv", queries: func(own, other *isoTenant) []string {
			return []string{"status=open", "status=offline", "status=queued", "status=closed",
				"assignee=" + other.agentID, "assignee=me", "status=open&assignee=" + other.agentID}
		}},
		"GET /api/v1/conversations/:id":           {access: accAuth, obj: "conv"},
		"GET /api/v1/conversations/:id/messages":  {access: accAuth, obj: "conv", queries: func(own, other *isoTenant) []string { return []string{"after_seq=0&limit=500"} }},
		"POST /api/v1/conversations/:id/messages": {access: accAuth, obj: "conv", body: text},
		"POST /api/v1/conversations/:id/transfer": {access: accAuth, obj: "conv", body: func(own *isoTenant) any {
			return map[string]any{"agent_id": own.agent2ID, "reason": "x"}
		}},
		"POST /api/v1/conversations/:id/close": {access: accAuth, obj: "conv", body: func(*isoTenant) any {
			return map[string]any{"reason": "x"}
		}},
		"POST /api/v1/conversations/:id/read": {access: accAuth, obj: "conv", body: func(*isoTenant) any { return map[string]any{"seq": 1} }},
		"POST /api/v1/conversations/:id/typing": {access: accAuth, obj: "conv", body: func(*isoTenant) any {
			return map[string]any{"typing": true}
		}},
		"GET /api/v1/tickets": {access: accAuth, lists: "ticket", queries: func(own, other *isoTenant) []string {
			return []string{"status=open", "channel_id=" + other.offCh.ID, "assignee=" + other.agentID, "view=unassigned",
				"view=all&priority=normal", "assignee_id=" + other.agentID, "view=overdue", "view=following", "view=group&sort=due",
				"field=product&field_value=" + url.QueryEscape("型号 "+other.canary), "q=" + other.canary, "group_id=" + other.group,
				"field=product&field_value=" + url.QueryEscape("型号 "+own.canary)}
		}},
		"GET /api/v1/ticket-views": {access: accAuth, lists: "ticket_view"},
		"POST /api/v1/ticket-views": {access: accAuth, body: func(own *isoTenant) any {
			return map[string]any{"name": "视图 " + kit.RandHex(4), "filter": map[string]any{"priority": "high"}}
		}},
		"PATCH /api/v1/ticket-views/:id": {access: accAuth, obj: "ticket_view", body: func(*isoTenant) any {
			return map[string]any{"name": "改名"}
		}},
		"DELETE /api/v1/ticket-views/:id": {access: accAuth, obj: "ticket_view"},
		"GET /api/v1/tickets/:id":         {access: accAuth, obj: "ticket"},
		"GET /api/v1/tickets/views":       {access: accAuth},
		"POST /api/v1/tickets": {access: accAuth, body: func(own *isoTenant) any {
			return map[string]any{"subject": "工单 " + kit.RandHex(4), "contact_id": own.contact, "priority": "high"}
		}},
		"PATCH /api/v1/tickets/:id": {access: accAuth, obj: "ticket", body: func(own *isoTenant) any {
			return map[string]any{"priority": "urgent", "assignee_id": own.agentID}
		}},
		"POST /api/v1/tickets/:id/reopen": {access: accAuth, obj: "ticket"},
		"POST /api/v1/tickets/:id/assign": {access: accAuth, obj: "ticket", body: func(own *isoTenant) any {
			return map[string]any{"agent_id": own.agentID}
		}},
		"POST /api/v1/tickets/:id/solve":        {access: accAuth, obj: "ticket"},
		"GET /api/v1/conversations/:id/routing": {access: accAuth, obj: "conv"},
		"POST /api/v1/conversations/:id/pickup": {access: accAuth, obj: "conv"},
		"GET /api/v1/queue":                     {access: accAuth},
		"GET /api/v1/visitors":                  {access: accAuth, lists: "visitor"},
		"GET /api/v1/visitors/:id":              {access: accAuth, obj: "visitor"},
		"POST /api/v1/visitors/:id/invite": {access: accAuth, obj: "visitor", body: func(*isoTenant) any {
			return map[string]any{"text": "x"}
		}},
		"POST /api/v1/visitors/:id/chat": {access: accAuth, obj: "visitor", body: func(*isoTenant) any {
			return map[string]any{"text": "x"}
		}},
		// The web channel's widget endpoints answer browsers on the channel's
		// allowed domains (e2e/channels/web_test.go covers origins and tokens).
		"GET /webhooks/web/:channel_id/config":         {access: accWebhook, obj: "channel"},
		"OPTIONS /webhooks/web/:channel_id/config":     {access: accWebhook, obj: "channel"},
		"GET /webhooks/web/:channel_id/ws":             {access: accWebhook, obj: "channel"},
		"POST /webhooks/web/:channel_id/upload":        {access: accWebhook, obj: "channel"},
		"OPTIONS /webhooks/web/:channel_id/upload":     {access: accWebhook, obj: "channel"},
		"OPTIONS /app/v1/:app_key/*path":               {access: accPublic},
		"GET /webhooks/web/:channel_id/files/:file_id": {access: accWebhook, obj: "channel"},
		"GET /chat/:channel_id":                        {access: accWebhook, obj: "channel"},
		// The public help centre: covered by "help centres show their own
		// tenant's articles only" below.
		"GET /help/:channel_id":                      {access: accWebhook, obj: "channel"},
		"GET /help/:channel_id/articles/:article_id": {access: accWebhook, obj: "channel"},
		// The app channel's customer API: contact tokens bound to one user
		// of one app (TestAppTokensStayInTheirApp covers every route).
		"POST /app/v1/:app_key/identify":      {access: accApp},
		"GET /app/v1/:app_key/conversations":  {access: accApp},
		"POST /app/v1/:app_key/conversations": {access: accApp},
		"GET /app/v1/:app_key/messages":       {access: accApp},
		"POST /app/v1/:app_key/messages":      {access: accApp},
		"POST /app/v1/:app_key/uploads":       {access: accApp},
		"GET /app/v1/:app_key/files/:file_id": {access: accApp},
		"POST /app/v1/:app_key/read":          {access: accApp},
		"GET /app/v1/:app_key/rating":         {access: accApp},
		"POST /app/v1/:app_key/feedback":      {access: accApp},
		"POST /app/v1/:app_key/rating":        {access: accApp},
		"POST /app/v1/:app_key/leave_message": {access: accApp},
		"PUT /app/v1/:app_key/push_token":     {access: accApp},
		"DELETE /app/v1/:app_key/push_token":  {access: accApp},
		"GET /app/v1/:app_key/ws":             {access: accApp},
		"GET /api/v1/contacts/:id/app":        {access: accAuth, obj: "contact"},
		// The rating page and its routes: the link's token is signed with its
		// tenant's key and names one conversation (hub/ratings TestRatingLink:
		// forged, swapped, cut and other tenants' tokens are 404).
		"GET /r/:token":            {access: accWebhook},
		"GET /api/v1/rate/:token":  {access: accWebhook},
		"POST /api/v1/rate/:token": {access: accWebhook},
		"GET /rate.js":             {access: accPublic},
		"GET /rate.css":            {access: accPublic},
		"GET /widget.js":           {access: accPublic},
		"GET /widget/chat.js":      {access: accPublic},
		"PATCH /api/v1/groups/:id": {access: accAdmin, obj: "group", body: func(*isoTenant) any {
			return map[string]any{"policy": "round_robin"}
		}},
		"GET /api/v1/routing/rules": {access: accAdmin, lists: "rule"},
		"POST /api/v1/routing/rules": {access: accAdmin, body: func(own *isoTenant) any {
			return map[string]any{"name": "r-" + kit.RandHex(4), "targets": []any{map[string]any{"group_id": own.group}}}
		}},
		"GET /api/v1/routing/rules/:id": {access: accAdmin, obj: "rule"},
		"PATCH /api/v1/routing/rules/:id": {access: accAdmin, obj: "rule", body: func(*isoTenant) any {
			return map[string]any{"name": "renamed"}
		}},
		"DELETE /api/v1/routing/rules/:id": {access: accAdmin, obj: "rule"},
		"GET /api/v1/routing/region": {access: accAdmin, queries: func(own, other *isoTenant) []string {
			return []string{"ip=1.2.3.4"}
		}},
		"GET /api/v1/automations": {access: accAdmin},
		"PUT /api/v1/automations": {access: accAdmin, body: func(*isoTenant) any {
			return map[string]any{"greeting": map[string]any{"enabled": false}}
		}},
		// The masking preview reads only the caller's own tenant's patterns.
		"POST /api/v1/automations/mask-preview": {access: accAdmin, body: func(*isoTenant) any {
			return map[string]any{"text": "卡号 6222021234567890123"}
		}},
		"GET /api/v1/channels/:id/automations": {access: accAdmin, obj: "channel"},
		"PUT /api/v1/channels/:id/automations": {access: accAdmin, obj: "channel", body: func(*isoTenant) any {
			return map[string]any{"greeting": map[string]any{"enabled": false}}
		}},
		"DELETE /api/v1/channels/:id/automations": {access: accAdmin, obj: "channel"},
		"GET /api/v1/agents":                      {access: accAuth, lists: "agent"},
		"GET /api/v1/groups":                      {access: accAuth, lists: "group"},

		"POST /api/v1/tenants": {access: accSuper, body: func(*isoTenant) any {
			return map[string]any{"name": "x", "admin_email": "x-" + kit.RandHex(4) + "@kefu.test", "admin_password": "admin-pass-x"}
		}},
		"POST /api/v1/agents": {access: accAdmin, body: func(*isoTenant) any {
			return map[string]any{"email": "n-" + kit.RandHex(4) + "@kefu.test", "password": "agent-pass-1"}
		}},
		"GET /api/v1/agents/:id": {access: accAdmin, obj: "agent"},
		"PATCH /api/v1/agents/:id": {access: accAdmin, obj: "agent", body: func(*isoTenant) any {
			return map[string]any{"name": "renamed"}
		}},
		"POST /api/v1/groups": {access: accAdmin, body: func(*isoTenant) any {
			return map[string]any{"name": "g-" + kit.RandHex(4)}
		}},
		"GET /api/v1/groups/:id": {access: accAdmin, obj: "group"},
		"GET /api/v1/channels":   {access: accAdmin, lists: "channel"},
		"POST /api/v1/channels": {access: accAdmin, body: func(*isoTenant) any {
			return map[string]any{"type": "api", "name": "x", "config": map[string]any{}}
		}},
		"GET /api/v1/channels/:id": {access: accAdmin, obj: "channel"},
		"PATCH /api/v1/channels/:id": {access: accAdmin, obj: "channel", body: func(*isoTenant) any {
			return map[string]any{"name": "renamed"}
		}},
		"POST /api/v1/channels/:id/rotate-secret":          {access: accAdmin, obj: "channel"},
		"POST /api/v1/channels/:id/rotate_identity_secret": {access: accAdmin, obj: "channel"},
		"GET /api/v1/channels/:id/deliveries":              {access: accAdmin, obj: "channel", lists: "delivery"},
		"GET /api/v1/deliveries/:id":                       {access: accAdmin, obj: "delivery"},
		"POST /api/v1/deliveries/:id/redeliver":            {access: accAdmin, obj: "delivery"},
		"GET /api/v1/failed-messages":                      {access: accAdmin, lists: "failed"},
		"POST /api/v1/failed-messages/:id/retry":           {access: accAdmin, obj: "failed"},
		"GET /api/v1/api-tokens":                           {access: accAdmin, lists: "token"},
		"POST /api/v1/api-tokens": {access: accAdmin, body: func(*isoTenant) any {
			return map[string]any{"name": "t-" + kit.RandHex(4)}
		}},
		"DELETE /api/v1/api-tokens/:id": {access: accAdmin, obj: "token"},

		// Admin console, part B: two-factor, settings, agent admin, monitor,
		// ticket replies and comments, webhook subscriptions.
		"POST /api/v1/me/totp/setup":   {access: accAuth},
		"POST /api/v1/me/totp/enable":  {access: accAuth, body: func(*isoTenant) any { return map[string]any{"code": "000000"} }},
		"POST /api/v1/me/totp/disable": {access: accAuth, body: func(*isoTenant) any { return map[string]any{"code": "000000"} }},
		"GET /api/v1/me/profile":       {access: accAuth},
		"PUT /api/v1/me/profile":       {access: accAuth, body: func(*isoTenant) any { return map[string]any{"signature": "x"} }},
		"POST /api/v1/me/password": {access: accAuth, body: func(*isoTenant) any {
			return map[string]any{"current_password": "wrong-password", "new_password": "another-password"}
		}},
		"POST /api/v1/tickets/:id/reply": {access: accAuth, obj: "ticket", body: func(*isoTenant) any {
			return map[string]any{"text": "x"}
		}},
		"POST /api/v1/tickets/:id/comments": {access: accAuth, obj: "ticket", body: func(*isoTenant) any {
			return map[string]any{"text": "x"}
		}},
		"GET /api/v1/monitor":                    {access: accAdmin, lists: "agent"}, // admins and supervisors
		"GET /api/v1/settings":                   {access: accAdmin},
		"PUT /api/v1/settings":                   {access: accAdmin, body: func(*isoTenant) any { return map[string]any{"require_totp": false} }},
		"POST /api/v1/agents/:id/reset-password": {access: accAdmin, obj: "agent"},
		// Deactivation (issue 15): a foreign agent or channel stays active.
		"POST /api/v1/agents/:id/deactivate":      {access: accAdmin, obj: "agent"},
		"POST /api/v1/agents/:id/reactivate":      {access: accAdmin, obj: "agent"},
		"POST /api/v1/channels/:id/deactivate":    {access: accAdmin, obj: "channel"},
		"POST /api/v1/channels/:id/reactivate":    {access: accAdmin, obj: "channel"},
		"GET /api/v1/agents/:id/sessions":         {access: accAdmin, obj: "agent"},
		"DELETE /api/v1/agents/:id/sessions":      {access: accAdmin, obj: "agent"},
		"DELETE /api/v1/agents/:id/sessions/:sid": {access: accAdmin, obj: "agent"},
		"GET /api/v1/webhooks":                    {access: accAdmin, lists: "webhook"},
		"POST /api/v1/webhooks": {access: accAdmin, body: func(own *isoTenant) any {
			return map[string]any{"url": own.cb.URL, "events": []string{"message.created"}}
		}},
		"GET /api/v1/webhooks/:id": {access: accAdmin, obj: "webhook"},
		"PATCH /api/v1/webhooks/:id": {access: accAdmin, obj: "webhook", body: func(*isoTenant) any {
			return map[string]any{"description": "renamed"}
		}},
		"DELETE /api/v1/webhooks/:id":             {access: accAdmin, obj: "webhook"},
		"POST /api/v1/webhooks/:id/rotate-secret": {access: accAdmin, obj: "webhook"},
		"GET /api/v1/webhooks/:id/deliveries":     {access: accAdmin, obj: "webhook"},
		// The audit log (issue 12): B's entries name B's objects and canary.
		"GET /api/v1/audit":        {access: accAdmin, queries: auditQueries},
		"GET /api/v1/audit/export": {access: accAdmin, queries: auditQueries},
		// Reports (issue 16): filters naming B's channel, group or agent show
		// A nothing of B (admins and supervisors).
		"GET /api/v1/reports/summary":    {access: accAdmin, queries: reportQueries},
		"GET /api/v1/reports/volume":     {access: accAdmin, queries: reportQueries},
		"GET /api/v1/reports/agents":     {access: accAdmin, queries: reportQueries},
		"GET /api/v1/reports/attendance": {access: accAdmin, queries: reportQueries},
		"GET /api/v1/reports/tickets":    {access: accAdmin, queries: ticketReportQueries},
		"GET /api/v1/reports/schedule":   {access: accAdmin},
		"PUT /api/v1/reports/schedule": {access: accAdmin, body: func(*isoTenant) any {
			return map[string]any{"enabled": true, "time": "07:30", "recipients": []string{"boss@shop.test"}}
		}},
		"GET /api/v1/ratings": {access: accAdmin, queries: func(own, other *isoTenant) []string {
			return []string{"", "bad=1", "agent_id=" + other.agentID, "channel_id=" + other.ch.ID, "format=csv"}
		}},
		// The e-mail channel (issue 15): B's mailboxes are 404 to A, and A's
		// recipients may name only A's agents.
		"GET /api/v1/email/recipients": {access: accAdmin},
		"PUT /api/v1/email/recipients": {access: accAdmin, body: func(own *isoTenant) any {
			return map[string]any{"recipients": []map[string]any{{"agent_id": own.agentID}, {"address": "boss@example.com"}}}
		}},
		"POST /api/v1/email/test": {access: accAdmin, body: func(*isoTenant) any {
			return map[string]any{"config": map[string]any{"smtp_host": "127.0.0.1", "smtp_port": 9, "smtp_tls": "none",
				"from_address": "kefu@example.com"}}
		}},
		"GET /api/v1/email/mailboxes/:channel_id":       {access: accAdmin, obj: "mailbox"},
		"POST /api/v1/email/mailboxes/:channel_id/poll": {access: accAdmin, obj: "mailbox"},
		"GET /api/v1/sla/policies":                      {access: accAdmin},
		"PUT /api/v1/sla/policies": {access: accAdmin, body: func(*isoTenant) any {
			return map[string]any{"policies": []map[string]any{{"priority": "urgent", "first_response_minutes": 30, "resolution_minutes": 240}}}
		}},
		"POST /api/v1/tickets/:id/follow":      {access: accAuth, obj: "ticket"},
		"DELETE /api/v1/tickets/:id/follow":    {access: accAuth, obj: "ticket"},
		"GET /api/v1/ratings/settings":         {access: accAdmin},
		"GET /api/v1/ratings/link-keys":        {access: accAdmin},
		"POST /api/v1/ratings/link-keys":       {access: accAdmin},
		"DELETE /api/v1/ratings/link-keys/:id": {access: accAdmin, obj: "rating_key"},
		"PUT /api/v1/ratings/settings": {access: accAdmin, body: func(*isoTenant) any {
			return map[string]any{"levels": []map[string]any{{"score": 5, "label": "好"}, {"score": 1, "label": "差"}},
				"invite_text": "请回复 {levels}", "thanks_text": "谢谢", "bad_at": 1, "reply_minutes": 30, "change_minutes": 0}
		}},

		// Agent tools (issue 5, part A).
		"GET /api/v1/canned-replies": {access: accAuth, lists: "canned", queries: func(own, other *isoTenant) []string {
			return []string{"q=" + other.canary, "category=" + other.canary}
		}},
		"GET /api/v1/canned-replies/categories": {access: accAuth},
		"POST /api/v1/canned-replies": {access: accAuth, body: func(*isoTenant) any {
			return map[string]any{"title": "t", "text": "x"}
		}},
		"PATCH /api/v1/canned-replies/:id": {access: accAuth, obj: "canned", body: func(*isoTenant) any {
			return map[string]any{"title": "renamed"}
		}},
		"DELETE /api/v1/canned-replies/:id": {access: accAuth, obj: "canned"},
		// The knowledge base (issue 17): B's articles never answer A's questions.
		"GET /api/v1/kb/search": {access: accAuth, queries: func(own, other *isoTenant) []string {
			return []string{"q=" + other.canary, "q=退款多久到账", "q=退款&channel_id=" + other.ch.ID}
		}},
		"GET /api/v1/kb/articles": {access: accAuth, lists: "kb", queries: func(own, other *isoTenant) []string {
			return []string{"q=" + other.canary, "category=" + other.canary}
		}},
		"GET /api/v1/kb/articles/:id": {access: accAuth, obj: "kb"},
		"POST /api/v1/kb/articles": {access: accAdmin, body: func(*isoTenant) any {
			return map[string]any{"question": "发什么快递", "answer": "中通"}
		}},
		"PATCH /api/v1/kb/articles/:id": {access: accAdmin, obj: "kb", body: func(*isoTenant) any {
			return map[string]any{"answer": "renamed"}
		}},
		"DELETE /api/v1/kb/articles/:id": {access: accAdmin, obj: "kb"},
		// Versions: B's article's history is 404 to A, and A cannot restore it.
		"GET /api/v1/kb/articles/:id/versions": {access: accAdmin, obj: "kb"},
		"POST /api/v1/kb/articles/:id/restore": {access: accAdmin, obj: "kb", body: func(*isoTenant) any {
			return map[string]any{"version": 1}
		}},
		"GET /api/v1/kb/articles/:id/rich": {access: accAuth, obj: "kb"},
		"PUT /api/v1/kb/articles/:id/rich": {access: accAdmin, obj: "kb", body: func(*isoTenant) any {
			return map[string]any{"html": "<p><b>renamed</b></p>"}
		}},
		"GET /api/v1/kb/lexicon":    {access: accAdmin},
		"GET /api/v1/kb/unanswered": {access: accAdmin},
		"DELETE /api/v1/kb/unanswered": {access: accAdmin, queries: func(own, other *isoTenant) []string {
			return []string{"question=" + other.canary}
		}},
		"GET /api/v1/channels/:id/robot": {access: accAdmin, obj: "channel"},
		"PUT /api/v1/channels/:id/robot": {access: accAdmin, obj: "channel", body: func(*isoTenant) any {
			return map[string]any{"mode": "off", "max_misses": 2}
		}},
		"GET /api/v1/groups/:id/robot":    {access: accAdmin, obj: "group"},
		"DELETE /api/v1/groups/:id/robot": {access: accAdmin, obj: "group"},
		"PUT /api/v1/groups/:id/robot": {access: accAdmin, obj: "group", body: func(*isoTenant) any {
			return map[string]any{"mode": "first", "greeting": "您好", "threshold": 0.5}
		}},
		// Keyword auto-replies: B's rules never answer A's customers.
		"GET /api/v1/robot/keywords": {access: accAdmin, lists: "keyword"},
		"POST /api/v1/robot/keywords": {access: accAdmin, body: func(*isoTenant) any {
			return map[string]any{"match": "contains", "pattern": "发票", "reply": "请在订单页申请电子发票。"}
		}},
		"PUT /api/v1/robot/keywords/:id": {access: accAdmin, obj: "keyword", body: func(*isoTenant) any {
			return map[string]any{"match": "exact", "pattern": "renamed", "reply": "x"}
		}},
		"DELETE /api/v1/robot/keywords/:id": {access: accAdmin, obj: "keyword"},
		// KB CSV: A's export holds none of B's articles (the canary); an
		// import is multipart, so the matrix's JSON bodies are refused.
		"GET /api/v1/kb/export.csv":  {access: accAdmin},
		"GET /api/v1/kb/export.xlsx": {access: accAdmin},
		"GET /api/v1/robot/stats": {access: accAdmin, queries: func(own, other *isoTenant) []string {
			return []string{"days=1", "days=365"}
		}},
		"POST /api/v1/kb/import": {access: accAdmin},
		"PUT /api/v1/kb/lexicon": {access: accAdmin, body: func(*isoTenant) any {
			return map[string]any{"synonyms": []string{"运费=邮费"}}
		}},
		"POST /api/v1/conversations/:id/notes": {access: accAuth, obj: "conv", body: func(*isoTenant) any {
			return map[string]any{"text": "note"}
		}},
		"POST /api/v1/conversations/:id/blacklist": {access: accAuth, obj: "conv", body: func(*isoTenant) any {
			return map[string]any{"reason": "spam"}
		}},
		"POST /api/v1/conversations/:id/rating-request": {access: accAuth, obj: "conv"},
		"GET /api/v1/conversations/:id/export": {access: accAuth, obj: "conv", queries: func(own, other *isoTenant) []string {
			return []string{"format=csv", "format=json"}
		}},
		"GET /api/v1/categories": {access: accAuth, lists: "category"},
		"POST /api/v1/categories": {access: accAdmin, body: func(*isoTenant) any {
			return map[string]any{"name": "c-" + kit.RandHex(4)}
		}},
		"DELETE /api/v1/categories/:id": {access: accAdmin, obj: "category"},
		// Quality inspection (issue 16): B's templates, reviews, words and
		// alerts never reach A; an agent sees their own scored reviews.
		"GET /api/v1/qa/reviews": {access: accAuth, lists: "qa_review", queries: func(own, other *isoTenant) []string {
			return []string{"agent=" + other.agentID, "batch=" + other.qaBatch, "tab=done"}
		}},
		"GET /api/v1/qa/reviews/:id":              {access: accAuth, obj: "qa_review"},
		"POST /api/v1/qa/reviews/:id/acknowledge": {access: accAuth, obj: "qa_review"},
		"POST /api/v1/qa/reviews/:id/appeal": {access: accAuth, obj: "qa_review", body: func(*isoTenant) any {
			return map[string]any{"reason": "不同意"}
		}},
		"POST /api/v1/qa/reviews/:id/score": {access: accAdmin, obj: "qa_review", body: func(*isoTenant) any {
			return map[string]any{"items": []any{}, "comment": "x"}
		}},
		"POST /api/v1/qa/reviews/:id/resolve": {access: accAdmin, obj: "qa_review", body: func(*isoTenant) any {
			return map[string]any{"note": "x"}
		}},
		"GET /api/v1/qa/templates":  {access: accAdmin, lists: "qa_template"},
		"POST /api/v1/qa/templates": {access: accAdmin, body: func(*isoTenant) any { return qaTemplateBody("t") }},
		"PATCH /api/v1/qa/templates/:id": {access: accAdmin, obj: "qa_template", body: func(*isoTenant) any {
			return qaTemplateBody("renamed")
		}},
		"DELETE /api/v1/qa/templates/:id": {access: accAdmin, obj: "qa_template"},
		"GET /api/v1/qa/batches":          {access: accAdmin, lists: "qa_batch"},
		"POST /api/v1/qa/batches": {access: accAdmin, body: func(own *isoTenant) any {
			return map[string]any{"template_id": own.qaTemplate, "from": "2020-01-01", "to": "2020-01-02"}
		}},
		"GET /api/v1/qa/words":  {access: accAdmin},
		"GET /api/v1/qa/alerts": {access: accAdmin},
		"PUT /api/v1/qa/words": {access: accAdmin, body: func(own *isoTenant) any {
			return map[string]any{"words": []string{own.canary}}
		}},
		"GET /api/v1/blacklist":        {access: accAdmin, lists: "blacklist"},
		"DELETE /api/v1/blacklist/:id": {access: accAdmin, obj: "blacklist"},
		"GET /api/v1/contacts": {access: accAuth, lists: "contact", queries: func(own, other *isoTenant) []string {
			return []string{"q=" + other.canary, "owner_id=" + other.agentID, "channel_id=" + other.ch.ID, "channel_id=manual",
				"sort=name&limit=500"}
		}},
		"POST /api/v1/contacts": {access: accAuth, body: func(own *isoTenant) any {
			return map[string]any{"name": "手动 " + kit.RandHex(4), "owner_id": own.agentID}
		}},
		"GET /api/v1/contacts/:id": {access: accAuth, obj: "contact"},
		"PATCH /api/v1/contacts/:id": {access: accAuth, obj: "contact", body: func(*isoTenant) any {
			return map[string]any{"company": "x"}
		}},
		"GET /api/v1/contacts/:id/conversations": {access: accAuth, obj: "contact", lists: "conv"},
		"GET /api/v1/contacts/:id/tickets":       {access: accAuth, obj: "contact"},
		"GET /api/v1/contacts/export": {access: accAuth, lists: "contact", queries: func(own, other *isoTenant) []string {
			return []string{"q=" + other.canary, "owner_id=" + other.agentID, "format=xlsx", "field=level&field_value=金卡"}
		}},
		"POST /api/v1/contacts/import":   {access: accAuth},
		"GET /api/v1/contact-visibility": {access: accAdmin},
		"PUT /api/v1/contact-visibility": {access: accAdmin, body: func(*isoTenant) any {
			return map[string]any{"agents_unowned": false}
		}},
		"GET /api/v1/custom-fields":                  {access: accAuth, lists: "custom_field"},
		"POST /api/v1/custom-fields":                 {access: accAdmin},
		"PATCH /api/v1/custom-fields/:id":            {access: accAdmin, obj: "custom_field", body: func(*isoTenant) any { return map[string]any{"label": "x"} }},
		"DELETE /api/v1/custom-fields/:id":           {access: accAdmin, obj: "custom_field"},
		"GET /api/v1/contacts/:id/followups":         {access: accAuth, obj: "contact"},
		"POST /api/v1/contacts/:id/followups":        {access: accAuth, obj: "contact", body: func(*isoTenant) any { return map[string]any{"note": "x"} }},
		"GET /api/v1/contacts/:id/merge-suggestions": {access: accAuth, obj: "contact"},
		"GET /api/v1/contacts/:id/merges":            {access: accAuth, obj: "contact"},
		"POST /api/v1/contacts/:id/merge": {access: accAuth, obj: "contact", body: func(own *isoTenant) any {
			return map[string]any{"merged_id": own.contact}
		}},
		"POST /api/v1/contact-merges/:id/undo": {access: accAuth, obj: "merge"},
	}
}

// reportQueries filter the reports by B's objects, in each breakdown and as
// CSV: A still sees nothing of B.
func reportQueries(own, other *isoTenant) []string {
	var qs []string
	for _, f := range []string{"channel=" + other.ch.ID, "agent=" + other.agentID, "group=" + other.group} {
		for _, by := range []string{"day", "channel", "agent", "heatmap", "source", "device"} {
			qs = append(qs, f+"&by="+by, f+"&by="+by+"&format=csv")
		}
		qs = append(qs, f+"&format=xlsx", f+"&by=source&of=leave_messages", f+"&by=region&of=leave_messages&format=csv")
	}
	return qs
}

// ticketReportQueries filter the tickets report by B's objects, in each
// breakdown and as a download: A still sees nothing of B.
func ticketReportQueries(own, other *isoTenant) []string {
	var qs []string
	for _, f := range []string{"channel=" + other.ch.ID, "agent=" + other.agentID, "group=" + other.group} {
		for _, by := range []string{"channel", "agent", "priority", "origin"} {
			qs = append(qs, f+"&by="+by, f+"&by="+by+"&format=csv")
		}
		qs = append(qs, f+"&origin=offline&format=xlsx")
	}
	return qs
}

// auditQueries filter the audit log by B's objects and actors: A still sees
// nothing of B.
func auditQueries(own, other *isoTenant) []string {
	return []string{"target=" + other.ch.ID, "actor=" + other.adminID, "target=" + other.webhook, "action=channel&limit=500"}
}

// The matrix covers exactly the router's routes: a new route without an
// entry fails (default deny), and so does an entry for a route that is gone.
func TestIsolationMatrixCoversEveryRoute(t *testing.T) {
	t.Parallel()
	table := isoRoutes()
	seen := map[string]bool{}
	for _, r := range kit.Routes(t) {
		seen[r.String()] = true
		if _, ok := table[r.String()]; !ok {
			t.Errorf("route %s has no entry in the isolation matrix (isoRoutes): classify it and say what a foreign id must get", r.String())
		}
	}
	for k := range table {
		if !seen[k] {
			t.Errorf("isolation matrix lists %s, which the router no longer serves", k)
		}
	}
}

// isoTenant is one tenant with one of everything.
type isoTenant struct {
	name, canary, tenantID         string
	admin, agent, agent2           *kit.Client
	adminEmail                     string
	adminID, agentID, agent2ID     string
	group, offGroup                string
	ch, offCh                      kit.APIChannel
	cb                             *kit.CallbackServer
	conv, contact, offConv, ticket string
	messages                       []string
	delivery, tokenID, token       string
	attachment                     string
	failed                         string
	agentSock                      *kit.Sock
	webhook, webhookSecret         string
	rule                           string
	canned, category, blacklist    string
	kbArticle, keyword             string
	webCh, visitor                 string
	qaTemplate, qaBatch, qaReview  string
	customField, merge             string
	ticketView                     string
	mailbox                        string
	ratingKey                      string
}

// ids returns the tenant's objects of a kind.
func (x *isoTenant) ids(kind string) []string {
	switch kind {
	case "conv":
		return []string{x.conv, x.offConv}
	case "visitor":
		return []string{x.visitor}
	case "ticket":
		return []string{x.ticket}
	case "agent":
		return []string{x.agentID, x.agent2ID, x.adminID}
	case "group":
		return []string{x.group, x.offGroup}
	case "channel":
		return []string{x.ch.ID, x.offCh.ID}
	case "mailbox":
		return []string{x.mailbox}
	case "delivery":
		return []string{x.delivery}
	case "failed":
		return []string{x.failed}
	case "attachment":
		return []string{x.attachment}
	case "token":
		return []string{x.tokenID}
	case "rule":
		return []string{x.rule}
	case "webhook":
		return []string{x.webhook}
	case "canned":
		return []string{x.canned}
	case "kb":
		return []string{x.kbArticle}
	case "keyword":
		return []string{x.keyword}
	case "category":
		return []string{x.category}
	case "blacklist":
		return []string{x.blacklist}
	case "contact":
		return []string{x.contact}
	case "qa_template":
		return []string{x.qaTemplate}
	case "qa_batch":
		return []string{x.qaBatch}
	case "qa_review":
		return []string{x.qaReview}
	case "custom_field":
		return []string{x.customField}
	case "merge":
		return []string{x.merge}
	case "ticket_view":
		return []string{x.ticketView}
	case "rating_key":
		return []string{x.ratingKey}
	}
	panic("unknown object kind " + kind)
}

// secrets is every string of this tenant that must never reach another:
// the canary, every id, the channel secrets, the emails.
func (x *isoTenant) secrets() []string {
	s := []string{x.canary, x.tenantID, x.contact, x.ch.Secret, x.offCh.Secret, x.adminEmail,
		x.name + "-agent1@kefu.test", x.name + "-agent2@kefu.test"}
	for _, k := range []string{"conv", "ticket", "agent", "group", "channel", "delivery", "failed", "token", "attachment", "rule",
		"canned", "category", "blacklist", "kb", "keyword", "qa_template", "qa_batch", "qa_review", "custom_field", "merge", "ticket_view"} {
		s = append(s, x.ids(k)...)
	}
	s = append(s, x.webhook, x.webhookSecret)
	return append(s, x.messages...)
}

// isoSetup creates a tenant through the platform admin, with admin, two
// agents, groups, a routed API channel and an offline one, an assigned
// conversation with messages and a reply delivered to the callback, an
// offline ticket, an API token and a failed message.
func isoSetup(t *testing.T, e *kit.Env, h *kit.Hub, sup *kit.Client, name string) *isoTenant {
	t.Helper()
	x := &isoTenant{name: name, canary: "CANARY" + kit.RandHex(10)}
	x.adminEmail = name + "-admin@kefu.test"
	r := sup.Must(201, "POST", "/api/v1/tenants", map[string]any{"name": "Tenant " + name + " " + x.canary,
		"admin_email": x.adminEmail, "admin_password": "admin-pass-" + name})
	x.tenantID, x.adminID = r.Str("tenant.id"), r.Str("admin.id")
	x.admin = kit.Login(t, h.Base, x.adminEmail, "admin-pass-"+name)
	x.group = x.admin.Must(201, "POST", "/api/v1/groups", map[string]any{"name": "售前 " + x.canary}).Str("id")
	x.offGroup = x.admin.Must(201, "POST", "/api/v1/groups", map[string]any{"name": "留言 " + x.canary}).Str("id")
	x.agent = x.admin.NewAgent(name+"-agent1@kefu.test", 50, x.group)
	x.agentID = x.agent.MeID()
	x.agent.SetAvatar() // served to anyone (GET /api/v1/avatars/:id)
	x.agent2 = x.admin.NewAgent(name+"-agent2@kefu.test", 50)
	x.agent2ID = x.agent2.MeID()
	x.cb = kit.NewCallbackServer(t)
	x.ch = x.admin.NewAPIChannel(x.cb.URL, map[string]any{"name": "dev " + x.canary, "default_group_id": x.group})
	x.offCh = x.admin.NewAPIChannel(x.cb.URL, map[string]any{"name": "offline " + x.canary, "default_group_id": x.offGroup,
		"offline_message": "offline " + x.canary})
	x.mailbox = x.admin.Must(201, "POST", "/api/v1/channels", map[string]any{"type": "email", "name": "邮箱 " + x.canary,
		"config": map[string]any{"smtp_host": "smtp.example.com", "from_address": "kefu-" + name + "@example.com"}}).Str("id")

	x.agent.SetStatus("online")
	x.agent2.SetStatus("online")
	x.agentSock = x.agent.Dial(-1)
	// the canary is a sensitive word: the agent's reply below raises an alert
	x.admin.Must(200, "PUT", "/api/v1/qa/words", map[string]any{"words": []string{x.canary}})
	if st, b := x.ch.Post(t, h.Base, map[string]any{"id": "m1-" + x.canary, "type": "text", "text": "你好 " + x.canary,
		"contact": map[string]any{"id": "cust-" + x.canary, "name": "客户 " + x.canary, "email": x.canary + "@example.com"}}); st != 200 {
		t.Fatalf("post: %d %s", st, b)
	}
	ev := x.agentSock.WaitFor("conversation.assigned", 15*time.Second, nil)
	x.conv, _ = kit.Dig(ev, "data", "conversation", "id").(string)
	x.contact, _ = kit.Dig(ev, "data", "conversation", "contact_id").(string)
	x.agent.Must(201, "POST", "/api/v1/conversations/"+x.conv+"/messages", map[string]any{"content": "回复 " + x.canary})
	var ms struct{ Messages []struct{ ID string } }
	x.admin.Must(200, "GET", "/api/v1/conversations/"+x.conv+"/messages", nil).JSON(t, &ms)
	for _, m := range ms.Messages {
		x.messages = append(x.messages, m.ID)
	}
	if len(x.messages) != 2 {
		t.Fatalf("%s: conversation has %d messages, want 2", name, len(x.messages))
	}

	if st, b := x.offCh.Post(t, h.Base, map[string]any{"id": "off1-" + x.canary, "text": "留言 " + x.canary,
		"contact": map[string]any{"id": "off-" + x.canary, "name": "访客 " + x.canary}}); st != 200 {
		t.Fatalf("post offline: %d %s", st, b)
	}
	kit.Eventually(t, 15*time.Second, name+": the offline message becomes a ticket", func() bool {
		var ts struct {
			Tickets []struct {
				ID             string
				ConversationID string `json:"conversation_id"`
			}
		}
		x.admin.Must(200, "GET", "/api/v1/tickets", nil).JSON(t, &ts)
		if len(ts.Tickets) == 1 {
			x.ticket, x.offConv = ts.Tickets[0].ID, ts.Tickets[0].ConversationID
		}
		return x.ticket != ""
	})
	kit.Eventually(t, 15*time.Second, name+": the reply is delivered to the callback", func() bool {
		var ds struct {
			Deliveries []struct{ ID, Kind, Status string }
		}
		x.admin.Must(200, "GET", "/api/v1/channels/"+x.ch.ID+"/deliveries", nil).JSON(t, &ds)
		for _, d := range ds.Deliveries {
			if d.Kind == "message" && d.Status == "delivered" {
				x.delivery = d.ID
			}
		}
		return x.delivery != ""
	})
	x.rule = x.admin.Must(201, "POST", "/api/v1/routing/rules", map[string]any{"name": "rule " + x.canary,
		"conditions": map[string]any{"keywords": []string{"never-" + x.canary}},
		"targets":    []any{map[string]any{"group_id": x.group}}}).Str("id")
	r = x.admin.Must(201, "POST", "/api/v1/api-tokens", map[string]any{"name": "ci " + x.canary})
	x.tokenID, x.token = r.Str("id"), r.Str("token")
	x.attachment = x.admin.Upload("note-"+x.canary+".txt", []byte("附件 "+x.canary)).Str("id")
	r = x.admin.Must(201, "POST", "/api/v1/webhooks", map[string]any{"url": x.cb.URL, "description": "hook " + x.canary,
		"events": []string{"message.created", "conversation.closed"}})
	x.webhook, x.webhookSecret = r.Str("id"), r.Str("secret")
	x.failed = "fm_" + kit.RandHex(12)
	kit.ExecSQL(t, e, `INSERT INTO failed_messages (id, tenant_id, topic, payload, error, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		x.failed, x.tenantID, "inbound", `{"tenant_id":"`+x.tenantID+`","text":"poison `+x.canary+`"}`, "test "+x.canary, time.Now().UTC())
	x.canned = x.admin.Must(201, "POST", "/api/v1/canned-replies", map[string]any{"title": "问候 " + x.canary,
		"text": "您好 " + x.canary, "category": x.canary, "shared": true}).Str("id")
	x.kbArticle = x.admin.Must(201, "POST", "/api/v1/kb/articles", map[string]any{"question": "退款多久到账 " + x.canary,
		"similar": []string{"钱什么时候退 " + x.canary}, "answer": "三个工作日 " + x.canary, "category": x.canary}).Str("id")
	x.keyword = x.admin.Must(201, "POST", "/api/v1/robot/keywords", map[string]any{"match": "exact",
		"pattern": "口令 " + x.canary, "reply": "回复 " + x.canary, "channel_id": x.ch.ID}).Str("id")
	x.category = x.admin.Must(201, "POST", "/api/v1/categories", map[string]any{"name": "投诉 " + x.canary}).Str("id")
	// A blocked contact nobody writes as (blocking one through the API would
	// close a conversation the other subtests use).
	blocked := "ct_" + kit.RandHex(12)
	x.blacklist = "bl_" + kit.RandHex(12)
	kit.ExecSQL(t, e, `INSERT INTO contacts (id, tenant_id, channel_id, external_id, name, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		blocked, x.tenantID, x.ch.ID, "spam-"+x.canary, "垃圾 "+x.canary, time.Now().UTC(), time.Now().UTC())
	kit.ExecSQL(t, e, `INSERT INTO blacklist (id, tenant_id, channel_id, contact_id, reason, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		x.blacklist, x.tenantID, x.ch.ID, blocked, "spam "+x.canary, x.adminID, time.Now().UTC())
	// A web channel with a visitor whose page carries the canary.
	x.webCh, _ = x.admin.NewWebChannel(map[string]any{"title": "官网", "help_centre": true})
	v, _, err := kit.DialVisitor(t, h.Base, x.webCh, kit.VisitorOpts{Page: map[string]any{
		"url": "https://shop.example.com/" + x.canary, "title": "页面 " + x.canary}})
	if err != nil {
		t.Fatalf("%s: visitor: %v", name, err)
	}
	x.visitor = v.ID
	v.Conn.Close()
	isoQA(t, e, x, blocked)
	isoCustomers(t, x)
	return x
}

// isoCustomers gives the tenant a custom field and a merge of two
// customers entered by hand (one person, same phone).
func isoCustomers(t *testing.T, x *isoTenant) {
	t.Helper()
	x.customField = x.admin.Must(201, "POST", "/api/v1/custom-fields", map[string]any{"key": "level", "label": "等级 " + x.canary,
		"type": "select", "options": []string{"金卡", "银卡 " + x.canary}}).Str("id")
	phone := "139" + x.canary[len(x.canary)-8:]
	keep := x.admin.Must(201, "POST", "/api/v1/contacts", map[string]any{"name": "老客户 " + x.canary, "phone": phone,
		"custom": map[string]any{"level": "金卡"}}).Str("id")
	gone := x.admin.Must(201, "POST", "/api/v1/contacts", map[string]any{"name": "重复 " + x.canary, "phone": phone}).Str("id")
	x.admin.Must(201, "POST", "/api/v1/contacts/"+keep+"/followups", map[string]any{"note": "回访 " + x.canary})
	x.merge = x.admin.Must(201, "POST", "/api/v1/contacts/"+keep+"/merge", map[string]any{"merged_id": gone}).Str("id")
	// a ticket field whose value the ticket carries, and a shared view on it
	x.admin.Must(201, "POST", "/api/v1/custom-fields", map[string]any{"entity": "ticket", "key": "product", "label": "产品 " + x.canary,
		"type": "text"})
	x.admin.Must(200, "PATCH", "/api/v1/tickets/"+x.ticket, map[string]any{"fields": map[string]any{"product": "型号 " + x.canary}})
	x.ticketView = x.admin.Must(201, "POST", "/api/v1/ticket-views", map[string]any{"name": "视图 " + x.canary, "shared": true,
		"filter": map[string]any{"field": "product", "field_value": "型号 " + x.canary}}).Str("id")
	// a rating link key replaced by a newer one (only a replaced key can be deleted)
	x.ratingKey = x.admin.Must(201, "POST", "/api/v1/ratings/link-keys", nil).Str("id")
	x.admin.Must(201, "POST", "/api/v1/ratings/link-keys", nil)
}

// qaTemplateBody is a scoring template worth 100 with a fatal item.
func qaTemplateBody(name string) map[string]any {
	return map[string]any{"name": name, "items": []any{
		map[string]any{"name": "态度", "max_points": 100, "deductions": []any{map[string]any{"label": "冷淡", "points": 20}}},
		map[string]any{"name": "辱骂", "fatal": true}}}
}

// isoQA gives the tenant a scoring template, a closed conversation of
// agent1 (stored directly: closing the routed one would change what the
// other subtests use) drawn into a batch, and its review scored, so agent1
// sees it.
func isoQA(t *testing.T, e *kit.Env, x *isoTenant, contact string) {
	t.Helper()
	now := time.Now().UTC()
	conv := "cv_" + kit.RandHex(12)
	kit.ExecSQL(t, e, `INSERT INTO conversations (id, tenant_id, channel_id, contact_id, assignee_id, status, last_seq, created_at,
		updated_at, closed_at) VALUES (?, ?, ?, ?, ?, 'closed', 1, ?, ?, ?)`, conv, x.tenantID, x.ch.ID, contact, x.agentID, now, now, now)
	kit.ExecSQL(t, e, `INSERT INTO messages (id, tenant_id, conversation_id, channel_id, seq, direction, sender_type, type, text,
		status, created_at) VALUES (?, ?, ?, ?, 1, 'in', 'customer', 'text', ?, 'received', ?)`, "ms_"+kit.RandHex(12), x.tenantID,
		conv, x.ch.ID, "投诉 "+x.canary, now)
	x.qaTemplate = x.admin.Must(201, "POST", "/api/v1/qa/templates", qaTemplateBody("质检 "+x.canary)).Str("id")
	x.qaBatch = x.admin.Must(201, "POST", "/api/v1/qa/batches", map[string]any{"template_id": x.qaTemplate,
		"name": "抽检 " + x.canary, "keywords": []string{x.canary}, "from": now.AddDate(0, 0, -2).Format("2006-01-02"),
		"to": now.AddDate(0, 0, 2).Format("2006-01-02")}).Str("id")
	var rs struct{ Reviews []struct{ ID string } }
	x.admin.Must(200, "GET", "/api/v1/qa/reviews?batch="+x.qaBatch, nil).JSON(t, &rs)
	if len(rs.Reviews) != 1 {
		t.Fatalf("%s: the batch drew %d reviews, want 1", x.name, len(rs.Reviews))
	}
	x.qaReview = rs.Reviews[0].ID
	x.admin.Must(200, "POST", "/api/v1/qa/reviews/"+x.qaReview+"/score", map[string]any{"comment": "评语 " + x.canary,
		"items": []any{map[string]any{"item_id": "i1", "deductions": []int{0}}}})
}

// isoCaller is one identity calling the API.
type isoCaller struct {
	who   string
	c     *kit.Client
	admin bool
}

// with returns the tenant with its clients reporting to t (a subtest).
func (x *isoTenant) with(t *testing.T) *isoTenant {
	y := *x
	re := func(c *kit.Client) *kit.Client { return &kit.Client{T: t, Base: c.Base, Token: c.Token} }
	y.admin, y.agent, y.agent2 = re(x.admin), re(x.agent), re(x.agent2)
	s := *x.agentSock
	s.T = t
	y.agentSock = &s
	return &y
}

func (x *isoTenant) callers() []isoCaller {
	return []isoCaller{
		{"admin", x.admin, true},
		{"agent", x.agent, false},
		{"api-token", &kit.Client{T: x.admin.T, Base: x.admin.Base, Token: x.token}, true},
	}
}

// isoRandomID is an id of the same shape as id that names nothing.
func isoRandomID(id string) string {
	prefix, _, _ := strings.Cut(id, "_")
	const alphabet = "abcdefghijklmnopqrstuvwxyz234567"
	b := []byte(kit.RandHex(12))
	for i := range b {
		b[i] = alphabet[int(b[i])%32]
	}
	return prefix + "_" + string(b)
}

// isoLeak fails when body carries any of the other tenant's strings
// (except those the caller sent itself, which an error may quote back).
func isoLeak(t *testing.T, what string, body []byte, other *isoTenant, sent ...string) {
	t.Helper()
	for _, s := range other.secrets() {
		if s != "" && bytes.Contains(body, []byte(s)) && !slices.Contains(sent, s) {
			t.Errorf("%s: response carries tenant %s's %q: %.400s", what, other.name, s, body)
		}
	}
}

// isoSame fails unless a foreign id got exactly what an unknown id gets.
func isoSame(t *testing.T, what string, foreign, unknown kit.Resp, foreignID, unknownID string) {
	t.Helper()
	fb := strings.ReplaceAll(string(foreign.Body), foreignID, "ID")
	ub := strings.ReplaceAll(string(unknown.Body), unknownID, "ID")
	if foreign.Status != unknown.Status || fb != ub {
		t.Errorf("%s: a foreign id answers %d %s but an unknown id answers %d %s: that reveals the object exists",
			what, foreign.Status, fb, unknown.Status, ub)
	}
}

func TestTenantIsolationMatrix(t *testing.T) {
	t.Parallel()
	kit.ForModes(t, func(t *testing.T, m kit.Mode) {
		e := kit.NewEnv(t, m)
		h := e.Start()
		sup := h.Admin()
		a := isoSetup(t, e, h, sup, "a")
		b := isoSetup(t, e, h, sup, "b")
		table := isoRoutes()
		routes := kit.Routes(t)
		sort.Slice(routes, func(i, j int) bool { return routes[i].String() < routes[j].String() })

		// What B's objects look like before A tries anything: the fields a
		// foreign call could change (B's own traffic moves counters and times).
		pick := func(t *testing.T, r kit.Resp, path string, keys ...string) string {
			var v any
			r.JSON(t, &v)
			if path != "" {
				v = kit.Dig(v, path)
			}
			if l, ok := v.([]any); ok && len(l) > 0 {
				v = l[0]
			}
			m, _ := v.(map[string]any)
			out := map[string]any{}
			for _, k := range keys {
				out[k] = m[k]
			}
			j, _ := json.Marshal(out)
			return string(j)
		}
		snapshot := func(t *testing.T) map[string]string {
			bc := &kit.Client{T: t, Base: h.Base, Token: b.admin.Token}
			return map[string]string{
				"conversation": pick(t, bc.Must(200, "GET", "/api/v1/conversations/"+b.conv, nil), "",
					"status", "assignee_id", "group_id", "channel_id", "contact_id", "close_reason"),
				"offline conversation": pick(t, bc.Must(200, "GET", "/api/v1/conversations/"+b.offConv, nil), "",
					"status", "assignee_id", "group_id", "close_reason"),
				"ticket":       pick(t, bc.Must(200, "GET", "/api/v1/tickets/"+b.ticket, nil), "", "status", "assignee_id", "subject", "messages", "fields"),
				"ticket views": pick(t, bc.Must(200, "GET", "/api/v1/ticket-views", nil), "views", "id", "name", "filter"),
				"agent": pick(t, bc.Must(200, "GET", "/api/v1/agents/"+b.agentID, nil), "",
					"name", "role", "max_chats", "disabled", "groups", "email"),
				"group":   pick(t, bc.Must(200, "GET", "/api/v1/groups/"+b.group, nil), "", "name", "agent_ids"),
				"channel": pick(t, bc.Must(200, "GET", "/api/v1/channels/"+b.ch.ID, nil), "channel", "name", "config", "default_group_id", "secret", "disabled"),
				"offline channel": pick(t, bc.Must(200, "GET", "/api/v1/channels/"+b.offCh.ID, nil), "channel",
					"name", "config", "default_group_id", "secret"),
				"delivery": pick(t, bc.Must(200, "GET", "/api/v1/deliveries/"+b.delivery, nil), "delivery", "status", "attempts"),
				"webhook": pick(t, bc.Must(200, "GET", "/api/v1/webhooks/"+b.webhook, nil), "", "url", "events", "description", "active",
					"updated_at"),
				"api token":      pick(t, bc.Must(200, "GET", "/api/v1/api-tokens", nil), "api_tokens", "id", "name"),
				"failed message": pick(t, bc.Must(200, "GET", "/api/v1/failed-messages", nil), "failed_messages", "id", "retried_at", "error"),
			}
		}
		before := snapshot(t)

		t.Run("foreign path ids answer like unknown ids", func(t *testing.T) {
			a, b := a.with(t), b.with(t)
			calls := 0
			defer func() { t.Logf("%d foreign-id calls", calls) }()
			for _, r := range routes {
				spec, ok := table[r.String()]
				if !ok {
					t.Errorf("route %s is not in the isolation matrix", r.String())
					continue
				}
				if spec.obj == "" || (spec.access != accAuth && spec.access != accAdmin) {
					continue
				}
				for _, c := range a.callers() {
					for _, id := range b.ids(spec.obj) {
						var body any
						if spec.body != nil {
							body = spec.body(a)
						}
						unknown := isoRandomID(id)
						what := fmt.Sprintf("%s as A's %s with B's %s %s", r.String(), c.who, spec.obj, id)
						got := c.c.Do(r.Method, kit.FillPath(r.Path, id), body)
						ref := c.c.Do(r.Method, kit.FillPath(r.Path, unknown), body)
						want := http.StatusNotFound
						if spec.access == accAdmin && !c.admin {
							want = http.StatusForbidden // the role check comes first and says nothing of the id
						}
						if got.Status != want {
							t.Errorf("%s: status %d, want %d: %s", what, got.Status, want, got.Body)
						}
						isoSame(t, what, got, ref, id, unknown)
						isoLeak(t, what, got.Body, b, id)
						calls++
					}
				}
			}
		})

		t.Run("foreign ids in bodies and queries are unknown ids", func(t *testing.T) {
			a, b := a.with(t), b.with(t)
			type bodyCase struct {
				what, method, path string
				body               func(id string) any
				foreign            string
			}
			cases := []bodyCase{
				{"transfer to B's agent", "POST", "/api/v1/conversations/" + a.conv + "/transfer",
					func(id string) any { return map[string]any{"agent_id": id} }, b.agentID},
				{"transfer to B's group", "POST", "/api/v1/conversations/" + a.conv + "/transfer",
					func(id string) any { return map[string]any{"group_id": id} }, b.group},
				{"assign a ticket to B's agent", "POST", "/api/v1/tickets/" + a.ticket + "/assign",
					func(id string) any { return map[string]any{"agent_id": id} }, b.agentID},
				{"create a channel with B's group", "POST", "/api/v1/channels",
					func(id string) any {
						return map[string]any{"type": "api", "name": "x", "config": map[string]any{}, "default_group_id": id}
					}, b.group},
				{"move a channel to B's group", "PATCH", "/api/v1/channels/" + a.ch.ID,
					func(id string) any { return map[string]any{"default_group_id": id} }, b.group},
				{"create an agent in B's group", "POST", "/api/v1/agents",
					func(id string) any {
						return map[string]any{"email": "z-" + kit.RandHex(4) + "@kefu.test", "password": "agent-pass-1", "groups": []string{id}}
					}, b.group},
				{"put an agent in B's group", "PATCH", "/api/v1/agents/" + a.agent2ID,
					func(id string) any { return map[string]any{"groups": []string{id}} }, b.group},
				{"create a group with B's agent", "POST", "/api/v1/groups",
					func(id string) any { return map[string]any{"name": "g-" + kit.RandHex(4), "agent_ids": []string{id}} }, b.agentID},
				{"overflow a group to B's group", "PATCH", "/api/v1/groups/" + a.group,
					func(id string) any { return map[string]any{"overflow_group_id": id} }, b.group},
				{"route a rule to B's group", "POST", "/api/v1/routing/rules",
					func(id string) any {
						return map[string]any{"name": "x", "targets": []any{map[string]any{"group_id": id}}}
					}, b.group},
				{"route a rule to B's agent", "PATCH", "/api/v1/routing/rules/" + a.rule,
					func(id string) any { return map[string]any{"targets": []any{map[string]any{"agent_id": id}}} }, b.agentID},
				{"close with B's category", "POST", "/api/v1/conversations/" + a.conv + "/close",
					func(id string) any { return map[string]any{"category_id": id} }, b.category},
				{"merge B's customer into A's", "POST", "/api/v1/contacts/" + a.contact + "/merge",
					func(id string) any { return map[string]any{"merged_id": id} }, b.contact},
			}
			for _, c := range cases {
				unknown := isoRandomID(c.foreign)
				got := a.admin.Do(c.method, c.path, c.body(c.foreign))
				ref := a.admin.Do(c.method, c.path, c.body(unknown))
				if got.Status != http.StatusBadRequest && got.Status != http.StatusNotFound {
					t.Errorf("%s: status %d, want 400 or 404 (as for any id that does not exist): %s", c.what, got.Status, got.Body)
				}
				isoSame(t, c.what, got, ref, c.foreign, unknown)
				isoLeak(t, c.what, got.Body, b, c.foreign)
			}
			// Nothing of A changed either.
			var conv map[string]any
			a.admin.Must(200, "GET", "/api/v1/conversations/"+a.conv, nil).JSON(t, &conv)
			if conv["assignee_id"] != a.agentID || conv["status"] != "open" {
				t.Errorf("A's conversation changed after transfers to B's agent/group: %v", conv)
			}
			var tk map[string]any
			a.admin.Must(200, "GET", "/api/v1/tickets/"+a.ticket, nil).JSON(t, &tk)
			if tk["assignee_id"] != nil {
				t.Errorf("A's ticket was assigned to B's agent: %v", tk)
			}
			var ag map[string]any
			a.admin.Must(200, "GET", "/api/v1/agents/"+a.agent2ID, nil).JSON(t, &ag)
			if gs, _ := ag["groups"].([]any); len(gs) != 0 {
				t.Errorf("A's agent joined groups %v", gs)
			}

			// A customer of A's channel naming B's group lands in A's default group.
			st, body := a.ch.Post(t, h.Base, map[string]any{"id": "grp-" + kit.RandHex(4), "text": "hi", "group": b.group,
				"contact": map[string]any{"id": "grp-cust-" + kit.RandHex(4)}})
			if st != 200 {
				t.Fatalf("post: %d %s", st, body)
			}
			ev := a.agentSock.WaitFor("conversation.assigned", 15*time.Second, func(f map[string]any) bool {
				return kit.Dig(f, "data", "conversation", "contact", "external_id") != "cust-"+a.canary
			})
			if g := kit.Dig(ev, "data", "conversation", "group_id"); g != a.group {
				t.Errorf("a message naming B's group %s was routed to group %v, want A's default %s", b.group, g, a.group)
			}
		})

		t.Run("every GET of A's own objects shows A's data and nothing of B", func(t *testing.T) {
			a, b := a.with(t), b.with(t)
			for _, r := range routes {
				spec := table[r.String()]
				// Webhooks answer platforms, signed: the WeChat verification GET is
				// covered by the webhook tests.
				if r.Method != "GET" || spec.access == accWS || spec.access == accWebhook || spec.access == accApp {
					continue
				}
				paths := []string{r.Path}
				if spec.obj != "" {
					paths = []string{kit.FillPath(r.Path, a.ids(spec.obj)[0])}
				}
				if spec.queries != nil {
					for _, q := range spec.queries(a, b) {
						paths = append(paths, paths[0]+"?"+q)
					}
				}
				callers := a.callers()
				if spec.access == accPublic {
					callers = []isoCaller{{"anonymous", &kit.Client{T: t, Base: h.Base}, false}}
				}
				if spec.access == accMetrics {
					// Neither anyone nor a login session (an admin's
					// included) reads the metrics: only the scraper's token.
					for _, c := range append(a.callers(), isoCaller{"anonymous", &kit.Client{T: t, Base: h.Base}, false}) {
						if got := c.c.Do("GET", r.Path, nil); got.Status != http.StatusUnauthorized {
							t.Errorf("GET %s as %s: status %d, want 401", r.Path, c.who, got.Status)
						}
					}
					callers = []isoCaller{{"scraper", &kit.Client{T: t, Base: h.Base, Token: kit.MetricsToken}, false}}
				}
				for _, c := range callers {
					for _, p := range paths {
						what := fmt.Sprintf("GET %s as A's %s", p, c.who)
						got := c.c.Do("GET", p, nil)
						want := http.StatusOK
						if spec.access == accAdmin && !c.admin {
							want = http.StatusForbidden
						}
						if got.Status != want {
							t.Errorf("%s: status %d, want %d: %.300s", what, got.Status, want, got.Body)
						}
						isoLeak(t, what, got.Body, b)
						if spec.lists != "" && want == 200 && p == paths[0] {
							own := a.ids(spec.lists)[0]
							if spec.lists == "conv" && !c.admin {
								own = a.conv // the agent's own conversation
							}
							if !bytes.Contains(got.Body, []byte(own)) {
								t.Errorf("%s: the list does not show A's own %s %s: %.300s", what, spec.lists, own, got.Body)
							}
						}
					}
				}
			}
		})

		t.Run("help centres show their own tenant's articles only", func(t *testing.T) {
			anon := &kit.Client{T: t, Base: h.Base}
			for _, x := range []struct{ own, other *isoTenant }{{a, b}, {b, a}} {
				home := "/help/" + x.own.webCh
				got := anon.Must(200, "GET", home, nil)
				if !bytes.Contains(got.Body, []byte(x.own.kbArticle)) {
					t.Errorf("%s's help centre lacks its own article: %.300s", x.own.name, got.Body)
				}
				isoLeak(t, "GET "+home, got.Body, x.other)
				q := home + "?q=" + url.QueryEscape("退款多久到账 "+x.other.canary)
				isoLeak(t, "GET "+q, anon.Do("GET", q, nil).Body, x.other, x.other.canary)
				foreign := anon.Do("GET", home+"/articles/"+x.other.kbArticle, nil)
				nope := isoRandomID(x.other.kbArticle)
				unknown := anon.Do("GET", home+"/articles/"+nope, nil)
				if foreign.Status != http.StatusNotFound {
					t.Errorf("%s's help centre shows %s's article: %d", x.own.name, x.other.name, foreign.Status)
				}
				isoSame(t, "a foreign article in a help centre", foreign, unknown, x.other.kbArticle, nope)
				isoLeak(t, "a foreign article", foreign.Body, x.other)
			}
		})

		t.Run("an agent sees only their own conversations", func(t *testing.T) {
			a := a.with(t)
			for _, r := range routes {
				spec := table[r.String()]
				if spec.obj != "conv" {
					continue
				}
				// agent2 is not the assignee of A's conversation; agent1 is not
				// the assignee of the offline one.
				for _, c := range []struct {
					who string
					cl  *kit.Client
					id  string
				}{{"agent2", a.agent2, a.conv}, {"agent1", a.agent, a.offConv}} {
					var body any
					if spec.body != nil {
						body = spec.body(a)
					}
					unknown := isoRandomID(c.id)
					what := fmt.Sprintf("%s as A's %s on a conversation not theirs", r.String(), c.who)
					got := c.cl.Do(r.Method, kit.FillPath(r.Path, c.id), body)
					if got.Status != http.StatusNotFound {
						t.Errorf("%s: status %d, want 404: %s", what, got.Status, got.Body)
					}
					isoSame(t, what, got, c.cl.Do(r.Method, kit.FillPath(r.Path, unknown), body), c.id, unknown)
				}
			}
			var list struct{ Conversations []struct{ ID string } }
			a.agent2.Must(200, "GET", "/api/v1/conversations", nil).JSON(t, &list)
			for _, cv := range list.Conversations {
				if cv.ID == a.conv || cv.ID == a.offConv {
					t.Errorf("agent2 lists conversation %s, which is not theirs", cv.ID)
				}
			}
			var evs struct{ Events []map[string]any }
			a.agent2.Must(200, "GET", "/api/v1/events?after=0", nil).JSON(t, &evs)
			for _, ev := range evs.Events {
				if ev["conversation_id"] == a.conv {
					t.Errorf("agent2 replays event %v of a conversation not theirs", ev["type"])
				}
			}
		})

		t.Run("roles: agents get 403 on admin routes, only the platform admin creates tenants, nobody gets in without a token", func(t *testing.T) {
			a, b := a.with(t), b.with(t)
			for _, r := range routes {
				spec := table[r.String()]
				if spec.access != accAuth && spec.access != accAdmin && spec.access != accSuper {
					continue
				}
				id := "x_unknown"
				if spec.obj != "" {
					id = a.ids(spec.obj)[0]
				}
				p := kit.FillPath(r.Path, id)
				var body any
				if spec.body != nil {
					body = spec.body(a)
				}
				for _, tok := range []string{"", "garbage", "ks_" + strings.Repeat("a", 52), b.token + "x"} {
					got := (&kit.Client{T: t, Base: h.Base, Token: tok}).Do(r.Method, p, body)
					if got.Status != http.StatusUnauthorized || got.Str("error.code") == "" {
						t.Errorf("%s with token %q: %d %s, want 401 with a JSON error", r.String(), tok, got.Status, got.Body)
					}
				}
				if spec.access == accAdmin || spec.access == accSuper {
					got := a.agent.Do(r.Method, p, body)
					if got.Status != http.StatusForbidden || got.Str("error.code") != "forbidden" {
						t.Errorf("%s as a plain agent: %d %s, want 403", r.String(), got.Status, got.Body)
					}
				}
				if spec.access == accSuper {
					for _, c := range []isoCaller{{"admin", a.admin, true}, {"api-token", a.callers()[2].c, true}} {
						if got := c.c.Do(r.Method, p, body); got.Status != http.StatusForbidden {
							t.Errorf("%s as a tenant %s: %d %s, want 403", r.String(), c.who, got.Status, got.Body)
						}
					}
				}
			}
			// Login says the same for a wrong password of B's admin as for an unknown email.
			anon := &kit.Client{T: t, Base: h.Base}
			got := anon.Do("POST", "/api/v1/auth/login", map[string]any{"email": b.adminEmail, "password": "wrong-pass-1"})
			ref := anon.Do("POST", "/api/v1/auth/login", map[string]any{"email": "nobody-" + kit.RandHex(4) + "@kefu.test", "password": "wrong-pass-1"})
			if got.Status != http.StatusUnauthorized || got.Status != ref.Status || string(got.Body) != string(ref.Body) {
				t.Errorf("login: wrong password %d %s vs unknown email %d %s", got.Status, got.Body, ref.Status, ref.Body)
			}
		})

		t.Run("webhooks: B's channel does not take A's signature", func(t *testing.T) {
			a, b := a.with(t), b.with(t)
			forged := kit.APIChannel{ID: b.ch.ID, Secret: a.ch.Secret}
			st, body := forged.Post(t, h.Base, kit.TextMsg("forged-"+kit.RandHex(4), "cust-"+b.canary, "forged"))
			if st != http.StatusUnauthorized {
				t.Errorf("B's channel signed with A's secret: %d %s, want 401", st, body)
			}
			isoLeak(t, "webhook answer", body, b)
		})

		t.Run("webhooks: B's Weibo channel does not take A's App Secret", func(t *testing.T) {
			a, b := a.with(t), b.with(t)
			fake := weibotest.New(t) // mints the accounts; no API call is made
			bind := func(x *isoTenant) (string, weibotest.App) {
				app := fake.NewApp()
				r := x.admin.Must(201, "POST", "/api/v1/channels", map[string]any{"type": "weibo", "name": "微博 " + x.canary,
					"config": map[string]any{"app_key": app.AppKey, "app_secret": app.Secret, "access_token": app.AccessToken, "uid": app.UID}})
				return r.Str("id"), app
			}
			_, aApp := bind(a)
			bID, bApp := bind(b)
			sender := weibotest.NewUID()
			forged := weibotest.Push(http.DefaultClient, h.Base+"/webhooks/weibo/"+bID, aApp, weibotest.Text(sender, "forged "+b.canary), weibotest.PushOpts{})
			if forged.Status != http.StatusForbidden {
				t.Errorf("B's Weibo channel signed with A's App Secret: %d %s, want 403", forged.Status, forged.Body)
			}
			isoLeak(t, "weibo webhook answer", []byte(forged.Body), b)
			if own := weibotest.Push(http.DefaultClient, h.Base+"/webhooks/weibo/"+bID, bApp, weibotest.Text(sender, "own "+b.canary), weibotest.PushOpts{}); !own.OK() {
				t.Fatalf("B's own push: %d %s", own.Status, own.Body)
			}
			kit.Eventually(t, 15*time.Second, "B's own push is stored", func() bool { return b.admin.HasConversation(strconv.FormatInt(sender, 10)) })
			if a.admin.HasConversation(strconv.FormatInt(sender, 10)) {
				t.Error("A sees the conversation of B's Weibo customer")
			}
		})

		t.Run("webhooks: B's QQ channel does not take A's AppSecret", func(t *testing.T) {
			a, b := a.with(t), b.with(t)
			fake := qqtest.New(t) // mints the bots; no API call is made
			bind := func(x *isoTenant) (string, qqtest.App) {
				app := fake.NewApp()
				r := x.admin.Must(201, "POST", "/api/v1/channels", map[string]any{"type": "qq", "name": "QQ " + x.canary,
					"config": map[string]any{"app_id": app.AppID, "app_secret": app.Secret}})
				return r.Str("id"), app
			}
			_, aApp := bind(a)
			bID, bApp := bind(b)
			user := "UISO" + strings.ToUpper(kit.RandHex(6))
			url := h.Base + "/webhooks/qq/" + bID
			// A's secret, with B's AppID in the header (and with A's): refused either way.
			forged := qqtest.Send(nil, url, aApp, qqtest.C2C(user, "ROBOT1.0_"+kit.RandHex(8), "forged "+b.canary), qqtest.Opts{AppID: bApp.AppID})
			if forged.Status != http.StatusUnauthorized {
				t.Errorf("B's QQ channel signed with A's AppSecret: %d %s, want 401", forged.Status, forged.Body)
			}
			isoLeak(t, "qq webhook answer", forged.Body, b)
			if r := qqtest.Send(nil, url, aApp, qqtest.C2C(user, "ROBOT1.0_"+kit.RandHex(8), "forged "+b.canary), qqtest.Opts{}); r.Status != http.StatusForbidden {
				t.Errorf("B's QQ channel called back as A's bot: %d %s, want 403", r.Status, r.Body)
			}
			if own := fake.Push(url, bApp, qqtest.C2C(user, "ROBOT1.0_"+kit.RandHex(8), "own "+b.canary), qqtest.Opts{}); !own.Acked() {
				t.Fatalf("B's own callback: %d %s", own.Status, own.Body)
			}
			kit.Eventually(t, 15*time.Second, "B's own callback is stored", func() bool { return b.admin.HasConversation(user) })
			if a.admin.HasConversation(user) {
				t.Error("A sees the conversation of B's QQ customer")
			}
		})

		t.Run("webhooks: B's 微信客服 channel does not take A's Token", func(t *testing.T) {
			a, b := a.with(t), b.with(t)
			fake := wecomtest.New(t) // mints the accounts; the hub calls no WeCom API here
			bind := func(x *isoTenant) (string, wecomtest.Account) {
				acct := fake.NewAccount()
				r := x.admin.Must(201, "POST", "/api/v1/channels", map[string]any{"type": "wecom_kf", "name": "微信客服 " + x.canary,
					"config": map[string]any{"corp_id": acct.CorpID, "secret": acct.Secret, "open_kfid": acct.OpenKfID}})
				acct.Token, acct.EncodingAESKey = r.Str("setup.token"), r.Str("setup.encoding_aes_key")
				return r.Str("id"), acct
			}
			_, aAcct := bind(a)
			bID, bAcct := bind(b)
			url := h.Base + "/webhooks/wecom_kf/" + bID
			// A's Token with B's key and corp, and A's account whole, on B's URL:
			// refused before anything is decrypted or pulled.
			for _, o := range []wecomtest.Opts{{Token: aAcct.Token},
				{Token: aAcct.Token, AESKey: aAcct.EncodingAESKey, CorpID: aAcct.CorpID}} {
				forged := fake.Notify(url, bAcct, o)
				if forged.Status != http.StatusUnauthorized {
					t.Errorf("B's 微信客服 channel signed with A's Token: %d %s, want 401", forged.Status, forged.Body)
				}
				isoLeak(t, "wecom_kf webhook answer", []byte(forged.Body), b)
			}
			if r, _ := wecomtest.Verify(url, aAcct, wecomtest.Opts{}); r.Status != http.StatusUnauthorized {
				t.Errorf("B's 微信客服 URL check signed with A's Token: %d %s, want 401", r.Status, r.Body)
			}
		})

		t.Run("websockets carry nothing of the other tenant", func(t *testing.T) {
			a, b := a.with(t), b.with(t)
			aAdmin := a.admin.Dial(-1)
			aAgent := a.agent.Dial(-1)
			bAdmin := b.admin.Dial(-1)
			// A names B's conversation in a typing frame: the same error as an unknown id.
			ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(h.Base, "http")+"/api/v1/ws", nil)
			if err != nil {
				t.Fatal(err)
			}
			defer ws.Close()
			ws.WriteJSON(map[string]any{"type": "auth", "token": a.admin.Token})
			var ready map[string]any
			ws.ReadJSON(&ready)
			typing := func(conv string) string {
				ws.WriteJSON(map[string]any{"type": "typing", "conversation_id": conv, "typing": true})
				ws.SetReadDeadline(time.Now().Add(10 * time.Second))
				for {
					_, msg, err := ws.ReadMessage()
					if err != nil {
						t.Fatalf("read: %v", err)
					}
					var f map[string]any
					json.Unmarshal(msg, &f)
					if f["type"] == "error" || f["type"] == "ack" {
						return string(msg)
					}
				}
			}
			foreign, unknown := typing(b.conv), typing(isoRandomID(b.conv))
			if foreign != unknown || !strings.Contains(foreign, "not_found") {
				t.Errorf("typing on B's conversation answers %s, on an unknown one %s", foreign, unknown)
			}

			// B is busy: new customers, messages, replies, typing, a close.
			for i := 0; i < 5; i++ {
				st, body := b.ch.Post(t, h.Base, map[string]any{"id": fmt.Sprintf("busy-%d-%s", i, b.canary),
					"text": "忙 " + b.canary, "contact": map[string]any{"id": fmt.Sprintf("busy-%d-%s", i, b.canary), "name": "客户 " + b.canary}})
				if st != 200 {
					t.Fatalf("post: %d %s", st, body)
				}
				b.ch.Post(t, h.Base, kit.TextMsg("again-"+kit.RandHex(4), "cust-"+b.canary, "又来 "+b.canary))
			}
			b.agent.Must(201, "POST", "/api/v1/conversations/"+b.conv+"/messages", map[string]any{"content": "好的 " + b.canary})
			b.agent.Must(202, "POST", "/api/v1/conversations/"+b.conv+"/typing", map[string]any{"typing": true})
			b.admin.SetStatus("busy")
			last := "last-" + b.canary
			b.ch.Post(t, h.Base, kit.TextMsg(last, "cust-"+b.canary, "最后 "+b.canary))
			watch := func(s *kit.Sock, who string, other *isoTenant, done func(f map[string]any) bool) {
				t.Helper()
				deadline := time.Now().Add(20 * time.Second)
				for time.Now().Before(deadline) {
					f := s.Next(time.Until(deadline))
					raw, _ := json.Marshal(f)
					isoLeak(t, who+" websocket frame "+fmt.Sprint(f["type"]), raw, other)
					if done(f) {
						return
					}
				}
				t.Fatalf("%s: the expected frame did not arrive", who)
			}
			isMsg := func(ext string) func(f map[string]any) bool {
				return func(f map[string]any) bool {
					return f["type"] == "message.created" && kit.Dig(f, "data", "message", "external_id") == ext
				}
			}
			watch(bAdmin, "B's admin", a, isMsg(last))
			// Then A's sentinel: everything B's burst could have leaked into A's
			// sockets would have come before it.
			sentinel := "sentinel-" + kit.RandHex(4)
			a.ch.Post(t, h.Base, kit.TextMsg(sentinel, "cust-"+a.canary, "哨兵"))
			watch(aAdmin, "A's admin", b, isMsg(sentinel))
			watch(aAgent, "A's agent", b, isMsg(sentinel))
			watch(a.agentSock, "A's agent (first socket)", b, isMsg(sentinel))

			// A replay from the start carries only A's events.
			var evs struct {
				LastEventID int64 `json:"last_event_id"`
			}
			a.admin.Must(200, "GET", "/api/v1/events?after=0", nil).JSON(t, &evs)
			upto := evs.LastEventID
			replay := a.admin.Dial(0)
			watch(replay, "A's admin replay", b, func(f map[string]any) bool {
				id, _ := f["id"].(float64)
				return int64(id) >= upto
			})
		})

		t.Run("anonymous websockets get nothing", func(t *testing.T) {
			a, b := a.with(t), b.with(t)
			for _, first := range []map[string]any{
				{"type": "typing", "conversation_id": a.conv, "typing": true},
				{"type": "ping"},
				{"type": "auth"},
				{"type": "auth", "token": "garbage"},
				{"type": "auth", "token": b.token + "x", "last_event_id": 0},
			} {
				ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(h.Base, "http")+"/api/v1/ws?token="+a.admin.Token, nil)
				if err != nil {
					t.Fatal(err)
				}
				ws.WriteJSON(first)
				ws.SetReadDeadline(time.Now().Add(10 * time.Second))
				_, msg, err := ws.ReadMessage()
				if err == nil {
					t.Errorf("first frame %v (token only in the URL): got %s, want the socket closed", first, msg)
				} else if _, ok := err.(*websocket.CloseError); !ok {
					t.Errorf("first frame %v: %v, want a close frame", first, err)
				}
				ws.Close()
			}
		})

		t.Run("B is untouched", func(t *testing.T) {
			b := b.with(t)
			after := snapshot(t)
			for k, v := range before {
				if after[k] != v {
					t.Errorf("B's %s changed while A probed it:\nbefore %s\nafter  %s", k, v, after[k])
				}
			}
			// B's secret and token still work.
			if st, body := b.ch.Post(t, h.Base, kit.TextMsg("still-"+kit.RandHex(4), "cust-"+b.canary, "ok")); st != 200 {
				t.Errorf("B's channel no longer takes B's secret: %d %s", st, body)
			}
			(&kit.Client{T: t, Base: h.Base, Token: b.token}).Must(200, "GET", "/api/v1/me", nil)
		})
	})
}

// API tokens act as their creator over Bearer, are listed without their
// secret, and stop working once deleted; a session ends at logout.
func TestAPITokenLifecycle(t *testing.T) {
	t.Parallel()
	kit.ForModes(t, func(t *testing.T, m kit.Mode) {
		h := kit.NewEnv(t, m).Start()
		adm := h.Admin()
		me := adm.MeID()
		r := adm.Must(201, "POST", "/api/v1/api-tokens", map[string]any{"name": "crm"})
		tokID, tok := r.Str("id"), r.Str("token")
		if tok == "" || tokID == "" {
			t.Fatalf("create token: %s", r.Body)
		}
		api := &kit.Client{T: t, Base: h.Base, Token: tok}
		if got := api.Must(200, "GET", "/api/v1/me", nil).Str("id"); got != me {
			t.Fatalf("the token acts as %s, want its creator %s", got, me)
		}
		api.Must(201, "POST", "/api/v1/groups", map[string]any{"name": "售后"}) // admin rights, like its creator
		list := adm.Must(200, "GET", "/api/v1/api-tokens", nil)
		if bytes.Contains(list.Body, []byte(tok)) {
			t.Fatalf("the token list shows the token itself: %s", list.Body)
		}
		if !bytes.Contains(list.Body, []byte(tokID)) {
			t.Fatalf("the token list does not show %s: %s", tokID, list.Body)
		}
		// The websocket takes it too.
		api.Dial(-1)

		adm.Must(200, "DELETE", "/api/v1/api-tokens/"+tokID, nil)
		if got := api.Do("GET", "/api/v1/me", nil); got.Status != http.StatusUnauthorized {
			t.Fatalf("a deleted token still works: %d %s", got.Status, got.Body)
		}
		adm.Must(404, "DELETE", "/api/v1/api-tokens/"+tokID, nil)
		ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(h.Base, "http")+"/api/v1/ws", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer ws.Close()
		ws.WriteJSON(map[string]any{"type": "auth", "token": tok})
		ws.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, msg, err := ws.ReadMessage(); err == nil {
			t.Fatalf("a deleted token opened the websocket: %s", msg)
		}

		// Logout ends the session.
		sess := kit.Login(t, h.Base, "admin@kefu.test", "admin-pass-1")
		sess.Must(200, "POST", "/api/v1/auth/logout", nil)
		if got := sess.Do("GET", "/api/v1/me", nil); got.Status != http.StatusUnauthorized {
			t.Fatalf("a logged-out session still works: %d", got.Status)
		}
		adm.Must(200, "GET", "/api/v1/me", nil) // other sessions go on
	})
}
