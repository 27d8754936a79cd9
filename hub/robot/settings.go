package robot

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/store"
)

// Mode is when a channel's robot answers.
type Mode string

// Modes.
const (
	ModeOff   Mode = "off"   // people answer everything
	ModeFirst Mode = "first" // the robot answers first, then hands over to a person
	// ModeOffHours: the robot answers a new conversation only when nobody
	// can (outside the business hours of the channel's group, or nobody
	// online), then hands over like first.
	ModeOffHours Mode = "off_hours"
)

// Settings are a channel's robot.
type Settings struct {
	ChannelID string `json:"channel_id"`
	Mode      Mode   `json:"mode"`
	// Greeting is sent when a conversation opens with the robot ("" = none).
	Greeting string `json:"greeting"`
	// Threshold is the least knowledge-base score the robot answers with
	// (0: the knowledge base's default; 0.05 to 1 otherwise). A group's
	// robot may override it, with the mode and the greeting.
	Threshold float64 `json:"threshold"`
	// MaxMisses is how many questions in a row the robot may fail to answer
	// before it hands over (at least 1).
	MaxMisses int `json:"max_misses"`
	// HandoffWords ask for a person (转人工); empty uses the defaults.
	HandoffWords []string `json:"handoff_words"`
	// Provider is the brain: "kb" (the knowledge base) or "webhook" (an
	// external bot at WebhookURL, the knowledge base when it fails).
	Provider   string `json:"provider"`
	WebhookURL string `json:"webhook_url"`
	// WebhookSecret (whsec_…) signs the bot's requests the Standard
	// Webhooks way; made by the hub when none is given, kept when "".
	WebhookSecret string `json:"webhook_secret"`
	// WebhookTimeoutMS is how long the bot may take (200 to 10000 ms,
	// default 3000) before the knowledge base answers instead.
	WebhookTimeoutMS int       `json:"webhook_timeout_ms"`
	UpdatedAt        time.Time `json:"updated_at"`
	webhookSecret    string    // as stored (sealed)
}

// DefaultHandoffWords ask for a person when a channel names none.
var DefaultHandoffWords = []string{"转人工", "人工客服", "人工服务", "找人工", "真人", "人工"}

// defaults are a channel's settings before an admin sets them.
func defaults(channelID string) Settings {
	return Settings{ChannelID: channelID, Mode: ModeOff, MaxMisses: 2, HandoffWords: []string{}, Provider: ProviderKB,
		WebhookTimeoutMS: int(DefaultWebhookTimeout / time.Millisecond)}
}

func (s *Settings) validate() error {
	s.Greeting = strings.TrimSpace(hub.Clean(s.Greeting))
	words := []string{}
	for _, w := range s.HandoffWords {
		if w = strings.TrimSpace(hub.Clean(w)); w != "" {
			words = append(words, w)
		}
	}
	s.HandoffWords = words
	switch {
	case s.Mode != ModeOff && s.Mode != ModeFirst && s.Mode != ModeOffHours:
		return hub.BadField("input_choice", "mode", "mode is off, first or off_hours")
	case utf8.RuneCountInString(s.Greeting) > 1000:
		return hub.BadField("input_too_long", "greeting", "greeting is at most 1000 characters", "max", "1000")
	case s.Threshold != 0 && !validThreshold(s.Threshold):
		return hub.BadField("input_range", "threshold", "threshold is 0 (the default) or 0.05 to 1", "min", "0.05", "max", "1")
	case s.MaxMisses < 1 || s.MaxMisses > 10:
		return hub.BadField("input_range", "max_misses", "max_misses is 1 to 10", "min", "1", "max", "10")
	case len(s.HandoffWords) > 20:
		return hub.BadField("input_too_many", "handoff_words", "at most 20 handoff words", "max", "20")
	}
	return nil
}

func (s Settings) handoffWords() []string {
	if len(s.HandoffWords) == 0 {
		return DefaultHandoffWords
	}
	return s.HandoffWords
}

type settingsRow struct {
	ChannelID     string    `db:"channel_id"`
	Mode          string    `db:"mode"`
	Greeting      string    `db:"greeting"`
	Threshold     float64   `db:"threshold"`
	MaxMisses     int       `db:"max_misses"`
	HandoffWords  string    `db:"handoff_words"`
	Provider      string    `db:"provider"`
	WebhookURL    string    `db:"webhook_url"`
	WebhookSecret string    `db:"webhook_secret"`
	WebhookTimout int       `db:"webhook_timeout_ms"`
	UpdatedAt     time.Time `db:"updated_at"`
}

type querier interface {
	Select(ctx context.Context, dest any, q string, args ...any) error
}

// settings reads a channel's robot (the defaults when none is set).
func settings(ctx context.Context, db querier, tenantID, channelID string) (Settings, error) {
	var rows []settingsRow
	const q = `SELECT channel_id, mode, greeting, threshold, max_misses, handoff_words, provider, webhook_url, webhook_secret,
		webhook_timeout_ms, updated_at FROM robot_settings WHERE tenant_id = ? AND channel_id = ?`
	if err := db.Select(ctx, &rows, q, tenantID, channelID); err != nil {
		return Settings{}, fmt.Errorf("robot settings: %w", err)
	}
	if len(rows) == 0 {
		return defaults(channelID), nil
	}
	r := rows[0]
	s := Settings{ChannelID: r.ChannelID, Mode: Mode(r.Mode), Greeting: r.Greeting, Threshold: r.Threshold, MaxMisses: r.MaxMisses,
		HandoffWords: []string{}, Provider: r.Provider, WebhookURL: r.WebhookURL, WebhookTimeoutMS: r.WebhookTimout,
		webhookSecret: r.WebhookSecret, UpdatedAt: r.UpdatedAt}
	_ = json.Unmarshal([]byte(r.HandoffWords), &s.HandoffWords)
	return s, nil
}

// Settings reads a channel's robot (with its bot secret, for the admin
// who configures the bot); another tenant's channel is not found.
func (r *Robot) Settings(ctx context.Context, tenantID, channelID string) (Settings, error) {
	if err := r.ownChannel(ctx, tenantID, channelID); err != nil {
		return Settings{}, err
	}
	s, err := settings(ctx, r.k, tenantID, channelID)
	if err != nil || s.webhookSecret == "" {
		return s, err
	}
	s.WebhookSecret, err = r.k.Unseal(s.webhookSecret, secretBind(channelID))
	return s, err
}

// SetSettings changes a channel's robot.
func (r *Robot) SetSettings(ctx context.Context, tenantID, channelID string, s Settings) (Settings, error) {
	if err := r.ownChannel(ctx, tenantID, channelID); err != nil {
		return Settings{}, err
	}
	s.ChannelID, s.UpdatedAt = channelID, r.k.Now()
	if err := s.validate(); err != nil {
		return Settings{}, err
	}
	if err := r.validateWebhook(ctx, &s); err != nil {
		return Settings{}, err
	}
	sealed, err := r.botSecret(ctx, tenantID, &s)
	if err != nil {
		return Settings{}, err
	}
	words, _ := json.Marshal(s.HandoffWords)
	const q = `INSERT INTO robot_settings (channel_id, tenant_id, mode, greeting, threshold, max_misses, handoff_words, provider,
		webhook_url, webhook_secret, webhook_timeout_ms, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (channel_id) DO UPDATE SET mode = excluded.mode, greeting = excluded.greeting, threshold = excluded.threshold,
		max_misses = excluded.max_misses, handoff_words = excluded.handoff_words, provider = excluded.provider,
		webhook_url = excluded.webhook_url, webhook_secret = excluded.webhook_secret,
		webhook_timeout_ms = excluded.webhook_timeout_ms, updated_at = excluded.updated_at`
	if _, err := r.k.Exec(ctx, q, channelID, tenantID, string(s.Mode), s.Greeting, s.Threshold, s.MaxMisses, string(words), s.Provider,
		s.WebhookURL, sealed, s.WebhookTimeoutMS, s.UpdatedAt); err != nil {
		return Settings{}, fmt.Errorf("save robot settings: %w", err)
	}
	r.mu.Lock()
	delete(r.active, tenantID) // this process sees the change at once
	r.mu.Unlock()
	return s, nil
}

// botSecret is the sealed bot secret to store: the one given (whsec_…),
// else the channel's current one, else (with a bot URL) a new one.
func (r *Robot) botSecret(ctx context.Context, tenantID string, s *Settings) (string, error) {
	s.WebhookSecret = strings.TrimSpace(s.WebhookSecret)
	if s.WebhookSecret == "" {
		cur, err := settings(ctx, r.k, tenantID, s.ChannelID)
		if err != nil {
			return "", err
		}
		if cur.webhookSecret != "" {
			if s.WebhookSecret, err = r.k.Unseal(cur.webhookSecret, secretBind(s.ChannelID)); err != nil {
				return "", err
			}
			return cur.webhookSecret, nil
		}
		if s.WebhookURL == "" || r.webhook.NewSecret == nil {
			return "", nil
		}
		s.WebhookSecret = r.webhook.NewSecret()
	}
	if !strings.HasPrefix(s.WebhookSecret, "whsec_") || len(s.WebhookSecret) > 200 {
		return "", hub.Invalid("webhook_secret is whsec_<base64>")
	}
	sealed, err := r.k.Seal(s.WebhookSecret, secretBind(s.ChannelID))
	if err != nil {
		return "", fmt.Errorf("seal the bot secret: %w", err)
	}
	return sealed, nil
}

func (r *Robot) ownChannel(ctx context.Context, tenantID, channelID string) error {
	ch, err := r.channel(ctx, channelID)
	if err != nil || ch.TenantID != tenantID {
		return fmt.Errorf("channel %s: %w", channelID, hub.ErrNotFound)
	}
	return nil
}

var _ querier = (*store.Tx)(nil)
