package qq

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"mime"
	"net/url"
	"path"
	"strings"

	"github.com/kefu-hub/kefu/connectors"
	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/files"
)

// Group members are contacts of their own: "group:<group_openid>:<member_openid>".
//
// A group @-mention becomes a conversation per group and member, not one
// per group: each member who asks the bot something is a customer with
// their own question, routed, answered, ticketed and counted on their own;
// a shared group conversation would mix strangers' orders in one thread
// and let one member's message reset another's reply window. The reply
// still goes to the group (the platform quotes the member's message).
const groupPrefix = "group:"

// GroupContact is the contact id of a group member.
func GroupContact(groupOpenID, memberOpenID string) string {
	return groupPrefix + groupOpenID + ":" + memberOpenID
}

// splitGroup reads a group member's contact id.
func splitGroup(contactID string) (group, member string, ok bool) {
	rest, ok := strings.CutPrefix(contactID, groupPrefix)
	if !ok {
		return "", "", false
	}
	group, member, ok = strings.Cut(rest, ":")
	return group, member, ok && group != "" && member != ""
}

// pushed is what a verified dispatch becomes.
type pushed struct {
	in     hub.Inbound
	media  []connectors.PendingFile
	ignore bool // nothing to store (an event this hub does not use)
}

// normalize maps a dispatch onto the hub's inbound model. Messages dedup
// by their msg_id (d.id), events by the event id.
func normalize(ch *hub.Channel, p *Payload) (pushed, error) {
	switch p.T {
	case EventC2CMessage, EventGroupAtMessage:
		m, err := p.Message()
		if err != nil {
			return pushed{}, err
		}
		return normalizeMessage(ch, p.T, m), nil
	case EventFriendAdd, EventFriendDel, EventC2CReject, EventC2CReceive:
		e, err := p.UserEvent()
		if err != nil {
			return pushed{}, err
		}
		return normalizeEvent(ch, p, e), nil
	}
	return pushed{ignore: true}, nil
}

func normalizeMessage(ch *hub.Channel, typ string, m *Message) pushed {
	in := hub.Inbound{TenantID: ch.TenantID, ChannelID: ch.ID, ExternalID: m.ID, Type: "text", Text: m.Content,
		Contact: hub.ContactInfo{ExternalID: m.Author.UserOpenID, Name: "QQ用户 " + tail(m.Author.UserOpenID)}}
	if typ == EventGroupAtMessage {
		in.Contact = hub.ContactInfo{ExternalID: GroupContact(m.GroupOpenID, m.Author.MemberOpenID),
			Name: "QQ群 " + tail(m.GroupOpenID) + " 成员 " + tail(m.Author.MemberOpenID)}
	}
	p := pushed{in: in}
	for i, a := range m.Attachments {
		p.attach(ch, i, a)
	}
	if p.in.Text == "" && len(p.in.Attachments) == 0 {
		p.in.Text = "[空消息]"
	}
	return p
}

// attach adds an attachment whose file is fetched from the platform's URL;
// the file id derives from the msg_id, so a retried dispatch names the
// same file.
func (p *pushed) attach(ch *hub.Channel, i int, a Attachment) {
	u := a.URL
	if !strings.Contains(u, "://") {
		u = "https://" + strings.TrimPrefix(u, "//") // the platform often omits the scheme
	}
	if pu, err := url.Parse(u); err != nil || (pu.Scheme != "https" && pu.Scheme != "http") || pu.Host == "" || len(u) > 4096 {
		return
	}
	ctype, kind := mediaKind(a.ContentType)
	name := path.Base(strings.TrimSpace(a.Filename))
	if name == "." || name == "/" || name == "" {
		name = kind + extFor(ctype)
	}
	id := files.FileID(ch.ID, fmt.Sprintf("qq:%s:%d", p.in.ExternalID, i))
	p.media = append(p.media, connectors.PendingFile{ID: id, Source: u, Name: name, ContentType: ctype})
	p.in.Attachments = append(p.in.Attachments, hub.Attachment{URL: files.FileURL(id), Name: name, Type: ctype})
	if len(p.in.Attachments) == 1 {
		p.in.Type = kind
	}
}

// mediaKind reads the platform's content_type ("image/jpeg", "voice",
// "video/mp4", "file") as a MIME type and the hub's message type.
func mediaKind(ct string) (ctype, kind string) {
	mt, _, err := mime.ParseMediaType(strings.ToLower(strings.TrimSpace(ct)))
	switch {
	case err == nil && strings.HasPrefix(mt, "image/"):
		return mt, "image"
	case mt == "voice" || (err == nil && strings.HasPrefix(mt, "audio/")):
		if mt == "voice" {
			mt = "audio/silk" // QQ voice is SILK
		}
		return mt, "audio"
	case mt == "video" || (err == nil && strings.HasPrefix(mt, "video/")):
		if mt == "video" {
			mt = "video/mp4"
		}
		return mt, "video"
	}
	return "application/octet-stream", "file"
}

func extFor(ctype string) string {
	switch ctype {
	case "image/jpeg":
		return ".jpg"
	case "image/png":
		return ".png"
	case "image/gif":
		return ".gif"
	case "audio/silk":
		return ".silk"
	case "video/mp4":
		return ".mp4"
	}
	return ""
}

func normalizeEvent(ch *hub.Channel, p *Payload, e *UserEvent) pushed {
	in := hub.Inbound{TenantID: ch.TenantID, ChannelID: ch.ID, Type: "event",
		Contact: hub.ContactInfo{ExternalID: e.OpenID, Name: "QQ用户 " + tail(e.OpenID)}}
	in.ExternalID = "ev:" + p.ID
	if p.ID == "" {
		sum := sha256.Sum256(append([]byte(p.T+"\x00"+e.OpenID+"\x00"), e.Timestamp...))
		in.ExternalID = "ev:" + hex.EncodeToString(sum[:16])
	}
	switch p.T {
	case EventFriendAdd:
		in.Event = hub.ContactSubscribed
	case EventFriendDel:
		in.Event = hub.ContactUnsubscribed
	case EventC2CReject:
		in.Event = hub.ContactMuted
	case EventC2CReceive:
		in.Event = hub.ContactUnmuted
	}
	return pushed{in: in}
}

// tail is the last 4 characters of an openid, for display names (QQ gives
// bots no nicknames).
func tail(id string) string {
	r := []rune(id)
	if len(r) > 4 {
		r = r[len(r)-4:]
	}
	return string(r)
}
