package connectors

import (
	"context"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/files"
	"github.com/kefu-hub/kefu/hub/kb"
	"github.com/kefu-hub/kefu/hub/ratings"
)

// Files is the attachment store connectors save customer media into
// (*files.Store).
type Files interface {
	// Save stores a file; one with the same id already stored is kept.
	Save(ctx context.Context, f *files.File) error
	// Fill completes a pending file, or records why fetching it failed.
	Fill(ctx context.Context, tenantID, id, contentType string, data []byte, fetchErr string) error
	// Get returns a tenant's file with its data.
	Get(ctx context.Context, tenantID, id string) (*files.File, error)
}

// Tokens keeps platform access tokens shared by every hub process, each
// with the time to stop using it (*channels.Store).
type Tokens interface {
	PlatformToken(ctx context.Context, name string) (string, time.Time, error)
	SavePlatformToken(ctx context.Context, name, token string, expires time.Time) error
	DropPlatformToken(ctx context.Context, name, token string) error
}

// Typer is a connector whose platform can show the customer that an agent
// is typing (WeChat's typing indicator). Typing is a courtesy: it returns at
// once and the connector calls the platform in the background (a Runner
// joins that work at shutdown).
type Typer interface {
	Typing(ch *hub.Channel, contactID string, typing bool)
}

// MediaFetcher is a connector that can fetch a pending file (customer media
// whose download has not succeeded yet) from its platform on demand.
type MediaFetcher interface {
	FetchFile(ctx context.Context, ch *hub.Channel, f *files.File) (*files.File, error)
}

// Pager is a connector that serves pages and scripts at the hub's root (the
// web channel's /widget.js and /chat/{channel_id}).
type Pager interface {
	Pages(r gin.IRouter)
}

// Linker is a connector whose setup info holds links to the hub (the web
// channel's snippet and direct chat URL); base is the hub's public address.
type Linker interface {
	InfoAt(ch *hub.Channel, base string) map[string]any
}

// EventSink is a connector that pushes events over its own sockets (the web
// channel's visitor sockets): it gets every event of the broadcast, on
// every hub process.
type EventSink interface {
	Events(evs []hub.Event)
}

// Runner is a connector with background work (heartbeats, availability
// checks); Run blocks until ctx ends and is joined to the hub's shutdown.
type Runner interface {
	Run(ctx context.Context) error
}

// AgentAPI is a connector with routes for agents (the web channel's live
// visitor list), mounted under /api/v1 behind agent authentication; a
// handler finds the agent with AgentOf and answers through the kit, so the
// API has one error shape and one error-to-status map.
type AgentAPI interface {
	AgentRoutes(r gin.IRouter, kit AgentKit)
}

// AgentKit is how an agent route reads a request and answers (the
// workbench's own functions).
type AgentKit struct {
	// Bind decodes a JSON body (answering 400/413 itself when it cannot).
	Bind func(g *gin.Context, v any) bool
	// Respond writes v with status, or maps err to its status.
	Respond func(g *gin.Context, status int, v any, err error)
}

// agentKey is where the authentication middleware keeps the agent.
const agentKey = "kefu.agent"

// SetAgent records the authenticated agent of a request.
func SetAgent(g *gin.Context, a *hub.Agent) { g.Set(agentKey, a) }

// AgentOf is the authenticated agent of a request.
func AgentOf(g *gin.Context) *hub.Agent { return g.MustGet(agentKey).(*hub.Agent) }

// Customers is what a channel whose customers talk over its own sockets
// (web, app) asks of the hub: their conversation and messages, their
// typing, ratings, whether anyone can answer, and an agent starting a chat.
type Customers interface {
	// GroupExists reports whether a tenant has a group by that id.
	GroupExists(ctx context.Context, tenantID, id string) bool
	// AgentName is an agent's display name.
	AgentName(ctx context.Context, tenantID, id string) (string, error)
	// Available reports whether someone can answer the channel's customers now.
	Available(ctx context.Context, ch *hub.Channel) (bool, error)
	// Conversation is a contact's active conversation on a channel, else
	// the most recent one (nil when the contact never wrote).
	Conversation(ctx context.Context, channelID, contactExternalID string) (*hub.Conversation, error)
	// Conversations are a contact's conversations on a channel, newest
	// first, each LastSeq that of the last message the customer can see.
	Conversations(ctx context.Context, channelID, contactExternalID string, limit int) ([]hub.Conversation, error)
	// MessagesBefore are the last limit messages the customer sees of a
	// conversation before seq, oldest first.
	MessagesBefore(ctx context.Context, convID string, before int64, limit int) ([]hub.Message, error)
	// Active maps the contacts (by external id) that have an active
	// conversation on the channel to its id and status.
	Active(ctx context.Context, channelID string, contactExternalIDs []string) (map[string]hub.Conversation, error)
	// ActiveCount is how many conversations of the channel are active.
	ActiveCount(ctx context.Context, channelID string) (int, error)
	// Messages are what the customer sees of a conversation (never notes),
	// after seq, oldest first.
	Messages(ctx context.Context, convID string, after int64, limit int) ([]hub.Message, error)
	// Rate stores the customer's rating of their conversation (with the
	// reasons they ticked of the level's list), once.
	Rate(ctx context.Context, ch *hub.Channel, contactExternalID, convID string, score int, comment string, reasons []string) error
	// Typing tells the agent the customer is typing (with a preview).
	Typing(ctx context.Context, ch *hub.Channel, contactExternalID string, typing bool, preview string) error
	// Start opens a conversation with a customer from an agent's side
	// (proactive chat): assigned to the agent, with the agent's message.
	Start(ctx context.Context, a *hub.Agent, ch *hub.Channel, contact hub.ContactInfo, text string) (*hub.Conversation, error)
}

// RatingScale is a tenant's rating scale as a channel's rating form shows
// it (*ratings.Store): the levels, best first, with their reasons.
type RatingScale interface {
	Levels(ctx context.Context, tenantID string) ([]ratings.Level, error)
}

// AgentAvatars are the agents' avatars (*avatars.Store): the URL of one,
// "" when the agent has none.
type AgentAvatars interface {
	Of(ctx context.Context, agentID string) (string, error)
}

// RobotFeedback takes a customer's "helpful?" (有帮助/没帮助) on one of the
// robot's answers (messages of type "answer"), once per answer.
type RobotFeedback interface {
	Feedback(ctx context.Context, ch *hub.Channel, contactExternalID, messageID string, helpful bool) error
}

// HelpArticles is the knowledge base as a public help centre (帮助中心)
// reads it (*kb.Store): only what is live on the channel.
type HelpArticles interface {
	Published(ctx context.Context, tenantID, channelID string) ([]kb.Article, error)
	PublishedArticle(ctx context.Context, tenantID, channelID, id string) (*kb.Article, error)
	Search(ctx context.Context, tenantID string, q kb.Query) (kb.Result, error)
}
