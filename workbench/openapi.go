package workbench

import (
	_ "embed"
	"net/http"

	"github.com/gin-gonic/gin"
)

//go:embed openapi.json
var openAPIDoc []byte

func openAPI(g *gin.Context) { g.Data(http.StatusOK, "application/json", openAPIDoc) }
