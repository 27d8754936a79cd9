package kbapi

import (
	"bytes"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/kefu-hub/kefu/connectors"
	"github.com/kefu-hub/kefu/hub/kb"
)

// mountCSV adds the knowledge base's CSV import and export (admins).
func (a API) mountCSV(admins gin.IRoutes) {
	admins.GET("/kb/export.csv", a.exportCSV)
	admins.POST("/kb/import", a.importCSV)
}

// exportCSV answers every article as a CSV download Excel opens.
func (a API) exportCSV(g *gin.Context) {
	var b bytes.Buffer
	if err := a.KB.ExportCSV(g.Request.Context(), connectors.AgentOf(g).TenantID, &b); err != nil {
		a.Kit.Respond(g, 0, nil, err)
		return
	}
	g.Header("Content-Disposition", `attachment; filename="kb.csv"`)
	g.Header("X-Content-Type-Options", "nosniff")
	g.Data(http.StatusOK, "text/csv; charset=utf-8", b.Bytes())
}

// importCSV upserts the articles of an uploaded CSV (multipart field
// "file"), reporting the rows it skipped.
func (a API) importCSV(g *gin.Context) {
	_, data, ok := connectors.ReadUpload(g, kb.MaxImportBytes)
	if !ok {
		return
	}
	res, err := a.KB.ImportCSV(g.Request.Context(), connectors.AgentOf(g).TenantID, data)
	a.Kit.Respond(g, http.StatusOK, res, err)
}
