package workbench

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/kefu-hub/kefu/connectors"
	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/outbound"
)

type channelReq struct {
	Type           string          `json:"type"`
	Name           *string         `json:"name"`
	Config         json.RawMessage `json:"config"`
	DefaultGroupID *string         `json:"default_group_id"`
	OfflineMessage *string         `json:"offline_message"`
}

// channelView is a channel as admins see it: with the webhook URL to paste
// into the platform and what else the connector says is needed there.
type channelView struct {
	*hub.Channel
	WebhookURL string         `json:"webhook_url"`
	Setup      map[string]any `json:"setup"`
	Secret     string         `json:"secret,omitempty"`
	// Health on the channel itself, for the console's channel list.
	LastDeliveryErrorAt *time.Time `json:"last_delivery_error_at"`
	DeliveriesFailed24h int        `json:"deliveries_failed_24h"`
}

// channelHealth is what an admin checks on a channel page: when its last
// customer message arrived, and how its deliveries fare.
type channelHealth struct {
	LastMessageAt *time.Time `json:"last_message_at"`
	*outbound.Health
}

// withHealth fills the channel's health fields (last message received,
// last delivery error and when, failures in the last 24 hours).
func (s channelAPI) withHealth(ctx context.Context, v *channelView) (*channelHealth, error) {
	last, err := s.Conversations.LastInbound(ctx, v.Channel.ID)
	if err != nil {
		return nil, err
	}
	d, err := s.Outbound.Health(ctx, v.Channel.ID)
	if err != nil {
		return nil, err
	}
	h := &channelHealth{LastMessageAt: last, Health: d}
	ch := *v.Channel // a copy: the store caches the original
	ch.LastInboundAt = h.LastMessageAt
	if ch.LastError == "" { // the channel's own (a WeCom pull that failed) first, else its deliveries'
		ch.LastError = h.LastError
	}
	v.Channel, v.LastDeliveryErrorAt, v.DeliveriesFailed24h = &ch, h.LastErrorAt, h.Failed24h
	return h, nil
}

func (s channelAPI) view(g *gin.Context, ch *hub.Channel) channelView {
	base := s.PublicURL
	if base == "" {
		scheme := "http"
		if g.Request.TLS != nil {
			scheme = "https"
		}
		base = scheme + "://" + g.Request.Host
	}
	v := channelView{Channel: ch, WebhookURL: strings.TrimSuffix(base, "/") + "/webhooks/" + ch.Type + "/" + ch.ID}
	if l, ok := s.Connectors[ch.Type].(connectors.Linker); ok {
		v.Setup = l.InfoAt(ch, strings.TrimSuffix(base, "/"))
	} else if c, ok := s.Connectors[ch.Type]; ok {
		v.Setup = c.Info(ch)
		if sec, ok := v.Setup["secret"].(string); ok {
			v.Secret = sec
		}
	}
	return v
}

func (s channelAPI) createChannel(g *gin.Context) {
	var r channelReq
	if !bind(g, &r) {
		return
	}
	c, ok := s.Connectors[r.Type]
	if !ok {
		fail(g, http.StatusBadRequest, "invalid", "unknown channel type "+r.Type)
		return
	}
	ch := &hub.Channel{TenantID: connectors.AgentOf(g).TenantID, Type: r.Type, DefaultGroupID: r.DefaultGroupID}
	set(&ch.Name, r.Name)
	set(&ch.OfflineMessage, r.OfflineMessage)
	if err := c.Setup(ch, r.Config, false); err != nil {
		s.respond(g, 0, nil, err)
		return
	}
	err := s.Channels.Create(g.Request.Context(), ch)
	if err != nil {
		s.respond(g, 0, nil, err)
		return
	}
	g.JSON(http.StatusCreated, s.view(g, ch))
}

func set[T any](dst *T, src *T) {
	if src != nil {
		*dst = *src
	}
}

func (s channelAPI) listChannels(g *gin.Context) {
	chs, err := s.Channels.List(g.Request.Context(), connectors.AgentOf(g).TenantID)
	views := make([]channelView, len(chs))
	for i := range chs {
		views[i] = s.view(g, &chs[i])
		if err == nil {
			_, err = s.withHealth(g.Request.Context(), &views[i])
		}
	}
	s.respond(g, http.StatusOK, gin.H{"channels": views}, err)
}

func (s channelAPI) getChannel(g *gin.Context) {
	ctx := g.Request.Context()
	ch, err := s.Channels.ForTenant(ctx, connectors.AgentOf(g).TenantID, g.Param("id"))
	if err != nil {
		s.respond(g, 0, nil, err)
		return
	}
	v := s.view(g, ch)
	h, err := s.withHealth(ctx, &v)
	s.respond(g, http.StatusOK, gin.H{"channel": v, "health": h}, err)
}

func (s channelAPI) updateChannel(g *gin.Context) {
	var r channelReq
	if !bind(g, &r) {
		return
	}
	s.saveChannel(g, r, false)
}

func (s channelAPI) rotateSecret(g *gin.Context) { s.saveChannel(g, channelReq{}, true) }

func (s channelAPI) saveChannel(g *gin.Context, r channelReq, rotate bool) {
	ctx := g.Request.Context()
	found, err := s.Channels.ForTenant(ctx, connectors.AgentOf(g).TenantID, g.Param("id"))
	if err != nil {
		s.respond(g, 0, nil, err)
		return
	}
	ch := *found
	set(&ch.Name, r.Name)
	set(&ch.OfflineMessage, r.OfflineMessage)
	if r.DefaultGroupID != nil {
		ch.DefaultGroupID = r.DefaultGroupID
		if *r.DefaultGroupID == "" {
			ch.DefaultGroupID = nil
		}
	}
	cfg := r.Config
	if len(cfg) == 0 {
		cfg = ch.Config
	}
	if err := s.Connectors[ch.Type].Setup(&ch, cfg, rotate); err != nil {
		s.respond(g, 0, nil, err)
		return
	}
	err = s.Channels.Update(ctx, &ch)
	s.respond(g, http.StatusOK, s.view(g, &ch), err)
}
