package robot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/store"
)

// Provider names: which brain answers a channel's customers.
const (
	ProviderKB      = "kb"      // the knowledge base
	ProviderWebhook = "webhook" // an external bot behind an HTTPS webhook, the knowledge base when it fails
)

// Webhook time limits: what a bot may take to answer (the customer waits).
const (
	DefaultWebhookTimeout = 3 * time.Second
	MaxWebhookTimeout     = 10 * time.Second
	minWebhookTimeout     = 200 * time.Millisecond
	maxBotAnswer          = 64 << 10 // bytes of a bot's answer read
	recentTurns           = 10       // messages of the conversation sent along
)

// WebhookDeps are what the external-bot provider calls with (nil HTTP: the
// provider is off and channels cannot choose it).
type WebhookDeps struct {
	// HTTP is the hub's guarded client (no internal addresses unless the
	// hub allows private callbacks).
	HTTP *http.Client
	// CheckURL validates a bot URL when an admin sets it.
	CheckURL func(ctx context.Context, raw string) error
	// AllowHTTP accepts http:// bot URLs (tests, private networks);
	// otherwise only https://.
	AllowHTTP bool
	// Sign sets the Standard Webhooks headers (webhook-id,
	// webhook-timestamp, webhook-signature) for a body.
	Sign func(h http.Header, secret, id string, ts time.Time, body []byte) error
	// NewSecret makes a whsec_ secret for a channel that has none.
	NewSecret func() string
}

// botRequest is what the external bot receives.
type botRequest struct {
	Type           string    `json:"type"` // "robot.question"
	ID             string    `json:"id"`   // the customer message's id (also webhook-id)
	Question       string    `json:"question"`
	ConversationID string    `json:"conversation_id"`
	Channel        botChan   `json:"channel"`
	Turns          []botTurn `json:"turns"` // the conversation's latest messages, oldest first, the question last
}

type botChan struct {
	ID   string `json:"id"`
	Type string `json:"type"`
}

type botTurn struct {
	Role string    `json:"role"` // customer, robot, agent or system
	Text string    `json:"text"`
	At   time.Time `json:"at"`
}

// botAnswer is what the external bot answers.
type botAnswer struct {
	Answer     string   `json:"answer"`
	Confidence *float64 `json:"confidence"`
	Handoff    bool     `json:"handoff"`
}

// errBot is an external bot's failure: the knowledge base answers instead.
var errBot = errors.New("external bot")

// askBot asks the channel's external bot; any failure (timeout, non-2xx,
// a body that is not the answer JSON) is an error, and the caller falls
// back to the knowledge base.
func (r *Robot) askBot(ctx context.Context, s Settings, secret string, q Question, ch *hub.Channel) (Reply, error) {
	if r.webhook.HTTP == nil || r.webhook.Sign == nil {
		return Reply{}, fmt.Errorf("%w: no HTTP client", errBot)
	}
	body, err := json.Marshal(botRequest{Type: "robot.question", ID: q.MessageID, Question: q.Text,
		ConversationID: q.ConversationID, Channel: botChan{ID: ch.ID, Type: ch.Type}, Turns: r.turns(ctx, q)})
	if err != nil {
		return Reply{}, fmt.Errorf("%w: encode: %w", errBot, err)
	}
	ctx, cancel := context.WithTimeout(ctx, s.webhookTimeout())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.WebhookURL, bytes.NewReader(body))
	if err != nil {
		return Reply{}, fmt.Errorf("%w: %w", errBot, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Kefu-Robot/1")
	if err := r.webhook.Sign(req.Header, secret, q.MessageID, time.Now(), body); err != nil {
		return Reply{}, fmt.Errorf("%w: sign: %w", errBot, err)
	}
	res, err := r.webhook.HTTP.Do(req)
	if err != nil {
		return Reply{}, fmt.Errorf("%w: %w", errBot, err)
	}
	defer res.Body.Close()
	if res.StatusCode/100 != 2 {
		return Reply{}, fmt.Errorf("%w: answered %d", errBot, res.StatusCode)
	}
	var a botAnswer
	if err := json.NewDecoder(io.LimitReader(res.Body, maxBotAnswer)).Decode(&a); err != nil {
		return Reply{}, fmt.Errorf("%w: the answer is not JSON: %w", errBot, err)
	}
	a.Answer = strings.TrimSpace(hub.Truncate(hub.Clean(a.Answer), 5000))
	if a.Answer == "" && !a.Handoff {
		return Reply{}, fmt.Errorf("%w: no answer", errBot)
	}
	return Reply{Text: a.Answer, Confident: a.Answer != "", Handoff: a.Handoff, Source: SourceWebhook}, nil
}

// turns are the conversation's latest customer-visible messages.
func (r *Robot) turns(ctx context.Context, q Question) []botTurn {
	out := []botTurn{}
	conv, err := r.convs.ByID(ctx, q.ConversationID)
	if err != nil {
		return out
	}
	ms, err := r.convs.CustomerMessages(ctx, q.ConversationID, max(conv.LastSeq-recentTurns, 0), recentTurns)
	if err != nil {
		return out
	}
	for _, m := range ms {
		role := string(m.SenderType)
		if m.SenderType == hub.SenderContact {
			role = "customer"
		}
		out = append(out, botTurn{Role: role, Text: hub.Truncate(m.Text, 2000), At: m.CreatedAt})
	}
	return out
}

// ask asks the channel's brain: its external bot when it has one, the
// knowledge base when that fails (logged) or the channel has none.
func (r *Robot) ask(ctx context.Context, s Settings, q Question) (Reply, error) {
	if s.Provider == ProviderWebhook && s.WebhookURL != "" {
		ch, err := r.channel(ctx, q.ChannelID)
		if err != nil {
			return Reply{}, err
		}
		secret, err := r.k.Unseal(s.webhookSecret, secretBind(q.ChannelID))
		if err == nil {
			start := time.Now()
			rep, err := r.askBot(ctx, s, secret, q, ch)
			if err == nil {
				return rep, nil
			}
			r.log.Warn("external bot failed; the knowledge base answers", "channel", q.ChannelID,
				"conversation", q.ConversationID, "took", time.Since(start), "err", err)
		} else {
			r.log.Warn("external bot secret", "channel", q.ChannelID, "err", err)
		}
	}
	return r.brain.Answer(ctx, q)
}

func secretBind(channelID string) string { return store.Bind("robot_settings", channelID) }

// ResealSecrets seals the channels' bot secrets with the current key (the
// hub runs it at start-up, `kefu rotate-secrets` on demand).
func ResealSecrets(ctx context.Context, k *store.Store) (int, error) {
	return k.ResealKeyed(ctx, "robot_settings", "channel_id", "webhook_secret")
}

func (s Settings) webhookTimeout() time.Duration {
	if s.WebhookTimeoutMS <= 0 {
		return DefaultWebhookTimeout
	}
	return time.Duration(s.WebhookTimeoutMS) * time.Millisecond
}

// validateWebhook checks the provider settings an admin sets.
func (r *Robot) validateWebhook(ctx context.Context, s *Settings) error {
	s.Provider = cmpOr(s.Provider, ProviderKB)
	s.WebhookURL = strings.TrimSpace(s.WebhookURL)
	if s.WebhookTimeoutMS == 0 {
		s.WebhookTimeoutMS = int(DefaultWebhookTimeout / time.Millisecond)
	}
	switch {
	case s.Provider != ProviderKB && s.Provider != ProviderWebhook:
		return hub.Invalid("provider is kb or webhook")
	case s.WebhookTimeoutMS < int(minWebhookTimeout/time.Millisecond) || s.WebhookTimeoutMS > int(MaxWebhookTimeout/time.Millisecond):
		return hub.Invalid("webhook_timeout_ms is %d to %d", minWebhookTimeout/time.Millisecond, MaxWebhookTimeout/time.Millisecond)
	case s.Provider == ProviderWebhook && r.webhook.HTTP == nil:
		return hub.Invalid("this hub has no external-bot provider")
	case s.Provider == ProviderWebhook && s.WebhookURL == "":
		return hub.Invalid("webhook_url is required for the webhook provider")
	case len(s.WebhookURL) > 1000:
		return hub.Invalid("webhook_url is at most 1000 characters")
	}
	if s.WebhookURL == "" {
		return nil
	}
	if !strings.HasPrefix(s.WebhookURL, "https://") && !(r.webhook.AllowHTTP && strings.HasPrefix(s.WebhookURL, "http://")) {
		return hub.Invalid("webhook_url must be an https:// URL")
	}
	if r.webhook.CheckURL != nil {
		if err := r.webhook.CheckURL(ctx, s.WebhookURL); err != nil {
			return hub.Invalid("webhook_url: %v", err)
		}
	}
	return nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
