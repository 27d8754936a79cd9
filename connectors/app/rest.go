package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/kefu-hub/kefu/connectors"
	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/ratings"
)

var clientIDRe = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// maxJSON bounds the app API's JSON bodies.
const maxJSON = 64 << 10

// readJSON decodes a JSON body (400 when malformed, 413 when too large).
func readJSON(g *gin.Context, v any) bool {
	body, ok := connectors.ReadBody(g, maxJSON)
	if !ok {
		return false
	}
	if !utf8.Valid(body) || json.Unmarshal(body, v) != nil {
		fail(g, http.StatusBadRequest, "bad_request", "the body must be a JSON object (connectors/app/doc.go)")
		return false
	}
	return true
}

// busy rate-limits a user's calls; false answers 429.
func (c *Connector) busy(g *gin.Context, u *user) bool {
	if c.limits.Allow("call:"+u.ChannelID+":"+u.Ext, callsPerSecond, callBurst) {
		return false
	}
	fail(g, http.StatusTooManyRequests, "rate_limited", "too many requests; slow down")
	return true
}

// conversationView is a conversation as the app lists it.
func (c *Connector) conversationView(ch *hub.Channel, conv *hub.Conversation) map[string]any {
	v := map[string]any{"id": conv.ID, "status": conv.Status, "last_seq": conv.LastSeq, "agent": nil,
		"created_at": conv.CreatedAt}
	if conv.AssigneeID != nil {
		ag := map[string]string{"name": c.names.Get(ch.TenantID, *conv.AssigneeID)}
		if c.proj.Avatars != nil {
			ag["avatar"] = c.proj.Avatars.Get(ch.TenantID, *conv.AssigneeID)
		}
		v["agent"] = ag
	}
	return v
}

func (c *Connector) listConversations(g *gin.Context, ch *hub.Channel, u *user) {
	if c.busy(g, u) {
		return
	}
	ctx, cancel := deadline(g)
	defer cancel()
	convs, err := c.deps.Customers.Conversations(ctx, ch.ID, u.Ext, 50)
	if err != nil {
		fail(g, http.StatusServiceUnavailable, "unavailable", "try again")
		return
	}
	ids := make([]string, len(convs))
	for i := range convs {
		ids[i] = convs[i].ID
	}
	reads, err := c.users.reads(ctx, ids)
	if err != nil {
		fail(g, http.StatusServiceUnavailable, "unavailable", "try again")
		return
	}
	out := make([]map[string]any, 0, len(convs))
	for i := range convs {
		v := c.conversationView(ch, &convs[i])
		v["unread"] = c.unread(ctx, &convs[i], reads[convs[i].ID])
		out = append(out, v)
	}
	g.JSON(http.StatusOK, gin.H{"conversations": out})
}

// openConversation answers the user's active conversation; with none, the
// first message opens one (its id comes back from POST messages).
func (c *Connector) openConversation(g *gin.Context, ch *hub.Channel, u *user) {
	if c.busy(g, u) {
		return
	}
	ctx, cancel := deadline(g)
	defer cancel()
	conv, err := c.deps.Customers.Conversation(ctx, ch.ID, u.Ext)
	if err != nil {
		fail(g, http.StatusServiceUnavailable, "unavailable", "try again")
		return
	}
	if conv == nil || conv.Status == hub.ConvClosed {
		g.JSON(http.StatusOK, gin.H{"conversation": nil})
		return
	}
	g.JSON(http.StatusOK, gin.H{"conversation": c.conversationView(ch, conv)})
}

// owned finds a conversation of the user by id ("" = the active, else the
// last one); nil when the user has none (or not that one).
func (c *Connector) owned(g *gin.Context, ch *hub.Channel, u *user, id string) (*hub.Conversation, error) {
	if id == "" {
		return c.deps.Customers.Conversation(g.Request.Context(), ch.ID, u.Ext)
	}
	convs, err := c.deps.Customers.Conversations(g.Request.Context(), ch.ID, u.Ext, 500)
	if err != nil {
		return nil, err
	}
	for i := range convs {
		if convs[i].ID == id {
			return &convs[i], nil
		}
	}
	return nil, hub.ErrNotFound
}

func (c *Connector) listMessages(g *gin.Context, ch *hub.Channel, u *user) {
	if c.busy(g, u) {
		return
	}
	after, e1 := queryInt(g, "after", -1)
	before, e2 := queryInt(g, "before", -1)
	limit, e3 := queryInt(g, "limit", 50)
	if e1 != nil || e2 != nil || e3 != nil || limit < 1 || (after >= 0 && before >= 0) {
		fail(g, http.StatusBadRequest, "bad_request", "after, before (one of them) and limit are whole numbers")
		return
	}
	limit = min(limit, 200)
	conv, err := c.owned(g, ch, u, g.Query("conversation_id"))
	if errors.Is(err, hub.ErrNotFound) {
		fail(g, http.StatusNotFound, "not_found", "no such conversation")
		return
	}
	if err != nil {
		fail(g, http.StatusServiceUnavailable, "unavailable", "try again")
		return
	}
	if conv == nil {
		g.JSON(http.StatusOK, gin.H{"conversation": nil, "messages": []any{}})
		return
	}
	var msgs []hub.Message
	switch {
	case before >= 0:
		msgs, err = c.deps.Customers.MessagesBefore(g.Request.Context(), conv.ID, before, int(limit))
	case after >= 0:
		msgs, err = c.deps.Customers.Messages(g.Request.Context(), conv.ID, after, int(limit))
	default: // the latest
		msgs, err = c.deps.Customers.MessagesBefore(g.Request.Context(), conv.ID, conv.LastSeq+1, int(limit))
	}
	if err != nil {
		fail(g, http.StatusServiceUnavailable, "unavailable", "try again")
		return
	}
	out := make([]map[string]any, len(msgs))
	for i := range msgs {
		out[i] = c.proj.Message(ch, &msgs[i])
	}
	g.JSON(http.StatusOK, gin.H{"conversation": c.conversationView(ch, conv), "messages": out})
}

func queryInt(g *gin.Context, name string, def int64) (int64, error) {
	s := g.Query(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%s: not a whole number", name)
	}
	return n, nil
}

type messageReq struct {
	ClientMsgID string `json:"client_msg_id"`
	ClientID    string `json:"client_id"` // the socket's name for it
	Text        string `json:"text"`
	Attachments []struct {
		ID string `json:"id"`
	} `json:"attachments"`
	ConversationID string            `json:"conversation_id"`
	Fields         map[string]string `json:"fields"`
}

func (c *Connector) postMessage(g *gin.Context, ch *hub.Channel, u *user) {
	var r messageReq
	if !readJSON(g, &r) {
		return
	}
	c.accept(g, ch, u, &r, false)
}

func (c *Connector) leaveMessage(g *gin.Context, ch *hub.Channel, u *user) {
	var r messageReq
	if !readJSON(g, &r) {
		return
	}
	c.accept(g, ch, u, &r, true)
}

// accept publishes a REST message and answers 202 once it is durable.
func (c *Connector) accept(g *gin.Context, ch *hub.Channel, u *user, r *messageReq, leave bool) {
	ctx, cancel := deadline(g)
	defer cancel()
	if r.ConversationID != "" {
		if _, err := c.owned(g, ch, u, r.ConversationID); errors.Is(err, hub.ErrNotFound) {
			fail(g, http.StatusNotFound, "not_found", "no such conversation")
			return
		}
	}
	convID, status, code, msg := c.publish(ctx, ch, u, r, leave, g.ClientIP())
	if code != "" {
		fail(g, status, code, msg)
		return
	}
	g.JSON(http.StatusAccepted, gin.H{"client_msg_id": r.ClientMsgID, "conversation_id": convID})
}

// putPushToken registers a device's push token for the user.
func (c *Connector) putPushToken(g *gin.Context, ch *hub.Channel, u *user) {
	var r struct {
		Platform string `json:"platform"`
		Token    string `json:"token"`
		Provider string `json:"provider"`
	}
	if !readJSON(g, &r) || c.busy(g, u) {
		return
	}
	r.Token = strings.TrimSpace(r.Token)
	switch {
	case !platforms[r.Platform]:
		fail(g, http.StatusBadRequest, "bad_request", "platform must be ios, android, harmony, web or miniprogram")
		return
	case r.Token == "" || len(r.Token) > 4096 || !utf8.ValidString(r.Token) || strings.ContainsRune(r.Token, 0):
		fail(g, http.StatusBadRequest, "bad_request", "token is required (at most 4096 bytes)")
		return
	case r.Provider != "" && r.Provider != "apns" && r.Provider != "fcm" && r.Provider != "webhook":
		fail(g, http.StatusBadRequest, "bad_request", "provider must be apns, fcm or webhook")
		return
	}
	if err := c.users.register(g.Request.Context(), ch, u, r.Platform, r.Provider, r.Token); err != nil {
		fail(g, http.StatusServiceUnavailable, "unavailable", "try again")
		return
	}
	g.Status(http.StatusNoContent)
}

func (c *Connector) deletePushToken(g *gin.Context, _ *hub.Channel, u *user) {
	var r struct {
		Token string `json:"token"`
	}
	if !readJSON(g, &r) || c.busy(g, u) {
		return
	}
	if err := c.users.unregister(g.Request.Context(), u, r.Token); err != nil {
		fail(g, http.StatusServiceUnavailable, "unavailable", "try again")
		return
	}
	g.Status(http.StatusNoContent)
}

func (c *Connector) markRead(g *gin.Context, ch *hub.Channel, u *user) {
	var r struct {
		ConversationID string `json:"conversation_id"`
		Seq            int64  `json:"seq"`
	}
	if !readJSON(g, &r) || c.busy(g, u) {
		return
	}
	if code, msg := c.read(g, ch, u, r.ConversationID, r.Seq); code != 0 {
		fail(g, code, map[int]string{400: "bad_request", 404: "not_found", 503: "unavailable"}[code], msg)
		return
	}
	g.Status(http.StatusNoContent)
}

// read records how far the user read a conversation of theirs.
func (c *Connector) read(g *gin.Context, ch *hub.Channel, u *user, convID string, seq int64) (int, string) {
	if convID == "" || seq < 0 {
		return 400, "conversation_id and seq are required"
	}
	conv, err := c.owned(g, ch, u, convID)
	if errors.Is(err, hub.ErrNotFound) {
		return 404, "no such conversation"
	}
	if err == nil {
		err = c.users.read(g.Request.Context(), ch.ID, conv.ID, min(seq, conv.LastSeq))
	}
	if err != nil {
		return 503, "try again"
	}
	return 0, ""
}

func (c *Connector) rate(g *gin.Context, ch *hub.Channel, u *user) {
	var r struct {
		ConversationID string   `json:"conversation_id"`
		Score          int      `json:"score"`
		Comment        string   `json:"comment"`
		Reasons        []string `json:"reasons"`
	}
	if !readJSON(g, &r) || c.busy(g, u) {
		return
	}
	rated(g, c.deps.Customers.Rate(g.Request.Context(), ch, u.Ext, r.ConversationID, r.Score, r.Comment, r.Reasons), "no such conversation")
}

// ratingScale answers whether the channel asks for ratings and the
// tenant's levels, best first, each with its reasons (none: 1–5 plain).
func (c *Connector) ratingScale(g *gin.Context, ch *hub.Channel, u *user) {
	if c.busy(g, u) {
		return
	}
	levels := []ratings.Level{}
	if c.deps.Ratings != nil {
		l, err := c.deps.Ratings.Levels(g.Request.Context(), ch.TenantID)
		if err != nil {
			fail(g, http.StatusServiceUnavailable, "unavailable", "try again")
			return
		}
		levels = append(levels, l...)
	}
	g.Header("Cache-Control", "no-store")
	g.JSON(http.StatusOK, gin.H{"enabled": parseConfig(ch.Config).Rating, "levels": levels})
}

// feedback stores the user's "helpful?" (有帮助/没帮助) on one of the
// robot's answers (a message of type "answer"), once.
func (c *Connector) feedback(g *gin.Context, ch *hub.Channel, u *user) {
	var r struct {
		MessageID string `json:"message_id"`
		Helpful   *bool  `json:"helpful"`
	}
	if !readJSON(g, &r) || c.busy(g, u) {
		return
	}
	if r.MessageID == "" || len(r.MessageID) > 64 || r.Helpful == nil {
		fail(g, http.StatusBadRequest, "bad_request", "message_id (at most 64 characters) and helpful (true or false) are required")
		return
	}
	err := fmt.Errorf("%w: the channel takes no feedback", hub.ErrNotFound)
	if c.deps.Robot != nil {
		err = c.deps.Robot.Feedback(g.Request.Context(), ch, u.Ext, r.MessageID, *r.Helpful)
	}
	rated(g, err, "no such robot answer of this user")
}

// rated answers a rating: 204, or why not (missing says what was not found).
func rated(g *gin.Context, err error, missing string) {
	var inv *hub.InvalidError
	switch {
	case errors.As(err, &inv):
		code, coded := "bad_request", (*hub.CodedError)(nil)
		if errors.As(err, &coded) {
			code = coded.Code // rating_reason: not a reason of the rated level
		}
		fail(g, http.StatusBadRequest, code, inv.Msg)
	case errors.Is(err, hub.ErrNotFound):
		fail(g, http.StatusNotFound, "not_found", missing)
	case errors.Is(err, hub.ErrConflict):
		fail(g, http.StatusConflict, "conflict", "already rated")
	case err != nil:
		fail(g, http.StatusServiceUnavailable, "unavailable", "try again")
	default:
		g.Status(http.StatusNoContent)
	}
}

// unread counts the agent's (and automatic) messages after what the user read.
func (c *Connector) unread(ctx context.Context, conv *hub.Conversation, readSeq int64) int {
	if conv.LastSeq <= readSeq {
		return 0
	}
	msgs, err := c.deps.Customers.Messages(ctx, conv.ID, readSeq, 200)
	if err != nil {
		return 0
	}
	n := 0
	for i := range msgs {
		if msgs[i].Direction == hub.DirectionOut {
			n++
		}
	}
	return n
}
