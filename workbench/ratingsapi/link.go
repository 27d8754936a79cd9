package ratingsapi

// The rating page an invitation on WeChat, Weibo, QQ or WeCom links to
// (满意度评价页): the customer opens the link, sees the tenant's scale with
// its labels, the reasons of the level they pick and a comment box, and
// sends their rating — no login, the link's signed token names the one
// conversation it rates (hub/ratings, link.go). The page is static
// (page/); it reads and writes through two public JSON routes.

import (
	"embed"
	"errors"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/ratings"
)

//go:embed page
var page embed.FS

// mountLink adds the page at /r/{token}, its script and style at root,
// and its JSON routes under /api/v1 (v1), none behind authentication.
func (a API) mountLink(root, v1 gin.IRoutes) {
	root.GET("/r/:token", a.page)
	root.GET("/rate.js", asset("page/rate.js", "text/javascript; charset=utf-8"))
	root.GET("/rate.css", asset("page/rate.css", "text/css; charset=utf-8"))
	v1.GET("/rate/:token", a.getLink)
	v1.POST("/rate/:token", a.rateByLink)
}

// View is what the page shows: the scale, the rating given and whether it
// may still be given or changed.
type View struct {
	Levels []ratings.Level `json:"levels"`
	Rating *hub.Rating     `json:"rating"`
	// CanRate: no rating yet, or it may still change (until ChangeableUntil).
	CanRate         bool       `json:"can_rate"`
	ChangeableUntil *time.Time `json:"changeable_until,omitempty"`
	ExpiresAt       time.Time  `json:"expires_at"`
}

func view(r *ratings.Rateable) View {
	v := View{Levels: r.Settings.Levels, Rating: r.Rating, ExpiresAt: r.Expires,
		CanRate: r.Rating == nil || !r.ChangeableUntil.IsZero()}
	if !r.ChangeableUntil.IsZero() {
		v.ChangeableUntil = &r.ChangeableUntil
	}
	return v
}

func (a API) getLink(g *gin.Context) {
	noStore(g)
	r, err := a.Ratings.OpenLink(g.Request.Context(), a.Kernel, g.Param("token"))
	if err != nil {
		a.Kit.Respond(g, 0, nil, err)
		return
	}
	a.Kit.Respond(g, http.StatusOK, view(r), nil)
}

// Given is the rating the page sends.
type Given struct {
	Score   int      `json:"score"`
	Reasons []string `json:"reasons"`
	Comment string   `json:"comment"`
}

func (a API) rateByLink(g *gin.Context) {
	noStore(g)
	var in Given
	if !a.Kit.Bind(g, &in) {
		return
	}
	r, err := a.Ratings.RateByLink(g.Request.Context(), g.Param("token"), in.Score, in.Comment, in.Reasons)
	if err != nil {
		a.Kit.Respond(g, 0, nil, err)
		return
	}
	a.Kit.Respond(g, http.StatusOK, view(r), nil)
}

// page serves the page, with the status its token earns (404 for a link
// that is not one, 403 for an expired one): the script shows why.
func (a API) page(g *gin.Context) {
	_, err := a.Ratings.OpenLink(g.Request.Context(), a.Kernel, g.Param("token"))
	status := http.StatusOK
	switch {
	case errors.Is(err, hub.ErrNotFound):
		status = http.StatusNotFound
	case errors.Is(err, hub.ErrForbidden):
		status = http.StatusForbidden
	case err != nil:
		a.Kit.Respond(g, 0, nil, err)
		return
	}
	b, _ := page.ReadFile("page/rate.html")
	noStore(g)
	g.Header("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "+
		"base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
	g.Header("Referrer-Policy", "no-referrer") // the token is in the address
	g.Header("X-Content-Type-Options", "nosniff")
	g.Data(status, "text/html; charset=utf-8", b)
}

func noStore(g *gin.Context) { g.Header("Cache-Control", "no-store") }

func asset(name, ctype string) gin.HandlerFunc {
	b, _ := page.ReadFile(name)
	return func(g *gin.Context) {
		g.Header("Cache-Control", "public, max-age=300")
		g.Header("X-Content-Type-Options", "nosniff")
		g.Data(http.StatusOK, ctype, b)
	}
}
