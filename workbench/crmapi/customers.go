package crmapi

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/kefu-hub/kefu/connectors"
	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/contacts"
	"github.com/kefu-hub/kefu/hub/sheet"
)

// visible answers 404 unless the caller may see the path's contact.
func (a API) visible(g *gin.Context, id string) bool {
	if _, err := a.Cards.Get(g.Request.Context(), connectors.AgentOf(g), id); err != nil {
		a.Kit.Respond(g, 0, nil, err)
		return false
	}
	return true
}

func (a API) listFollowUps(g *gin.Context) {
	if !a.visible(g, g.Param("id")) {
		return
	}
	fs, err := a.Contacts.FollowUps(g.Request.Context(), connectors.AgentOf(g).TenantID, g.Param("id"))
	a.Kit.Respond(g, http.StatusOK, gin.H{"followups": fs}, err)
}

func (a API) addFollowUp(g *gin.Context) {
	var n contacts.NewFollowUp
	if !a.Kit.Bind(g, &n) || !a.visible(g, g.Param("id")) {
		return
	}
	f, err := a.Contacts.AddFollowUp(g.Request.Context(), connectors.AgentOf(g), g.Param("id"), n)
	a.Kit.Respond(g, http.StatusCreated, f, err)
}

func (a API) mergeSuggestions(g *gin.Context) {
	if !a.visible(g, g.Param("id")) {
		return
	}
	ss, err := a.Contacts.Suggestions(g.Request.Context(), connectors.AgentOf(g), g.Param("id"))
	a.Kit.Respond(g, http.StatusOK, gin.H{"suggestions": ss}, err)
}

// mergeBody names the contact to merge into the path's one.
type mergeBody struct {
	MergedID string `json:"merged_id"`
}

// merge merges merged_id into the path's contact; the agent must see both.
func (a API) merge(g *gin.Context) {
	var r mergeBody
	if !a.Kit.Bind(g, &r) {
		return
	}
	if r.MergedID == "" {
		a.Kit.Respond(g, 0, nil, hub.Invalid("请选择要合并的客户 (merged_id is required)"))
		return
	}
	if !a.visible(g, g.Param("id")) || !a.visible(g, r.MergedID) {
		return
	}
	m, err := a.Contacts.MergeInto(g.Request.Context(), connectors.AgentOf(g), g.Param("id"), r.MergedID)
	a.Kit.Respond(g, http.StatusCreated, m, err)
}

func (a API) listMerges(g *gin.Context) {
	if !a.visible(g, g.Param("id")) {
		return
	}
	ms, err := a.Contacts.Merges(g.Request.Context(), connectors.AgentOf(g).TenantID, g.Param("id"))
	a.Kit.Respond(g, http.StatusOK, gin.H{"merges": ms}, err)
}

// unmerge undoes a merge whose survivor the agent may see.
func (a API) unmerge(g *gin.Context) {
	me := connectors.AgentOf(g)
	m, err := a.Contacts.Merge(g.Request.Context(), me.TenantID, g.Param("id"))
	if err != nil {
		a.Kit.Respond(g, 0, nil, err)
		return
	}
	if !a.visible(g, m.SurvivorID) {
		return
	}
	m, err = a.Contacts.Unmerge(g.Request.Context(), me, m.ID)
	a.Kit.Respond(g, http.StatusOK, m, err)
}

// exportContacts writes the customer list (the list's filters) as CSV or
// XLSX (?format=), only the customers the caller may see.
func (a API) exportContacts(g *gin.Context) {
	me := connectors.AgentOf(g)
	f, err := sheet.ParseFormat(g.Query("format"))
	if err != nil {
		a.Kit.Respond(g, 0, nil, hub.Invalid("%s", err.Error()))
		return
	}
	q, err := a.contactQuery(g, me)
	if err != nil {
		a.Kit.Respond(g, 0, nil, err)
		return
	}
	var b bytes.Buffer
	if err := a.Contacts.Export(g.Request.Context(), me, q, &b, f); err != nil {
		a.Kit.Respond(g, 0, nil, err)
		return
	}
	name := f.Filename("customers-" + time.Now().UTC().Format("20060102"))
	g.Header("Content-Disposition", `attachment; filename="`+name+`"`)
	g.Data(http.StatusOK, f.ContentType(), b.Bytes())
}

// maxSheet bounds an uploaded customer sheet.
const maxSheet = 10 << 20

// importContacts reads a CSV or XLSX body (?format=, csv by default).
// ?dry_run=true (the default) only reports each row's problems; false
// creates the customers when no row has one.
func (a API) importContacts(g *gin.Context) {
	f, err := sheet.ParseFormat(g.Query("format"))
	if err != nil {
		a.Kit.Respond(g, 0, nil, hub.Invalid("%s", err.Error()))
		return
	}
	dry := true
	if v := g.Query("dry_run"); v != "" {
		if dry, err = strconv.ParseBool(v); err != nil {
			a.Kit.Respond(g, 0, nil, hub.Invalid("dry_run must be true or false"))
			return
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(g.Writer, g.Request.Body, maxSheet))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		g.AbortWithStatusJSON(http.StatusRequestEntityTooLarge, gin.H{"error": gin.H{"code": "too_large",
			"message": "the sheet is larger than 10 MiB"}})
		return
	}
	if err != nil {
		a.Kit.Respond(g, 0, nil, hub.Invalid("cannot read the body"))
		return
	}
	rep, err := a.Contacts.Import(g.Request.Context(), connectors.AgentOf(g), bytes.NewReader(body), f, dry)
	a.Kit.Respond(g, http.StatusOK, rep, err)
}
