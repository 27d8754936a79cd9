package hub

import (
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"strings"
)

// Reasons are the reasons a customer ticked with a rating (满意度原因). The
// database keeps them one a line between newlines ("\nA\nB\n", "" for
// none), so a list filters by one with `reasons LIKE '%\nA\n%'`
// (ReasonPattern); a reason never holds a newline.
type Reasons []string

// Value stores the reasons.
func (r Reasons) Value() (driver.Value, error) {
	if len(r) == 0 {
		return "", nil
	}
	return "\n" + strings.Join(r, "\n") + "\n", nil
}

// Scan reads them back.
func (r *Reasons) Scan(src any) error {
	var s string
	switch v := src.(type) {
	case nil:
	case string:
		s = v
	case []byte:
		s = string(v)
	default:
		return fmt.Errorf("reasons: cannot scan %T", src)
	}
	*r = nil
	if s = strings.Trim(s, "\n"); s != "" {
		*r = strings.Split(s, "\n")
	}
	return nil
}

// MarshalJSON writes none as [] (never null).
func (r Reasons) MarshalJSON() ([]byte, error) {
	if r == nil {
		return []byte("[]"), nil
	}
	return json.Marshal([]string(r))
}

// ReasonPattern is the LIKE pattern (with ESCAPE '\') of the stored
// reasons that hold reason.
func ReasonPattern(reason string) string {
	esc := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(reason)
	return "%\n" + esc + "\n%"
}
