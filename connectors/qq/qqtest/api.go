package qqtest

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/kefu-hub/kefu/connectors/qq"
)

// Platform rules the fake enforces.
const (
	C2CWindow   = time.Hour
	GroupWindow = 5 * time.Minute
	MaxReplies  = 5
)

// Codes the fake answers.
const (
	CodeTokenExpired = 11244
	CodeBadMsgID     = 11255
	CodeRateLimited  = 22009
	CodeWindowClosed = 40034102
	CodeDuplicateSeq = 40054005
)

func (p *Platform) answer(w http.ResponseWriter, kind string, status int, code int64, v any) {
	p.calls = append(p.calls, Call{Path: kind, Status: status, Code: code})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if code != 0 {
		v = map[string]any{"code": code, "err_code": code, "message": codeText[code], "trace_id": randHex(8)}
	}
	_ = json.NewEncoder(w).Encode(v)
}

var codeText = map[int64]string{
	CodeTokenExpired: "token not exist or expire", CodeBadMsgID: "invalid msg_id", CodeRateLimited: "msg limit exceed",
	CodeWindowClosed: "请求参数msg_id无效或越权", CodeDuplicateSeq: "消息被去重，请检查请求msgseq", 500: "internal error",
	100016: "invalid appid or secret",
}

func (p *Platform) tokenEndpoint(w http.ResponseWriter, r *http.Request) {
	var req struct{ AppID, ClientSecret string }
	_ = json.NewDecoder(io.LimitReader(r.Body, 4096)).Decode(&req)
	p.mu.Lock()
	defer p.mu.Unlock()
	a := p.apps[req.AppID]
	if a == nil || a.Secret != req.ClientSecret {
		p.answer(w, "token", http.StatusOK, 100016, nil)
		return
	}
	tok, ok := p.current[a.AppID]
	if !ok || p.tokens[tok].expires.Before(time.Now()) {
		tok = randHex(16)
		p.tokens[tok] = &token{appID: a.AppID, expires: time.Now().Add(p.ttl)}
		p.current[a.AppID] = tok
	}
	left := time.Until(p.tokens[tok].expires) / time.Second
	// expires_in is a string, as the platform sends it.
	p.answer(w, "token", http.StatusOK, 0, map[string]any{"access_token": tok, "expires_in": strconv.FormatInt(int64(left), 10)})
}

// bot checks the Authorization header: the app whose token it is.
func (p *Platform) bot(r *http.Request) string {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "QQBot ")
	t := p.tokens[tok]
	if !ok || t == nil || t.expires.Before(time.Now()) {
		return ""
	}
	return t.appID
}

func recipient(r *http.Request) (to string, group bool) {
	if g := r.PathValue("group"); g != "" {
		return g, true
	}
	return r.PathValue("openid"), false
}

func (p *Platform) message(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Content string `json:"content"`
		MsgType int    `json:"msg_type"`
		MsgID   string `json:"msg_id"`
		MsgSeq  int    `json:"msg_seq"`
		Media   struct {
			FileInfo string `json:"file_info"`
		} `json:"media"`
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.failNext) > 0 {
		code := p.failNext[0]
		p.failNext = p.failNext[1:]
		st := http.StatusBadRequest
		if code == 500 {
			st = http.StatusInternalServerError
		}
		p.answer(w, "messages", st, code, nil)
		return
	}
	app := p.bot(r)
	if app == "" {
		p.answer(w, "messages", http.StatusUnauthorized, CodeTokenExpired, nil)
		return
	}
	if json.Unmarshal(body, &req) != nil {
		p.answer(w, "messages", http.StatusBadRequest, 40034001, nil)
		return
	}
	to, group := recipient(r)
	in := p.msgs[req.MsgID]
	if req.MsgID == "" || in == nil || in.appID != app || in.group != group || (!group && in.to != to) ||
		(group && !strings.HasPrefix(in.to, "group:"+to+":")) {
		p.answer(w, "messages", http.StatusBadRequest, CodeBadMsgID, nil) // proactive messages are gone
		return
	}
	window := p.windows[0]
	if group {
		window = p.windows[1]
	}
	switch {
	case time.Since(in.at) > window:
		p.answer(w, "messages", http.StatusBadRequest, CodeWindowClosed, nil)
		return
	case in.seqs[req.MsgSeq]:
		p.answer(w, "messages", http.StatusBadRequest, CodeDuplicateSeq, nil)
		return
	case len(in.seqs) >= MaxReplies:
		p.answer(w, "messages", http.StatusBadRequest, CodeWindowClosed, nil)
		return
	}
	s := Sent{AppID: app, To: in.to, MsgType: req.MsgType, Text: req.Content, MsgID: req.MsgID, MsgSeq: req.MsgSeq, At: time.Now()}
	if req.MsgType == 7 {
		s.File, s.Text = p.uploads[req.Media.FileInfo], ""
		if s.File == nil {
			p.answer(w, "messages", http.StatusBadRequest, 40034001, nil)
			return
		}
	}
	in.seqs[req.MsgSeq] = true
	p.sent = append(p.sent, s)
	p.answer(w, "messages", http.StatusOK, 0, map[string]any{"id": "MSG_" + randHex(8), "timestamp": time.Now().Format(time.RFC3339)})
}

func (p *Platform) upload(w http.ResponseWriter, r *http.Request) {
	var req struct {
		FileType int    `json:"file_type"`
		FileData string `json:"file_data"`
	}
	_ = json.NewDecoder(io.LimitReader(r.Body, 20<<20)).Decode(&req)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bot(r) == "" {
		p.answer(w, "files", http.StatusUnauthorized, CodeTokenExpired, nil)
		return
	}
	data, err := base64.StdEncoding.DecodeString(req.FileData)
	if err != nil || req.FileType != 1 || len(data) == 0 {
		p.answer(w, "files", http.StatusBadRequest, 40034001, nil)
		return
	}
	info := "FI_" + randHex(12)
	p.uploads[info] = data
	p.answer(w, "files", http.StatusOK, 0, map[string]any{"file_uuid": randHex(8), "file_info": info, "ttl": 3600})
}

func (p *Platform) serveMedia(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	data, ok := p.media[r.PathValue("id")]
	p.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", http.DetectContentType(data))
	_, _ = w.Write(data)
}

// remember records a pushed message so answers to it can be checked.
func (p *Platform) remember(appID string, pl qq.Payload) {
	if pl.T != qq.EventC2CMessage && pl.T != qq.EventGroupAtMessage {
		return
	}
	var m qq.Message
	if json.Unmarshal(pl.D, &m) != nil || m.ID == "" {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.msgs[m.ID]; ok {
		return // a retry
	}
	in := &inbound{appID: appID, to: m.Author.UserOpenID, at: time.Now(), seqs: map[int]bool{}}
	if pl.T == qq.EventGroupAtMessage {
		in.to, in.group = qq.GroupContact(m.GroupOpenID, m.Author.MemberOpenID), true
	}
	p.msgs[m.ID] = in
}
