package app

import (
	"context"
	"crypto/hmac"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"golang.org/x/time/rate"

	"github.com/kefu-hub/kefu/connectors"
	"github.com/kefu-hub/kefu/connectors/custsock"
	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/files"
)

// messageExternal is an app message's dedup key: its client id under the
// user's contact, so no user can collide with another's.
func messageExternal(ext, clientID string) string { return "m:" + ext + ":" + clientID }

// clientIDOf is the client id an app message's external id carries.
func clientIDOf(ext string) (string, bool) {
	rest, ok := strings.CutPrefix(ext, "m:")
	if !ok {
		return "", false
	}
	i := strings.LastIndexByte(rest, ':')
	if i < 0 {
		return "", false
	}
	return rest[i+1:], true
}

// publish publishes a user's message (or left message) on the durable inbound
// path; a non-empty code refuses it with that HTTP status. It answers the
// conversation the message went to when it is known within a moment.
func (c *Connector) publish(ctx context.Context, ch *hub.Channel, u *user, r *messageReq, leave bool, ip string) (string, int, string, string) {
	if r.ClientMsgID == "" {
		r.ClientMsgID = r.ClientID
	}
	if !clientIDRe.MatchString(r.ClientMsgID) {
		return "", 400, "bad_request", "client_msg_id is required (letters, digits, - and _, at most 64)"
	}
	if !c.limits.Allow("msg:"+ch.ID+":"+u.Ext, messagesPerSecond, messageBurst) ||
		!c.limits.Allow("msgip:"+ip, 5*messagesPerSecond, 5*messageBurst) {
		return "", 429, "rate_limited", "too many messages; wait a moment"
	}
	in := hub.Inbound{TenantID: ch.TenantID, ChannelID: ch.ID, ExternalID: messageExternal(u.Ext, r.ClientMsgID),
		Contact: hub.ContactInfo{ExternalID: u.Ext}, Type: "text", ReceivedAt: c.now()}
	if leave {
		text, err := compose(r.Fields)
		if err != nil {
			return "", 400, "bad_request", err.Error()
		}
		in.Text, in.LeaveMessage = text, true
		in.Contact.Name, in.Contact.Email = hub.Bounded(r.Fields["name"], 100), hub.Bounded(r.Fields["email"], 200)
		in.Contact.Phone = hub.Bounded(r.Fields["phone"], 50)
	} else {
		in.Text = hub.Clean(r.Text)
		if len([]rune(in.Text)) > maxText {
			return "", 400, "too_long", fmt.Sprintf("messages are at most %d characters", maxText)
		}
		atts, typ, err := c.attachments(ctx, ch, u, r)
		if err != nil {
			return "", 400, "bad_request", err.Error()
		}
		in.Attachments = atts
		if typ != "" {
			in.Type = typ
		}
		if strings.TrimSpace(in.Text) == "" && len(atts) == 0 {
			return "", 400, "bad_request", "the message is empty"
		}
	}
	if err := c.deps.Publish(ctx, in); err != nil {
		c.deps.Log.Warn("app message not durable; the app retries", "channel", ch.ID, "err", err)
		return "", 503, "unavailable", "not stored; send it again with the same client_msg_id"
	}
	return c.landed(ctx, ch, u), 0, "", ""
}

// landed is the user's active conversation, waiting a moment for the inbox
// to open it when the message was the first ("" when it is not open yet).
func (c *Connector) landed(ctx context.Context, ch *hub.Channel, u *user) string {
	for i := 0; i < 20; i++ {
		conv, err := c.deps.Customers.Conversation(ctx, ch.ID, u.Ext)
		if err == nil && conv != nil && conv.Status != hub.ConvClosed {
			return conv.ID
		}
		select {
		case <-ctx.Done():
			return ""
		case <-time.After(100 * time.Millisecond):
		}
	}
	return ""
}

// compose turns the leave-a-message form into the ticket's text.
func compose(fields map[string]string) (string, error) {
	msg := strings.TrimSpace(hub.Clean(fields["message"]))
	if msg == "" {
		return "", errors.New("fields.message is required")
	}
	if len([]rune(msg)) > maxText {
		return "", fmt.Errorf("fields.message is at most %d characters", maxText)
	}
	var b strings.Builder
	b.WriteString("【留言】" + msg)
	for _, f := range []struct{ k, label string }{{"name", "姓名"}, {"phone", "电话"}, {"email", "邮箱"}} {
		if v := strings.TrimSpace(hub.Clean(fields[f.k])); v != "" {
			b.WriteString("\n" + f.label + "：" + hub.Bounded(v, 200))
		}
	}
	return b.String(), nil
}

// attachments resolves the files a message names: uploaded by this user to
// this app.
func (c *Connector) attachments(ctx context.Context, ch *hub.Channel, u *user, r *messageReq) ([]hub.Attachment, string, error) {
	if len(r.Attachments) > 5 {
		return nil, "", fmt.Errorf("at most 5 attachments")
	}
	var out []hub.Attachment
	typ := ""
	for _, a := range r.Attachments {
		f, err := c.deps.Files.Get(ctx, ch.TenantID, a.ID)
		if err != nil || f.ChannelID != ch.ID || f.CreatedBy != "app:"+u.Ext {
			return nil, "", fmt.Errorf("attachment %q: upload it first", a.ID)
		}
		out = append(out, hub.Attachment{URL: files.FileURL(f.ID), Name: f.Name, Type: f.ContentType, Size: f.Size})
		if strings.HasPrefix(f.ContentType, "image/") && typ == "" {
			typ = "image"
		} else {
			typ = "file"
		}
	}
	return out, typ, nil
}

// upload stores a file the user attaches (multipart field "file"), its
// type what the bytes are, checked against the app's allowed types.
func (c *Connector) upload(g *gin.Context, ch *hub.Channel, u *user) {
	if !c.limits.Allow("upload:"+ch.ID+":"+u.Ext, rate.Every(time.Minute/uploadsPerMinute), uploadsPerMinute) {
		fail(g, http.StatusTooManyRequests, "rate_limited", "too many uploads; wait a minute")
		return
	}
	cfg := parseConfig(ch.Config)
	name, data, ok := connectors.ReadUpload(g, cfg.Upload.MaxBytes)
	if !ok {
		return
	}
	ctype := http.DetectContentType(data)
	if !cfg.Upload.Allows(ctype) {
		fail(g, http.StatusUnsupportedMediaType, "type_not_allowed", "files of this type are not accepted: "+ctype)
		return
	}
	f := &files.File{TenantID: ch.TenantID, ChannelID: ch.ID, Name: name, ContentType: ctype, Data: data,
		CreatedBy: "app:" + u.Ext}
	if err := c.deps.Files.Save(g.Request.Context(), f); err != nil {
		fail(g, http.StatusServiceUnavailable, "unavailable", "not stored; try again")
		return
	}
	g.JSON(http.StatusCreated, gin.H{"id": f.ID, "url": FileURL(ch, f.ID), "name": f.Name, "type": f.ContentType, "size": f.Size})
}

func fileSig(ch *hub.Channel, fileID string) string {
	return base64.RawURLEncoding.EncodeToString(mac(parseSecrets(ch.Secret).Current, "file\x00"+ch.ID+"\x00"+fileID)[:15])
}

// FileURL is where the app loads a file of its user's conversation
// (relative to the hub; the signature is the key).
func FileURL(ch *hub.Channel, fileID string) string {
	return "/app/v1/" + ch.ID + "/files/" + fileID + "?s=" + fileSig(ch, fileID)
}

// file serves a file of a conversation to the app.
func (c *Connector) file(g *gin.Context) {
	ch, ok := c.channel(g)
	if !ok {
		return
	}
	id := g.Param("file_id")
	custsock.ServeFile(g, c.deps.Files, ch.TenantID, id, hmac.Equal([]byte(g.Query("s")), []byte(fileSig(ch, id))))
}
