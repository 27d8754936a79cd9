package workbench

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/kefu-hub/kefu/connectors"
	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/conversations"
	"github.com/kefu-hub/kefu/hub/sheet"
)

// exportRow is one message of an exported conversation.
type exportRow struct {
	Seq       int64         `json:"seq"`
	Time      time.Time     `json:"time"`
	Direction hub.Direction `json:"direction"`
	Sender    string        `json:"sender"`
	Type      string        `json:"type"`
	Text      string        `json:"text"`
	Files     []string      `json:"attachments"`
}

// exportConversation downloads a conversation's transcript as plain text,
// CSV or JSON. Customer text stays text: it is never interpreted, and CSV
// cells that a spreadsheet would run as a formula are defused.
func (s toolsAPI) exportConversation(g *gin.Context) {
	format := g.DefaultQuery("format", "txt")
	if format != "txt" && format != "csv" && format != "json" {
		fail(g, http.StatusBadRequest, "bad_request", "format must be txt, csv or json")
		return
	}
	t, err := s.Conversations.Transcript(g.Request.Context(), connectors.AgentOf(g), g.Param("id"))
	if err != nil {
		s.respond(g, 0, nil, err)
		return
	}
	rows := exportRows(t)
	var body []byte
	ctype := map[string]string{"txt": "text/plain; charset=utf-8", "csv": "text/csv; charset=utf-8",
		"json": "application/json; charset=utf-8"}[format]
	switch format {
	case "txt":
		body = exportText(t, rows)
	case "csv":
		body = exportCSV(rows)
	case "json":
		body, _ = json.MarshalIndent(gin.H{"conversation": t.Conversation, "messages": rows}, "", "  ")
	}
	g.Header("Content-Disposition", fmt.Sprintf(`attachment; filename="conversation-%s.%s"`, t.Conversation.ID, format))
	g.Header("X-Content-Type-Options", "nosniff")
	g.Data(http.StatusOK, ctype, body)
}

func exportRows(t *conversations.Transcript) []exportRow {
	rows := make([]exportRow, 0, len(t.Messages))
	for _, m := range t.Messages {
		r := exportRow{Seq: m.Seq, Time: m.CreatedAt.UTC(), Direction: m.Direction, Type: m.Type, Text: m.Text, Files: []string{}}
		switch {
		case m.SenderType == "contact" && t.Conversation.Contact != nil:
			r.Sender = "customer: " + t.Conversation.Contact.Name
		case m.SenderType == "agent":
			r.Sender = "agent: " + t.AgentNames[m.SenderID]
		default:
			r.Sender = string(m.SenderType)
		}
		for _, a := range m.Attachments {
			r.Files = append(r.Files, a.URL)
		}
		rows = append(rows, r)
	}
	return rows
}

func exportText(t *conversations.Transcript, rows []exportRow) []byte {
	var b bytes.Buffer
	c := t.Conversation
	fmt.Fprintf(&b, "Conversation %s (channel %s, %s)\n\n", c.ID, c.ChannelID, c.Status)
	for _, r := range rows {
		note := ""
		if r.Direction == hub.DirectionInternal {
			note = " [internal note]"
		}
		fmt.Fprintf(&b, "[%s] %s%s: %s\n", r.Time.Format("2006-01-02 15:04:05Z"), r.Sender, note, r.Text)
		for _, f := range r.Files {
			fmt.Fprintf(&b, "    attachment: %s\n", f)
		}
	}
	return b.Bytes()
}

func exportCSV(rows []exportRow) []byte {
	var b bytes.Buffer
	b.WriteString("\uFEFF") // so spreadsheets read UTF-8 (Chinese) correctly
	w := csv.NewWriter(&b)
	_ = w.Write([]string{"seq", "time", "direction", "sender", "type", "text", "attachments"})
	for _, r := range rows {
		_ = w.Write([]string{fmt.Sprint(r.Seq), r.Time.Format(time.RFC3339), string(r.Direction), sheet.Defuse(r.Sender), sheet.Defuse(r.Type),
			sheet.Defuse(r.Text), sheet.Defuse(strings.Join(r.Files, " "))})
	}
	w.Flush()
	return b.Bytes()
}
