// Package richtext makes an admin's rich text (bold, lists, links,
// images) safe to show to customers: an allow-list sanitizer (no script,
// no event handlers, no javascript: URLs, images only from the hub's own
// files or https) and the plain text the same content reads as, for the
// channels that show text only and for search.
package richtext

import (
	"regexp"
	"strings"

	"github.com/microcosm-cc/bluemonday"
)

// Doc is sanitized rich text with its plain rendering.
type Doc struct {
	// HTML is the sanitized markup (safe to insert into a page).
	HTML string `json:"html"`
	// Text is what the markup reads as: paragraphs and list items on their
	// own lines, a link's address after its words, an image as [图片].
	Text string `json:"text"`
	// Images are the sources of the document's images, in order.
	Images []string `json:"images"`
}

// FilesPrefix is where the hub serves uploaded files: images from there
// need no https (they are the hub's own).
const FilesPrefix = "/api/v1/attachments/"

var (
	imageSrc = regexp.MustCompile(`^(https://[^\s"'<>\\]+|/api/v1/attachments/[A-Za-z0-9_\-]+)$`)
	linkHref = regexp.MustCompile(`^(?i)(https?://|mailto:)[^\s"'<>\\]+$`)
)

// policy is the allow-list: formatting, lists, links and images, nothing
// else (no style, no class, no id, no event handler survives).
func policy() *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	p.AllowElements("p", "br", "strong", "b", "em", "i", "u", "s", "ul", "ol", "li", "blockquote", "h3", "h4",
		"pre", "code")
	p.AllowURLSchemes("http", "https", "mailto")
	p.RequireParseableURLs(true)
	p.AllowRelativeURLs(true) // the hub's own files only: imageSrc decides
	p.AllowAttrs("href").Matching(linkHref).OnElements("a")
	p.RequireNoFollowOnLinks(true)
	p.RequireNoReferrerOnLinks(true)
	p.AddTargetBlankToFullyQualifiedLinks(true)
	p.AllowAttrs("src").Matching(imageSrc).OnElements("img")
	p.AllowAttrs("alt").Matching(regexp.MustCompile(`^[^<>]{0,200}$`)).OnElements("img")
	return p
}

var safe = policy()

// maxInput is the most markup Sanitize reads (bytes); callers limit
// what they accept below it.
const maxInput = 200 << 10

// Sanitize keeps the allowed markup of s and renders its text.
func Sanitize(s string) Doc {
	if len(s) > maxInput {
		s = s[:maxInput]
	}
	out := strings.TrimSpace(safe.Sanitize(strings.ToValidUTF8(strings.ReplaceAll(s, "\x00", ""), "")))
	text, images := plain(out)
	return Doc{HTML: out, Text: text, Images: images}
}
