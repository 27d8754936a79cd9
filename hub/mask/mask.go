// Package mask hides sensitive data — bank card numbers, ID numbers, phone
// numbers — in message text before it is stored, so agents, supervisors,
// webhooks and exports only ever see the masked form (敏感信息替换).
package mask

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"
)

// Pattern is one kind of sensitive data.
type Pattern struct {
	Name    string `json:"name"`
	Enabled bool   `json:"enabled"`
	// Regex finds the data (Go RE2 syntax).
	Regex string `json:"regex"`
	// KeepFirst and KeepLast are how many digits/letters stay visible at
	// each end; the rest become "*", separators (spaces, dashes) stay.
	KeepFirst int `json:"keep_first"`
	KeepLast  int `json:"keep_last"`
	// Check, when set, masks only matches whose digits pass it: "luhn"
	// (bank cards) or "cn_id" (the ID number check digit), so order numbers
	// of the same length stay readable.
	Check string `json:"check,omitempty"`
}

// Defaults are the built-in patterns: mainland ID numbers and bank cards
// masked, mobile numbers listed but off (agents often need them to call
// back; an admin turns them on).
func Defaults() []Pattern {
	return []Pattern{
		{Name: "id_number", Enabled: true, KeepFirst: 3, KeepLast: 4, Check: "cn_id",
			Regex: `\b[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx]\b`},
		{Name: "bank_card", Enabled: true, KeepFirst: 4, KeepLast: 4, Check: "luhn",
			Regex: `\b(?:\d[ -]?){14,18}\d\b`},
		{Name: "phone", Enabled: false, KeepFirst: 3, KeepLast: 4,
			Regex: `\b1[3-9]\d[ -]?\d{4}[ -]?\d{4}\b`},
	}
}

// Masker applies compiled patterns in order.
type Masker struct{ rules []rule }

type rule struct {
	re          *regexp.Regexp
	first, last int
	check       func(digits string) bool
}

var checks = map[string]func(string) bool{"": func(string) bool { return true }, "luhn": luhn, "cn_id": cnID}

// Compile checks and compiles the enabled patterns.
func Compile(ps []Pattern) (*Masker, error) {
	m := &Masker{}
	for i, p := range ps {
		if strings.TrimSpace(p.Regex) == "" {
			return nil, fmt.Errorf("patterns[%d] (%s): regex is required", i, p.Name)
		}
		re, err := regexp.Compile(p.Regex)
		if err != nil {
			return nil, fmt.Errorf("patterns[%d] (%s): %v", i, p.Name, err)
		}
		if p.KeepFirst < 0 || p.KeepLast < 0 {
			return nil, fmt.Errorf("patterns[%d] (%s): keep_first and keep_last must not be negative", i, p.Name)
		}
		check, ok := checks[p.Check]
		if !ok {
			return nil, fmt.Errorf("patterns[%d] (%s): check must be luhn, cn_id or empty", i, p.Name)
		}
		if p.Enabled {
			m.rules = append(m.rules, rule{re, p.KeepFirst, p.KeepLast, check})
		}
	}
	return m, nil
}

// Apply returns s with every match masked.
func (m *Masker) Apply(s string) string {
	if m == nil {
		return s
	}
	for _, r := range m.rules {
		s = r.re.ReplaceAllStringFunc(s, func(x string) string {
			if !r.check(digits(x)) {
				return x
			}
			return hide(x, r.first, r.last)
		})
	}
	return s
}

// hide stars the letters and digits of x except the first and last few;
// when nothing would be hidden, everything is.
func hide(x string, first, last int) string {
	rs := []rune(x)
	var sig []int
	for i, r := range rs {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			sig = append(sig, i)
		}
	}
	if first+last >= len(sig) {
		first, last = 0, 0
	}
	for k, i := range sig {
		if k >= first && k < len(sig)-last {
			rs[i] = '*'
		}
	}
	return string(rs)
}

func digits(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' || r == 'X' || r == 'x' {
			return r
		}
		return -1
	}, s)
}

// luhn is the bank card check (ISO/IEC 7812).
func luhn(d string) bool {
	sum := 0
	for i := 0; i < len(d); i++ {
		c := d[len(d)-1-i]
		if c < '0' || c > '9' {
			return false
		}
		n := int(c - '0')
		if i%2 == 1 {
			if n *= 2; n > 9 {
				n -= 9
			}
		}
		sum += n
	}
	return len(d) > 0 && sum%10 == 0
}

// cnID checks the last character of an 18-character ID number (GB 11643).
func cnID(d string) bool {
	if len(d) != 18 {
		return false
	}
	weights := []int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i, w := range weights {
		if d[i] < '0' || d[i] > '9' {
			return false
		}
		sum += int(d[i]-'0') * w
	}
	return strings.EqualFold(string("10X98765432"[sum%11]), d[17:])
}
