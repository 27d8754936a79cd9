package workbench

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/kefu-hub/kefu/connectors"
	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/assign"
	"github.com/kefu-hub/kefu/hub/conversations"
)

func queryInt(g *gin.Context, name string, def int64) (int64, bool) {
	v := g.Query(name)
	if v == "" {
		return def, true
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		fail(g, http.StatusBadRequest, "bad_request", name+" must be a non-negative integer")
		return 0, false
	}
	return n, true
}

func (s conversationAPI) listConversations(g *gin.Context) {
	limit, ok := queryInt(g, "limit", 100)
	if !ok {
		return
	}
	f := conversations.Filter{Status: hub.ConvStatus(g.Query("status")), Assignee: g.Query("assignee"), Limit: int(limit),
		ChannelID: g.Query("channel_id"), CategoryID: g.Query("category_id"), Contact: g.Query("contact"),
		Q: g.Query("q"), Before: g.Query("before")}
	if f.Assignee == "" {
		f.Assignee = g.Query("agent_id")
	}
	if f.From, ok = queryTime(g, "from", false); !ok {
		return
	}
	if f.To, ok = queryTime(g, "to", true); !ok {
		return
	}
	cs, err := s.Conversations.List(g.Request.Context(), connectors.AgentOf(g), f)
	next := ""
	if err == nil && len(cs) == f.Limit {
		next = cs[len(cs)-1].ID
	}
	s.respond(g, http.StatusOK, gin.H{"conversations": cs, "next_before": next}, err)
}

// queryTime reads an RFC 3339 time or a YYYY-MM-DD date; a date given as
// the end of a range covers that whole day.
func queryTime(g *gin.Context, name string, end bool) (*time.Time, bool) {
	v := g.Query(name)
	if v == "" {
		return nil, true
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return &t, true
	}
	t, err := time.Parse("2006-01-02", v)
	if err != nil {
		fail(g, http.StatusBadRequest, "bad_request", name+" must be an RFC 3339 time or a YYYY-MM-DD date")
		return nil, false
	}
	if end {
		t = t.AddDate(0, 0, 1)
	}
	return &t, true
}

func (s conversationAPI) getConversation(g *gin.Context) {
	c, err := s.Conversations.Get(g.Request.Context(), connectors.AgentOf(g), g.Param("id"))
	s.respond(g, http.StatusOK, c, err)
}

func (s conversationAPI) listMessages(g *gin.Context) {
	after, ok := queryInt(g, "after_seq", 0)
	if !ok {
		return
	}
	limit, ok := queryInt(g, "limit", 100)
	if !ok {
		return
	}
	var ms []hub.Message
	var err error
	if g.Query("before") != "" { // a page of older history, for infinite scroll
		before, ok := queryInt(g, "before", 0)
		if !ok {
			return
		}
		ms, err = s.Conversations.MessagesBefore(g.Request.Context(), connectors.AgentOf(g), g.Param("id"), before, int(limit))
	} else {
		ms, err = s.Conversations.Messages(g.Request.Context(), connectors.AgentOf(g), g.Param("id"), after, int(limit))
	}
	s.respond(g, http.StatusOK, gin.H{"messages": ms}, err)
}

func (s conversationAPI) reply(g *gin.Context) {
	var r conversations.Reply
	if !bind(g, &r) {
		return
	}
	m, err := s.Conversations.SendReply(g.Request.Context(), connectors.AgentOf(g), g.Param("id"), r)
	s.respond(g, http.StatusCreated, m, err)
}

func (s conversationAPI) transfer(g *gin.Context) {
	var t assign.Transfer
	if !bind(g, &t) {
		return
	}
	a := connectors.AgentOf(g)
	c, err := s.Assign.Handoffs.Transfer(g.Request.Context(), a, g.Param("id"), t)
	if err == nil {
		s.Pipeline.Kick(a.TenantID)
	}
	s.respond(g, http.StatusOK, c, err)
}

func (s conversationAPI) closeConversation(g *gin.Context) {
	var r conversations.Closing
	if g.Request.ContentLength != 0 && !bind(g, &r) {
		return
	}
	a := connectors.AgentOf(g)
	c, err := s.Assign.Handoffs.Close(g.Request.Context(), a, g.Param("id"), r)
	if err == nil {
		s.Pipeline.Kick(a.TenantID)
	}
	s.respond(g, http.StatusOK, c, err)
}

type typingReq struct {
	Typing bool `json:"typing"`
}

// typing tells supervisors (and, where the platform supports it, the
// customer) that the agent is typing. It is not stored.
func (s conversationAPI) typing(g *gin.Context) {
	var r typingReq
	if !bind(g, &r) {
		return
	}
	a := connectors.AgentOf(g)
	c, err := s.Conversations.Get(g.Request.Context(), a, g.Param("id"))
	if err != nil {
		s.respond(g, 0, nil, err)
		return
	}
	s.Kernel.Announce(hub.Event{TenantID: a.TenantID, Type: hub.EvTyping, ConversationID: c.ID,
		Payload: []byte(`{"by":"agent","agent_id":"` + a.ID + `","typing":` + strconv.FormatBool(r.Typing) + `}`)})
	s.platformTyping(g.Request.Context(), c, r.Typing) // platform.go
	g.JSON(http.StatusAccepted, gin.H{"status": "sent"})
}

// events replays the caller's events after an id, for clients that poll
// instead of holding a websocket.
func (s conversationAPI) events(g *gin.Context) {
	after, ok := queryInt(g, "after", 0)
	if !ok {
		return
	}
	a := connectors.AgentOf(g)
	evs, err := s.Kernel.EventsAfter(g.Request.Context(), a, after, 500)
	if err != nil {
		s.respond(g, 0, nil, err)
		return
	}
	if evs == nil {
		evs = []hub.Event{}
	}
	last, err := s.Kernel.LastEventID(g.Request.Context(), a.TenantID)
	if len(evs) == 500 {
		last = evs[len(evs)-1].ID
	}
	s.respond(g, http.StatusOK, gin.H{"events": evs, "last_event_id": last}, err)
}
