// Package emailtest is the e-mail channel's stand-in for a mail provider in
// tests: an in-process IMAP server (go-imap's imapmemserver, one mailbox
// with an INBOX) and an SMTP server (go-smtp) that keeps what it receives.
// Both listen on loopback without TLS, so the hub must allow private
// addresses (KEFU_ALLOW_PRIVATE_CALLBACKS).
package emailtest

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
	"github.com/emersion/go-smtp"
)

// Mailbox is the address and password of the mailbox the servers hold.
const (
	Mailbox  = "kefu@shop.test"
	Password = "imap-pass"
)

// Servers are one provider: IMAP for the mailbox, SMTP for sending.
type Servers struct {
	user     *imapmemserver.User
	IMAPAddr *net.TCPAddr
	SMTPAddr *net.TCPAddr
	mu       sync.Mutex
	received []Mail
	refuse   bool
}

// Mail is one mail the SMTP server accepted.
type Mail struct {
	From string
	To   []string
	Data string // the raw message, CRLF line ends
}

// Start runs both servers until the test ends.
func Start(t testing.TB) *Servers {
	t.Helper()
	s := &Servers{}
	mem := imapmemserver.New()
	s.user = imapmemserver.NewUser(Mailbox, Password)
	if err := s.user.Create("INBOX", nil); err != nil {
		t.Fatal(err)
	}
	mem.AddUser(s.user)
	is := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return mem.NewSession(), nil, nil
		},
		InsecureAuth: true,
		Caps:         imap.CapSet{imap.CapIMAP4rev1: {}},
	})
	il, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = is.Serve(il) }()
	t.Cleanup(func() { is.Close() })
	s.IMAPAddr = il.Addr().(*net.TCPAddr)

	ss := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &session{s: s}, nil }))
	ss.Domain = "localhost"
	ss.AllowInsecureAuth = true
	sl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = ss.Serve(sl) }()
	t.Cleanup(func() { ss.Close() })
	s.SMTPAddr = sl.Addr().(*net.TCPAddr)
	return s
}

type session struct {
	s   *Servers
	cur Mail
}

func (x *session) Mail(from string, _ *smtp.MailOptions) error { x.cur.From = from; return nil }

func (x *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	x.s.mu.Lock()
	refuse := x.s.refuse
	x.s.mu.Unlock()
	if refuse {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
	}
	x.cur.To = append(x.cur.To, to)
	return nil
}

func (x *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	x.cur.Data = string(b)
	x.s.mu.Lock()
	x.s.received = append(x.s.received, x.cur)
	x.s.mu.Unlock()
	x.cur = Mail{}
	return nil
}

func (x *session) Reset()        { x.cur = Mail{} }
func (x *session) Logout() error { return nil }

// Received lists the mails the SMTP server accepted, in order.
func (s *Servers) Received() []Mail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Mail(nil), s.received...)
}

// Refuse makes the SMTP server refuse every recipient (550) or accept them again.
func (s *Servers) Refuse(on bool) {
	s.mu.Lock()
	s.refuse = on
	s.mu.Unlock()
}

// Deliver puts a raw mail (LF or CRLF line ends) into the mailbox's INBOX.
func (s *Servers) Deliver(t testing.TB, raw string) {
	t.Helper()
	raw = strings.ReplaceAll(strings.ReplaceAll(raw, "\r\n", "\n"), "\n", "\r\n")
	if _, err := s.user.Append("INBOX", bytes.NewReader([]byte(raw)), &imap.AppendOptions{}); err != nil {
		t.Fatal(err)
	}
}

// Config is a channel config bound to the servers (no TLS).
func (s *Servers) Config() map[string]any {
	return map[string]any{
		"smtp_host": "127.0.0.1", "smtp_port": s.SMTPAddr.Port, "smtp_tls": "none",
		"from_name": "小店客服", "from_address": Mailbox,
		"imap_host": "127.0.0.1", "imap_port": s.IMAPAddr.Port, "imap_tls": "none",
		"imap_user": Mailbox, "imap_password": Password,
	}
}

// ConfigJSON is Config encoded.
func (s *Servers) ConfigJSON() json.RawMessage {
	b, _ := json.Marshal(s.Config())
	return b
}
