package hub

import (
	"strings"
	"unicode/utf8"
)

// Bounded is customer text made storable (Clean) and cut to at most n runes.
func Bounded(s string, n int) string { return Truncate(Clean(s), n) }

// Truncate cuts s to at most n runes.
func Truncate(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n])
	}
	return s
}

// Clean makes customer text storable everywhere: NUL bytes (PostgreSQL text
// rejects them) are dropped and invalid UTF-8 is replaced, so bad input can
// never turn into a 5xx retry loop.
func Clean(s string) string {
	if strings.IndexByte(s, 0) >= 0 {
		s = strings.ReplaceAll(s, "\x00", "")
	}
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	return s
}

// Title is what names a ticket its first message opens: the first line
// when a blank line sets it apart (an e-mail's subject above its body),
// else the whole text.
func Title(s string) string {
	first, rest, ok := strings.Cut(strings.TrimLeft(s, " \t\r\n"), "\n\n")
	if ok && !strings.Contains(first, "\n") && strings.TrimSpace(first) != "" && strings.TrimSpace(rest) != "" {
		return strings.TrimSpace(first)
	}
	return s
}
