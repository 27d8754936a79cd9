package workbench

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/kefu-hub/kefu/connectors"
	"github.com/kefu-hub/kefu/connectors/api"
	"github.com/kefu-hub/kefu/connectors/app"
	"github.com/kefu-hub/kefu/connectors/app/push"
	"github.com/kefu-hub/kefu/connectors/email"
	"github.com/kefu-hub/kefu/connectors/qq"
	"github.com/kefu-hub/kefu/connectors/web"
	"github.com/kefu-hub/kefu/connectors/wechat"
	"github.com/kefu-hub/kefu/connectors/wecom"
	"github.com/kefu-hub/kefu/connectors/weibo"
	"github.com/kefu-hub/kefu/hub/metrics"
)

// openAPIDocument is the part of openapi.json the tests read.
type openAPIDocument struct {
	OpenAPI string `json:"openapi"`
	Info    struct {
		Title   string `json:"title"`
		Version string `json:"version"`
	} `json:"info"`
	Paths      map[string]map[string]json.RawMessage `json:"paths"`
	Webhooks   map[string]json.RawMessage            `json:"webhooks"`
	Components struct {
		SecuritySchemes map[string]json.RawMessage `json:"securitySchemes"`
		Schemas         map[string]json.RawMessage `json:"schemas"`
	} `json:"components"`
}

func loadOpenAPI(t *testing.T) openAPIDocument {
	t.Helper()
	var doc openAPIDocument
	if err := json.Unmarshal(openAPIDoc, &doc); err != nil {
		t.Fatalf("openapi.json is not valid JSON: %v", err)
	}
	return doc
}

// engineWithEveryRoute builds the engine with the optional parts that add
// routes (metrics, the API connector's webhook) but no store: building the
// route table touches none of it.
func engineWithEveryRoute() *Server {
	return New(Deps{
		Metrics: metrics.New(func() float64 { return 0 }),
		Connectors: connectors.Kinds{api.Kind, wechat.Kind(""), weibo.Kind(""), qq.Kind("", 0, 0), wecom.Kind(""), web.Kind,
			app.Kind(push.Options{}), email.Kind}.Build(connectors.Deps{}),
	})
}

var ginParam = regexp.MustCompile(`[:*]([A-Za-z0-9_]+)`)

// registered lists "METHOD /path/{param}" for every route of the engine.
func registered() map[string]bool {
	out := map[string]bool{}
	for _, r := range engineWithEveryRoute().Routes() {
		out[r.Method+" "+ginParam.ReplaceAllString(r.Path, "{$1}")] = true
	}
	return out
}

var httpMethods = map[string]bool{"get": true, "put": true, "post": true, "delete": true, "options": true,
	"head": true, "patch": true, "trace": true}

func documented(doc openAPIDocument) map[string]bool {
	out := map[string]bool{}
	for path, item := range doc.Paths {
		for method := range item {
			if httpMethods[method] {
				out[strings.ToUpper(method)+" "+path] = true
			}
		}
	}
	return out
}

func TestNewToleratesEmptyDeps(t *testing.T) {
	if New(Deps{}) == nil {
		t.Fatal("New(Deps{}) returned nil")
	}
}

func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	doc := loadOpenAPI(t)
	routes, docs := registered(), documented(doc)
	var missing, stale []string
	for r := range routes {
		if !docs[r] {
			missing = append(missing, r)
		}
	}
	for d := range docs {
		if !routes[d] {
			stale = append(stale, d)
		}
	}
	sort.Strings(missing)
	sort.Strings(stale)
	for _, r := range missing {
		t.Errorf("route %s is registered but not in workbench/openapi.json paths", r)
	}
	for _, d := range stale {
		t.Errorf("openapi.json documents %s, which no route serves", d)
	}
	for _, must := range []string{"POST /webhooks/api/{channel_id}", "GET /healthz", "GET /readyz", "GET /metrics",
		"GET /api/v1/openapi.json", "GET /api/v1/ws",
		"GET /webhooks/wechat/{channel_id}", "POST /webhooks/wechat/{channel_id}",
		"GET /webhooks/weibo/{channel_id}", "POST /webhooks/weibo/{channel_id}"} {
		if !docs[must] {
			t.Errorf("openapi.json must document %s", must)
		}
	}
}

func TestOpenAPIDocumentShape(t *testing.T) {
	doc := loadOpenAPI(t)
	if !strings.HasPrefix(doc.OpenAPI, "3.1.") {
		t.Errorf("openapi = %q, want 3.1.x", doc.OpenAPI)
	}
	if doc.Info.Title == "" || doc.Info.Version == "" {
		t.Error("info.title and info.version are required")
	}
	if len(doc.Paths) == 0 {
		t.Error("paths is empty")
	}
	if _, ok := doc.Components.SecuritySchemes["bearerAuth"]; !ok {
		t.Error("components.securitySchemes.bearerAuth is missing")
	}
	for _, name := range []string{"Error", "InboundMessage", "CallbackMessage", "CallbackEvent", "Event"} {
		if _, ok := doc.Components.Schemas[name]; !ok {
			t.Errorf("components.schemas.%s is missing", name)
		}
	}
	if len(doc.Webhooks) == 0 {
		t.Error("webhooks (the API channel's callbacks) are missing")
	}
}

// TestOpenAPIRefsResolve catches a $ref to a component that does not exist.
func TestOpenAPIRefsResolve(t *testing.T) {
	var raw map[string]any
	if err := json.Unmarshal(openAPIDoc, &raw); err != nil {
		t.Fatal(err)
	}
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if ref, ok := x["$ref"].(string); ok && !resolves(raw, ref) {
				t.Errorf("$ref %s does not resolve", ref)
			}
			for _, c := range x {
				walk(c)
			}
		case []any:
			for _, c := range x {
				walk(c)
			}
		}
	}
	walk(raw)
}

func resolves(doc map[string]any, ref string) bool {
	p, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return false
	}
	var cur any = doc
	for _, seg := range strings.Split(p, "/") {
		m, ok := cur.(map[string]any)
		if !ok {
			return false
		}
		if cur, ok = m[seg]; !ok {
			return false
		}
	}
	return true
}

func TestOpenAPIServed(t *testing.T) {
	rec := httptest.NewRecorder()
	engineWithEveryRoute().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/openapi.json", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /api/v1/openapi.json = %d", rec.Code)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q", ct)
	}
	if rec.Body.String() != string(openAPIDoc) {
		t.Error("served document differs from the embedded openapi.json")
	}
}
