// Package helpcentre serves a web channel's public help centre (帮助中心):
// server-rendered pages of the knowledge base articles live on that
// channel, with the robot's own search. The pages run no script at all (the
// Content-Security-Policy forbids it), answers are plain text with their
// links kept, and every page can be cached for a minute.
package helpcentre

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"golang.org/x/time/rate"

	"github.com/kefu-hub/kefu/connectors"
	"github.com/kefu-hub/kefu/connectors/custsock"
	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/kb"
)

// Site is a channel's help centre as the channel's settings show it.
type Site struct {
	TenantID  string
	ChannelID string
	Title     string
	Color     string
	// DefaultLang is used when neither ?lang nor Accept-Language names one
	// of Languages.
	DefaultLang string
	Languages   []string
}

// Centre serves the help centres of the web channels.
type Centre struct {
	// Site finds a channel's help centre: hub.ErrNotFound when there is no
	// such web channel or its help centre is off.
	Site func(ctx context.Context, channelID string) (Site, error)
	// KB is the knowledge base (nil: every help centre is not found).
	KB  connectors.HelpArticles
	Log *slog.Logger
	// limits are per client address: pages, and searches apart (a search
	// costs more).
	limits *custsock.Limiter
}

// Rate limits per client address.
const (
	pagesPerMinute    = 120
	pageBurst         = 60
	searchesPerMinute = 30
	searchBurst       = 20
	// maxQuery bounds a search (the robot's questions are short too).
	maxQuery = 200
	// maxAge is how long browsers and proxies may keep a page.
	maxAge = "public, max-age=60"
)

// csp: no script, no frames of ours, styles inline, images from the
// answers' https links; the search form posts back here only.
const csp = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' https: data:; form-action 'self'; " +
	"base-uri 'none'; frame-ancestors *"

// Mount adds GET /help/{channel_id} (the home page, ?q= searches) and GET
// /help/{channel_id}/articles/{article_id}.
func (c *Centre) Mount(r gin.IRouter) {
	c.limits = custsock.NewLimiter()
	r.GET("/help/:channel_id", c.home)
	r.GET("/help/:channel_id/articles/:article_id", c.article)
}

// open checks the rate limit and finds the site; on failure it has answered.
func (c *Centre) open(g *gin.Context, search bool) (Site, lang, bool) {
	l := pickLang(g, nil, "zh-CN")
	ip := g.ClientIP()
	if !c.limits.Allow("help:"+ip, rate.Every(time.Minute/pagesPerMinute), pageBurst) ||
		(search && !c.limits.Allow("helpq:"+ip, rate.Every(time.Minute/searchesPerMinute), searchBurst)) {
		g.Header("Retry-After", "30")
		c.fail(g, http.StatusTooManyRequests, l, l.T.RateLimited)
		return Site{}, l, false
	}
	if c.KB == nil {
		c.fail(g, http.StatusNotFound, l, l.T.NotFound)
		return Site{}, l, false
	}
	s, err := c.Site(g.Request.Context(), g.Param("channel_id"))
	if err != nil {
		c.failErr(g, l, err)
		return Site{}, l, false
	}
	return s, pickLang(g, s.Languages, s.DefaultLang), true
}

// home is the categories and their articles, or a search's results.
func (c *Centre) home(g *gin.Context) {
	q := strings.TrimSpace(hub.Bounded(g.Query("q"), maxQuery))
	s, l, ok := c.open(g, q != "")
	if !ok {
		return
	}
	ctx := g.Request.Context()
	p := page{Site: s, Lang: l, Query: q}
	if q != "" {
		r, err := c.KB.Search(ctx, s.TenantID, kb.Query{Text: q, ChannelID: s.ChannelID, Limit: 10})
		if err != nil {
			c.failErr(g, l, err)
			return
		}
		p.Searched, p.Hits = true, hitsOf(r)
		p.Related = len(p.Hits) > 0 && (len(p.Hits) > 1 || !p.Hits[0].Best)
	} else {
		arts, err := c.KB.Published(ctx, s.TenantID, s.ChannelID)
		if err != nil {
			c.failErr(g, l, err)
			return
		}
		p.Categories = categoriesOf(arts, l.T.Uncategorized)
	}
	c.render(g, http.StatusOK, "home", p)
}

// article is one article's page.
func (c *Centre) article(g *gin.Context) {
	s, l, ok := c.open(g, false)
	if !ok {
		return
	}
	a, err := c.KB.PublishedArticle(g.Request.Context(), s.TenantID, s.ChannelID, g.Param("article_id"))
	if err != nil {
		c.failErr(g, l, err)
		return
	}
	c.render(g, http.StatusOK, "article", page{Site: s, Lang: l, Article: a, Answer: paragraphs(a.Answer)})
}

// failErr answers a lookup's error: 404 for what does not exist (or is not
// published), 503 for the rest (the store is down: try again).
func (c *Centre) failErr(g *gin.Context, l lang, err error) {
	if errors.Is(err, hub.ErrNotFound) {
		c.fail(g, http.StatusNotFound, l, l.T.NotFound)
		return
	}
	if c.Log != nil {
		c.Log.Warn("help centre", "err", err)
	}
	c.fail(g, http.StatusServiceUnavailable, l, l.T.Unavailable)
}

func (c *Centre) fail(g *gin.Context, status int, l lang, msg string) {
	g.Header("Cache-Control", "no-store")
	c.render(g, status, "error", page{Lang: l, Error: msg})
}

// render writes a page with its security headers; a successful page is
// cacheable, with an ETag so a revalidation costs no body.
func (c *Centre) render(g *gin.Context, status int, name string, p page) {
	body, err := renderPage(name, p)
	if err != nil {
		if c.Log != nil {
			c.Log.Error("help centre page", "page", name, "err", err)
		}
		g.Status(http.StatusInternalServerError)
		return
	}
	h := g.Writer.Header()
	h.Set("Content-Security-Policy", csp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Add("Vary", "Accept-Language")
	if status == http.StatusOK {
		sum := sha256.Sum256(body)
		etag := `"` + hex.EncodeToString(sum[:12]) + `"`
		h.Set("Cache-Control", maxAge)
		h.Set("ETag", etag)
		if g.GetHeader("If-None-Match") == etag {
			g.Status(http.StatusNotModified)
			return
		}
	}
	g.Data(status, "text/html; charset=utf-8", body)
}
