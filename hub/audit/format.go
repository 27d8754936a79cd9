package audit

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/kefu-hub/kefu/hub/sheet"
)

// shown are the request fields whose values an entry's detail shows; of
// every other field only the name is kept (secrets, passwords, texts).
var shown = map[string]bool{"role": true, "disabled": true, "active": true, "max_chats": true, "name": true,
	"policy": true, "type": true, "email": true, "status": true, "enabled": true, "require_totp": true}

// maxDetail bounds an entry's detail.
const maxDetail = 500

// Detail summarizes a JSON request body for an entry: the fields it set,
// sorted, with the values of the harmless ones ("groups, name=售后,
// role=supervisor"). A body that is not a JSON object gives "".
func Detail(body []byte) string {
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil {
		return ""
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		var v any
		if shown[k] && json.Unmarshal(m[k], &v) == nil && v != nil {
			if _, nested := v.(map[string]any); !nested {
				parts = append(parts, fmt.Sprintf("%s=%v", k, v))
				continue
			}
		}
		parts = append(parts, k)
	}
	d := strings.Join(parts, ", ")
	if len(d) > maxDetail {
		d = strings.ToValidUTF8(d[:maxDetail], "") + "…"
	}
	return d
}

// WriteCSV writes entries as CSV (UTF-8 with a byte-order mark, so
// spreadsheets read Chinese), defusing cells a spreadsheet would run as a
// formula.
func WriteCSV(w io.Writer, entries []Entry) error {
	if _, err := io.WriteString(w, "\uFEFF"); err != nil {
		return err
	}
	c := csv.NewWriter(w)
	_ = c.Write([]string{"time", "actor_id", "actor", "address", "action", "target_type", "target_id", "detail"})
	for _, e := range entries {
		_ = c.Write([]string{e.At.UTC().Format(time.RFC3339), sheet.Defuse(e.ActorID), sheet.Defuse(e.ActorName), sheet.Defuse(e.Address),
			sheet.Defuse(string(e.Action)), sheet.Defuse(e.TargetType), sheet.Defuse(e.TargetID), sheet.Defuse(e.Detail)})
	}
	c.Flush()
	return c.Error()
}
