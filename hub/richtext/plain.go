package richtext

import (
	"strconv"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// ImageText stands for an image in the plain rendering.
const ImageText = "[图片]"

// plain renders sanitized markup as text, and lists its images.
func plain(markup string) (string, []string) {
	nodes, err := html.ParseFragment(strings.NewReader(markup), &html.Node{Type: html.ElementNode, Data: "body",
		DataAtom: atom.Body})
	if err != nil {
		return "", nil
	}
	w := &writer{}
	for _, n := range nodes {
		w.node(n)
	}
	return w.text(), w.images
}

type writer struct {
	b      strings.Builder
	images []string
	pre    int
}

func (w *writer) text() string {
	lines := strings.Split(w.b.String(), "\n")
	out := make([]string, 0, len(lines))
	blank := false
	for _, l := range lines {
		l = strings.TrimRight(l, " \t")
		if strings.TrimSpace(l) == "" {
			if !blank && len(out) > 0 {
				out = append(out, "")
			}
			blank = true
			continue
		}
		blank = false
		out = append(out, l)
	}
	return strings.TrimSpace(strings.Join(out, "\n"))
}

// newline ends the current line unless it is already ended.
func (w *writer) newline() {
	s := w.b.String()
	if s != "" && !strings.HasSuffix(s, "\n") {
		w.b.WriteByte('\n')
	}
}

func (w *writer) node(n *html.Node) {
	switch n.Type {
	case html.TextNode:
		w.words(n.Data)
		return
	case html.ElementNode:
	default:
		w.children(n)
		return
	}
	switch n.DataAtom {
	case atom.Br:
		w.b.WriteByte('\n')
	case atom.Img:
		src := attr(n, "src")
		if src != "" {
			w.images = append(w.images, src)
		}
		w.b.WriteString(ImageText)
	case atom.A:
		start := w.b.Len()
		w.children(n)
		words := strings.TrimSpace(w.b.String()[start:])
		if href := attr(n, "href"); href != "" && words != href {
			w.b.WriteString(" (" + strings.TrimPrefix(href, "mailto:") + ")")
		}
	case atom.Li:
		w.newline()
		w.b.WriteString(bullet(n))
		w.children(n)
		w.newline()
	case atom.Pre:
		w.newline()
		w.pre++
		w.children(n)
		w.pre--
		w.newline()
	case atom.P, atom.Blockquote, atom.H3, atom.H4, atom.Ul, atom.Ol:
		w.newline()
		w.b.WriteByte('\n')
		w.children(n)
		w.newline()
		w.b.WriteByte('\n')
	default:
		w.children(n)
	}
}

func (w *writer) children(n *html.Node) {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		w.node(c)
	}
}

// words writes text as a browser shows it: runs of white space as one
// space (kept as they are inside pre).
func (w *writer) words(s string) {
	if w.pre > 0 {
		w.b.WriteString(s)
		return
	}
	f := strings.Fields(s)
	if len(f) == 0 {
		if s != "" && !strings.HasSuffix(w.b.String(), " ") && !strings.HasSuffix(w.b.String(), "\n") && w.b.Len() > 0 {
			w.b.WriteByte(' ')
		}
		return
	}
	cur := w.b.String()
	if startsSpace(s) && cur != "" && !strings.HasSuffix(cur, " ") && !strings.HasSuffix(cur, "\n") {
		w.b.WriteByte(' ')
	}
	w.b.WriteString(strings.Join(f, " "))
	if endsSpace(s) {
		w.b.WriteByte(' ')
	}
}

func startsSpace(s string) bool { return s != "" && strings.TrimLeft(s, " \t\r\n\f") != s }
func endsSpace(s string) bool   { return s != "" && strings.TrimRight(s, " \t\r\n\f") != s }

// bullet is a list item's mark: its number in an ol, else a dot.
func bullet(li *html.Node) string {
	if li.Parent == nil || li.Parent.DataAtom != atom.Ol {
		return "• "
	}
	n := 1
	for c := li.PrevSibling; c != nil; c = c.PrevSibling {
		if c.Type == html.ElementNode && c.DataAtom == atom.Li {
			n++
		}
	}
	return strconv.Itoa(n) + ". "
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}
