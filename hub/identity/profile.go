package identity

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/automations"
	"github.com/kefu-hub/kefu/hub/store"
)

// Profile is what an agent sets for themselves (个人设置): how colleagues
// reach them, the signature under their ticket replies, how the workbench
// tells them of new work, and their own automatic replies — a greeting
// once a conversation is theirs, and "still checking" (which replaces the
// channel's) while they are slow to answer.
type Profile struct {
	Phone         string            `json:"phone"`
	Signature     string            `json:"signature"`
	Notify        Notify            `json:"notify"`
	Greeting      automations.Timed `json:"greeting"`
	StillChecking automations.Timed `json:"still_checking"`
}

// Notify is how the workbench tells the agent of new work.
type Notify struct {
	SoundAssigned bool `json:"sound_assigned"` // a conversation was assigned to me
	SoundMessage  bool `json:"sound_message"`  // a customer wrote in one of mine
	Desktop       bool `json:"desktop"`        // a system notification while the tab is hidden
}

// DefaultProfile is what an agent starts with: every notice on, the
// personal replies off (with texts ready to switch on).
func DefaultProfile() Profile {
	return Profile{Notify: Notify{SoundAssigned: true, SoundMessage: true, Desktop: true},
		Greeting:      automations.Timed{AfterSeconds: 3, Text: "您好，我是{name}，很高兴为您服务。"},
		StillChecking: automations.Timed{AfterSeconds: 60, Text: "正在为您查询，请耐心等待！"}}
}

// GreetingText is the greeting with {name} filled in.
func (p Profile) GreetingText(agentName string) string {
	return strings.ReplaceAll(p.Greeting.Text, "{name}", agentName)
}

// StillCheckingOr is the "still checking" reply of a conversation the agent
// holds: their own when they turned it on, else the channel's (nil: none).
func (p Profile) StillCheckingOr(channel *automations.Timed) automations.Timed {
	if p.StillChecking.Enabled {
		return p.StillChecking
	}
	if channel == nil {
		return automations.Timed{}
	}
	return *channel
}

func (p *Profile) validate() error {
	p.Phone, p.Signature = strings.TrimSpace(p.Phone), strings.TrimSpace(p.Signature)
	if utf8.RuneCountInString(p.Phone) > 32 || strings.ContainsFunc(p.Phone, func(r rune) bool {
		return !strings.ContainsRune("0123456789+-() ", r)
	}) {
		return hub.BadField("input_format", "phone", "phone: digits, spaces and + - ( ) only, at most 32")
	}
	if utf8.RuneCountInString(p.Signature) > 200 {
		return hub.BadField("input_too_long", "signature", "signature: at most 200 characters", "max", "200")
	}
	for _, t := range []struct {
		name string
		v    *automations.Timed
	}{{"greeting", &p.Greeting}, {"still_checking", &p.StillChecking}} {
		t.v.Text = strings.TrimSpace(t.v.Text)
		if t.v.AfterSeconds < 1 || t.v.AfterSeconds > 3600 {
			return hub.BadField("input_range", t.name+".after_seconds", fmt.Sprintf("%s.after_seconds must be between 1 and 3600", t.name), "min", "1", "max", "3600")
		}
		if utf8.RuneCountInString(t.v.Text) > 500 {
			return hub.BadField("input_too_long", t.name+".text", fmt.Sprintf("%s.text: at most 500 characters", t.name), "max", "500")
		}
		if t.v.Enabled && t.v.Text == "" {
			return hub.BadField("input_required", t.name+".text", fmt.Sprintf("%s.text is required when it is on", t.name))
		}
	}
	return nil
}

// profiles caches agents' profiles for the message paths that read them
// (routing, the inbox, timers): a change made through this process is seen
// at once; other processes of a cluster see it within profileTTL.
type profiles struct {
	mu sync.Mutex
	m  map[string]cachedProfile
}

type cachedProfile struct {
	p   Profile
	exp time.Time
}

const profileTTL = 5 * time.Second

var profileCache = &profiles{m: map[string]cachedProfile{}}

// ProfileOf is an agent's profile (the default for "" or an agent without
// one), read through q — a transaction or the store.
func ProfileOf(ctx context.Context, q store.Querier, agentID string) (Profile, error) {
	if agentID == "" {
		return DefaultProfile(), nil
	}
	profileCache.mu.Lock()
	c, ok := profileCache.m[agentID]
	profileCache.mu.Unlock()
	if ok && time.Now().Before(c.exp) {
		return c.p, nil
	}
	var raw []string
	if err := q.Select(ctx, &raw, `SELECT profile FROM agents WHERE id = ?`, agentID); err != nil {
		return Profile{}, fmt.Errorf("agent profile: %w", err)
	}
	p := DefaultProfile()
	if len(raw) == 1 {
		_ = json.Unmarshal([]byte(raw[0]), &p) // what is stored was validated; fields it lacks keep their defaults
	}
	profileCache.mu.Lock()
	if len(profileCache.m) > 10000 {
		clear(profileCache.m)
	}
	profileCache.m[agentID] = cachedProfile{p: p, exp: time.Now().Add(profileTTL)}
	profileCache.mu.Unlock()
	return p, nil
}

// Profile is an agent's profile.
func (s *Agents) Profile(ctx context.Context, agentID string) (Profile, error) {
	return ProfileOf(ctx, s.k, agentID)
}

// SetProfile replaces the agent's own profile, and their display name when
// name is not nil (1–64 characters).
func (s *Agents) SetProfile(ctx context.Context, a *hub.Agent, name *string, p Profile) (Profile, error) {
	if err := p.validate(); err != nil {
		return Profile{}, err
	}
	n := a.Name
	if name != nil {
		if n = strings.TrimSpace(*name); n == "" || utf8.RuneCountInString(n) > 64 {
			return Profile{}, hub.BadField("input_length", "name", "name: 1 to 64 characters", "max", "64")
		}
	}
	b, _ := json.Marshal(p)
	err := s.k.Write(ctx, func(tx *store.Tx) error {
		const q = `UPDATE agents SET name = ?, profile = ? WHERE tenant_id = ? AND id = ?`
		if _, err := tx.Exec(ctx, q, n, string(b), a.TenantID, a.ID); err != nil {
			return fmt.Errorf("save profile: %w", err)
		}
		return nil
	})
	if err != nil {
		return Profile{}, err
	}
	a.Name = n
	profileCache.mu.Lock()
	profileCache.m[a.ID] = cachedProfile{p: p, exp: time.Now().Add(profileTTL)}
	profileCache.mu.Unlock()
	return p, nil
}

// ErrWrongPassword is a password change whose current password is wrong.
var ErrWrongPassword = hub.Coded("wrong_current_password", hub.Invalid("the current password is wrong"))

// ChangePassword sets the agent's new password once their current one is
// checked, and ends every other session of theirs (keep: the hash of the
// session's token that asked, which stays signed in).
func (s *Agents) ChangePassword(ctx context.Context, a *hub.Agent, current, next, keep string) error {
	if len(next) < 8 {
		return hub.Coded("password_too_short", hub.Invalid("password must be at least 8 characters"))
	}
	if next == current {
		return hub.Coded("password_unchanged", hub.Invalid("the new password must differ from the current one"))
	}
	var hash string
	if err := s.k.Get(ctx, &hash, `SELECT password_hash FROM agents WHERE tenant_id = ? AND id = ?`, a.TenantID, a.ID); err != nil {
		return fmt.Errorf("read password: %w", err)
	}
	if !CheckPassword(hash, current) {
		return ErrWrongPassword
	}
	newHash := HashPassword(next) // outside the transaction (see NewAgent.hashed)
	return s.k.Write(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE agents SET password_hash = ? WHERE id = ?`, newHash, a.ID); err != nil {
			return fmt.Errorf("change password: %w", err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE agent_id = ? AND token_hash <> ?`, a.ID, keep); err != nil {
			return fmt.Errorf("end other sessions: %w", err)
		}
		return nil
	})
}
