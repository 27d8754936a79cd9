package weibo

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/kefu-hub/kefu/connectors"
	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/files"
)

// pushed is what a verified push becomes.
type pushed struct {
	in     hub.Inbound
	media  []connectors.PendingFile
	ignore bool // nothing to store (an unknown type or event)
}

// events maps Weibo's event subtypes onto contact events. Following by a
// scan (scan_follow) is a follow whose detail is the QR scene; a link menu
// (view) is a click, since it opens the reply window as one.
var events = map[string]hub.ContactEvent{
	"follow": hub.ContactSubscribed, "subscribe": hub.ContactSubscribed, "scan_follow": hub.ContactSubscribed,
	"unfollow": hub.ContactUnsubscribed, "unsubscribe": hub.ContactUnsubscribed,
	"scan": hub.ContactScanned, "click": hub.ContactClicked, "view": hub.ContactClicked,
}

// normalize maps a Weibo push onto the hub's inbound model.
//
// Weibo gives messages no id: a retry repeats the sender and created_at,
// which the documentation names as the key. created_at has one-second
// resolution, so the key also holds the type and a digest of the content:
// two different messages of the same second stay apart, and a retry —
// the same content — still dedups.
func normalize(ch *hub.Channel, p *Push) pushed {
	sender := string(p.SenderID)
	in := hub.Inbound{TenantID: ch.TenantID, ChannelID: ch.ID, Contact: hub.ContactInfo{ExternalID: sender, Name: displayName(sender)}}
	at := strconv.FormatInt(p.At.Unix(), 10)
	if p.Type == TypeEvent {
		ev, ok := events[p.Data.Subtype]
		if !ok {
			return pushed{ignore: true}
		}
		in.Event, in.Text = ev, p.Data.Key
		in.ExternalID = "ev:" + sender + ":" + at + ":" + p.Data.Subtype + ":" + short(p.Data.Key, 64)
		return pushed{in: in}
	}
	in.ExternalID = "wb:" + sender + ":" + at + ":" + p.Type + ":" +
		digest(p.Text, string(p.Data.Vfid), string(p.Data.Tovfid), string(p.Data.Longitude), string(p.Data.Latitude))
	r := pushed{in: in}
	switch p.Type {
	case TypeText:
		r.in.Type, r.in.Text = "text", p.Text
	case TypeMention:
		r.in.Type, r.in.Text = TypeMention, p.Text
	case TypeImage:
		r.in.Type, r.in.Text = "image", strings.TrimSpace(p.Text)
		r.attach(ch, p.Data, "image.jpg", "image/jpeg")
	case TypeVoice:
		r.in.Type, r.in.Text = "audio", strings.TrimSpace(p.Text)
		r.attach(ch, p.Data, "voice.amr", "audio/amr")
	case TypePosition:
		lat, lng := coord(p.Data.Latitude), coord(p.Data.Longitude)
		r.in.Type = "location"
		r.in.Text = fmt.Sprintf("[位置] (%s, %s)", lat, lng)
		if lat != "?" && lng != "?" {
			r.in.Attachments = []hub.Attachment{{Type: "location", Name: "位置", URL: mapURL(lat, lng)}}
		}
	default:
		return pushed{ignore: true}
	}
	if r.in.Type == "text" && strings.TrimSpace(r.in.Text) == "" {
		r.in.Text = "[空消息]"
	}
	return r
}

// attach adds the message's media as an attachment fetched from Weibo; the
// file id derives from the message key, so a retried push names the same
// file.
func (r *pushed) attach(ch *hub.Channel, d Data, name, ctype string) {
	fid := string(d.Tovfid)
	if fid == "" {
		fid = string(d.Vfid)
	}
	if fid == "" || len(fid) > 128 {
		if r.in.Text == "" {
			r.in.Text = "[媒体文件缺失]"
		}
		return
	}
	id := files.FileID(ch.ID, "weibo:"+r.in.ExternalID)
	r.media = append(r.media, connectors.PendingFile{ID: id, Source: fid, Name: name, ContentType: ctype})
	r.in.Attachments = append(r.in.Attachments, hub.Attachment{URL: files.FileURL(id), Name: name, Type: ctype})
}

func digest(parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(sum[:8])
}

// short keeps a key readable up to n bytes, else a digest of it.
func short(k string, n int) string {
	if len(k) <= n {
		return k
	}
	return digest(k)
}

// coord is a coordinate as a decimal, "?" when it is none.
func coord(f Field) string {
	v, err := strconv.ParseFloat(strings.TrimSpace(string(f)), 64)
	if err != nil || v < -180 || v > 180 {
		return "?"
	}
	return strconv.FormatFloat(v, 'f', 6, 64)
}

// mapURL points at the location on AMap.
func mapURL(lat, lng string) string {
	return "https://uri.amap.com/marker?" + url.Values{"position": {lng + "," + lat}, "name": {"位置"}}.Encode()
}

// displayName is what agents see until they know the customer's name.
func displayName(uid string) string {
	if len(uid) > 4 {
		uid = uid[len(uid)-4:]
	}
	return "微博用户 " + uid
}
