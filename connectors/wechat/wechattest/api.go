package wechattest

import (
	"encoding/json"
	"io"
	"net/http"
	"path"
	"strings"
	"time"
)

// WeChat's error answers (HTTP 200 with an errcode), as its API sends them.
var errmsgs = map[int64]string{
	-1:    "system error",
	40001: "invalid credential, access_token is invalid or not latest",
	40002: "invalid grant_type",
	40003: "invalid openid",
	40004: "invalid media type",
	40005: "invalid file type",
	40006: "invalid media size",
	40007: "invalid media_id",
	40008: "invalid message type",
	40013: "invalid appid",
	40125: "invalid appsecret",
	41001: "access_token missing",
	42001: "access_token expired",
	44002: "empty post data",
	45015: "response out of time limit or subscription is canceled",
	45047: "out of response count limit",
	47001: "data format error",
}

func (p *Platform) answer(w http.ResponseWriter, r *http.Request, appID string, code int64, ok any) {
	p.mu.Lock()
	p.calls = append(p.calls, Call{Path: r.URL.Path, AppID: appID, ErrCode: code})
	p.mu.Unlock()
	w.Header().Set("Content-Type", "application/json; encoding=utf-8")
	if code != 0 {
		json.NewEncoder(w).Encode(map[string]any{"errcode": code, "errmsg": errmsgs[code] + " rid: " + randHex(6)})
		return
	}
	json.NewEncoder(w).Encode(ok)
}

// issue hands out a new token for the app (the caller holds p.mu).
func (p *Platform) issue(appID string) string {
	tok := "AT_" + randHex(24)
	p.tokens[tok] = &token{appID: appID, expires: time.Now().Add(p.ttl)}
	return tok
}

func (p *Platform) credentials(appID, secret string) int64 {
	a, ok := p.apps[appID]
	switch {
	case !ok:
		return 40013
	case a.Secret != secret:
		return 40125
	}
	return 0
}

// tokenEndpoint is GET /cgi-bin/token: every call issues a new token and
// invalidates the previous one (the reason hub processes must share it).
func (p *Platform) tokenEndpoint(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("grant_type") != "client_credential" {
		p.answer(w, r, q.Get("appid"), 40002, nil)
		return
	}
	p.mu.Lock()
	code := p.credentials(q.Get("appid"), q.Get("secret"))
	var tok string
	if code == 0 {
		if old, ok := p.tokens[p.normal[q.Get("appid")]]; ok {
			old.revoked = true
		}
		tok = p.issue(q.Get("appid"))
		p.normal[q.Get("appid")] = tok
	}
	p.mu.Unlock()
	p.answer(w, r, q.Get("appid"), code, map[string]any{"access_token": tok, "expires_in": int(p.ttl.Seconds())})
}

// stableToken is POST /cgi-bin/stable_token: while the current stable token
// is valid every caller gets it (a new one in its last 5 minutes, as
// WeChat does); force_refresh issues a new one.
func (p *Platform) stableToken(w http.ResponseWriter, r *http.Request) {
	var req struct {
		GrantType    string `json:"grant_type"`
		AppID        string `json:"appid"`
		Secret       string `json:"secret"`
		ForceRefresh bool   `json:"force_refresh"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&req); err != nil {
		p.answer(w, r, "", 47001, nil)
		return
	}
	if req.GrantType != "client_credential" {
		p.answer(w, r, req.AppID, 40002, nil)
		return
	}
	p.mu.Lock()
	code := p.credentials(req.AppID, req.Secret)
	var tok string
	var left time.Duration
	if code == 0 {
		cur, ok := p.tokens[p.stable[req.AppID]]
		if !ok || req.ForceRefresh || cur.revoked || time.Until(cur.expires) < 5*time.Minute {
			p.stable[req.AppID] = p.issue(req.AppID)
			cur = p.tokens[p.stable[req.AppID]]
		}
		tok, left = p.stable[req.AppID], time.Until(cur.expires)
	}
	p.mu.Unlock()
	p.answer(w, r, req.AppID, code, map[string]any{"access_token": tok, "expires_in": int(left.Seconds())})
}

// auth checks the access_token of an API call: its app, or an errcode.
func (p *Platform) auth(r *http.Request) (string, int64) {
	tok := r.URL.Query().Get("access_token")
	if tok == "" {
		return "", 41001
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	t, ok := p.tokens[tok]
	switch {
	case !ok || t.revoked:
		return "", 40001
	case time.Now().After(t.expires):
		return t.appID, 42001
	}
	return t.appID, 0
}

// customSend is POST /cgi-bin/message/custom/send.
func (p *Platform) customSend(w http.ResponseWriter, r *http.Request) {
	app, code := p.auth(r)
	if code != 0 {
		p.answer(w, r, app, code, nil)
		return
	}
	var m struct {
		ToUser  string `json:"touser"`
		MsgType string `json:"msgtype"`
		Text    *struct {
			Content string `json:"content"`
		} `json:"text"`
		Image *struct {
			MediaID string `json:"media_id"`
		} `json:"image"`
		News *struct {
			Articles []Article `json:"articles"`
		} `json:"news"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&m); err != nil {
		p.answer(w, r, app, 47001, nil)
		return
	}
	s := Sent{AppID: app, ToUser: m.ToUser, MsgType: m.MsgType, At: time.Now()}
	p.mu.Lock()
	switch {
	case m.ToUser == "":
		code = 40003
	case m.MsgType == "text" && m.Text != nil:
		s.Text = m.Text.Content
	case m.MsgType == "image" && m.Image != nil:
		s.MediaID = m.Image.MediaID
		if _, ok := p.uploads[s.MediaID]; !ok {
			code = 40007
		}
	case m.MsgType == "news" && m.News != nil:
		// A customer-service news message carries exactly one article
		// (图文消息条数限制在1条以内), with a title and a link.
		if len(m.News.Articles) != 1 || m.News.Articles[0].Title == "" || m.News.Articles[0].URL == "" {
			code = 45008
		} else {
			s.Article = &m.News.Articles[0]
		}
	default:
		code = 40008
	}
	if code == 0 && len(p.failNext) > 0 {
		code, p.failNext = p.failNext[0], p.failNext[1:]
	}
	if code == 0 {
		p.sent = append(p.sent, s)
	}
	p.mu.Unlock()
	p.answer(w, r, app, code, map[string]any{"errcode": 0, "errmsg": "ok"})
}

// customTyping is POST /cgi-bin/message/custom/typing.
func (p *Platform) customTyping(w http.ResponseWriter, r *http.Request) {
	app, code := p.auth(r)
	if code != 0 {
		p.answer(w, r, app, code, nil)
		return
	}
	var m struct {
		ToUser  string `json:"touser"`
		Command string `json:"command"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&m); err != nil {
		p.answer(w, r, app, 47001, nil)
		return
	}
	switch {
	case m.ToUser == "":
		code = 40003
	case m.Command != "Typing" && m.Command != "CancelTyping":
		code = 40001 // sic: WeChat answers an unknown command like a bad credential
	}
	if code == 0 {
		p.mu.Lock()
		p.typing = append(p.typing, Sent{AppID: app, ToUser: m.ToUser, MsgType: "typing", Text: m.Command, At: time.Now()})
		p.mu.Unlock()
	}
	p.answer(w, r, app, code, map[string]any{"errcode": 0, "errmsg": "ok"})
}

// mediaGet is GET /cgi-bin/media/get: the file itself, or for a video
// {"video_url": …}; errors as JSON.
func (p *Platform) mediaGet(w http.ResponseWriter, r *http.Request) {
	app, code := p.auth(r)
	if code != 0 {
		p.answer(w, r, app, code, nil)
		return
	}
	id := r.URL.Query().Get("media_id")
	p.mu.Lock()
	m, ok := p.media[id]
	if !ok {
		if up, uploaded := p.uploads[id]; uploaded {
			m, ok = Media{ContentType: http.DetectContentType(up), Data: up}, true
		}
	}
	p.mu.Unlock()
	switch {
	case !ok:
		p.answer(w, r, app, 40007, nil)
	case m.Video:
		p.answer(w, r, app, 0, map[string]any{"video_url": p.URL + "/video/" + id})
	default:
		p.mu.Lock()
		p.calls = append(p.calls, Call{Path: r.URL.Path, AppID: app})
		p.mu.Unlock()
		w.Header().Set("Content-Type", m.ContentType)
		w.Header().Set("Content-disposition", `attachment; filename="`+id+`"`)
		w.Write(m.Data)
	}
}

// video serves a video's download URL (plain http, no token, as WeChat's).
func (p *Platform) video(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	m, ok := p.media[r.PathValue("id")]
	p.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "video/mp4")
	w.Write(m.Data)
}

// Upload limits WeChat applies to temporary media.
var uploadLimits = map[string]int64{"image": 10 << 20, "voice": 2 << 20, "video": 10 << 20, "thumb": 64 << 10}

var imageExts = map[string]bool{".jpg": true, ".jpeg": true, ".png": true, ".gif": true, ".bmp": true}

// mediaUpload is POST /cgi-bin/media/upload?type=…: multipart field "media".
func (p *Platform) mediaUpload(w http.ResponseWriter, r *http.Request) {
	app, code := p.auth(r)
	if code != 0 {
		p.answer(w, r, app, code, nil)
		return
	}
	typ := r.URL.Query().Get("type")
	limit, ok := uploadLimits[typ]
	if !ok {
		p.answer(w, r, app, 40004, nil)
		return
	}
	f, hdr, err := r.FormFile("media")
	if err != nil {
		p.answer(w, r, app, 44002, nil)
		return
	}
	defer f.Close()
	data, _ := io.ReadAll(io.LimitReader(f, limit+1))
	switch {
	case int64(len(data)) > limit || len(data) == 0:
		p.answer(w, r, app, 40006, nil)
		return
	case typ == "image" && !imageExts[strings.ToLower(path.Ext(hdr.Filename))]:
		p.answer(w, r, app, 40005, nil)
		return
	}
	id := "MEDIA_" + randHex(16)
	p.mu.Lock()
	p.uploads[id] = data
	p.mu.Unlock()
	p.answer(w, r, app, 0, map[string]any{"type": typ, "media_id": id, "created_at": time.Now().Unix()})
}
