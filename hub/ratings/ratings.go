// Package ratings owns satisfaction ratings (满意度): a tenant's scale
// (2–5 levels with their labels and reasons, best first), the texts that
// invite and thank, the ratings themselves (one per conversation,
// changeable for a while) and the invitations sent on channels that have
// no rating form of their own (WeChat, Weibo, QQ, WeCom …): the customer
// answers with the level's number, which the inbox takes as the rating, or
// opens the link the invitation carries to the hub's rating page (link.go),
// where they also pick reasons and write a comment.
package ratings

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/kefu-hub/kefu/hub"
	"github.com/kefu-hub/kefu/hub/store"
)

// Level is one step of the scale: the score it stores (1–5, 5 best), its
// label and the reasons a customer may tick.
type Level struct {
	Score   int      `json:"score"`
	Label   string   `json:"label"`
	Reasons []string `json:"reasons"`
}

// Settings are a tenant's rating scale and texts.
type Settings struct {
	// Levels, best first (2–5 of them, scores falling).
	Levels []Level `json:"levels"`
	// InviteText asks for a rating on a channel without a rating form;
	// {levels} becomes "1 非常满意、2 满意 …" and {link} the rating page's
	// address (added on a line of its own when the text has no {link}).
	// Whether a channel invites when a conversation closes is the
	// channel's own setting ("rating" in its config).
	InviteText string `json:"invite_text"`
	ThanksText string `json:"thanks_text"`
	// BadAt: a score at or below it is a bad rating (supervisors are told).
	BadAt int `json:"bad_at"`
	// ReplyMinutes is how long a number the customer sends counts as their
	// rating; ChangeMinutes how long a rating can be changed.
	ReplyMinutes  int `json:"reply_minutes"`
	ChangeMinutes int `json:"change_minutes"`
}

// Default is the five-level scale the seed products use.
func Default() Settings {
	return Settings{Levels: []Level{
		{Score: 5, Label: "非常满意"}, {Score: 4, Label: "满意"}, {Score: 3, Label: "一般"},
		{Score: 2, Label: "不满意", Reasons: []string{"等待时间长", "问题未解决", "服务态度差"}},
		{Score: 1, Label: "非常不满意", Reasons: []string{"等待时间长", "问题未解决", "服务态度差"}}},
		InviteText: "请您对本次服务进行评价，回复数字即可：{levels}", ThanksText: "感谢您的评价，祝您生活愉快！",
		BadAt: 2, ReplyMinutes: 30}
}

func (s *Settings) validate() error {
	if len(s.Levels) < 2 || len(s.Levels) > 5 {
		return hub.Coded("rating_levels", hub.Invalid("a scale has 2 to 5 levels"))
	}
	prev := 6
	for i := range s.Levels {
		l := &s.Levels[i]
		l.Label = strings.TrimSpace(l.Label)
		if l.Score < 1 || l.Score >= prev {
			return hub.Coded("rating_scores", hub.Invalid("scores run from 5 down to 1, best first, each lower than the one before"))
		}
		prev = l.Score
		if l.Label == "" || utf8.RuneCountInString(l.Label) > 20 {
			return hub.Coded("rating_label", hub.Invalid("each level needs a label of 1 to 20 characters"))
		}
		if len(l.Reasons) > 10 {
			return hub.Invalid("at most 10 reasons per level")
		}
		for j, r := range l.Reasons {
			if l.Reasons[j] = strings.TrimSpace(r); l.Reasons[j] == "" || utf8.RuneCountInString(l.Reasons[j]) > 30 ||
				strings.ContainsAny(l.Reasons[j], "\r\n") {
				return hub.Invalid("a reason is one line of 1 to 30 characters")
			}
		}
	}
	for _, t := range []*string{&s.InviteText, &s.ThanksText} {
		if *t = strings.TrimSpace(*t); utf8.RuneCountInString(*t) > 500 {
			return hub.Invalid("texts have at most 500 characters")
		}
	}
	if s.BadAt < 0 || s.BadAt > 5 || s.ReplyMinutes < 1 || s.ReplyMinutes > maxReplyMinutes ||
		s.ChangeMinutes < 0 || s.ChangeMinutes > 7*24*60 {
		return hub.Invalid("bad_at is 0–5; reply_minutes 1–10080; change_minutes 0–10080")
	}
	return nil
}

// Invitation is the invite text with the levels filled in.
func (s Settings) Invitation() string { return s.InvitationWith("") }

// InvitationWith is the invite text with the levels and the rating page's
// link filled in (no link: the number reply alone).
func (s Settings) InvitationWith(link string) string {
	parts := make([]string, len(s.Levels))
	for i, l := range s.Levels {
		parts[i] = fmt.Sprintf("%d %s", i+1, l.Label)
	}
	text := strings.ReplaceAll(s.InviteText, "{levels}", strings.Join(parts, "、"))
	switch {
	case strings.Contains(text, "{link}"):
		return strings.TrimSpace(strings.ReplaceAll(text, "{link}", link))
	case link != "" && text != "":
		return text + "\n" + linkLine + link
	}
	return text
}

// linkLine introduces the rating page's link in an invitation whose text
// does not place it.
const linkLine = "也可点击链接评价（可选原因、留言）："

// Pick is the level a customer's reply names ("1", "２", " 3 "), or false.
func (s Settings) Pick(text string) (Level, bool) {
	t := strings.TrimSpace(strings.Map(func(r rune) rune {
		if r >= '０' && r <= '９' {
			return r - '０' + '0'
		}
		return r
	}, text))
	n, err := strconv.Atoi(t)
	if err != nil || len(t) != 1 || n < 1 || n > len(s.Levels) {
		return Level{}, false
	}
	return s.Levels[n-1], true
}

// Store keeps the settings and the ratings.
type Store struct {
	k     *store.Store
	base  string
	mu    sync.Mutex
	cache map[string]cached
}

// Options configure the store.
type Options struct {
	// PublicURL is the hub's address as customers reach it: invitations
	// link to the rating page under it (empty: they carry no link).
	PublicURL string
}

type cached struct {
	s   Settings
	exp time.Time
}

// New returns the store.
func New(k *store.Store, o Options) *Store {
	return &Store{k: k, base: strings.TrimSuffix(o.PublicURL, "/"), cache: map[string]cached{}}
}

// settingsTTL is how long another process's change may take to be seen.
const settingsTTL = 5 * time.Second

// Settings are a tenant's (the defaults until an admin saves some), read
// through q.
func (s *Store) Settings(ctx context.Context, q store.Querier, tenantID string) (Settings, error) {
	s.mu.Lock()
	c, ok := s.cache[tenantID]
	s.mu.Unlock()
	if ok && time.Now().Before(c.exp) {
		return c.s, nil
	}
	var raw []string
	if err := q.Select(ctx, &raw, `SELECT settings FROM rating_settings WHERE tenant_id = ?`, tenantID); err != nil {
		return Settings{}, fmt.Errorf("rating settings: %w", err)
	}
	st := Default()
	if len(raw) == 1 {
		st = Settings{}
		if err := json.Unmarshal([]byte(raw[0]), &st); err != nil {
			return Settings{}, fmt.Errorf("rating settings: %w", err)
		}
	}
	s.remember(tenantID, st)
	return st, nil
}

func (s *Store) remember(tenantID string, st Settings) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.cache) > 10000 {
		clear(s.cache)
	}
	s.cache[tenantID] = cached{s: st, exp: time.Now().Add(settingsTTL)}
}

// Levels are a tenant's scale, best first, as a rating form offers it.
func (s *Store) Levels(ctx context.Context, tenantID string) ([]Level, error) {
	st, err := s.Settings(ctx, s.k, tenantID)
	return st.Levels, err
}

// Put replaces a tenant's settings.
func (s *Store) Put(ctx context.Context, tenantID string, st Settings) (Settings, error) {
	if err := st.validate(); err != nil {
		return Settings{}, err
	}
	b, _ := json.Marshal(st)
	const q = `INSERT INTO rating_settings (tenant_id, settings) VALUES (?, ?)
		ON CONFLICT (tenant_id) DO UPDATE SET settings = excluded.settings`
	if _, err := s.k.Exec(ctx, q, tenantID, string(b)); err != nil {
		return Settings{}, fmt.Errorf("save rating settings: %w", err)
	}
	s.remember(tenantID, st)
	return st, nil
}

// Record stores a conversation's rating in tx — or changes it, with its
// reasons, while the tenant's change window lasts — and tells its agent; a
// bad one is marked so for the supervisors. ErrConflict once it can no
// longer change; Invalid for a reason not on the level's list.
func (s *Store) Record(ctx context.Context, tx *store.Tx, c *hub.Conversation, score int, comment string, reasons []string) error {
	st, err := s.Settings(ctx, tx, c.TenantID)
	if err != nil {
		return err
	}
	if score < 1 || score > 5 {
		return hub.Invalid("score must be 1 to 5")
	}
	picked, err := st.reasons(score, reasons)
	if err != nil {
		return err
	}
	comment = hub.Bounded(comment, 1000)
	now := tx.Now()
	const ins = `INSERT INTO ratings (conversation_id, tenant_id, score, comment, reasons, created_at) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (conversation_id) DO UPDATE SET score = excluded.score, comment = excluded.comment,
		reasons = excluded.reasons, updated_at = excluded.created_at WHERE ratings.created_at > ?`
	n, err := tx.Exec(ctx, ins, c.ID, c.TenantID, score, comment, picked, now, now.Add(-time.Duration(st.ChangeMinutes)*time.Minute))
	if err != nil {
		return fmt.Errorf("store rating: %w", err)
	}
	if n == 0 {
		return fmt.Errorf("%w: the conversation is already rated", hub.ErrConflict)
	}
	agent := ""
	if c.AssigneeID != nil {
		agent = *c.AssigneeID
	}
	tx.Emit(hub.Event{TenantID: c.TenantID, ChannelID: c.ChannelID, Type: hub.EvConversationRated, ConversationID: c.ID,
		AgentID: agent}, map[string]any{"conversation_id": c.ID, "score": score, "comment": comment, "reasons": picked, "agent_id": agent,
		"bad": score <= st.BadAt, "label": st.label(score)})
	return nil
}

// reasons are the ones picked for a score, in the level's order, each
// once: every one must be on the list of the level that score is (Invalid
// otherwise); none is always fine.
func (s Settings) reasons(score int, picked []string) (hub.Reasons, error) {
	if len(picked) == 0 {
		return nil, nil
	}
	var out hub.Reasons
	for _, l := range s.Levels {
		if l.Score != score {
			continue
		}
		for _, r := range l.Reasons {
			if slices.Contains(picked, r) && !slices.Contains(out, r) {
				out = append(out, r)
			}
		}
	}
	for _, p := range picked {
		if !slices.Contains(out, p) {
			return nil, hub.Coded("rating_reason", hub.Invalid("%q is not a reason of this level", hub.Bounded(p, 40)))
		}
	}
	return out, nil
}

// ErrInviteEmpty refuses an agent's request for a rating on a platform
// rated by text (WeChat, Weibo, QQ, WeCom) while the tenant's invitation
// text is empty: nothing would reach the customer.
var ErrInviteEmpty = hub.Coded("rating_invite_empty",
	fmt.Errorf("%w: the rating invitation text is empty; an admin sets it in the rating settings", hub.ErrConflict))

// Invite records that the customer of c was asked to rate it with a text
// (a channel without a rating form): a number they send within the reply
// window answers it, and so does the rating page the link in the text
// opens, until the same time. It returns the invitation text to send; ""
// when the tenant's invitation text is empty, and then nothing is asked
// and nothing recorded (a number the customer sends stays a message).
func (s *Store) Invite(ctx context.Context, tx *store.Tx, c *hub.Conversation) (string, error) {
	st, err := s.Settings(ctx, tx, c.TenantID)
	if err != nil || strings.TrimSpace(st.InviteText) == "" {
		return "", err
	}
	now := tx.Now()
	exp := now.Add(time.Duration(st.ReplyMinutes) * time.Minute)
	link, err := s.link(ctx, tx, c, exp)
	if err != nil {
		return "", err
	}
	text := st.InvitationWith(link)
	if strings.TrimSpace(text) == "" { // "{link}" alone and no rating page
		return "", nil
	}
	const q = `INSERT INTO rating_invites (conversation_id, tenant_id, channel_id, contact_id, expires_at, created_at)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (conversation_id) DO UPDATE SET expires_at = excluded.expires_at,
		created_at = excluded.created_at, answered_by = ''`
	if _, err := tx.Exec(ctx, q, c.ID, c.TenantID, c.ChannelID, c.ContactID, exp, now); err != nil {
		return "", fmt.Errorf("rating invitation: %w", err)
	}
	return text, nil
}

// Answer is what a customer's message did to a rating invitation.
type Answer struct {
	ConversationID string
	Score          int
	Thanks         string // the text to thank them with
	Replay         bool   // this very message answered it before (a platform retry)
}

// Answered takes a customer's message as the answer to their newest open
// invitation on the channel when it is one of the scale's numbers, in tx,
// storing the rating; nil when the message is not a rating (it is stored
// as a message). A replay of the message that answered is recognised.
func (s *Store) Answered(ctx context.Context, tx *store.Tx, tenantID, channelID, contactID, externalID, text string) (*Answer, error) {
	if utf8.RuneCountInString(strings.TrimSpace(text)) != 1 {
		return nil, nil //nolint:nilnil // not a number: a message
	}
	st, err := s.Settings(ctx, tx, tenantID)
	if err != nil {
		return nil, err
	}
	level, ok := st.Pick(text)
	if !ok {
		return nil, nil //nolint:nilnil // not one of the scale's numbers
	}
	var invs []struct {
		ConversationID string `db:"conversation_id"`
		AnsweredBy     string `db:"answered_by"`
	}
	q := `SELECT conversation_id, answered_by FROM rating_invites WHERE channel_id = ? AND contact_id = ?
		AND (answered_by = ? OR (answered_by = '' AND expires_at > ?)) ORDER BY created_at DESC LIMIT 1`
	if err := tx.Select(ctx, &invs, q, channelID, contactID, externalID, tx.Now()); err != nil {
		return nil, fmt.Errorf("rating invitation: %w", err)
	}
	if len(invs) == 0 {
		return nil, nil //nolint:nilnil // nothing asked for a rating
	}
	a := &Answer{ConversationID: invs[0].ConversationID, Score: level.Score, Thanks: st.ThanksText,
		Replay: invs[0].AnsweredBy == externalID}
	if a.Replay {
		return a, nil
	}
	var c hub.Conversation
	cq := `SELECT id, tenant_id, channel_id, contact_id, assignee_id FROM conversations WHERE id = ?`
	if err := tx.Get(ctx, &c, cq, a.ConversationID); err != nil {
		return nil, fmt.Errorf("rated conversation: %w", err)
	}
	if err := s.Record(ctx, tx, &c, level.Score, "", nil); errors.Is(err, hub.ErrConflict) {
		return nil, nil //nolint:nilnil // rated for good already: the number is a message
	} else if err != nil {
		return nil, err
	}
	const up = `UPDATE rating_invites SET answered_by = ? WHERE conversation_id = ?`
	if _, err := tx.Exec(ctx, up, externalID, a.ConversationID); err != nil {
		return nil, fmt.Errorf("answer rating invitation: %w", err)
	}
	return a, nil
}
