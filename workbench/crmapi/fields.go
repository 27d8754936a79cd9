package crmapi

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/kefu-hub/kefu/connectors"
	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/contacts"
	"github.com/kefu-hub/kefu/hub/fields"
)

// MountAdmin adds the routes only admins may call: the custom-field
// definitions (自定义字段) and the customer list's visibility rules
// (客户可见范围).
func (a API) MountAdmin(adm gin.IRoutes) {
	adm.GET("/contact-visibility", a.getRules)
	adm.PUT("/contact-visibility", a.putRules)
	adm.POST("/custom-fields", a.createField)
	adm.PATCH("/custom-fields/:id", a.updateField)
	adm.DELETE("/custom-fields/:id", a.deleteField)
}

// entity reads ?entity= (contact by default).
func entity(g *gin.Context) (fields.Entity, error) {
	switch e := fields.Entity(g.Query("entity")); e {
	case "", fields.Contact:
		return fields.Contact, nil
	case fields.Ticket:
		return e, nil
	}
	return "", hub.Invalid("entity must be contact or ticket")
}

// listFields is open to every agent: the customer form shows the fields.
func (a API) listFields(g *gin.Context) {
	e, err := entity(g)
	if err != nil {
		a.Kit.Respond(g, 0, nil, err)
		return
	}
	fs, err := a.Fields.List(g.Request.Context(), connectors.AgentOf(g).TenantID, e)
	a.Kit.Respond(g, http.StatusOK, gin.H{"fields": fs}, err)
}

// newField is the body of POST /custom-fields.
type newField struct {
	Entity fields.Entity `json:"entity"`
	fields.Spec
}

func (a API) createField(g *gin.Context) {
	var r newField
	if !a.Kit.Bind(g, &r) {
		return
	}
	if r.Entity == "" {
		r.Entity = fields.Contact
	}
	f, err := a.Fields.Create(g.Request.Context(), connectors.AgentOf(g).TenantID, r.Entity, r.Spec)
	a.Kit.Respond(g, http.StatusCreated, f, err)
}

func (a API) updateField(g *gin.Context) {
	var sp fields.Spec
	if !a.Kit.Bind(g, &sp) {
		return
	}
	f, err := a.Fields.Update(g.Request.Context(), connectors.AgentOf(g).TenantID, g.Param("id"), sp)
	a.Kit.Respond(g, http.StatusOK, f, err)
}

func (a API) deleteField(g *gin.Context) {
	err := a.Fields.Delete(g.Request.Context(), connectors.AgentOf(g).TenantID, g.Param("id"))
	a.Kit.Respond(g, http.StatusOK, gin.H{"deleted": true}, err)
}

func (a API) getRules(g *gin.Context) {
	r, err := a.Contacts.Rules(g.Request.Context(), connectors.AgentOf(g).TenantID)
	a.Kit.Respond(g, http.StatusOK, r, err)
}

// putRules replaces the tenant's visibility rules (a rule left out is off).
func (a API) putRules(g *gin.Context) {
	var r contacts.Rules
	if !a.Kit.Bind(g, &r) {
		return
	}
	out, err := a.Contacts.SetRules(g.Request.Context(), connectors.AgentOf(g).TenantID, r)
	a.Kit.Respond(g, http.StatusOK, out, err)
}
