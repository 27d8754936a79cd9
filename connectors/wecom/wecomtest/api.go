package wecomtest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/kefu-hub/kefu/connectors/wecom"
)

var codeText = map[int64]string{
	CodeBusy: "system busy", CodeBadSecret: "invalid credential", CodeBadToken: "invalid access_token",
	CodeTokenExpired: "access_token expired", CodeBadMedia: "invalid media_id", CodeBadSyncToken: "invalid msg token",
	CodeSessionClosed: "send msg fail, session state not allowed", CodeBadCode: "invalid code",
	40058: "invalid parameter", 95000: "invalid open_kfid",
}

// answer writes WeCom's JSON answer (HTTP 200 even for errors, as WeCom).
func (p *Platform) answer(w http.ResponseWriter, path string, code int64, v map[string]any) {
	p.calls = append(p.calls, Call{Path: path, Code: code})
	if v == nil {
		v = map[string]any{}
	}
	v["errcode"], v["errmsg"] = code, "ok"
	if code != 0 {
		v = map[string]any{"errcode": code, "errmsg": codeText[code]}
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	_ = json.NewEncoder(w).Encode(v)
}

func (p *Platform) gettoken(w http.ResponseWriter, r *http.Request) {
	corp, secret := r.URL.Query().Get("corpid"), r.URL.Query().Get("corpsecret")
	p.mu.Lock()
	defer p.mu.Unlock()
	if s, ok := p.corps[corp]; !ok || s != secret {
		p.answer(w, "gettoken", CodeBadSecret, nil)
		return
	}
	tok, ok := p.current[corp]
	if !ok {
		tok = corp + "." + randHex(16)
		p.current[corp] = tok
		p.tokens[tok] = time.Now().Add(2 * time.Hour)
	}
	p.answer(w, "gettoken", 0, map[string]any{"access_token": tok, "expires_in": 7200})
}

// auth checks the access token (held by p.mu): 0, 40014 or 42001.
func (p *Platform) auth(r *http.Request) int64 {
	until, ok := p.tokens[r.URL.Query().Get("access_token")]
	switch {
	case !ok:
		return CodeBadToken
	case time.Now().After(until):
		return CodeTokenExpired
	}
	return 0
}

func decode(r *http.Request, v any) bool {
	return json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(v) == nil
}

func cursorAt(i int) string { return "CUR" + strconv.FormatInt(int64(i)*7919+13, 36) }

func cursorIndex(c string) (int, bool) {
	if c == "" {
		return 0, true
	}
	n, err := strconv.ParseInt(strings.TrimPrefix(c, "CUR"), 36, 64)
	if err != nil || !strings.HasPrefix(c, "CUR") || (n-13)%7919 != 0 {
		return 0, false
	}
	return int((n - 13) / 7919), true
}

func (p *Platform) syncMsg(w http.ResponseWriter, r *http.Request) {
	var req struct {
		C     string `json:"cursor"`
		T     string `json:"token"`
		Limit int    `json:"limit"`
		K     string `json:"open_kfid"`
	}
	ok := decode(r, &req)
	p.mu.Lock()
	p.cursors = append(p.cursors, req.C)
	p.mu.Unlock()
	if !p.waitHold(r) {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if code := p.auth(r); code != 0 {
		p.answer(w, "sync_msg", code, nil)
		return
	}
	at, okc := cursorIndex(req.C)
	if !ok || !okc || p.accounts[req.K] == nil || req.Limit < 0 || req.Limit > 1000 {
		p.answer(w, "sync_msg", 40058, nil)
		return
	}
	if until, known := p.syncToks[req.T]; req.T != "" && (!known || time.Now().After(until)) {
		p.answer(w, "sync_msg", CodeBadSyncToken, nil)
		return
	}
	stream := p.streams[req.K]
	at = min(at, len(stream))
	limit := req.Limit
	if limit == 0 {
		limit = 1000
	}
	n := min(p.page, limit, len(stream)-at)
	items := stream[at : at+n]
	next := at + n
	p.handed[req.K] = max(p.handed[req.K], next)
	hasMore := 0
	if next < len(stream) {
		hasMore = 1
	}
	p.answer(w, "sync_msg", 0, map[string]any{"next_cursor": cursorAt(next), "has_more": hasMore, "msg_list": items})
}

type sendReq struct {
	ToUser   string `json:"touser"`
	OpenKfID string `json:"open_kfid"`
	MsgID    string `json:"msgid"`
	MsgType  string `json:"msgtype"`
	Code     string `json:"code"`
	Text     *struct {
		Content string `json:"content"`
	} `json:"text"`
	Image *wecom.Media `json:"image"`
	File  *wecom.Media `json:"file"`
}

func (s *sendReq) media() string {
	switch {
	case s.Image != nil:
		return s.Image.MediaID
	case s.File != nil:
		return s.File.MediaID
	}
	return ""
}

func (p *Platform) sendMsg(w http.ResponseWriter, r *http.Request) {
	var req sendReq
	ok := decode(r, &req)
	p.mu.Lock()
	defer p.mu.Unlock()
	if code := p.auth(r); code != 0 {
		p.answer(w, "send_msg", code, nil)
		return
	}
	if len(p.failNext) > 0 {
		code := p.failNext[0]
		p.failNext = p.failNext[1:]
		p.answer(w, "send_msg", code, nil)
		return
	}
	if !ok || p.accounts[req.OpenKfID] == nil || !p.ownsToken(r, req.OpenKfID) {
		p.answer(w, "send_msg", 95000, nil)
		return
	}
	key := req.OpenKfID + "\x00" + req.ToUser
	last, seen := p.last[key]
	st := p.states[key]
	if !seen || time.Since(last) > Window || p.replies[key] >= MaxReplies || (st != 0 && st != 1) {
		p.answer(w, "send_msg", CodeSessionClosed, nil)
		return
	}
	if (req.MsgType == "text" && (req.Text == nil || req.Text.Content == "" || len(req.Text.Content) > 2048)) ||
		(req.MsgType != "text" && p.media[req.media()] == nil) {
		p.answer(w, "send_msg", 40058, nil)
		return
	}
	p.replies[key]++
	s := Sent{OpenKfID: req.OpenKfID, To: req.ToUser, MsgType: req.MsgType, MediaID: req.media(), MsgID: req.MsgID,
		Authentic: true, At: time.Now()}
	if req.Text != nil {
		s.Text = req.Text.Content
	}
	p.sent = append(p.sent, s)
	id := req.MsgID
	if id == "" {
		id = randHex(8)
	}
	p.answer(w, "send_msg", 0, map[string]any{"msgid": id})
}

// ownsToken reports whether the call's token is the account's company's.
func (p *Platform) ownsToken(r *http.Request, openKfID string) bool {
	return strings.HasPrefix(r.URL.Query().Get("access_token"), p.accounts[openKfID].CorpID+".")
}

func (p *Platform) sendOnEvent(w http.ResponseWriter, r *http.Request) {
	var req sendReq
	ok := decode(r, &req)
	p.mu.Lock()
	defer p.mu.Unlock()
	if code := p.auth(r); code != 0 {
		p.answer(w, "send_msg_on_event", code, nil)
		return
	}
	issued, known := p.welcome[req.Code]
	if !ok || !known || time.Since(issued) > WelcomeTTL || req.MsgType != "text" || req.Text == nil || req.Text.Content == "" {
		p.answer(w, "send_msg_on_event", CodeBadCode, nil)
		return
	}
	delete(p.welcome, req.Code) // one message per code
	p.sent = append(p.sent, Sent{MsgType: "text", Text: req.Text.Content, Code: req.Code, Authentic: true, At: time.Now()})
	p.answer(w, "send_msg_on_event", 0, map[string]any{"msgid": randHex(8)})
}

func (p *Platform) stateGet(w http.ResponseWriter, r *http.Request) {
	var req struct {
		OpenKfID string `json:"open_kfid"`
		User     string `json:"external_userid"`
	}
	ok := decode(r, &req)
	p.mu.Lock()
	defer p.mu.Unlock()
	if code := p.auth(r); code != 0 || !ok {
		p.answer(w, "service_state/get", max(code, 40058), nil)
		return
	}
	p.answer(w, "service_state/get", 0, map[string]any{"service_state": p.states[req.OpenKfID+"\x00"+req.User]})
}

func (p *Platform) stateTrans(w http.ResponseWriter, r *http.Request) {
	var req struct {
		OpenKfID string `json:"open_kfid"`
		User     string `json:"external_userid"`
		State    int    `json:"service_state"`
	}
	ok := decode(r, &req)
	p.mu.Lock()
	defer p.mu.Unlock()
	if code := p.auth(r); code != 0 || !ok {
		p.answer(w, "service_state/trans", max(code, 40058), nil)
		return
	}
	key := req.OpenKfID + "\x00" + req.User
	if from := p.states[key]; from == 4 || from == 3 && req.State == 1 {
		p.answer(w, "service_state/trans", 95016, nil) // 不允许这种状态转换
		return
	}
	p.states[key] = req.State
	p.trans = append(p.trans, Trans{OpenKfID: req.OpenKfID, User: req.User, State: req.State})
	p.answer(w, "service_state/trans", 0, nil)
}

func (p *Platform) mediaGet(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if code := p.auth(r); code != 0 {
		p.answer(w, "media/get", code, nil)
		return
	}
	data, ok := p.media[r.URL.Query().Get("media_id")]
	if !ok {
		p.answer(w, "media/get", CodeBadMedia, nil)
		return
	}
	p.calls = append(p.calls, Call{Path: "media/get"})
	w.Header().Set("Content-Type", http.DetectContentType(data))
	w.Header().Set("Content-Disposition", `attachment; filename="media"`)
	_, _ = w.Write(data)
}

func (p *Platform) mediaUpload(w http.ResponseWriter, r *http.Request) {
	typ := r.URL.Query().Get("type")
	f, _, err := r.FormFile("media")
	var data []byte
	if err == nil {
		data, err = io.ReadAll(io.LimitReader(f, 20<<20))
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if code := p.auth(r); code != 0 {
		p.answer(w, "media/upload", code, nil)
		return
	}
	if err != nil || len(data) == 0 || (typ != "image" && typ != "file" && typ != "voice" && typ != "video") {
		p.answer(w, "media/upload", 40058, nil)
		return
	}
	id := fmt.Sprintf("M%s", randHex(12))
	p.media[id] = data
	p.answer(w, "media/upload", 0, map[string]any{"type": typ, "media_id": id, "created_at": strconv.FormatInt(time.Now().Unix(), 10)})
}

// waitHold holds a sync_msg call while HoldSync says so; false when the
// caller went away meanwhile.
func (p *Platform) waitHold(r *http.Request) bool {
	p.mu.Lock()
	hold := p.hold
	if hold != nil && p.holdLeft > 0 {
		p.holdLeft--
		hold = nil
	}
	p.mu.Unlock()
	if hold == nil {
		return true
	}
	select {
	case <-hold:
		return true
	case <-r.Context().Done():
		return false
	}
}
