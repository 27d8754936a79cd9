package helpcentre

import (
	"bytes"
	"html/template"
	"regexp"
	"strings"

	"github.com/kefu-hub/kefu/hub/kb"
)

// page is what a template shows.
type page struct {
	Site     Site
	Lang     lang
	Query    string
	Searched bool
	Hits     []hit
	// Related: some hits are not the best answer (listed as 您是不是想问).
	Related    bool
	Categories []category
	Article    *kb.Article
	Answer     []paragraph
	Error      string
}

// category is one section of the home page.
type category struct {
	Name     string
	Articles []kb.Article
}

// hit is a search result; Best is the one the robot would answer with (its
// score at or above the threshold), shown with its answer.
type hit struct {
	Article kb.Article
	Best    bool
	Answer  []paragraph
}

// A paragraph is lines of pieces: text, or a link (an image when it names
// one). Templates escape every piece, so an answer can carry no markup.
type (
	paragraph [][]piece
	piece     struct {
		Text, URL string
		Image     bool
	}
)

// categoriesOf groups articles (sorted by category) into sections, the
// ones without a category last.
func categoriesOf(arts []kb.Article, other string) []category {
	var out []category
	var none []kb.Article
	for _, a := range arts {
		switch {
		case a.Category == "":
			none = append(none, a)
		case len(out) == 0 || out[len(out)-1].Name != a.Category:
			out = append(out, category{Name: a.Category, Articles: []kb.Article{a}})
		default:
			out[len(out)-1].Articles = append(out[len(out)-1].Articles, a)
		}
	}
	if len(none) > 0 {
		out = append(out, category{Name: other, Articles: none})
	}
	return out
}

// hitsOf marks the best hit when it reaches the threshold, the robot's rule.
func hitsOf(r kb.Result) []hit {
	out := make([]hit, len(r.Hits))
	for i, h := range r.Hits {
		out[i] = hit{Article: h.Article}
		if i == 0 && h.Score >= r.Threshold {
			out[i].Best, out[i].Answer = true, paragraphs(h.Article.Answer)
		}
	}
	return out
}

var (
	linkRe  = regexp.MustCompile(`https?://[^\s<>"'，。；！？、）)\]]+`)
	imageRe = regexp.MustCompile(`(?i)^https://.+\.(png|jpe?g|gif|webp)$`)
)

// paragraphs splits a plain-text answer at blank lines, its lines kept and
// its http(s) links made links (https images shown).
func paragraphs(answer string) []paragraph {
	var out []paragraph
	for _, block := range strings.Split(strings.ReplaceAll(answer, "\r\n", "\n"), "\n\n") {
		if strings.TrimSpace(block) == "" {
			continue
		}
		var p paragraph
		for _, line := range strings.Split(strings.Trim(block, "\n"), "\n") {
			p = append(p, pieces(line))
		}
		out = append(out, p)
	}
	return out
}

func pieces(line string) []piece {
	var out []piece
	last := 0
	for _, m := range linkRe.FindAllStringIndex(line, -1) {
		if m[0] > last {
			out = append(out, piece{Text: line[last:m[0]]})
		}
		u := line[m[0]:m[1]]
		out = append(out, piece{Text: u, URL: u, Image: imageRe.MatchString(u)})
		last = m[1]
	}
	if last < len(line) {
		out = append(out, piece{Text: line[last:]})
	}
	return out
}

func renderPage(name string, p page) ([]byte, error) {
	var b bytes.Buffer
	err := pages.ExecuteTemplate(&b, name, p)
	return b.Bytes(), err
}

var pages = template.Must(template.New("").Parse(`
{{define "head"}}<!doctype html>
<html lang="{{.Lang.Tag}}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>{{if .Article}}{{.Article.Question}} · {{end}}{{if .Site.Title}}{{.Site.Title}} · {{end}}{{.Lang.T.Title}}</title>
<style>
*{box-sizing:border-box}body{margin:0;font:15px/1.6 -apple-system,"PingFang SC","Microsoft YaHei","Noto Sans CJK SC",sans-serif;color:#1f2329;background:#f5f6f8}
header{background:{{if .Site.Color}}{{.Site.Color}}{{else}}#0958d9{{end}};color:#fff;padding:20px 0 24px}header .wrap{padding:0 16px}
header a{color:#fff;text-decoration:none}.wrap{max-width:760px;margin:0 auto}
h1{font-size:22px;margin:0 0 12px}h2{font-size:17px;margin:0 0 8px}h3{font-size:14px;font-weight:normal;margin:12px 0 4px}
form{display:flex;gap:8px}input{flex:1;min-width:0;font:inherit;padding:10px 12px;border:0;border-radius:8px}
button{font:inherit;padding:10px 16px;border:0;border-radius:8px;background:#1f2329;color:#fff;cursor:pointer}
main{padding:16px}section,article,.note{background:#fff;border-radius:10px;padding:16px;margin:0 0 12px;box-shadow:0 1px 2px rgba(0,0,0,.06)}
ul{list-style:none;margin:0;padding:0}li{border-top:1px solid #eef0f3}li:first-child{border-top:0}
li a{display:block;padding:10px 0;color:#1f2329;text-decoration:none;overflow-wrap:anywhere}li a:hover{color:#0958d9}
.count{color:#8f959e;font-size:13px;font-weight:normal}.best{border-left:4px solid #52c41a}.tag{color:#52c41a;font-size:13px}
.answer p{margin:0 0 10px;overflow-wrap:anywhere}.answer img{max-width:100%;height:auto}.muted{color:#8f959e;font-size:13px}
.cats{display:flex;flex-wrap:wrap;gap:8px;margin:0 0 12px}.cats a{background:#fff;border-radius:14px;padding:4px 12px;color:#1f2329;text-decoration:none;font-size:14px}
.contact a{color:#0958d9}
</style></head><body>
<header><div class="wrap"><h1>{{if .Site.ChannelID}}<a href="/help/{{.Site.ChannelID}}{{.Lang.Suffix}}">{{if .Site.Title}}{{.Site.Title}} · {{end}}{{.Lang.T.Title}}</a>{{else}}{{.Lang.T.Title}}{{end}}</h1>
{{if .Site.ChannelID}}<form method="get" action="/help/{{.Site.ChannelID}}" role="search">
{{if .Lang.Chosen}}<input type="hidden" name="lang" value="{{.Lang.Tag}}">{{end}}
<input type="search" name="q" value="{{.Query}}" maxlength="200" placeholder="{{.Lang.T.SearchHint}}" aria-label="{{.Lang.T.Search}}">
<button type="submit">{{.Lang.T.Search}}</button></form>{{end}}</div></header><main class="wrap">{{end}}

{{define "foot"}}{{if .Site.ChannelID}}<p class="note contact">{{.Lang.T.Contact}} <a href="/chat/{{.Site.ChannelID}}{{.Lang.Suffix}}">{{.Lang.T.ContactUs}}</a></p>{{end}}
</main></body></html>{{end}}

{{define "answer"}}<div class="answer">{{range .}}<p>{{range $i, $line := .}}{{if $i}}<br>{{end}}{{range $line}}{{if .Image}}<img src="{{.URL}}" alt="" loading="lazy">{{else if .URL}}<a href="{{.URL}}" rel="nofollow noopener noreferrer" target="_blank">{{.Text}}</a>{{else}}{{.Text}}{{end}}{{end}}{{end}}</p>{{end}}</div>{{end}}

{{define "home"}}{{template "head" .}}
{{if .Searched}}<section aria-live="polite"><h2>{{.Lang.T.Results}}</h2>
{{if not .Hits}}<p class="muted" data-empty>{{.Lang.T.NoHits}}</p>{{end}}
{{range .Hits}}{{if .Best}}<article class="best"><div class="tag">{{$.Lang.T.BestAnswer}}</div>
<h2><a href="/help/{{$.Site.ChannelID}}/articles/{{.Article.ID}}{{$.Lang.Suffix}}">{{.Article.Question}}</a></h2>{{template "answer" .Answer}}</article>{{end}}{{end}}
{{if .Related}}<h3 class="muted">{{.Lang.T.Related}}</h3><ul>{{range .Hits}}{{if not .Best}}<li><a href="/help/{{$.Site.ChannelID}}/articles/{{.Article.ID}}{{$.Lang.Suffix}}">{{.Article.Question}}</a></li>{{end}}{{end}}</ul>{{end}}
</section>
{{else if not .Categories}}<p class="note muted" data-empty>{{.Lang.T.Empty}}</p>
{{else}}<nav class="cats" aria-label="{{.Lang.T.Categories}}">{{range $i, $c := .Categories}}<a href="#c{{$i}}">{{$c.Name}}</a>{{end}}</nav>
{{range $i, $c := .Categories}}<section id="c{{$i}}"><h2>{{$c.Name}} <span class="count">{{len $c.Articles}} {{$.Lang.T.Articles}}</span></h2><ul>
{{range $c.Articles}}<li><a href="/help/{{$.Site.ChannelID}}/articles/{{.ID}}{{$.Lang.Suffix}}">{{.Question}}</a></li>{{end}}
</ul></section>{{end}}{{end}}
{{template "foot" .}}{{end}}

{{define "article"}}{{template "head" .}}
<p><a href="/help/{{.Site.ChannelID}}{{.Lang.Suffix}}">← {{.Lang.T.Back}}</a>{{if .Article.Category}} <span class="muted">/ {{.Article.Category}}</span>{{end}}</p>
<article><h2>{{.Article.Question}}</h2>{{template "answer" .Answer}}
<p class="muted">{{.Lang.T.Updated}} {{.Article.UpdatedAt.Format "2006-01-02"}}</p></article>
{{template "foot" .}}{{end}}

{{define "error"}}{{template "head" .}}<p class="note" role="alert" data-error>{{.Error}}</p>{{template "foot" .}}{{end}}
`))
