package desk

// Knowledge-base CSV (issue 17): an admin exports the articles as a CSV
// Excel opens (BOM, Chinese header), edits it and imports it back — rows
// with the same standard question update, new ones are added, bad rows are
// reported by number — and the robot answers from what was imported.

import (
	"bytes"
	"mime/multipart"
	"strings"
	"testing"

	"github.com/kefu-hub/kefu/e2e/kit"
)

func importCSV(t *testing.T, c *kit.Client, name string, data []byte) kit.Resp {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(data)
	mw.Close()
	return c.DoRaw("POST", "/api/v1/kb/import", mw.FormDataContentType(), &buf)
}

func TestKBImportExportCSV(t *testing.T) {
	t.Parallel()
	kit.ForModes(t, func(t *testing.T, m kit.Mode) {
		d := newDesk(t, m)
		d.admin.Must(201, "POST", "/api/v1/kb/articles", map[string]any{"question": "运费怎么收？",
			"similar": []string{"邮费多少"}, "answer": "全场满99元包邮。", "category": "物流"})
		res, body := d.admin.Download("/api/v1/kb/export.csv")
		if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") ||
			!strings.Contains(res.Header.Get("Content-Disposition"), "attachment") {
			t.Fatalf("export: %d %v", res.StatusCode, res.Header)
		}
		want := "\uFEFF标准问题,相似问法,答案,分类,标签,启用,富文本答案\n运费怎么收？,邮费多少,全场满99元包邮。,物流,,是,\n"
		if string(body) != want {
			t.Fatalf("export:\n%q\nwant\n%q", body, want)
		}
		// The admin edits the file: a changed answer, a new article, a bad
		// row, a rich answer (its script stripped).
		edited := strings.Replace(string(body), "全场满99元包邮。", "全场满88元包邮。", 1) +
			"发什么快递？,用哪家快递|快递公司,默认发中通，可备注顺丰。,物流,快递,是\n" +
			"没有答案,,,,,\n" +
			`能发顺丰吗？,,,物流,,是,"<p><strong>顺丰</strong>需补运费</p><script>alert(1)</script>"` + "\n"
		r := importCSV(t, d.admin, "kb.csv", []byte(edited))
		var got struct {
			Created, Updated int
			Errors           []struct {
				Row     int
				Message string
			}
		}
		r.JSON(t, &got)
		if r.Status != 200 || got.Created != 2 || got.Updated != 1 || len(got.Errors) != 1 || got.Errors[0].Row != 4 {
			t.Fatalf("import: %d %s", r.Status, r.Body)
		}
		if r := importCSV(t, d.admin, "kb.csv", []byte("问题,回复\n")); r.Status != 400 || !strings.Contains(string(r.Body), "标准问题") {
			t.Errorf("a file without the columns: %d %s", r.Status, r.Body)
		}
		if r := importCSV(t, d.agent, "kb.csv", []byte(edited)); r.Status != 403 {
			t.Errorf("an agent imports: %d", r.Status)
		}
		var s struct {
			Items []struct{ Question, Answer string }
		}
		d.admin.Must(200, "GET", "/api/v1/kb/search?q="+"用哪家快递", nil).JSON(t, &s)
		if len(s.Items) == 0 || s.Items[0].Answer != "默认发中通，可备注顺丰。" {
			t.Errorf("search after import: %+v", s.Items)
		}
		var rich struct{ HTML, Text string }
		d.admin.Must(200, "GET", "/api/v1/kb/search?q="+"能发顺丰吗", nil).JSON(t, &s)
		if len(s.Items) == 0 || s.Items[0].Answer != "顺丰需补运费" {
			t.Fatalf("the rich row's answer: %+v", s.Items)
		}
		var list struct {
			Articles []struct{ ID, Question string }
		}
		d.admin.Must(200, "GET", "/api/v1/kb/articles?q="+"能发顺丰", nil).JSON(t, &list)
		if len(list.Articles) != 1 {
			t.Fatalf("articles: %+v", list.Articles)
		}
		d.admin.Must(200, "GET", "/api/v1/kb/articles/"+list.Articles[0].ID+"/rich", nil).JSON(t, &rich)
		if rich.HTML != "<p><strong>顺丰</strong>需补运费</p>" || rich.Text != "顺丰需补运费" {
			t.Errorf("the imported rich answer: %+v", rich)
		}
		if _, body := d.admin.Download("/api/v1/kb/export.csv"); !strings.Contains(string(body), ",<p><strong>顺丰</strong>需补运费</p>\n") {
			t.Errorf("the export's rich answer: %q", body)
		}
		d.admin.Must(200, "PUT", "/api/v1/channels/"+d.ch.ID+"/robot", map[string]any{"mode": "first", "max_misses": 2})
		cust := "cust-" + kit.RandHex(4)
		d.post(t, cust, "邮费多少")
		if r := d.waitRobot(t, d.convOf(t, cust), 1); r[0].Text != "全场满88元包邮。" {
			t.Errorf("the robot answers %q, want the imported answer", r[0].Text)
		}
	})
}
