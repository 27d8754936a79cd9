package wechat

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/silenceper/wechat/v2/officialaccount/message"

	"github.com/kefu-hub/kefu/connectors"
	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/files"
)

// pushed is what a verified push becomes.
type pushed struct {
	in     hub.Inbound
	media  []connectors.PendingFile // temporary media: WeChat keeps it 3 days
	ignore bool                     // nothing to store (a VIEW click, a location report …)
}

// normalize maps a WeChat message or event onto the hub's inbound model.
// Messages dedup by MsgId; events (no MsgId) by sender, time and event.
func normalize(ch *hub.Channel, cfg *Config, m *message.MixMessage) pushed {
	openid := string(m.FromUserName)
	in := hub.Inbound{TenantID: ch.TenantID, ChannelID: ch.ID, Contact: hub.ContactInfo{ExternalID: openid, Name: displayName(openid)}}
	if m.MsgType == message.MsgTypeEvent {
		return normalizeEvent(cfg, m, in)
	}
	in.ExternalID = strconv.FormatInt(m.MsgID, 10)
	if m.MsgID == 0 {
		in.ExternalID = eventKey(m)
	}
	p := pushed{in: in}
	switch m.MsgType {
	case message.MsgTypeText:
		p.in.Type, p.in.Text = "text", m.Content
	case message.MsgTypeImage:
		p.in.Type = "image"
		p.attach(ch, m.MediaID, "image.jpg", "image/jpeg")
	case message.MsgTypeVoice:
		format := strings.ToLower(strings.TrimSpace(m.Format))
		if format == "" || strings.ContainsAny(format, "/;\" ") {
			format = "amr"
		}
		p.in.Type, p.in.Text = "audio", m.Recognition // WeChat's speech recognition, when enabled
		p.attach(ch, m.MediaID, "voice."+format, "audio/"+format)
	case message.MsgTypeVideo, message.MsgTypeShortVideo:
		p.in.Type = "video"
		p.attach(ch, m.MediaID, "video.mp4", "video/mp4")
	case message.MsgTypeLocation:
		p.in.Type = "location"
		p.in.Text = fmt.Sprintf("[位置] %s (%.6f, %.6f)", m.Label, m.LocationX, m.LocationY)
		p.in.Attachments = []hub.Attachment{{Type: "location", Name: m.Label, URL: mapURL(m.LocationX, m.LocationY, m.Label)}}
	case message.MsgTypeLink:
		p.in.Type = "link"
		p.in.Text = strings.TrimSpace(strings.Join([]string{m.Title, m.Description, m.URL}, "\n"))
		if u, err := url.Parse(m.URL); err == nil && (u.Scheme == "http" || u.Scheme == "https") && len(m.URL) <= 2048 {
			p.in.Attachments = []hub.Attachment{{Type: "link", Name: m.Title, URL: m.URL}}
		}
	default:
		// A kind this hub does not render (a mini-program card …): keep
		// that it arrived, so the customer is not ignored.
		p.in.Type, p.in.Text = "text", fmt.Sprintf("[暂不支持的消息类型: %s]", m.MsgType)
	}
	return p
}

// attach adds the message's media as an attachment whose file is fetched
// from WeChat; the file id derives from the message id, so a retried push
// names the same file.
func (p *pushed) attach(ch *hub.Channel, mediaID, name, ctype string) {
	if mediaID == "" {
		return
	}
	id := files.FileID(ch.ID, "wechat:"+p.in.ExternalID)
	p.media = append(p.media, connectors.PendingFile{ID: id, Source: mediaID, Name: name, ContentType: ctype})
	p.in.Attachments = append(p.in.Attachments, hub.Attachment{URL: files.FileURL(id), Name: name, Type: ctype})
}

func normalizeEvent(cfg *Config, m *message.MixMessage, in hub.Inbound) pushed {
	in.ExternalID, in.Text = eventKey(m), m.EventKey
	switch m.Event {
	case message.EventSubscribe:
		in.Event, in.Reply = hub.ContactSubscribed, cfg.WelcomeMessage
	case message.EventUnsubscribe:
		in.Event = hub.ContactUnsubscribed
	case message.EventScan:
		in.Event = hub.ContactScanned
	case message.EventClick:
		act := cfg.Menu[m.EventKey]
		in.Event, in.Reply = hub.ContactClicked, act.Reply
		if act.OpenConversation {
			// A message from the customer, opening (or joining) a conversation.
			in.Event, in.Type, in.Text = "", "event", "[菜单] "+m.EventKey
		}
	default:
		return pushed{ignore: true} // VIEW, LOCATION reports, job notifications …
	}
	return pushed{in: in}
}

// eventKey is an event's dedup key. WeChat's retries repeat the sender and
// CreateTime (the documented key); the event and its key keep a follow and
// two different menu clicks in the same second apart.
func eventKey(m *message.MixMessage) string {
	k := m.EventKey
	if len(k) > 64 {
		sum := sha256.Sum256([]byte(k))
		k = hex.EncodeToString(sum[:16])
	}
	return "ev:" + string(m.FromUserName) + ":" + strconv.FormatInt(m.CreateTime, 10) + ":" + string(m.Event) + ":" + k
}

// displayName is what agents see until they know the customer's name
// (WeChat no longer gives nicknames to accounts).
func displayName(openid string) string {
	r := []rune(openid)
	if len(r) > 4 {
		r = r[len(r)-4:]
	}
	return "微信用户 " + string(r)
}

// mapURL points at the location on Tencent Maps (WeChat's coordinates are
// GCJ-02, which it uses).
func mapURL(lat, lng float64, label string) string {
	v := url.Values{"marker": {fmt.Sprintf("coord:%.6f,%.6f;title:%s", lat, lng, label)}, "referer": {"kefu"}}
	return "https://apis.map.qq.com/uri/v1/marker?" + v.Encode()
}
