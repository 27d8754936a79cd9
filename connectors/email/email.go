// Package email is the e-mail channel (邮件): a tenant's mailbox. Customers'
// mails are fetched by polling the mailbox over IMAP (go-imap v2); each
// becomes a left message — a ticket at once, never a live chat — and an
// answer to a ticket's mail joins that ticket (In-Reply-To/References
// against the Message-IDs kept here, else the subject's "[#tag]"). Agents'
// public replies on the channel's tickets go out over SMTP (go-mail),
// threaded; new tickets are announced by mail to the staff the tenant
// chose (Notify). Mails written by machines (auto-replies, bounces) and
// the mailbox's own are ignored, so two robots never talk in a loop.
package email

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/mail"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/kefu-hub/kefu/connectors"
	"github.com/kefu-hub/kefu/hub"
)

// Type is the channel type.
const Type = "email"

// TLSMode is how a connection to the mail server is secured.
type TLSMode string

// TLS modes: implicit TLS (SMTPS 465, IMAPS 993), STARTTLS on a plain
// port (587, 143), or none (only for a server on a trusted network).
const (
	TLSSSL      TLSMode = "ssl"
	TLSStartTLS TLSMode = "starttls"
	TLSNone     TLSMode = "none"
)

// Config is a mailbox's settings as an admin sends them. The passwords are
// kept in the channel's secret (encrypted at rest), never in the config the
// API shows; omitted on update, the stored ones stay.
type Config struct {
	SMTPHost     string  `json:"smtp_host"`
	SMTPPort     int     `json:"smtp_port"`
	SMTPTLS      TLSMode `json:"smtp_tls"`
	SMTPUser     string  `json:"smtp_user"`
	SMTPPassword string  `json:"smtp_password,omitempty"`
	FromName     string  `json:"from_name"`
	FromAddress  string  `json:"from_address"`
	// IMAPHost empty: the mailbox only sends (notifications, replies).
	IMAPHost     string  `json:"imap_host"`
	IMAPPort     int     `json:"imap_port"`
	IMAPTLS      TLSMode `json:"imap_tls"`
	IMAPUser     string  `json:"imap_user"`
	IMAPPassword string  `json:"imap_password,omitempty"`
	IMAPFolder   string  `json:"imap_folder"`
	// PollSeconds is how often the mailbox is read (30–3600, default 60).
	PollSeconds int `json:"poll_seconds"`
}

type secrets struct {
	SMTPPassword string `json:"smtp_password"`
	IMAPPassword string `json:"imap_password"`
}

// account is a channel's config with its passwords.
type account struct {
	Config
	sec secrets
}

func accountOf(ch *hub.Channel) (*account, error) {
	cfg, sec, err := connectors.Account[Config, secrets](ch)
	if err != nil {
		return nil, fmt.Errorf("e-mail channel %s config: %w", ch.ID, err)
	}
	return &account{Config: cfg, sec: sec}, nil
}

// Domain is the mailbox's domain: the right side of the Message-IDs it sends.
func (a *account) Domain() string {
	if i := strings.LastIndex(a.FromAddress, "@"); i >= 0 {
		return a.FromAddress[i+1:]
	}
	return "kefu.invalid"
}

// Poll is how often the mailbox is read.
func (a *account) Poll() time.Duration { return time.Duration(a.PollSeconds) * time.Second }

// Connector is the e-mail channel.
type Connector struct {
	d     connectors.Deps
	log   *slog.Logger
	owner string // this process, as the holder of a mailbox's polling lease
	// Tick is how often Run looks for mailboxes due for polling.
	Tick time.Duration
	// DialTimeout bounds connecting to a mail server.
	DialTimeout time.Duration
}

// New returns the connector.
func New(d connectors.Deps) *Connector {
	log := d.Log
	if log == nil {
		log = slog.Default()
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	return &Connector{d: d, log: log.With("connector", Type), owner: hub.NewID("poller"), Tick: 10 * time.Second,
		DialTimeout: 15 * time.Second}
}

// Kind describes the channel type to the hub.
var Kind = connectors.Kind{Type: Type, New: func(d connectors.Deps) connectors.Connector { return New(d) }}

// Type is the channel type name.
func (c *Connector) Type() string { return Type }

// Routes registers nothing: mail is fetched, never pushed.
func (c *Connector) Routes(gin.IRoutes) {}

// Setup validates an admin's mailbox settings and keeps the passwords
// apart (an omitted password keeps the stored one).
func (c *Connector) Setup(ch *hub.Channel, raw json.RawMessage, _ bool) error {
	if len(raw) == 0 || string(raw) == "null" {
		return hub.Invalid("config is required: smtp_host, from_address (and imap_host to receive mail)")
	}
	var cfg Config
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return hub.Invalid("config: %v", err)
	}
	prev, _ := connectors.Secrets[secrets](ch.Secret)
	sec := secrets{SMTPPassword: cfg.SMTPPassword, IMAPPassword: cfg.IMAPPassword}
	if sec.SMTPPassword == "" {
		sec.SMTPPassword = prev.SMTPPassword
	}
	if sec.IMAPPassword == "" {
		sec.IMAPPassword = prev.IMAPPassword
	}
	if err := cfg.normalize(); err != nil {
		return err
	}
	cfg.SMTPPassword, cfg.IMAPPassword = "", ""
	ch.Config, _ = json.Marshal(cfg)
	b, _ := json.Marshal(sec)
	ch.Secret = string(b)
	ch.WantsEvents = false
	return nil
}

// normalize checks the settings and fills in the defaults.
func (cfg *Config) normalize() error {
	cfg.SMTPHost, cfg.IMAPHost = strings.TrimSpace(cfg.SMTPHost), strings.TrimSpace(cfg.IMAPHost)
	cfg.SMTPUser, cfg.IMAPUser = strings.TrimSpace(cfg.SMTPUser), strings.TrimSpace(cfg.IMAPUser)
	cfg.FromName = oneLine(hub.Clean(cfg.FromName))
	if err := checkHost("smtp_host", cfg.SMTPHost); err != nil {
		return err
	}
	var err error
	if cfg.SMTPTLS, cfg.SMTPPort, err = checkTLS("smtp", cfg.SMTPTLS, cfg.SMTPPort, 465, 587, 25); err != nil {
		return err
	}
	addr, aerr := mail.ParseAddress(strings.TrimSpace(cfg.FromAddress))
	if aerr != nil || addr.Address != strings.TrimSpace(cfg.FromAddress) {
		return hub.Invalid("from_address must be an e-mail address (发件地址), like support@example.com")
	}
	cfg.FromAddress = strings.ToLower(addr.Address)
	if len(cfg.FromName) > 100 {
		return hub.Invalid("from_name is longer than 100 characters")
	}
	if cfg.IMAPHost == "" {
		cfg.IMAPPort, cfg.IMAPTLS, cfg.IMAPUser, cfg.IMAPFolder, cfg.PollSeconds = 0, "", "", "", 0
		return nil
	}
	if err := checkHost("imap_host", cfg.IMAPHost); err != nil {
		return err
	}
	if cfg.IMAPTLS, cfg.IMAPPort, err = checkTLS("imap", cfg.IMAPTLS, cfg.IMAPPort, 993, 143, 143); err != nil {
		return err
	}
	if cfg.IMAPUser == "" {
		cfg.IMAPUser = cfg.FromAddress
	}
	cfg.IMAPFolder = strings.TrimSpace(cfg.IMAPFolder)
	if cfg.IMAPFolder == "" {
		cfg.IMAPFolder = "INBOX"
	}
	switch {
	case cfg.PollSeconds == 0:
		cfg.PollSeconds = 60
	case cfg.PollSeconds < 30 || cfg.PollSeconds > 3600:
		return hub.Invalid("poll_seconds must be between 30 and 3600")
	}
	return nil
}

func checkHost(field, h string) error {
	if h == "" || len(h) > 253 || strings.ContainsAny(h, "/:@ \t") {
		return hub.Invalid("%s must be the mail server's host name, like smtp.example.com (no scheme or port)", field)
	}
	return nil
}

// checkTLS validates a TLS mode and port, defaulting the port by mode.
func checkTLS(proto string, mode TLSMode, port, ssl, starttls, none int) (TLSMode, int, error) {
	if mode == "" {
		mode = TLSSSL
	}
	def := map[TLSMode]int{TLSSSL: ssl, TLSStartTLS: starttls, TLSNone: none}[mode]
	if def == 0 {
		return "", 0, hub.Invalid("%s_tls must be ssl, starttls or none", proto)
	}
	if port == 0 {
		port = def
	}
	if port < 1 || port > 65535 {
		return "", 0, hub.Invalid("%s_port must be between 1 and 65535", proto)
	}
	return mode, port, nil
}

// Info is what the console shows of a bound mailbox.
func (c *Connector) Info(ch *hub.Channel) map[string]any {
	a, err := accountOf(ch)
	if err != nil {
		return map[string]any{"error": "the channel's config cannot be read; save it again"}
	}
	return map[string]any{
		"smtp_password_set": a.sec.SMTPPassword != "",
		"imap_password_set": a.sec.IMAPPassword != "",
		"receives":          a.IMAPHost != "",
		"instructions": "客户发到 " + a.FromAddress + " 的邮件会自动成为工单；客服在工单中的公开回复将以邮件发给客户（同一邮件会话）。" +
			"新工单的邮件提醒发给「邮件通知人」。自动回复、退信和本邮箱自己发出的邮件不会生成工单。",
	}
}

// connectorsDialer is the guarded dialer for a mail server.
func connectorsDialer(c *Connector, _ string) *net.Dialer {
	return connectors.NewDialer(c.d.AllowPrivate, c.DialTimeout)
}
