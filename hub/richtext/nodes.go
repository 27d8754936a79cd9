package richtext

import (
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// Node is a piece of a rich document as a customer's client builds it with
// its own DOM calls, never by parsing markup: an element of a fixed set
// (T is "p", "br", "b", "i", "u", "s", "ul", "ol", "li", "quote", "h",
// "pre", "code", "a" or "img") or text (T "text"). Links are http(s) only
// (a mailto: link is its words), images are the sanitizer's.
type Node struct {
	T string `json:"t"`
	// Text is a text node's text (inert: clients set it as text).
	Text string `json:"text,omitempty"`
	// Href is a link's http(s) address.
	Href string `json:"href,omitempty"`
	// Src and Alt are an image's source and words.
	Src string `json:"src,omitempty"`
	Alt string `json:"alt,omitempty"`
	// C are an element's children.
	C []Node `json:"c,omitempty"`
}

// kinds maps the allowed elements to their node kinds (b and strong are
// one, as are i and em; h3 and h4 are a heading).
var kinds = map[atom.Atom]string{atom.P: "p", atom.Br: "br", atom.Strong: "b", atom.B: "b", atom.Em: "i",
	atom.I: "i", atom.U: "u", atom.S: "s", atom.Ul: "ul", atom.Ol: "ol", atom.Li: "li", atom.Blockquote: "quote",
	atom.H3: "h", atom.H4: "h", atom.Pre: "pre", atom.Code: "code", atom.A: "a", atom.Img: "img"}

// maxNodes bounds a document's nodes (an answer is at most 50,000 bytes
// of markup; this is far above what such an answer holds).
const maxNodes = 5000

// Nodes sanitizes markup and returns it as nodes: what the widget and the
// app SDK render. Empty markup has none.
func Nodes(markup string) []Node {
	clean := Sanitize(markup).HTML
	if clean == "" {
		return nil
	}
	parsed, err := html.ParseFragment(strings.NewReader(clean), &html.Node{Type: html.ElementNode, Data: "body",
		DataAtom: atom.Body})
	if err != nil {
		return nil
	}
	n := 0
	var walk func(ns []*html.Node) []Node
	walk = func(ns []*html.Node) []Node {
		var out []Node
		for _, h := range ns {
			if n >= maxNodes {
				break
			}
			n++
			switch h.Type {
			case html.TextNode:
				if h.Data != "" {
					out = append(out, Node{T: "text", Text: h.Data})
				}
				continue
			case html.ElementNode:
			default:
				continue
			}
			var kids []*html.Node
			for c := h.FirstChild; c != nil; c = c.NextSibling {
				kids = append(kids, c)
			}
			t, ok := kinds[h.DataAtom]
			if !ok { // not allowed (the sanitizer kept none): its text only
				out = append(out, walk(kids)...)
				continue
			}
			e := Node{T: t}
			switch t {
			case "a":
				href := attr(h, "href")
				if !webLink(href) { // mailto: and anything else: the words alone
					out = append(out, walk(kids)...)
					continue
				}
				e.Href = href
			case "img":
				if e.Src = attr(h, "src"); e.Src == "" {
					continue
				}
				e.Alt = attr(h, "alt")
			}
			e.C = walk(kids)
			out = append(out, e)
		}
		return out
	}
	return walk(parsed)
}

// webLink reports whether href is an http(s) address.
func webLink(href string) bool {
	l := strings.ToLower(href)
	return (strings.HasPrefix(l, "https://") || strings.HasPrefix(l, "http://")) && linkHref.MatchString(href)
}

// Link is a document's link: its address and words.
type Link struct {
	Href, Words string
}

// Links are a document's http(s) links, in order.
func Links(nodes []Node) []Link {
	var out []Link
	var walk func(ns []Node)
	walk = func(ns []Node) {
		for _, n := range ns {
			if n.T == "a" {
				out = append(out, Link{Href: n.Href, Words: strings.TrimSpace(words(n.C))})
				continue
			}
			walk(n.C)
		}
	}
	walk(nodes)
	return out
}

// Heading is a document's first heading's words ("" when it has none).
func Heading(nodes []Node) string {
	for _, n := range nodes {
		if n.T == "h" {
			return strings.TrimSpace(words(n.C))
		}
		if h := Heading(n.C); h != "" {
			return h
		}
	}
	return ""
}

func words(ns []Node) string {
	var b strings.Builder
	for _, n := range ns {
		if n.T == "text" {
			b.WriteString(n.Text)
		}
		b.WriteString(words(n.C))
	}
	return strings.Join(strings.Fields(b.String()), " ")
}
