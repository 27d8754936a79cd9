package workbench

import (
	"embed"
	"io/fs"
	"net/http"
	"path"
	"strings"

	"github.com/gin-gonic/gin"
)

// The agent workbench (workbench/ui, Vue 3 + Vite) is built into
// webui/dist by `make build`; without a build the placeholder page says so.
// webui/dist is never committed.
//
//go:embed all:webui
var webui embed.FS

// uiCSP is the workbench's Content-Security-Policy: only our own scripts,
// styles and connections; nothing inline, nothing framed.
const uiCSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; " +
	"connect-src 'self' ws: wss:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"

// uiFiles returns the built app, or the placeholder when none was built.
func uiFiles() (fs.FS, bool) {
	if sub, err := fs.Sub(webui, "webui/dist"); err == nil {
		if _, err := fs.Stat(sub, "index.html"); err == nil {
			return sub, true
		}
	}
	sub, _ := fs.Sub(webui, "webui/placeholder")
	return sub, false
}

// UIBuilt reports whether the binary carries the built workbench.
func UIBuilt() bool { _, ok := uiFiles(); return ok }

// serveUI is the NoRoute handler: GET/HEAD of any path outside /api/ and
// /webhooks/ serves the single-page app (a file when one matches, else
// index.html so client-side routes load); everything else stays a JSON 404.
func serveUI() gin.HandlerFunc {
	files, _ := uiFiles()
	index, _ := fs.ReadFile(files, "index.html")
	fileServer := http.FileServer(http.FS(files))
	return func(g *gin.Context) {
		p := g.Request.URL.Path
		if (g.Request.Method != http.MethodGet && g.Request.Method != http.MethodHead) ||
			strings.HasPrefix(p, "/api/") || p == "/api" || strings.HasPrefix(p, "/webhooks/") {
			fail(g, http.StatusNotFound, "not_found", "no such route")
			return
		}
		h := g.Writer.Header()
		h.Set("Content-Security-Policy", uiCSP)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		name := strings.TrimPrefix(path.Clean(p), "/")
		if name != "" && name != "index.html" {
			if st, err := fs.Stat(files, name); err == nil && !st.IsDir() {
				if strings.HasPrefix(name, "assets/") {
					h.Set("Cache-Control", "public, max-age=31536000, immutable") // hashed names
				}
				fileServer.ServeHTTP(g.Writer, g.Request)
				return
			}
			if path.Ext(name) != "" {
				fail(g, http.StatusNotFound, "not_found", "no such file")
				return
			}
		}
		h.Set("Cache-Control", "no-cache")
		g.Data(http.StatusOK, "text/html; charset=utf-8", index)
	}
}
