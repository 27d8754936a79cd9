package email

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"github.com/emersion/go-message"
	_ "github.com/emersion/go-message/charset" // GBK, GB2312, GB18030, Big5 … bodies and RFC 2047 words
	"github.com/emersion/go-message/mail"
	"golang.org/x/net/html"

	"github.com/kefu-hub/kefu/hub"
)

// Limits bound what one mail may bring in.
const (
	// MaxMailSize is the largest mail the poller fetches (RFC822.SIZE);
	// larger ones are skipped with a log line.
	MaxMailSize = 25 << 20
	// MaxTextBytes bounds the text kept of a mail's body.
	MaxTextBytes = 20000
	// MaxAttachments is how many attachments of one mail are kept.
	MaxAttachments = 10
	// MaxAttachmentSize is the largest attachment kept (the files store's limit).
	MaxAttachmentSize = 10 << 20
)

// Mail is a customer's e-mail as the hub reads it: decoded to UTF-8, its
// text preferred from text/plain (else the HTML part stripped to inert
// text), its attachments apart.
type Mail struct {
	MessageID  string // without angle brackets; derived from the content when the mail has none
	InReplyTo  []string
	References []string
	FromName   string
	From       string // the sender's address, lower case
	Subject    string
	Date       time.Time
	Text       string
	// Skipped names attachments not kept (too many, too large).
	Skipped     []string
	Attachments []Part
	// auto is why the mail was sent by a machine ("" for a person): see Automatic.
	auto string
}

// Part is an attachment.
type Part struct {
	Name, ContentType string
	Data              []byte
}

// Parse reads one raw RFC 5322 message. It fails only when the message has
// no readable header; a body part it cannot read is left out.
func Parse(r io.Reader) (*Mail, error) {
	raw, err := io.ReadAll(io.LimitReader(r, MaxMailSize+1))
	if err != nil {
		return nil, fmt.Errorf("read mail: %w", err)
	}
	mr, err := mail.CreateReader(bytes.NewReader(raw))
	if err != nil && !message.IsUnknownCharset(err) {
		return nil, fmt.Errorf("parse mail header: %w", err)
	}
	h := mr.Header
	m := &Mail{}
	m.MessageID, _ = h.MessageID()
	m.MessageID = cleanID(m.MessageID)
	if m.MessageID == "" {
		sum := sha256.Sum256(raw)
		m.MessageID = hex.EncodeToString(sum[:16]) + "@no-message-id.invalid"
	}
	m.InReplyTo = cleanIDs(h.MsgIDList("In-Reply-To"))
	m.References = cleanIDs(h.MsgIDList("References"))
	if from, err := h.AddressList("From"); err == nil && len(from) > 0 {
		m.FromName, m.From = hub.Clean(from[0].Name), strings.ToLower(strings.TrimSpace(from[0].Address))
	}
	if s, err := h.Subject(); err == nil || message.IsUnknownCharset(err) {
		m.Subject = oneLine(hub.Clean(s))
	}
	m.Date, _ = h.Date()
	m.auto = automatic(h)
	var plain, htm string
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil && !message.IsUnknownCharset(err) {
			break // a broken part ends the walk; what was read is kept
		}
		m.take(p, &plain, &htm)
	}
	text := plain
	if strings.TrimSpace(text) == "" {
		text = StripHTML(htm)
	}
	m.Text = truncateBytes(strings.TrimSpace(hub.Clean(normalizeNewlines(text))), MaxTextBytes)
	return m, nil
}

// take reads one leaf part: the first text/plain and text/html bodies are
// the text; anything else with a body is an attachment.
func (m *Mail) take(p *mail.Part, plain, htm *string) {
	var ct, disp, name string
	switch ph := p.Header.(type) {
	case *mail.InlineHeader:
		ct, _, _ = ph.ContentType()
		disp, _, _ = ph.ContentDisposition()
		_, params, _ := ph.ContentType()
		name = params["name"]
	case *mail.AttachmentHeader:
		ct, _, _ = ph.ContentType()
		disp = "attachment"
		name, _ = ph.Filename()
	}
	if disp != "attachment" && (ct == "text/plain" || ct == "") && *plain == "" {
		*plain = readText(p.Body)
		return
	}
	if disp != "attachment" && ct == "text/html" && *htm == "" {
		*htm = readText(p.Body)
		return
	}
	if strings.HasPrefix(ct, "text/") && disp != "attachment" {
		return // a second body (another alternative): not an attachment
	}
	name = oneLine(hub.Clean(name))
	if name == "" {
		name = "attachment"
	}
	if len(m.Attachments) >= MaxAttachments {
		m.Skipped = append(m.Skipped, name)
		return
	}
	data, err := io.ReadAll(io.LimitReader(p.Body, MaxAttachmentSize+1))
	if err != nil || len(data) == 0 {
		return
	}
	if len(data) > MaxAttachmentSize {
		m.Skipped = append(m.Skipped, name)
		return
	}
	m.Attachments = append(m.Attachments, Part{Name: name, ContentType: ct, Data: data})
}

func readText(r io.Reader) string {
	b, _ := io.ReadAll(io.LimitReader(r, 4*MaxTextBytes))
	return string(b)
}

// automatic reports why a mail's header marks it as sent by a machine: an
// auto-reply or bounce must never open a ticket (or get an answer: loops).
func automatic(h mail.Header) string {
	if v := strings.ToLower(strings.TrimSpace(h.Get("Auto-Submitted"))); v != "" && v != "no" {
		return "Auto-Submitted: " + v
	}
	switch v := strings.ToLower(strings.TrimSpace(h.Get("Precedence"))); v {
	case "bulk", "junk", "list", "auto_reply":
		return "Precedence: " + v
	}
	for _, k := range []string{"X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress-Reply"} {
		if h.Get(k) != "" {
			return k
		}
	}
	if ct, params, _ := h.ContentType(); ct == "multipart/report" {
		return "a delivery report (" + params["report-type"] + ")"
	}
	return ""
}

// Automatic reports why the mail must be ignored ("" when a person wrote
// it): sent by a machine (Auto-Submitted, Precedence bulk/junk/list,
// X-Autoreply/X-Autorespond, a delivery report), from a mailer daemon or
// postmaster, without a sender, or from the mailbox's own addresses.
func (m *Mail) Automatic(own ...string) string {
	if m.auto != "" {
		return m.auto
	}
	if m.From == "" || !strings.Contains(m.From, "@") {
		return "no sender address"
	}
	local := m.From[:strings.LastIndex(m.From, "@")]
	switch local {
	case "mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon":
		return "sent by " + local
	}
	for _, o := range own {
		if o != "" && strings.EqualFold(strings.TrimSpace(o), m.From) {
			return "sent by this mailbox itself"
		}
	}
	return ""
}

// Thread lists the Message-IDs the mail answers, nearest first.
func (m *Mail) Thread() []string {
	out := append([]string(nil), m.InReplyTo...)
	for i := len(m.References) - 1; i >= 0; i-- {
		out = append(out, m.References[i])
	}
	return out
}

var tagPattern = regexp.MustCompile(`\[#([a-z2-7]{8})\]`)

// Tag is the ticket tag the subject carries ("" when none).
func (m *Mail) Tag() string {
	if t := tagPattern.FindStringSubmatch(m.Subject); t != nil {
		return t[1]
	}
	return ""
}

// quoteStart matches the line mail programs put before the quoted mail an
// answer carries.
var quoteStart = regexp.MustCompile(`(?i)^(on .{1,200} wrote:|在 ?.{1,200}写道[：:]|-{2,} ?(original message|原始邮件|回复的原邮件) ?-{2,}|from: .{1,200}|发件人[：:].{0,200})$`)

// Reply is the new text of an answer: the quoted earlier mail is cut
// (from the "… wrote:" line, or lines starting with ">"). When nothing
// would be left, the whole text is kept.
func Reply(text string) string {
	lines := strings.Split(text, "\n")
	var out []string
	for _, l := range lines {
		t := strings.TrimSpace(l)
		if quoteStart.MatchString(t) {
			break
		}
		if strings.HasPrefix(t, ">") {
			continue
		}
		out = append(out, l)
	}
	r := strings.TrimSpace(strings.Join(out, "\n"))
	if r == "" {
		return text
	}
	return r
}

// StripHTML turns an HTML body into plain text: the text of the document
// without scripts and styles, blocks on their own lines. The result is
// inert text (it is stored and shown as text, never as markup).
func StripHTML(s string) string {
	if s == "" {
		return ""
	}
	z := html.NewTokenizer(strings.NewReader(s))
	var b strings.Builder
	skip := 0
	for {
		switch z.Next() {
		case html.ErrorToken:
			return collapseBlank(b.String())
		case html.StartTagToken, html.SelfClosingTagToken:
			name, _ := z.TagName()
			switch string(name) {
			case "script", "style", "head", "title":
				if t := z.Token(); t.Type == html.StartTagToken {
					skip++
				}
			case "br", "p", "div", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "table":
				b.WriteByte('\n')
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			switch string(name) {
			case "script", "style", "head", "title":
				if skip > 0 {
					skip--
				}
			case "p", "div", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "table":
				b.WriteByte('\n')
			}
		case html.TextToken:
			if skip == 0 {
				b.Write(z.Text())
			}
		}
	}
}

var blankLines = regexp.MustCompile(`\n[ \t\p{Zs}]*(\n[ \t\p{Zs}]*)+\n`)

func collapseBlank(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(strings.Join(strings.Fields(l), " "), " ")
	}
	return strings.TrimSpace(blankLines.ReplaceAllString(strings.Join(lines, "\n"), "\n\n"))
}

func normalizeNewlines(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// truncateBytes cuts s to at most n bytes on a character boundary.
func truncateBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }

// cleanID keeps a Message-ID storable: no brackets or spaces, bounded (a
// longer one is replaced by its hash, still stable).
func cleanID(id string) string {
	id = strings.Trim(strings.TrimSpace(hub.Clean(id)), "<>")
	id = strings.Join(strings.Fields(id), "")
	if len(id) > 250 {
		sum := sha256.Sum256([]byte(id))
		id = hex.EncodeToString(sum[:16]) + "@long-message-id.invalid"
	}
	return id
}

func cleanIDs(ids []string, err error) []string {
	if err != nil && !errors.Is(err, io.EOF) && len(ids) == 0 {
		return nil
	}
	out := []string{}
	for _, id := range ids {
		if id = cleanID(id); id != "" {
			out = append(out, id)
		}
	}
	if len(out) > 20 { // the nearest ones
		out = out[len(out)-20:]
	}
	return out
}
