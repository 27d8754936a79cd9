package kbapi

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/kefu-hub/kefu/connectors"
	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/kb"
	"github.com/kefu-hub/kefu/hub/sheet"
)

// mountCSV adds the knowledge base's import and export, CSV or XLSX, with
// the rich answers (admins).
func (a API) mountCSV(admins gin.IRoutes) {
	admins.GET("/kb/export.csv", a.export(sheet.CSV))
	admins.GET("/kb/export.xlsx", a.export(sheet.XLSX))
	admins.POST("/kb/import", a.importSheet)
}

// export answers every article as a download Excel opens.
func (a API) export(f sheet.Format) gin.HandlerFunc {
	return func(g *gin.Context) {
		var b bytes.Buffer
		if err := a.Rich.Export(g.Request.Context(), connectors.AgentOf(g).TenantID, f, &b); err != nil {
			a.Kit.Respond(g, 0, nil, err)
			return
		}
		g.Header("Content-Disposition", `attachment; filename="`+f.Filename("kb")+`"`)
		g.Header("X-Content-Type-Options", "nosniff")
		g.Data(http.StatusOK, f.ContentType(), b.Bytes())
	}
}

// importSheet upserts the articles of an uploaded CSV or XLSX file
// (multipart field "file"; ?format=xlsx, or a file named .xlsx), reporting
// the rows it skipped; ?dry_run=true only reports.
func (a API) importSheet(g *gin.Context) {
	f, err := sheet.ParseFormat(g.Query("format"))
	if err != nil {
		a.Kit.Respond(g, 0, nil, hub.Invalid("%s", err.Error()))
		return
	}
	dry := false
	if v := g.Query("dry_run"); v != "" {
		if dry, err = strconv.ParseBool(v); err != nil {
			a.Kit.Respond(g, 0, nil, hub.Invalid("dry_run must be true or false"))
			return
		}
	}
	name, data, ok := connectors.ReadUpload(g, kb.MaxImportBytes)
	if !ok {
		return
	}
	if g.Query("format") == "" && strings.HasSuffix(strings.ToLower(name), ".xlsx") {
		f = sheet.XLSX
	}
	me := connectors.AgentOf(g)
	res, err := a.Rich.Import(g.Request.Context(), me.TenantID, data, f, kb.ImportOptions{DryRun: dry, By: me.ID})
	a.Kit.Respond(g, http.StatusOK, res, err)
}
