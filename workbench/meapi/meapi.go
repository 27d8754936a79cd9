// Package meapi is the HTTP side of what agents set for themselves (个人设置):
// their profile — display name, phone, signature, notices, personal
// automatic replies — their password (hub/identity keeps both) and their
// avatar (hub/avatars), which anyone may load.
package meapi

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/kefu-hub/kefu/connectors"
	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/avatars"
	"github.com/kefu-hub/kefu/hub/files"
	"github.com/kefu-hub/kefu/hub/identity"
	"github.com/kefu-hub/kefu/hub/store"
)

// API serves the routes.
type API struct {
	Identity *identity.Identity
	// Kernel and Files keep the avatars (hub/avatars).
	Kernel  *store.Store
	Files   *files.Store
	avatars *avatars.Store
	// Token is the session token of a request (the workbench's bearer).
	Token func(*http.Request) string
	// Kit decodes bodies and maps errors to statuses (the workbench's).
	Kit connectors.AgentKit
}

// Mount adds the routes to the signed-in group — every agent manages only
// themselves here — and the avatars' own route to public, open to anyone
// (visitors' widgets show them).
func (a API) Mount(r, public gin.IRoutes) {
	a.avatars = avatars.New(a.Kernel, a.Files)
	public.GET("/avatars/:id", a.avatar)
	r.GET("/avatars", a.colleagues)
	r.GET("/me/profile", a.get)
	r.PUT("/me/profile", a.put)
	r.POST("/me/password", a.password)
	r.POST("/me/avatar", a.setAvatar)
	r.DELETE("/me/avatar", a.removeAvatar)
}

// profileView is what the settings page shows: who the agent is (read
// only: an admin changes those) and what they set themselves.
type profileView struct {
	Name       string           `json:"name"`
	Email      string           `json:"email"`
	EmployeeNo string           `json:"employee_no"`
	Role       hub.Role         `json:"role"`
	Groups     []string         `json:"groups"`
	Profile    identity.Profile `json:"profile"`
	AvatarURL  string           `json:"avatar_url"`
}

func (a API) view(g *gin.Context, p identity.Profile) {
	me := connectors.AgentOf(g)
	full, err := a.Identity.Agents.Get(g.Request.Context(), me.TenantID, me.ID)
	if err != nil {
		a.Kit.Respond(g, 0, nil, err)
		return
	}
	url, err := a.avatars.Of(g.Request.Context(), me.ID)
	if err != nil {
		a.Kit.Respond(g, 0, nil, err)
		return
	}
	g.JSON(http.StatusOK, profileView{Name: full.Name, Email: full.Email, EmployeeNo: full.EmployeeNo, Role: full.Role,
		Groups: full.Groups, Profile: p, AvatarURL: url})
}

func (a API) get(g *gin.Context) {
	p, err := a.Identity.Agents.Profile(g.Request.Context(), connectors.AgentOf(g).ID)
	if err != nil {
		a.Kit.Respond(g, 0, nil, err)
		return
	}
	a.view(g, p)
}

type profileReq struct {
	Name *string `json:"name"`
	identity.Profile
}

func (a API) put(g *gin.Context) {
	r := profileReq{Profile: identity.DefaultProfile()}
	if !a.Kit.Bind(g, &r) {
		return
	}
	p, err := a.Identity.Agents.SetProfile(g.Request.Context(), connectors.AgentOf(g), r.Name, r.Profile)
	if err != nil {
		a.Kit.Respond(g, 0, nil, err)
		return
	}
	a.view(g, p)
}

type passwordReq struct {
	Current string `json:"current_password"`
	New     string `json:"new_password"`
}

// password changes the agent's own password: the current one is checked,
// this session stays signed in and every other one ends.
func (a API) password(g *gin.Context) {
	var r passwordReq
	if !a.Kit.Bind(g, &r) {
		return
	}
	err := a.Identity.Agents.ChangePassword(g.Request.Context(), connectors.AgentOf(g), r.Current, r.New,
		hub.HashToken(a.Token(g.Request)))
	if err != nil {
		a.Kit.Respond(g, 0, nil, err)
		return
	}
	g.Status(http.StatusNoContent)
}

// setAvatar takes the multipart field "file": a PNG, JPEG or GIF of at
// most avatars.MaxBytes (413 beyond, 400 for anything else), stored
// re-encoded; it answers the new avatar_url.
func (a API) setAvatar(g *gin.Context) {
	_, data, ok := connectors.ReadUpload(g, avatars.MaxBytes)
	if !ok {
		return
	}
	url, err := a.avatars.Set(g.Request.Context(), connectors.AgentOf(g), data)
	a.Kit.Respond(g, http.StatusOK, gin.H{"avatar_url": url}, err)
}

func (a API) removeAvatar(g *gin.Context) {
	if err := a.avatars.Remove(g.Request.Context(), connectors.AgentOf(g)); err != nil {
		a.Kit.Respond(g, 0, nil, err)
		return
	}
	g.Status(http.StatusNoContent)
}

// avatarCSP lets the picture be nothing but a picture, also when opened
// on its own.
const avatarCSP = "default-src 'none'; sandbox"

// avatar serves an agent's avatar: the PNG the hub encoded, with headers
// that keep a browser from reading it as anything else.
func (a API) avatar(g *gin.Context) {
	id := g.Param("id")
	if len(id) > 64 || strings.ContainsAny(id, "/\\") {
		a.Kit.Respond(g, 0, nil, hub.ErrNotFound)
		return
	}
	data, v, err := a.avatars.Picture(g.Request.Context(), id)
	if err != nil {
		a.Kit.Respond(g, 0, nil, err)
		return
	}
	h := g.Writer.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", avatarCSP)
	h.Set("Cross-Origin-Resource-Policy", "cross-origin") // the widget runs on customers' sites
	h.Set("Cache-Control", avatarCache(g.Query("v"), v))
	g.Data(http.StatusOK, "image/png", data)
}

// avatarCache is how long a browser keeps an avatar. Its URL names the
// stored file (?v=, avatars.URL) and a new upload is a new file, so the
// picture at the current URL never changes: a year, immutable. Any other
// v (a page that read the URL before a replacement) or none gets the
// current picture, revalidated each time. A deactivated agent's URL is no
// longer handed out (avatars.Of), so nothing asks for it again.
func avatarCache(asked, current string) string {
	if asked == current {
		return "public, max-age=31536000, immutable"
	}
	return "no-cache"
}

// colleagues answers the avatars of the agent's tenant, by agent id (the
// workbench shows them beside replies and on the conversation list).
func (a API) colleagues(g *gin.Context) {
	m, err := a.avatars.Tenant(g.Request.Context(), connectors.AgentOf(g).TenantID)
	a.Kit.Respond(g, http.StatusOK, gin.H{"avatars": m}, err)
}
