// Package ratingsapi is the HTTP side of satisfaction ratings (满意度): the
// tenant's scale and texts, the list of ratings with filters and a CSV
// export (hub/ratings keeps them), and the public rating page invitations
// link to (link.go).
package ratingsapi

import (
	"bytes"
	"encoding/csv"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/kefu-hub/kefu/connectors"
	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/ratings"
	"github.com/kefu-hub/kefu/hub/sheet"
	"github.com/kefu-hub/kefu/hub/store"
)

// API serves the routes.
type API struct {
	Ratings *ratings.Store
	Kernel  *store.Store
	// Kit decodes bodies and maps errors to statuses (the workbench's).
	Kit connectors.AgentKit
}

// Mount adds the routes: supervisors read the list, admins set the scale;
// the rating page and its routes go on root and under /api/v1 (public).
func (a API) Mount(staff, admins, root, public gin.IRoutes) {
	a.mountLink(root, public)
	staff.GET("/ratings", a.list)
	staff.GET("/ratings/settings", a.settings)
	admins.PUT("/ratings/settings", a.putSettings)
	admins.GET("/ratings/link-keys", a.linkKeys)
	admins.POST("/ratings/link-keys", a.rotateLinkKey)
	admins.DELETE("/ratings/link-keys/:id", a.deleteLinkKey)
}

// linkKeys lists the keys that sign and open rating links (no secrets).
func (a API) linkKeys(g *gin.Context) {
	ks, err := a.Ratings.LinkKeys(g.Request.Context(), connectors.AgentOf(g).TenantID)
	a.Kit.Respond(g, http.StatusOK, gin.H{"keys": ks}, err)
}

// rotateLinkKey makes the key that signs new links and answers with it;
// the older keys keep opening the links they signed until those expire.
func (a API) rotateLinkKey(g *gin.Context) {
	ks, err := a.Ratings.RotateLinkKey(g.Request.Context(), connectors.AgentOf(g).TenantID)
	if err != nil {
		a.Kit.Respond(g, 0, nil, err)
		return
	}
	a.Kit.Respond(g, http.StatusCreated, ks[0], nil)
}

// deleteLinkKey deletes an older key: its links stop opening at once.
func (a API) deleteLinkKey(g *gin.Context) {
	if err := a.Ratings.DeleteLinkKey(g.Request.Context(), connectors.AgentOf(g).TenantID, g.Param("id")); err != nil {
		a.Kit.Respond(g, 0, nil, err)
		return
	}
	g.Status(http.StatusNoContent)
}

func (a API) settings(g *gin.Context) {
	st, err := a.Ratings.Settings(g.Request.Context(), a.Kernel, connectors.AgentOf(g).TenantID)
	a.Kit.Respond(g, http.StatusOK, st, err)
}

func (a API) putSettings(g *gin.Context) {
	var st ratings.Settings
	if !a.Kit.Bind(g, &st) {
		return
	}
	out, err := a.Ratings.Put(g.Request.Context(), connectors.AgentOf(g).TenantID, st)
	a.Kit.Respond(g, http.StatusOK, out, err)
}

// list answers GET /ratings?from=&to=(YYYY-MM-DD, the hub's UTC days)
// &agent_id=&channel_id=&score=&reason=&bad=1&before=(RFC 3339)&limit=&format=csv.
func (a API) list(g *gin.Context) {
	var f ratings.Filter
	day := func(k string) (time.Time, bool) {
		v := g.Query(k)
		if v == "" {
			return time.Time{}, true
		}
		t, err := time.Parse("2006-01-02", v)
		return t, err == nil
	}
	var ok1, ok2 bool
	f.From, ok1 = day("from")
	f.To, ok2 = day("to")
	if !ok1 || !ok2 {
		a.Kit.Respond(g, 0, nil, hub.Invalid("from and to are dates: YYYY-MM-DD"))
		return
	}
	if !f.To.IsZero() {
		f.To = f.To.AddDate(0, 0, 1) // to is inclusive
	}
	if v := g.Query("before"); v != "" {
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			a.Kit.Respond(g, 0, nil, hub.Invalid("before is an RFC 3339 time"))
			return
		}
		f.Before = t
	}
	f.AgentID, f.ChannelID, f.Bad = g.Query("agent_id"), g.Query("channel_id"), g.Query("bad") == "1"
	f.Reason = g.Query("reason")
	f.Score, _ = strconv.Atoi(g.Query("score"))
	f.Limit, _ = strconv.Atoi(g.Query("limit"))
	csvOut := g.Query("format") == "csv"
	if csvOut {
		f.Limit = 1000
	}
	rows, err := a.Ratings.List(g.Request.Context(), a.Kernel, connectors.AgentOf(g).TenantID, f)
	if err != nil || !csvOut {
		a.Kit.Respond(g, http.StatusOK, gin.H{"ratings": rows}, err)
		return
	}
	var b bytes.Buffer
	b.WriteString("\ufeff") // Excel reads UTF-8 with a byte-order mark
	w := csv.NewWriter(&b)
	_ = w.Write([]string{"时间", "评分", "评价", "原因", "留言", "客服", "渠道", "客户", "会话"})
	for _, r := range rows {
		_ = w.Write([]string{r.CreatedAt.UTC().Format(time.RFC3339), strconv.Itoa(r.Score), sheet.Defuse(r.Label),
			sheet.Defuse(strings.Join(r.Reasons, "、")), sheet.Defuse(r.Comment), sheet.Defuse(r.AgentName), sheet.Defuse(r.ChannelName), sheet.Defuse(r.ContactName),
			r.ConversationID})
	}
	w.Flush()
	g.Header("Content-Disposition", `attachment; filename="ratings.csv"`)
	g.Data(http.StatusOK, "text/csv; charset=utf-8", b.Bytes())
}
