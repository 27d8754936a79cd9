package web

import (
	"bytes"
	"compress/gzip"
	"context"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strings"
	"sync"

	"github.com/gin-gonic/gin"

	"github.com/kefu-hub/kefu/connectors/web/helpcentre"
	"github.com/kefu-hub/kefu/hub"
)

// The widget (widget/, TypeScript) is built by `make` into assets/dist;
// without a build, placeholder scripts say so. assets/dist is never committed.
//
//go:embed all:assets
var assets embed.FS

// script is a widget bundle, kept gzipped too (the size budgets are what
// travels).
type script struct {
	raw, gz []byte
}

func loadScript(name string) script {
	b, err := fs.ReadFile(assets, "assets/dist/"+name)
	if err != nil {
		b, _ = fs.ReadFile(assets, "assets/placeholder/"+name)
	}
	var gz bytes.Buffer
	w, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	w.Write(b)
	w.Close()
	return script{raw: b, gz: gz.Bytes()}
}

// WidgetBuilt reports whether the binary carries the built widget.
func WidgetBuilt() bool {
	_, err := fs.Stat(assets, "assets/dist/widget.js")
	return err == nil
}

// Sizes are the gzipped sizes of the loader and the chat UI.
func Sizes() (loader, chat int) {
	return len(loadScript("widget.js").gz), len(loadScript("chat.js").gz)
}

// Pages serves the scripts and the direct chat page at the hub's root.
// Each script is read and compressed when first asked for, not at start:
// an idle hub keeps neither the copies nor the compressor's garbage.
func (c *Connector) Pages(r gin.IRouter) {
	loader := sync.OnceValue(func() script { return loadScript("widget.js") })
	chat := sync.OnceValue(func() script { return loadScript("chat.js") })
	r.GET("/widget.js", serveScript(loader))
	r.GET("/widget/chat.js", serveScript(chat))
	r.GET("/chat/:channel_id", c.chatPage)
	hc := &helpcentre.Centre{Site: c.helpSite, KB: c.deps.Help, Log: c.deps.Log}
	hc.Mount(r)
}

// helpSite is a web channel's help centre, not found when it is off.
func (c *Connector) helpSite(ctx context.Context, id string) (helpcentre.Site, error) {
	ch, err := c.deps.Channel(ctx, id)
	if err != nil {
		return helpcentre.Site{}, err
	}
	cfg := parseConfig(ch.Config)
	if ch.Type != c.Type() || !cfg.HelpCentre {
		return helpcentre.Site{}, fmt.Errorf("help centre of %s: %w", id, hub.ErrNotFound)
	}
	return helpcentre.Site{TenantID: ch.TenantID, ChannelID: ch.ID, Title: cfg.Title, Color: cfg.Color,
		DefaultLang: cfg.DefaultLang, Languages: cfg.Languages}, nil
}

func serveScript(load func() script) gin.HandlerFunc {
	return func(g *gin.Context) {
		s := load()
		h := g.Writer.Header()
		h.Set("Cache-Control", "public, max-age=300")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Access-Control-Allow-Origin", "*")
		h.Add("Vary", "Accept-Encoding")
		body := s.raw
		if strings.Contains(g.GetHeader("Accept-Encoding"), "gzip") {
			h.Set("Content-Encoding", "gzip")
			body = s.gz
		}
		g.Data(http.StatusOK, "text/javascript; charset=utf-8", body)
	}
}

var chatPage = template.Must(template.New("chat").Parse(`<!doctype html>
<html lang="{{.Lang}}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1,viewport-fit=cover">
<title>{{.Title}}</title>
<style>html,body{margin:0;height:100%;background:#f5f6f8}</style>
</head><body>
<script src="/widget.js" data-channel="{{.Channel}}" data-mode="page"{{if .Group}} data-group="{{.Group}}"{{end}}{{if .Agent}} data-agent="{{.Agent}}"{{end}}{{if .Lang}} data-lang="{{.Lang}}"{{end}} async></script>
</body></html>
`))

// unavailablePage is the direct chat page of a deactivated channel.
const unavailablePage = `<!doctype html><html lang="zh-CN"><meta charset="utf-8">` +
	`<meta name="viewport" content="width=device-width, initial-scale=1"><title>客服暂不可用</title>` +
	`<body style="font-family:sans-serif;text-align:center;padding:20vh 16px;color:#555">` +
	`<h1 style="font-size:20px">客服暂不可用</h1><p>客服暫不可用 · Chat is unavailable</p></body></html>`

// chatPageCSP: our own scripts and connections only; the widget's styles
// live in its shadow root (inline <style>), nothing else is inline.
const chatPageCSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob: https:; " +
	"connect-src 'self' ws: wss:; object-src 'none'; base-uri 'none'; frame-ancestors *; form-action 'none'"

// chatPage is the full-page direct chat at /chat/{channel_id}?group=&agent=&lang=
// for links and QR codes. A deactivated channel's page says the service is
// unavailable (a QR code printed on a flyer outlives the channel).
func (c *Connector) chatPage(g *gin.Context) {
	ch, cfg, ok := c.lookup(g)
	if !ok {
		return
	}
	if ch.Disabled {
		g.Header("Content-Security-Policy", chatPageCSP)
		g.Data(http.StatusGone, "text/html; charset=utf-8", []byte(unavailablePage))
		return
	}
	lang := g.Query("lang")
	if !langs[lang] {
		lang = cfg.DefaultLang
	}
	var buf bytes.Buffer
	err := chatPage.Execute(&buf, map[string]string{"Lang": lang, "Title": cfg.Title, "Channel": ch.ID,
		"Group": hub.Bounded(g.Query("group"), 64), "Agent": hub.Bounded(g.Query("agent"), 128)})
	if err != nil {
		fail(g, http.StatusInternalServerError, "internal", "could not render the page")
		return
	}
	h := g.Writer.Header()
	h.Set("Content-Security-Policy", chatPageCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-cache")
	g.Data(http.StatusOK, "text/html; charset=utf-8", buf.Bytes())
}
