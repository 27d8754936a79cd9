package richanswers_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/kefu-hub/kefu/hub/hubtest"
	"github.com/kefu-hub/kefu/hub/kb"
	"github.com/kefu-hub/kefu/hub/sheet"
)

// BenchmarkExport500: the CSV and XLSX exports of 500 articles, each with
// a rich answer of about 1.5 KB of markup (SQLite).
func BenchmarkExport500(b *testing.B) {
	h := hubtest.Open(b, "sqlite")
	admin := h.NewTenant(b).Admin
	head, rows := []string{"标准问题", "富文本答案"}, [][]string{}
	for i := range 500 {
		var m strings.Builder
		for j := range 6 {
			fmt.Fprintf(&m, `<p><strong>运费</strong>说明 %d-%d：</p><ul><li>满99元包邮</li><li>偏远地区发EMS</li></ul>`+
				`<p><a href="https://shop.example.com/help/%d/%d">帮助中心</a></p>`, i, j, i, j)
		}
		rows = append(rows, []string{fmt.Sprintf("问题 %d 怎么收运费？", i), m.String()})
	}
	var in bytes.Buffer
	if err := sheet.Write(&in, sheet.CSV, head, rows); err != nil {
		b.Fatal(err)
	}
	res, err := h.Rich.Import(b.Context(), admin.TenantID, in.Bytes(), sheet.CSV, kb.ImportOptions{})
	if err != nil || res.Created != len(rows) {
		b.Fatalf("import: %+v %v", res, err)
	}
	for _, f := range []sheet.Format{sheet.CSV, sheet.XLSX} {
		b.Run(string(f), func(b *testing.B) {
			for b.Loop() {
				if err := h.Rich.Export(b.Context(), admin.TenantID, f, new(bytes.Buffer)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
