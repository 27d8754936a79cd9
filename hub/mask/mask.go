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
	// Check, when set, masks only matches that pass it, so order and
	// tracking numbers of the same length stay readable: "luhn" (bank
	// cards: the Luhn check digit, and either a known issuer prefix of
	// the right length — UnionPay 62, Visa, Mastercard, Amex, JCB,
	// Discover — or a 卡/card/银行 word just before the number) or "cn_id"
	// (ID numbers: a real province code, a birth date and the check
	// digit).
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
	name        string
	re          *regexp.Regexp
	first, last int
	check       func(digits, before string) bool
}

// A check sees the match's digits and the text just before it.
var checks = map[string]func(digits, before string) bool{
	"":      func(string, string) bool { return true },
	"luhn":  card,
	"cn_id": func(d, _ string) bool { return cnID(d) },
}

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
			m.rules = append(m.rules, rule{p.Name, re, p.KeepFirst, p.KeepLast, check})
		}
	}
	return m, nil
}

// Apply returns s with every match masked.
func (m *Masker) Apply(s string) string {
	out, _ := m.Explain(s)
	return out
}

// Hit is one masked piece of text: the rule that masked it and what it
// became.
type Hit struct {
	Rule   string `json:"rule"`
	Masked string `json:"masked"`
}

// Explain is Apply, with which rule masked what (in order).
func (m *Masker) Explain(s string) (string, []Hit) {
	hits := []Hit{}
	if m == nil {
		return s, hits
	}
	for _, r := range m.rules {
		var b strings.Builder
		last := 0
		for _, loc := range r.re.FindAllStringIndex(s, -1) {
			x := s[loc[0]:loc[1]]
			if !r.check(digits(x), before(s, loc[0])) {
				continue
			}
			h := hide(x, r.first, r.last)
			b.WriteString(s[last:loc[0]])
			b.WriteString(h)
			last = loc[1]
			hits = append(hits, Hit{Rule: r.name, Masked: h})
		}
		b.WriteString(s[last:])
		s = b.String()
	}
	return s, hits
}

// before is up to 12 characters of s before byte offset i, lower-cased.
func before(s string, i int) string {
	rs := []rune(s[:i])
	if len(rs) > 12 {
		rs = rs[len(rs)-12:]
	}
	return strings.ToLower(string(rs))
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

// card tells a bank card from an order or tracking number of the same
// length: the Luhn digit must hold (one number in ten passes by chance),
// and the number must either start like a card of its length or follow a
// word that says it is one.
func card(d, before string) bool {
	if !luhn(d) {
		return false
	}
	for _, w := range []string{"卡", "card", "银行", "銀行", "visa", "银联", "銀聯"} {
		if strings.Contains(before, w) {
			return true
		}
	}
	n, p2, p4 := len(d), atoi(d[:2]), atoi(d[:4])
	switch {
	case p2 == 62: // UnionPay
		return n >= 16 && n <= 19
	case d[0] == '4': // Visa
		return n == 13 || n == 16
	case p2 >= 51 && p2 <= 55, p4 >= 2221 && p4 <= 2720: // Mastercard
		return n == 16
	case p2 == 34 || p2 == 37: // American Express
		return n == 15
	case p4 >= 3528 && p4 <= 3589: // JCB
		return n == 16
	case p4 == 6011, p2 == 65, p4/10 >= 644 && p4/10 <= 649: // Discover
		return n == 16
	}
	return false
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}

// cnProvinces are the first two digits of mainland ID numbers (GB/T 2260).
var cnProvinces = map[string]bool{"11": true, "12": true, "13": true, "14": true, "15": true, "21": true, "22": true,
	"23": true, "31": true, "32": true, "33": true, "34": true, "35": true, "36": true, "37": true, "41": true, "42": true,
	"43": true, "44": true, "45": true, "46": true, "50": true, "51": true, "52": true, "53": true, "54": true, "61": true,
	"62": true, "63": true, "64": true, "65": true, "71": true, "81": true, "82": true, "83": true, "91": true}

// cnID checks the last character of an 18-character ID number (GB 11643).
func cnID(d string) bool {
	if len(d) != 18 || !cnProvinces[d[:2]] {
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
