package kit

import (
	"os/exec"
	"strings"
	"sync"
	"testing"
)

// Route is one route the hub serves, as gin names it ("GET",
// "/api/v1/conversations/:id").
type Route struct{ Method, Path string }

// String is "METHOD PATH".
func (r Route) String() string { return r.Method + " " + r.Path }

var (
	routesOnce sync.Once
	routes     []Route
	routesErr  string
)

// Routes lists every route of the hub under test (`kefu routes`).
func Routes(t testing.TB) []Route {
	t.Helper()
	bin := Binary(t)
	routesOnce.Do(func() {
		cmd := exec.Command(bin, "routes")
		cmd.Env = hubEnviron()
		out, err := cmd.Output()
		if err != nil {
			routesErr = "kefu routes: " + err.Error()
			if ee, ok := err.(*exec.ExitError); ok {
				routesErr += "\n" + string(ee.Stderr)
			}
			return
		}
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			if method, path, ok := strings.Cut(line, " "); ok {
				routes = append(routes, Route{Method: method, Path: path})
			}
		}
		if len(routes) == 0 {
			routesErr = "kefu routes listed nothing"
		}
	})
	if routesErr != "" {
		t.Fatal(routesErr)
	}
	return routes
}

// FillPath puts id into a route's path parameter (:id or :channel_id).
func FillPath(path, id string) string {
	path = strings.Replace(path, ":channel_id", id, 1)
	return strings.Replace(path, ":id", id, 1)
}
