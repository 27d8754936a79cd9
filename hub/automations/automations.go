// Package automations owns what the hub does by itself: a tenant's
// automatic messages and flags (overridable per channel), the masking of
// sensitive data, and the durable timers that fire them. What a timer does
// when it fires belongs to the package that armed it (Handler).
package automations

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/mask"
	"github.com/kefu-hub/kefu/hub/store"
)

// Automations are a tenant's automatic messages and flags, overridable per
// channel (a channel's settings replace the tenant's field by field).
// Durations are seconds, so they can be short in tests.
type Automations struct {
	// Greeting is sent this long after a conversation opens, unless an
	// agent has written first.
	Greeting *Timed `json:"greeting,omitempty"`
	// StillChecking ("正在为您查询") is sent when an assigned agent has not
	// replied this long after the customer's last message.
	StillChecking *Timed `json:"still_checking,omitempty"`
	// Idle reminds a customer who has not answered the agent, then closes
	// the conversation if they stay silent.
	Idle *Idle `json:"idle,omitempty"`
	// Unanswered flags a newly assigned conversation the agent has not
	// answered, to the agent and supervisors (conversation.unanswered).
	Unanswered *Unanswered `json:"unanswered,omitempty"`
	// Masking hides sensitive data in stored (and so displayed) text.
	Masking *Masking `json:"masking,omitempty"`
	// Queue tells waiting customers their place and offers to leave a
	// message when the queue is full or the wait too long.
	Queue *QueueNotice `json:"queue,omitempty"`
	// Transfer tells the customer their conversation was handed over.
	Transfer *Notice `json:"transfer,omitempty"`
}

// Timed is a message sent after a delay.
type Timed struct {
	Enabled      bool   `json:"enabled"`
	AfterSeconds int    `json:"after_seconds"`
	Text         string `json:"text"`
}

// Idle is the visitor-idle reminder and auto-close.
type Idle struct {
	Enabled              bool   `json:"enabled"`
	ReminderAfterSeconds int    `json:"reminder_after_seconds"`
	ReminderText         string `json:"reminder_text"`
	CloseAfterSeconds    int    `json:"close_after_seconds"`
	CloseText            string `json:"close_text"`
}

// Unanswered is the not-answered flag.
type Unanswered struct {
	Enabled      bool `json:"enabled"`
	AfterSeconds int  `json:"after_seconds"`
}

// Masking is the sensitive-data masking.
type Masking struct {
	Enabled  bool           `json:"enabled"`
	Patterns []mask.Pattern `json:"patterns"`
}

// QueueNotice is what waiting customers are told. Notify is "event" (a
// conversation.queue_position event the channel's connector delivers),
// "message" (an automatic message, for channels without events) or "auto"
// (events where the channel takes them, messages elsewhere).
type QueueNotice struct {
	Enabled            bool   `json:"enabled"`
	Notify             string `json:"notify"`
	Text               string `json:"text"`
	UpdateText         string `json:"update_text"`
	UpdateEverySeconds int    `json:"update_every_seconds"`
	QueueFullText      string `json:"queue_full_text"`
	MaxWaitText        string `json:"max_wait_text"`
}

// Notice is an automatic message; {to} names the new agent or group.
type Notice struct {
	Enabled bool   `json:"enabled"`
	Text    string `json:"text"`
}

// AsMessages reports whether queue notices go out as chat messages.
func (q *QueueNotice) AsMessages(ch *hub.Channel) bool {
	return q.Notify == "message" || (q.Notify == "auto" && !ch.WantsEvents)
}

// DefaultAutomations are what a tenant starts with: the customer-visible
// timers off until an admin turns them on, queue notices, transfer notices,
// the unanswered flag and card/ID masking on.
func DefaultAutomations() Automations {
	return Automations{
		Greeting:      &Timed{AfterSeconds: 3, Text: "您好，欢迎咨询，请问有什么可以帮您？"},
		StillChecking: &Timed{AfterSeconds: 60, Text: "正在为您查询，请耐心等待！"},
		Idle: &Idle{ReminderAfterSeconds: 300, ReminderText: "您好，请问还有什么可以帮您的吗？",
			CloseAfterSeconds: 120, CloseText: "由于您长时间未回复，本次会话已结束。如需帮助，欢迎随时联系我们。"},
		Unanswered: &Unanswered{Enabled: true, AfterSeconds: 120},
		Masking:    &Masking{Enabled: true, Patterns: mask.Defaults()},
		Queue: &QueueNotice{Enabled: true, Notify: "auto", Text: "您好，当前咨询人数较多，您前面还有 {ahead} 位访客，请稍候。",
			UpdateText: "您前面还有 {ahead} 位访客，请稍候。", UpdateEverySeconds: 60,
			QueueFullText: "当前排队人数较多，请您留言，我们会尽快回复您。",
			MaxWaitText:   "抱歉让您久等了，客服仍在忙。您可以直接留言，我们会尽快回复您。"},
		Transfer: &Notice{Enabled: true, Text: "您的会话已转接给{to}，请稍候。"},
	}
}

func (a *Automations) validate() error {
	type timed struct {
		name string
		n    int
	}
	checks := []timed{{"greeting.after_seconds", a.Greeting.AfterSeconds}, {"still_checking.after_seconds", a.StillChecking.AfterSeconds},
		{"idle.reminder_after_seconds", a.Idle.ReminderAfterSeconds}, {"idle.close_after_seconds", a.Idle.CloseAfterSeconds},
		{"unanswered.after_seconds", a.Unanswered.AfterSeconds}, {"queue.update_every_seconds", a.Queue.UpdateEverySeconds}}
	for _, c := range checks {
		if c.n < 0 || c.n > week {
			return hub.BadField("input_range", c.name, fmt.Sprintf("%s must be between 0 and %d", c.name, week), "min", "0", "max", strconv.Itoa(week))
		}
	}
	if n := a.Queue.Notify; n != "auto" && n != "event" && n != "message" {
		return hub.Invalid("queue.notify must be auto, event or message")
	}
	if _, err := mask.Compile(a.Masking.Patterns); err != nil {
		return hub.Invalid("masking: %v", err)
	}
	return nil
}

// overlay applies stored JSON on top of a: fields present replace.
func overlay(a *Automations, raw string) error {
	if raw == "" {
		return nil
	}
	return json.Unmarshal([]byte(raw), a)
}

// Store keeps the automation settings, with the effective automations of
// each channel cached briefly (every inbound message needs them).
type Store struct {
	k     *store.Store
	log   *slog.Logger
	mu    sync.Mutex
	cache map[string]cachedAuto
}

// New returns the automations store.
func New(k *store.Store, log *slog.Logger) *Store {
	return &Store{k: k, log: log, cache: map[string]cachedAuto{}}
}

type cachedAuto struct {
	a      Automations
	masker *mask.Masker
	exp    time.Time
}

// For is the effective settings of a channel (cached briefly:
// every inbound message needs them).
func (s *Store) For(ctx context.Context, ch *hub.Channel) Automations {
	return s.autoFor(ctx, ch).a
}

func (s *Store) autoFor(ctx context.Context, ch *hub.Channel) cachedAuto {
	s.mu.Lock()
	c, ok := s.cache[ch.ID]
	s.mu.Unlock()
	if ok && time.Now().Before(c.exp) {
		return c
	}
	c = cachedAuto{a: DefaultAutomations(), exp: time.Now().Add(5 * time.Second)}
	tenant, channel, err := s.automationRows(ctx, ch.TenantID, ch.ID)
	if err != nil {
		s.log.Warn("load automations; using defaults", "channel", ch.ID, "err", err)
		c.exp = time.Now().Add(time.Second)
	}
	if overlay(&c.a, tenant) != nil || overlay(&c.a, channel) != nil {
		s.log.Warn("damaged automation settings; using defaults", "channel", ch.ID)
	}
	if c.a.Masking.Enabled {
		c.masker, _ = mask.Compile(c.a.Masking.Patterns) // validated when saved
	}
	s.mu.Lock()
	if s.cache == nil {
		s.cache = map[string]cachedAuto{}
	}
	s.cache[ch.ID] = c
	s.mu.Unlock()
	return c
}

func (s *Store) automationRows(ctx context.Context, tenantID, channelID string) (tenant, channel string, err error) {
	var rows []struct {
		ChannelID string `db:"channel_id"`
		Settings  string `db:"settings"`
	}
	q := `SELECT channel_id, settings FROM automation_settings WHERE tenant_id = ? AND channel_id IN ('', ?)`
	if err := s.k.Select(ctx, &rows, q, tenantID, channelID); err != nil {
		return "", "", fmt.Errorf("automation settings: %w", err)
	}
	for _, r := range rows {
		if r.ChannelID == "" {
			tenant = r.Settings
		} else {
			channel = r.Settings
		}
	}
	return tenant, channel, nil
}

// Mask applies the channel's masking to text.
func (s *Store) Mask(ctx context.Context, ch *hub.Channel, text string) string {
	return s.autoFor(ctx, ch).masker.Apply(text)
}

// AutomationSettings is what the admin API shows: the stored settings of
// the tenant or a channel and the effective result.
type AutomationSettings struct {
	ChannelID string          `json:"channel_id,omitempty"`
	Settings  json.RawMessage `json:"settings"`
	Effective Automations     `json:"effective"`
}

// Get returns the tenant's (channelID "") or a channel's settings.
func (s *Store) Get(ctx context.Context, tenantID, channelID string) (*AutomationSettings, error) {
	tenant, channel, err := s.automationRows(ctx, tenantID, channelID)
	if err != nil {
		return nil, err
	}
	out := &AutomationSettings{ChannelID: channelID, Effective: DefaultAutomations()}
	_ = overlay(&out.Effective, tenant)
	own := tenant
	if channelID != "" {
		_ = overlay(&out.Effective, channel)
		own = channel
	}
	if own == "" {
		own = "{}"
	}
	out.Settings = json.RawMessage(own)
	return out, nil
}

// Put replaces the tenant's (channelID "") or a channel's
// settings; a channel's only need the fields it overrides.
func (s *Store) Put(ctx context.Context, tenantID, channelID string, raw json.RawMessage) (*AutomationSettings, error) {
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(raw, &probe); err != nil || probe == nil {
		return nil, hub.Invalid("settings must be a JSON object")
	}
	for k, v := range probe {
		if bytes.Equal(bytes.TrimSpace(v), []byte("null")) {
			return nil, hub.Invalid("%s must be an object (leave it out to keep the current settings)", k)
		}
	}
	var check Automations
	if err := json.Unmarshal(raw, &check); err != nil {
		return nil, hub.Invalid("settings: %v", err)
	}
	tenant, _, err := s.automationRows(ctx, tenantID, "")
	if err != nil {
		return nil, err
	}
	eff := DefaultAutomations()
	if channelID != "" {
		_ = overlay(&eff, tenant)
	}
	if err := overlay(&eff, string(raw)); err != nil {
		return nil, hub.Invalid("settings: %v", err)
	}
	if err := eff.validate(); err != nil {
		return nil, err
	}
	var clean bytes.Buffer
	if err := json.Compact(&clean, raw); err != nil {
		return nil, hub.Invalid("settings: %v", err)
	}
	err = s.k.Write(ctx, func(tx *store.Tx) error {
		const q = `INSERT INTO automation_settings (tenant_id, channel_id, settings, updated_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (tenant_id, channel_id) DO UPDATE SET settings = excluded.settings, updated_at = excluded.updated_at`
		_, err := tx.ExecContext(ctx, tx.Rebind(q), tenantID, channelID, clean.String(), s.k.Now())
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("save automations: %w", err)
	}
	s.forgetAutomations()
	return s.Get(ctx, tenantID, channelID)
}

// Delete removes a channel's overrides (back to the tenant's).
func (s *Store) Delete(ctx context.Context, tenantID, channelID string) error {
	err := s.k.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM automation_settings WHERE tenant_id = ? AND channel_id = ?`),
			tenantID, channelID)
		return err
	})
	s.forgetAutomations()
	return err
}

func (s *Store) forgetAutomations() {
	s.mu.Lock()
	clear(s.cache)
	s.mu.Unlock()
}

// week bounds the delays settings may ask for, in seconds.
const week = 7 * 24 * 3600

// Secs is a number of seconds as a duration.
func Secs(n int) time.Duration { return time.Duration(n) * time.Second }
