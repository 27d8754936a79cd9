package email

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/gin-gonic/gin"

	"github.com/kefu-hub/kefu/connectors"
	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/identity"
)

// AgentRoutes serves the mailbox's admin API under /api/v1: the tenant's
// notification recipients, a connection test of mailbox settings (before
// or after saving them), each mailbox's polling state and a poll on demand.
func (c *Connector) AgentRoutes(r gin.IRouter, kit connectors.AgentKit) {
	h := adminAPI{c: c, kit: kit}
	r.GET("/email/recipients", h.admin(h.recipients))
	r.PUT("/email/recipients", h.admin(h.setRecipients))
	r.POST("/email/test", h.admin(h.test))
	r.GET("/email/mailboxes/:channel_id", h.admin(h.mailbox))
	r.POST("/email/mailboxes/:channel_id/poll", h.admin(h.poll))
}

type adminAPI struct {
	c   *Connector
	kit connectors.AgentKit
}

// admin lets only the tenant's admins through.
func (h adminAPI) admin(f gin.HandlerFunc) gin.HandlerFunc {
	return func(g *gin.Context) {
		if connectors.AgentOf(g).Role != hub.RoleAdmin {
			h.kit.Respond(g, 0, nil, fmt.Errorf("mailbox settings are for admins: %w", hub.ErrForbidden))
			return
		}
		f(g)
	}
}

func (h adminAPI) recipients(g *gin.Context) {
	rs, err := Recipients(g.Request.Context(), h.c.d.Store, connectors.AgentOf(g).TenantID)
	h.kit.Respond(g, http.StatusOK, gin.H{"recipients": rs}, err)
}

func (h adminAPI) setRecipients(g *gin.Context) {
	var body struct {
		Recipients []Recipient `json:"recipients"`
	}
	if !h.kit.Bind(g, &body) {
		return
	}
	ctx := g.Request.Context()
	email := func(ctx context.Context, tenantID, id string) (string, error) {
		return identity.EmailOf(ctx, h.c.d.Store, tenantID, id)
	}
	rs, err := SetRecipients(ctx, h.c.d.Store, connectors.AgentOf(g).TenantID, body.Recipients, email)
	h.kit.Respond(g, http.StatusOK, gin.H{"recipients": rs}, err)
}

// channel is one of the tenant's e-mail channels (404 otherwise).
func (h adminAPI) channel(ctx context.Context, tenantID, id string) (*hub.Channel, error) {
	ch, err := h.c.d.Channel(ctx, id)
	if err != nil {
		return nil, err
	}
	if ch.TenantID != tenantID || ch.Type != Type {
		return nil, fmt.Errorf("e-mail channel %s: %w", id, hub.ErrNotFound)
	}
	return ch, nil
}

// Mailbox is a mailbox's polling state.
type Mailbox struct {
	ChannelID    string     `db:"channel_id" json:"channel_id"`
	UIDValidity  int64      `db:"uid_validity" json:"uid_validity"`
	LastUID      int64      `db:"last_uid" json:"last_uid"`
	LastPolledAt *time.Time `db:"last_polled_at" json:"last_polled_at"`
	NextPollAt   *time.Time `db:"next_poll_at" json:"next_poll_at"`
	LastError    string     `db:"last_error" json:"last_error"`
}

func (h adminAPI) mailbox(g *gin.Context) {
	ctx, a := g.Request.Context(), connectors.AgentOf(g)
	ch, err := h.channel(ctx, a.TenantID, g.Param("channel_id"))
	if err != nil {
		h.kit.Respond(g, 0, nil, err)
		return
	}
	var ms []Mailbox
	q := `SELECT channel_id, uid_validity, last_uid, last_polled_at, next_poll_at, last_error FROM email_mailboxes WHERE channel_id = ?`
	err = h.c.d.Store.Select(ctx, &ms, q, ch.ID)
	m := Mailbox{ChannelID: ch.ID}
	if len(ms) == 1 {
		m = ms[0]
	}
	h.kit.Respond(g, http.StatusOK, m, err)
}

// poll reads the mailbox now (202 with what it took).
func (h adminAPI) poll(g *gin.Context) {
	ctx, a := g.Request.Context(), connectors.AgentOf(g)
	ch, err := h.channel(ctx, a.TenantID, g.Param("channel_id"))
	if err != nil {
		h.kit.Respond(g, 0, nil, err)
		return
	}
	res, err := h.c.Poll(ctx, ch, true)
	if err != nil {
		h.kit.Respond(g, http.StatusOK, gin.H{"result": res, "error": Explain(err)}, nil)
		return
	}
	h.kit.Respond(g, http.StatusOK, gin.H{"result": res}, nil)
}

// Check is the outcome of testing one server.
type Check struct {
	OK bool `json:"ok"`
	// Skipped: the settings name no such server (no IMAP: send only).
	Skipped bool `json:"skipped,omitempty"`
	// Error says what failed, in Chinese, with what to check.
	Error  string `json:"error,omitempty"`
	Detail string `json:"detail,omitempty"`
}

// test connects to the SMTP and IMAP servers of the settings sent (the
// stored passwords of channel_id fill in omitted ones) and logs in, sending
// nothing.
func (h adminAPI) test(g *gin.Context) {
	var body struct {
		ChannelID string          `json:"channel_id"`
		Config    json.RawMessage `json:"config"`
	}
	if !h.kit.Bind(g, &body) {
		return
	}
	ctx, a := g.Request.Context(), connectors.AgentOf(g)
	ch := &hub.Channel{TenantID: a.TenantID, Type: Type}
	if body.ChannelID != "" {
		prev, err := h.channel(ctx, a.TenantID, body.ChannelID)
		if err != nil {
			h.kit.Respond(g, 0, nil, err)
			return
		}
		ch.Secret = prev.Secret
		if len(body.Config) == 0 {
			body.Config = prev.Config
		}
	}
	if err := h.c.Setup(ch, body.Config, false); err != nil {
		h.kit.Respond(g, 0, nil, err)
		return
	}
	acc, err := accountOf(ch)
	if err != nil {
		h.kit.Respond(g, 0, nil, err)
		return
	}
	tctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	h.kit.Respond(g, http.StatusOK, gin.H{"smtp": h.c.TestSMTP(tctx, acc), "imap": h.c.TestIMAP(tctx, acc)}, nil)
}

// TestSMTP connects and logs in to the mailbox's SMTP server.
func (c *Connector) TestSMTP(ctx context.Context, a *account) Check {
	cl, err := c.client(a)
	if err == nil {
		if err = cl.DialWithContext(ctx); err == nil {
			_ = cl.Close()
		}
	}
	return checkOf(err, a.SMTPHost, a.SMTPPort)
}

// TestIMAP connects, logs in and opens the folder.
func (c *Connector) TestIMAP(ctx context.Context, a *account) Check {
	if a.IMAPHost == "" {
		return Check{Skipped: true}
	}
	cl, err := c.dialIMAP(ctx, a)
	if err == nil {
		_, err = cl.Select(a.IMAPFolder, &imap.SelectOptions{ReadOnly: true}).Wait()
		if err != nil {
			err = fmt.Errorf("%w %q: %w", errFolder, a.IMAPFolder, err)
		}
		cl.Close()
	}
	return checkOf(err, a.IMAPHost, a.IMAPPort)
}

func checkOf(err error, host string, port int) Check {
	if err == nil {
		return Check{OK: true}
	}
	return Check{Error: explainAt(err, host, port), Detail: err.Error()}
}

var (
	errLogin  = errors.New("login refused")
	errFolder = errors.New("cannot open folder")
)

// Explain says in Chinese what a mail server error means for the admin.
func Explain(err error) string { return explainAt(err, "", 0) }

func explainAt(err error, host string, port int) string {
	at := host
	if port != 0 {
		at = fmt.Sprintf("%s:%d", host, port)
	}
	var dns *net.DNSError
	var cert x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var rec tls.RecordHeaderError
	var ne net.Error
	msg := strings.ToLower(err.Error())
	switch {
	case errors.Is(err, connectors.ErrPrivateAddress):
		return "服务器 " + at + " 是内网或本机地址，出于安全原因不允许连接（运维可设置 KEFU_ALLOW_PRIVATE_CALLBACKS 放行）"
	case errors.As(err, &dns):
		return "找不到服务器 " + host + "，请检查主机名"
	case errors.As(err, &cert), errors.As(err, &hostErr), strings.Contains(msg, "certificate"):
		return "服务器 " + at + " 的证书无效或与主机名不符"
	case errors.As(err, &rec), strings.Contains(msg, "tls"), strings.Contains(msg, "handshake"):
		return "与 " + at + " 的加密握手失败：请确认加密方式（SSL / STARTTLS / 不加密）与端口相符（SSL 常用 465/993，STARTTLS 常用 587/143）"
	case errors.Is(err, errFolder):
		return "已登录，但打不开邮件文件夹，请检查文件夹名称（通常为 INBOX）"
	case errors.Is(err, errLogin), strings.Contains(msg, "535"), strings.Contains(msg, "auth"):
		return "登录被拒绝：用户名或密码错误。QQ 邮箱、163 邮箱等需要在邮箱设置中开启 SMTP/IMAP 并使用「授权码」代替登录密码"
	case errors.As(err, &ne) && ne.Timeout():
		return "连接 " + at + " 超时：请检查主机、端口和防火墙"
	case strings.Contains(msg, "connection refused"):
		return "服务器 " + at + " 拒绝连接：请检查端口"
	}
	return "连接邮件服务器 " + at + " 失败：" + err.Error()
}
