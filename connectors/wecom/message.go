package wecom

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/kefu-hub/kefu/connectors"
	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/files"
)

// Page is one sync_msg answer.
type Page struct {
	NextCursor string    `json:"next_cursor"`
	HasMore    int       `json:"has_more"`
	MsgList    []Message `json:"msg_list"`
}

// Message is one item of sync_msg's msg_list: a customer's message
// (origin 3), an event (origin 4) or what a WeCom servicer sent (origin 5).
type Message struct {
	MsgID          string       `json:"msgid"`
	OpenKfID       string       `json:"open_kfid"`
	ExternalUserID string       `json:"external_userid"`
	SendTime       int64        `json:"send_time"`
	Origin         int          `json:"origin"`
	ServicerUserID string       `json:"servicer_userid,omitempty"`
	MsgType        string       `json:"msgtype"`
	Text           *Text        `json:"text,omitempty"`
	Image          *Media       `json:"image,omitempty"`
	Voice          *Media       `json:"voice,omitempty"`
	Video          *Media       `json:"video,omitempty"`
	File           *Media       `json:"file,omitempty"`
	Location       *Location    `json:"location,omitempty"`
	Link           *Link        `json:"link,omitempty"`
	MiniProgram    *MiniProgram `json:"miniprogram,omitempty"`
	Event          *Event       `json:"event,omitempty"`
}

// Text is a text message; MenuID is set when the customer clicked a menu
// item (the text is the item's content).
type Text struct {
	Content string `json:"content"`
	MenuID  string `json:"menu_id,omitempty"`
}

// Media is an image, voice, video or file: media/get fetches it.
type Media struct {
	MediaID string `json:"media_id"`
}

// Location is a shared position.
type Location struct {
	Latitude  float64 `json:"latitude"`
	Longitude float64 `json:"longitude"`
	Name      string  `json:"name"`
	Address   string  `json:"address"`
}

// Link is a shared link.
type Link struct {
	Title  string `json:"title"`
	Desc   string `json:"desc"`
	URL    string `json:"url"`
	PicURL string `json:"pic_url"`
}

// MiniProgram is a shared mini-program card.
type MiniProgram struct {
	AppID    string `json:"appid"`
	Title    string `json:"title"`
	PagePath string `json:"pagepath"`
}

// Event is an event's detail (origin 4).
type Event struct {
	EventType      string `json:"event_type"`
	OpenKfID       string `json:"open_kfid"`
	ExternalUserID string `json:"external_userid"`
	Scene          string `json:"scene,omitempty"`
	SceneParam     string `json:"scene_param,omitempty"`
	WelcomeCode    string `json:"welcome_code,omitempty"`
	FailMsgID      string `json:"fail_msgid,omitempty"`
	FailType       int    `json:"fail_type,omitempty"`
	ServicerUserID string `json:"servicer_userid,omitempty"`
	Status         int    `json:"status,omitempty"`
	ChangeType     int    `json:"change_type,omitempty"`
	MsgCode        string `json:"msg_code,omitempty"`
}

// Origins of a message.
const (
	OriginCustomer = 3
	OriginEvent    = 4
	OriginServicer = 5
)

// Event types the connector reads.
const (
	EventEnterSession  = "enter_session"
	EventMsgSendFail   = "msg_send_fail"
	EventServicerState = "servicer_status_change"
	EventSessionState  = "session_status_change"
)

// maxIDLen bounds the ids an item carries.
const maxIDLen = 256

// ParsePage reads a sync_msg answer (errcode already checked) and the
// items the connector needs whole.
func ParsePage(raw []byte) (*Page, error) {
	var p Page
	if err := json.Unmarshal(raw, &p); err != nil {
		return nil, malformed("sync_msg: %v", err)
	}
	if len(p.NextCursor) > maxIDLen {
		return nil, malformed("sync_msg: next_cursor is longer than %d bytes", maxIDLen)
	}
	return &p, nil
}

// item is what one sync_msg item becomes.
type item struct {
	in      hub.Inbound
	media   []connectors.PendingFile
	welcome string // an enter_session's welcome_code
	failed  string // a msg_send_fail's message: the hub's id …
	why     string // … and why WeCom did not deliver it
	ignore  bool
	note    string // why an item is not stored, for the log
}

// normalize maps one item onto the hub's inbound model; the msgid is its
// dedup key (events too: sync_msg gives them one).
func normalize(ch *hub.Channel, a *account, m *Message) item {
	switch {
	case m.MsgID == "" || len(m.MsgID) > maxIDLen:
		return item{ignore: true, note: "no msgid"}
	case m.Origin == OriginEvent && m.Event != nil:
		return normalizeEvent(ch, m)
	case m.Origin != OriginCustomer:
		return item{ignore: true, note: "a servicer's message, sent from the WeCom app"}
	case m.OpenKfID != "" && m.OpenKfID != a.OpenKfID:
		return item{ignore: true, note: "another account's message"}
	case m.ExternalUserID == "" || len(m.ExternalUserID) > maxIDLen:
		return item{ignore: true, note: "no external_userid"}
	}
	it := item{in: inbound(ch, m.MsgID, m.ExternalUserID, m.SendTime)}
	it.in.Type = "text"
	switch m.MsgType {
	case "text":
		if m.Text != nil {
			it.in.Text = m.Text.Content
		}
	case "image", "voice", "video", "file":
		it.attach(ch, m)
	case "location":
		if l := m.Location; l != nil {
			it.in.Type = "location"
			it.in.Text = strings.TrimSpace(fmt.Sprintf("[位置] %s %s (%.6f, %.6f)", l.Name, l.Address, l.Latitude, l.Longitude))
			it.in.Attachments = []hub.Attachment{{Type: "location", Name: hub.Truncate(l.Name, 200), URL: mapURL(l.Latitude, l.Longitude, l.Name)}}
		}
	case "link":
		if l := m.Link; l != nil {
			it.in.Type = "link"
			it.in.Text = strings.TrimSpace(strings.Join(nonEmpty("[链接] "+l.Title, l.Desc, l.URL), "\n"))
			if u, err := url.Parse(l.URL); err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && len(l.URL) <= 2048 {
				it.in.Attachments = []hub.Attachment{{Type: "link", Name: hub.Truncate(l.Title, 200), URL: l.URL}}
			}
		}
	case "miniprogram":
		if p := m.MiniProgram; p != nil {
			it.in.Text = strings.TrimSpace("[小程序] " + p.Title + " " + p.PagePath)
		}
	default:
		it.in.Text = "[" + hub.Truncate(m.MsgType, 32) + " 消息，请在企业微信中查看]"
	}
	if strings.TrimSpace(it.in.Text) == "" && len(it.in.Attachments) == 0 {
		it.in.Text = "[空消息]"
	}
	return it
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if strings.TrimSpace(s) != "" {
			out = append(out, s)
		}
	}
	return out
}

func inbound(ch *hub.Channel, msgID, user string, sent int64) hub.Inbound {
	in := hub.Inbound{TenantID: ch.TenantID, ChannelID: ch.ID, ExternalID: msgID,
		Contact: hub.ContactInfo{ExternalID: user, Name: "微信客户 " + tail(user)}}
	if sent > 0 {
		in.ReceivedAt = time.Unix(sent, 0).UTC()
	}
	return in
}

// Media kinds: the hub's message type, the MIME type and a file name.
var mediaKinds = map[string][3]string{
	"image": {"image", "image/jpeg", "image.jpg"},
	"voice": {"audio", "audio/amr", "voice.amr"},
	"video": {"video", "video/mp4", "video.mp4"},
	"file":  {"file", "application/octet-stream", "file"},
}

// attach adds the item's media, fetched later through media/get; the file
// id derives from the msgid, so a message pulled twice names one file.
func (it *item) attach(ch *hub.Channel, m *Message) {
	var md *Media
	switch m.MsgType {
	case "image":
		md = m.Image
	case "voice":
		md = m.Voice
	case "video":
		md = m.Video
	case "file":
		md = m.File
	}
	if md == nil || md.MediaID == "" || len(md.MediaID) > maxIDLen {
		it.in.Text = "[" + m.MsgType + "]"
		return
	}
	k := mediaKinds[m.MsgType]
	id := files.FileID(ch.ID, "wecom_kf:"+m.MsgID)
	it.media = append(it.media, connectors.PendingFile{ID: id, Source: md.MediaID, Name: k[2], ContentType: k[1]})
	it.in.Type = k[0]
	it.in.Attachments = append(it.in.Attachments, hub.Attachment{URL: files.FileURL(id), Name: k[2], Type: k[1]})
}

// normalizeEvent maps the events the hub records: a customer entering the
// chat (a contact event; its welcome_code lets the connector greet them).
// A failed send, a servicer's or a session's state change is logged only.
func normalizeEvent(ch *hub.Channel, m *Message) item {
	e := m.Event
	switch e.EventType {
	case EventEnterSession:
		if e.ExternalUserID == "" || len(e.ExternalUserID) > maxIDLen {
			return item{ignore: true, note: "enter_session without external_userid"}
		}
		it := item{in: inbound(ch, m.MsgID, e.ExternalUserID, m.SendTime)}
		it.in.Type, it.in.Event, it.in.Text = "event", hub.ContactEntered, hub.Truncate(e.Scene, 128)
		if len(e.WelcomeCode) <= maxIDLen {
			it.welcome = e.WelcomeCode
		}
		return it
	case EventMsgSendFail:
		return item{ignore: true, failed: hubMessageID(e.FailMsgID), why: "微信客服未能送达：" + failReason(e.FailType),
			note: fmt.Sprintf("WeCom could not deliver message %s: %s", hub.Truncate(e.FailMsgID, 64), failReason(e.FailType))}
	}
	return item{ignore: true, note: "event " + hub.Truncate(e.EventType, 64)}
}

// hubMessageID reads the hub's message id out of a send_msg msgid
// ("<message id>_<part>", msgID); "" when it is not one of ours.
func hubMessageID(msgid string) string {
	i := strings.LastIndexByte(msgid, '_')
	if i <= 0 || i == len(msgid)-1 || strings.Trim(msgid[i+1:], "0123456789") != "" {
		return ""
	}
	return msgid[:i]
}

// failReason is msg_send_fail's fail_type in words.
func failReason(t int) string {
	switch t {
	case 1:
		return "客服帐号已删除"
	case 2:
		return "应用已关闭"
	case 4:
		return "会话已过期，超过 48 小时"
	case 5:
		return "会话已关闭"
	case 6:
		return "超过 5 条限制"
	case 10:
		return "用户拒收"
	}
	return fmt.Sprintf("fail_type %d", t)
}

// mapURL opens a position in Tencent Maps (what WeChat users know).
func mapURL(lat, lng float64, label string) string {
	v := url.Values{"marker": {fmt.Sprintf("coord:%.6f,%.6f;title:%s", lat, lng, hub.Truncate(label, 100))}, "referer": {"kefu"}}
	return "https://apis.map.qq.com/uri/v1/marker?" + v.Encode()
}

// tail is the last 4 characters of an id, for display names (WeCom gives
// the API no nickname without another call).
func tail(id string) string {
	r := []rune(id)
	if len(r) > 4 {
		r = r[len(r)-4:]
	}
	return string(r)
}
